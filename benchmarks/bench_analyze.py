"""End to end: `oncoseries analyze` with the full report (HTML, DOCX, figures, tables, derived, CDISC).

Targets (issue 6): the bundled 51-patient study in under 10 s; a 100,000-patient study in under 3 minutes.
Each size runs in a fresh process (so imports and numba compilation count, as for a user):
    .venv/bin/python benchmarks/bench_analyze.py [--patients 100000] [--skip-large] [--runs 3]

The bundled study is also run as a user runs it, ``python -m oncoseries.cli analyze STUDY -o OUT
--timings``, and the wall time of each stage (read, validate, RECIST, endpoints, statistics,
results.json/derived/CDISC, figures, report tables, HTML, DOCX) is printed: the per-stage median over
the runs, and the whole process wall time. Before/after in the same conditions:
    git archive OLD src | tar -x -C /tmp/before
    .venv/bin/python benchmarks/bench_analyze.py --stages-only --runs 5 --src /tmp/before/src --src src
On a machine shared with other work, ``--quiet 0.15`` measures a round again when other processes used more
than 0.15 s of CPU during it (from /proc/stat), so the medians are those of a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
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


def run_cli(study: Path, out: Path, src: str | None = None) -> tuple[float, dict]:
    """``oncoseries analyze --timings`` in a fresh process: (process wall time, stage -> seconds); ``src``:
    run the sources of that folder (PYTHONPATH) instead of the installed package."""
    import resource

    env = None if src is None else {**os.environ, "PYTHONPATH": src}
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    b0 = busy_seconds()
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "oncoseries.cli", "analyze", str(study), "-o", str(out),
                           "--timings"], capture_output=True, text=True, check=True, env=env)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)   # the process and its figure child: CPU seconds
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    stages = {"_cpu": cpu, "_foreign": busy_seconds() - b0 - cpu}
    lines = done.stderr.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("stage "))
    for ln in lines[start + 1:]:
        if ln.startswith("total"):
            break
        name, secs = re.match(r"(.+?)\s+([0-9.]+)\s+[0-9]+%", ln).groups()   # then rss / peak GB columns
        stages[name] = float(secs)
    return wall, stages


def busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all CPUs, /proc/stat: user, nice, system, irq, softirq,
    steal), or 0.0 where there is no /proc/stat."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0.0
    return (v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)) / os.sysconf("SC_CLK_TCK")


def stage_table(study: Path, tmp: Path, runs: int, srcs: list | None = None, quiet: float | None = None) -> None:
    """Median wall time per stage over ``runs`` fresh processes; with several source trees (``--src``,
    e.g. an export of the previous commit and this one) the runs alternate between them, so that every
    tree sees the same machine load, and the columns are side by side with their ratio. ``quiet``: a round
    (one run of each tree) during which other processes used more than that many CPU seconds (/proc/stat's
    busy time minus the runs' own) is measured again (at most ``runs`` more times in all), so that a shared
    machine's other work does not enter the medians; the discarded rounds are counted."""
    import statistics

    srcs = srcs or [None]
    res = {s: [] for s in srcs}
    i = retried = 0
    while i < runs:
        got = [run_cli(study, tmp / f"cli{i}_{j}_{retried}", s) for j, s in enumerate(srcs)]
        if quiet is not None and retried < runs and max(r[1]["_foreign"] for r in got) > quiet:
            retried += 1
            continue
        for s, r in zip(srcs, got):
            res[s].append(r)
        i += 1
    if quiet is not None:
        print(f"  rounds discarded (other processes used > {quiet} s of CPU during a run): {retried}")
    names = list(dict.fromkeys(k for s in srcs for r in res[s] for k in r[1] if k != "_foreign"))
    print(f"oncoseries analyze --timings on the bundled study, {runs} fresh processes per tree (median per stage):")
    print(f"  {'stage':<30} " + "  ".join(f"{str(s)[-18:]:>18}" for s in srcs))
    for k in [n for n in names if n != "_cpu"] + ["whole process (wall)", "_cpu"]:
        med = [statistics.median([r[0] if k.startswith("whole") else r[1].get(k, 0.0) for r in res[s]])
               for s in srcs]
        k = "CPU, all processes (user+sys)" if k == "_cpu" else k
        ratio = f"   x{med[0] / med[-1]:.2f}" if len(srcs) > 1 and med[-1] > 0 else ""
        print(f"  {k:<30} " + "  ".join(f"{m:16.3f} s" for m in med) + ratio)
    for s in srcs:
        walls, cpus = [r[0] for r in res[s]], [r[1]["_cpu"] for r in res[s]]
        print(f"  {s}: wall median {statistics.median(walls):.2f} s, range {min(walls):.2f}-{max(walls):.2f}; "
              f"CPU (user+sys, all processes) median {statistics.median(cpus):.2f} s, range {min(cpus):.2f}-{max(cpus):.2f}")
        print(f"    walls {[round(w, 2) for w in walls]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--stages-only", action="store_true", help="only the --timings table of the bundled study")
    ap.add_argument("--src", action="append", help="source folder(s) to compare, e.g. an export of the previous "
                    "commit (git archive REV src | tar -x -C DIR) and ./src; runs alternate between them")
    ap.add_argument("--quiet", type=float, default=None, metavar="SECONDS",
                    help="measure a round again when other processes used more than SECONDS of CPU during it")
    args = ap.parse_args()

    print(f"load average {os.getloadavg()[0]:.1f}")
    from oncoseries.examples import example_study_path

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        stage_table(example_study_path(), tmp, args.runs, args.src, args.quiet)
        if args.stages_only:
            return
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
