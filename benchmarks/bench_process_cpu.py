"""CPU seconds of each process of ``oncoseries analyze`` (the command, the figure worker and its drawer, the
writers, the design child), so that a change to one of them can be seen beside the noise of the total.

    PYTHONPATH=src python benchmarks/bench_process_cpu.py [--runs 7] [--src DIR ...] [--study DIR]

Each run is ``oncoseries analyze STUDY -o OUT`` in a fresh process, started through a small wrapper that
makes ``os._exit`` first write the process's own CPU (``getrusage(RUSAGE_SELF)``: user + sys, without its
children) and its name (``/proc/self/comm``: ``osr-write-early``, ``osr-prepare``, ...; an unnamed fork is a "figure
process" when it has imported matplotlib, else an "other child", e.g. the trial design's) to a file. The command
and every forked child leave through ``os._exit`` (cli._exit_now, the children's ends), so each is counted
once; a process that leaves otherwise is missing from the table (its name would be absent from every run).
With several ``--src`` trees the runs alternate between them (same machine load), and the medians are side
by side. Nothing in oncoseries is changed: the wrapper only wraps ``os._exit`` before running the CLI.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from _trees import alternate, tree_arguments

WRAPPER = r"""
import os, resource, sys
_log = os.environ["OSR_CPU_LOG"]
_exit = os._exit
_main = os.getpid()

def _counted_exit(code):
    try:
        r = resource.getrusage(resource.RUSAGE_SELF)
        try:
            name = open("/proc/self/comm").read().strip()
        except OSError:
            name = "?"
        if os.getpid() == _main:
            name = "command"
        elif name == "python":       # an unnamed fork: a figure process, or another child (beside.py)
            name = "figure process" if "matplotlib" in sys.modules else "other child"
        with open(_log, "a") as f:
            f.write(f"{os.getpid()} {name} {r.ru_utime + r.ru_stime:.4f}\n")
    finally:
        _exit(code)

os._exit = _counted_exit
sys.argv = ["oncoseries", *sys.argv[1:]]
from oncoseries.cli import main
main()
"""


def run_once(study: Path, out: Path, src: str | None) -> tuple[float, dict[str, float]]:
    """(wall seconds, process name -> CPU seconds; several processes of one name are summed)."""
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
        log = f.name
    env = {**os.environ, "OSR_CPU_LOG": log}
    if src is not None:
        env["PYTHONPATH"] = src
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", WRAPPER, "analyze", str(study), "-o", str(out), "--no-progress"],
                   check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    cpu: dict[str, float] = defaultdict(float)
    for line in Path(log).read_text().splitlines():
        _, rest = line.split(" ", 1)
        name, secs = rest.rsplit(" ", 1)
        cpu[name] += float(secs)
    os.unlink(log)
    return wall, dict(cpu)


def main() -> None:
    a, srcs = tree_arguments(7)
    res = alternate(a.runs, srcs, lambda out, s: run_once(a.study, out, s), "osr-cpu-")
    names = sorted({n for s in srcs for _, c in res[s] for n in c}, key=lambda n: (n != "command", n))
    print(f"oncoseries analyze {a.study.name}: CPU seconds per process (user + sys), median of {a.runs} runs"
          f" (`uptime`: {os.getloadavg()[0]:.2f} at the end)")
    print(f"  {'process':<20}" + "".join(f"{str(s)[-22:]:>24}" for s in srcs))
    for n in names:
        print(f"  {n:<20}" + "".join(f"{statistics.median([c.get(n, 0.0) for _, c in res[s]]):24.3f}" for s in srcs))
    print(f"  {'all processes':<20}" + "".join(f"{statistics.median([sum(c.values()) for _, c in res[s]]):24.3f}"
                                              for s in srcs))
    print(f"  {'wall':<20}" + "".join(f"{statistics.median([w for w, _ in res[s]]):24.3f}" for s in srcs))
    print(json.dumps({str(s): {"wall": [round(w, 3) for w, _ in res[s]],
                               "command": [round(c.get('command', 0.0), 3) for _, c in res[s]]} for s in srcs}))


if __name__ == "__main__":
    main()
