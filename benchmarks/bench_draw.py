"""Benchmark: CPU of drawing the bundled study's figures once in a fresh, warm process (issue 13).

Usage: python benchmarks/bench_draw.py [--runs 7] [--warm-up [--no-freeze] | --compare-warm-up]
                                       --src BASE/src --src src

Each run is a fresh ``python`` process per source tree (runs alternate between the trees and variants): it
analyses the bundled study, prepares every figure group (report/figures.prepare_group), pays the worker's
start-up (``report.worker._warm``: matplotlib and the drawing modules imported, the font loaded; then
``gc.freeze()``, as the worker does) and, with
``--warm-up``, ``style.warm_up()`` when the tree has it (``--no-freeze``: ``warm_up(freeze_gc=False)``;
``--compare-warm-up`` alternates none, ``warm_up()`` and ``warm_up(freeze_gc=False)``); then it draws every
group once (PNG + SVG into a temporary directory, as the figure worker does) and reports the CPU time
(``time.process_time``: all threads, the PNG writer included) of each group and of all, and the minor page
faults of the drawing (``ru_minflt``). Only the drawing is timed, the first time in the process: what
``oncoseries analyze`` pays. Prints the median and range per tree.
``--forked``: the CPU of a second drawer as report/worker.py forks it (the warm process draws km_a, forks; the
child draws km_b and historical).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

_CHILD = r"""
import json, pathlib, sys, tempfile, time
from oncoseries.analysis import analyze
from oncoseries.examples import example_study_path
from oncoseries.report import figures, style, worker
res = analyze(example_study_path())
opts = figures.figure_opts(**figures.report_figure_options(res))
prepared = [figures.prepare_group(n, res, opts) for n in figures.GROUPS]
worker._warm()
import gc; gc.freeze()      # as report/worker.py does after _warm()
warm = None
if sys.argv[1] != "0" and hasattr(style, "warm_up"):
    t = time.process_time(); style.warm_up(freeze_gc=sys.argv[1] == "1"); warm = time.process_time() - t
out = {"warm_up": warm, "groups": {}}
import resource
with tempfile.TemporaryDirectory() as d:
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    t0 = time.process_time()
    for p in prepared:
        t = time.process_time()
        figures.draw_prepared(p, pathlib.Path(d), opts)
        style.wait_for_figures()
        out["groups"][p.group] = time.process_time() - t
    out["all"] = time.process_time() - t0
    out["faults"] = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
print("BENCH" + json.dumps(out))
"""

# --forked: as report/worker.py's second drawer: the warm process draws km_a, forks, and the child draws km_b
# and historical; the child's CPU (getrusage of the waited-for child) is what is reported.
_FORKED = r"""
import json, os, pathlib, resource, sys, tempfile
from oncoseries.analysis import analyze
from oncoseries.examples import example_study_path
from oncoseries.report import figures, style, worker
res = analyze(example_study_path())
opts = figures.figure_opts(**figures.report_figure_options(res))
prepared = {n: figures.prepare_group(n, res, opts) for n in ("km_a", "km_b", "historical")}
worker._warm()
import gc; gc.freeze()      # as report/worker.py does after _warm()
with tempfile.TemporaryDirectory() as d:
    figures.draw_prepared(prepared["km_a"], pathlib.Path(d), opts)
    style.stop_png_writer()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    pid = os.fork()
    if pid == 0:
        style.reset_after_fork()
        for g in ("km_b", "historical"):
            figures.draw_prepared(prepared[g], pathlib.Path(d), opts)
        style.wait_for_figures()
        os._exit(0)
    os.waitpid(pid, 0)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
print("BENCH" + json.dumps({"all": cpu, "groups": {"km_b+historical (forked child)": cpu}, "warm_up": None}))
"""


def run(src: str, warm_up: str, forked: bool = False) -> dict:
    env = dict(os.environ, PYTHONPATH=src)
    proc = subprocess.run([sys.executable, "-c", _FORKED if forked else _CHILD, warm_up], env=env, capture_output=True,
                          text=True, check=True)
    line = next(x for x in proc.stdout.splitlines() if x.startswith("BENCH"))
    return json.loads(line[5:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", action="append", required=True, help="a source tree (repeat to compare)")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--warm-up", action="store_true", help="call style.warm_up() before drawing")
    ap.add_argument("--no-freeze", action="store_true", help="with --warm-up: warm_up(freeze_gc=False)")
    ap.add_argument("--compare-warm-up", action="store_true",
                    help="per tree, alternate: no warm-up, warm_up(), warm_up(freeze_gc=False)")
    ap.add_argument("--forked", action="store_true",
                    help="CPU of a child forked from a warm process that drew km_a, drawing km_b and historical")
    args = ap.parse_args()
    modes = (["0", "1", "2"] if args.compare_warm_up else
             ["2" if args.warm_up and args.no_freeze else "1" if args.warm_up else "0"])
    names = {"0": "", "1": " + warm_up()", "2": " + warm_up(freeze_gc=False)"}
    results: dict[str, list[dict]] = {s + names[m]: [] for s in args.src for m in modes}
    for _ in range(args.runs):
        for s in args.src:
            for m in modes:
                results[s + names[m]].append(run(s, m, args.forked))
    for s, rs in results.items():
        alls = [r["all"] for r in rs]
        what = "forked child" if args.forked else "all groups"
        print(f"{s}: {what}, CPU median {statistics.median(alls):.3f} s (range {min(alls):.3f}-{max(alls):.3f}),"
              f" {len(rs)} fresh processes")
        if rs[0].get("faults") is not None:
            print(f"  page faults while drawing (minor, median): {statistics.median(r['faults'] for r in rs):,.0f}")
        for g in rs[0]["groups"]:
            print(f"  {g:<11} {statistics.median(r['groups'][g] for r in rs):.3f} s")
        if rs[0]["warm_up"] is not None:
            print(f"  warm_up() itself: {statistics.median(r['warm_up'] for r in rs):.3f} s (before the drawing)")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory():
        main()
