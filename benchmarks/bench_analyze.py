"""End to end: `oncoseries analyze` with the full report (HTML, DOCX, figures, tables, derived, CDISC).

Targets (issue 6): the bundled 51-patient study in under 10 s; a 100,000-patient study in under 3 minutes.
Each size runs in a fresh process (so imports and numba compilation count, as for a user):
    .venv/bin/python benchmarks/bench_analyze.py [--patients 100000] [--skip-large] [--runs 3]

The bundled study is also run as a user runs it, ``python -m oncoseries.cli analyze STUDY -o OUT
--timings``, and the wall time of each stage (read, validate, RECIST, endpoints, statistics,
results.json/derived/CDISC, figures, report tables, HTML, DOCX) is printed: the per-stage median over
the runs, and the whole process wall time.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from oncoseries.analysis import analyze, write_outputs
t1 = time.perf_counter()
res = analyze(sys.argv[1])
t2 = time.perf_counter()
files = write_outputs(res, sys.argv[2])
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "read_and_analyse_s": t2 - t1, "report_s": t3 - t2, "total_s": t3 - t0,
                  "files": len(files), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(study: Path, out: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(study), str(out)], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_cli(study: Path, out: Path) -> tuple[float, dict]:
    """``oncoseries analyze --timings`` in a fresh process: (process wall time, stage -> seconds)."""
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "oncoseries.cli", "analyze", str(study), "-o", str(out),
                           "--timings"], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    stages = {}
    lines = done.stderr.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("stage "))
    for ln in lines[start + 1:]:
        if ln.startswith("total"):
            break
        name, secs = re.match(r"(.+?)\s+([0-9.]+)\s+[0-9]+%$", ln).groups()
        stages[name] = float(secs)
    return wall, stages


def stage_table(study: Path, tmp: Path, runs: int) -> None:
    import statistics

    res = [run_cli(study, tmp / f"cli{i}") for i in range(runs)]
    names = list(res[0][1])
    print(f"oncoseries analyze --timings on the bundled study, {runs} fresh processes (median per stage):")
    for k in names:
        vals = [r[1].get(k, 0.0) for r in res]
        print(f"  {k:<30} {statistics.median(vals):6.3f} s   {[round(v, 3) for v in vals]}")
    walls = [r[0] for r in res]
    print(f"  {'whole process (wall)':<30} {statistics.median(walls):6.3f} s   {[round(v, 2) for v in walls]}"
          f"   (target < 3 s)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    import os

    print(f"load average {os.getloadavg()[0]:.1f}")
    from oncoseries.examples import example_study_path

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        stage_table(example_study_path(), tmp, args.runs)
        small = [run(example_study_path(), tmp / f"small{i}") for i in range(args.runs)]
        best = min(small, key=lambda r: r["total_s"])
        print(f"bundled 51-patient study: best of {args.runs} total {best['total_s']:.1f} s (target < 10 s) "
              f"{json.dumps(best)}")
        if args.skip_large:
            return
        from oncoseries.examples.generator import generate_study

        t = time.perf_counter()
        big = generate_study(tmp / "big", n_patients=args.patients, seed=7)
        print(f"generated {args.patients} patients in {time.perf_counter() - t:.1f} s (not timed below)")
        r = run(big, tmp / "bigout")
        print(f"{args.patients}-patient study: total {r['total_s']:.1f} s (target < 180 s) {json.dumps(r)}")


if __name__ == "__main__":
    main()
