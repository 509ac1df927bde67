"""Start-up as a user meets it (issue 13): ``import oncoseries`` and the first ``osr.kaplan_meier`` call,
each in a fresh process, and which heavy modules they load.

    .venv/bin/python benchmarks/bench_startup.py [--runs 5]

- ``import oncoseries``: wall time inside the process (``time.perf_counter`` around the import) and the
  cumulative microseconds ``python -X importtime`` reports for the package;
- first KM call: ``import oncoseries as osr``, numpy/pandas and the data (the lung data, 228 rows) made
  before the timer; the first ``osr.kaplan_meier(lung, "time", "dead", by="sex")`` timed (whatever it
  imports lazily is inside), then a second (warm) call;
- ``import oncoseries.analysis`` (what ``oncoseries analyze`` loads before reading a study).

Medians over ``--runs`` fresh processes; the load average is printed (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LUNG = ROOT / "tests" / "data" / "r-survival" / "lung.csv"
HEAVY = ["numpy", "pandas", "scipy", "scipy.stats", "matplotlib", "docx", "numba", "statsmodels", "plotly"]

IMPORT = """
import json, sys, time
t0 = time.perf_counter()
import oncoseries
t1 = time.perf_counter()
print(json.dumps({"s": t1 - t0, "loaded": [m for m in HEAVY if m in sys.modules]}))
"""

FIRST_KM = """
import json, sys, time
import numpy as np, pandas as pd
import oncoseries as osr
lung = pd.read_csv(LUNG).assign(dead=lambda d: d["status"] == 2)
t0 = time.perf_counter()
osr.kaplan_meier(lung, "time", "dead", by="sex")
t1 = time.perf_counter()
osr.kaplan_meier(lung, "time", "dead", by="sex")
t2 = time.perf_counter()
print(json.dumps({"first": t1 - t0, "warm": t2 - t1, "loaded": [m for m in HEAVY if m in sys.modules]}))
"""

ANALYSIS = """
import json, sys, time
t0 = time.perf_counter()
import oncoseries.analysis, oncoseries.cli
t1 = time.perf_counter()
print(json.dumps({"s": t1 - t0, "loaded": [m for m in HEAVY if m in sys.modules]}))
"""


def child(code: str, *args: str) -> dict:
    code = f"HEAVY = {HEAVY!r}\nLUNG = {str(LUNG)!r}\n" + code
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, *args, "-c", code], capture_output=True, text=True, env=env, check=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if "-X" in args:
        cum = [int(m.group(1)) for m in re.finditer(r"import time:\s+\d+ \|\s+(\d+) \| oncoseries$", done.stderr,
                                                   re.M)]
        out["importtime_us"] = cum[-1] if cum else None
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; {args.runs} fresh processes each; medians")
    imp = [child(IMPORT, "-X", "importtime") for _ in range(args.runs)]
    print(f"import oncoseries            {statistics.median(r['s'] for r in imp) * 1e3:7.1f} ms   "
          f"(-X importtime: {statistics.median(r['importtime_us'] for r in imp) / 1e3:.1f} ms) "
          f"loads {imp[-1]['loaded'] or 'nothing heavy'}")
    km = [child(FIRST_KM) for _ in range(args.runs)]
    print(f"first osr.kaplan_meier call  {statistics.median(r['first'] for r in km) * 1e3:7.1f} ms   "
          f"(warm {statistics.median(r['warm'] for r in km) * 1e3:.1f} ms; numpy/pandas loaded before) "
          f"loads {km[-1]['loaded']}")
    an = [child(ANALYSIS) for _ in range(args.runs)]
    print(f"import oncoseries.analysis   {statistics.median(r['s'] for r in an) * 1e3:7.1f} ms   "
          f"loads {an[-1]['loaded']}")


if __name__ == "__main__":
    main()
