"""First call in a fresh process, then warm calls, for oncoseries and a peer, alternating processes.

Each sample is a new Python process that imports the library (``import oncoseries as osr``, or the
peer's import) and builds the data in memory before any timer starts; it then times the first call
(everything the call itself loads lazily is inside the timer) and ``warm`` more calls. Samples
alternate between the two libraries so that both see the same machine load; ratios are of medians
over samples taken in the same run.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, sys, time
sys.path.insert(0, {here!r})
sys.path.insert(0, {src!r})
{setup}
t0 = time.perf_counter()
out = call()
first = time.perf_counter() - t0
warm = []
for _ in range({warm}):
    t0 = time.perf_counter()
    out = call()
    warm.append(time.perf_counter() - t0)
print("RESULT " + json.dumps({{"first": first, "warm": warm, "extra": extra(out)}}))
"""


def run_child(setup: str, warm: int, env: dict | None = None) -> dict:
    """One fresh process: ``setup`` defines ``call()`` and ``extra(out)`` (JSON-able facts to check)."""
    code = CHILD.format(here=str(HERE), src=str(HERE.parent / "src"), setup=setup, warm=warm)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def compare(ours: str, theirs: str, samples: int, warm: int, env: dict | None = None) -> dict:
    """Alternate ``samples`` fresh processes of each; medians of the first call and of the per-process
    median warm call, and their ratios (peer / ours)."""
    a, b = [], []
    for _ in range(samples):
        a.append(run_child(ours, warm, env))
        b.append(run_child(theirs, warm, env))

    def summary(rs):
        first = [r["first"] for r in rs]
        warm_med = [statistics.median(r["warm"]) for r in rs] if warm else [float("nan")]
        return {"first": statistics.median(first), "first_all": first, "warm": statistics.median(warm_med),
                "warm_all": warm_med, "extra": rs[-1]["extra"]}

    sa, sb = summary(a), summary(b)
    return {"ours": sa, "peer": sb, "first_ratio": sb["first"] / sa["first"],
            "warm_ratio": sb["warm"] / sa["warm"] if warm else float("nan")}


def fmt(xs) -> str:
    return "[" + ", ".join(f"{x:.3f}" for x in xs) + "]"
