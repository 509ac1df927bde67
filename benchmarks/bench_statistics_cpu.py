"""CPU seconds of the statistics stage's heaviest parts on one study (issue 13): the whole ``analyze`` (the
trial design computed in the process, as a library user gets it), the trial-design section (what the command's
forked design child computes) and its parts, and the Firth logistic fits of the biomarker odds ratios.

    PYTHONPATH=src python benchmarks/bench_statistics_cpu.py [--runs 5] [--src DIR ...] [--study DIR]

Each run is a fresh process per source tree (the trees alternate: same machine load): it reads the study, runs
``analyze`` once (warm-up: imports, scipy.special, first calls), records the design section's inputs and the
Firth fits' arguments on the way, then times ``repeats`` (default 5) warm calls of each part with
``time.process_time`` (this process's CPU, so the other helpers' load changes it less than wall time;
one OpenBLAS thread, as the command line runs). Prints,
per part and tree, the median over the runs of each run's minimum.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _trees import tree_arguments

CHILD = r"""
import json, sys, time
from oncoseries.study import read_study
import oncoseries.analysis.trial_design as td
import oncoseries.design.simulate as sim
import oncoseries.design.single_arm as sa
import oncoseries.stats.logistic as lg
import oncoseries.analysis.marker_effects as me
from oncoseries.analysis import analyze

study_dir, repeats = sys.argv[1], int(sys.argv[2])
seen = {}
real_design, real_firth = td.design_section, lg.logistic_firth
def design_spy(*a):
    seen["design"] = a
    return real_design(*a)
def firth_spy(*a, **k):
    seen.setdefault("firth", []).append((a, k))
    return real_firth(*a, **k)
td.design_section, me.logistic_firth = design_spy, firth_spy
analyze(read_study(study_dir))
td.design_section, me.logistic_firth = real_design, real_firth

def cpu(fn):
    best = float("inf")
    for _ in range(repeats):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best

out = {"analyze (design in the process)": cpu(lambda: analyze(read_study(study_dir))) if repeats else None}
if "design" in seen:
    cfg, adtte, scale, response = seen["design"]
    out["design section"] = cpu(lambda: td.design_section(cfg, adtte, scale, response))
    model = td._control(cfg, adtte, scale)[0]
    out["  designs and power curves"] = cpu(lambda: td._design(cfg, model))
    out["  single arm (Simon, A'Hern)"] = cpu(lambda: td._single_arm(cfg, response))
    if cfg.simulate:
        from oncoseries.design import design_survival, dropout_hazard, group_sequential
        d = design_survival(cfg.hr[0], model, cfg.accrual, cfg.follow_up, cfg.alpha, cfg.power, cfg.ratio,
                            cfg.sides, dropout_hazard(cfg.dropout, cfg.dropout_time), cfg.method)
        seq = group_sequential(cfg.looks, cfg.alpha, cfg.power, cfg.sides, cfg.spending) if cfg.looks > 1 else None
        out["  simulation"] = cpu(lambda: sim.simulate_design(d, model, cfg.accrual, cfg.simulate, cfg.seed, seq))
if seen.get("firth"):
    calls = seen["firth"]
    out[f"Firth logistic fits ({len(calls)})"] = cpu(lambda: [real_firth(*a, **k) for a, k in calls])
print(json.dumps(out))
"""


def run_once(study: Path, src: str | None, repeats: int) -> dict:
    env = dict(os.environ)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")    # as the command line sets it (cli.py): no idle BLAS threads
    if src:
        env["PYTHONPATH"] = os.pathsep.join([str(Path(src).resolve()), str(Path(__file__).parent)])
    r = subprocess.run([sys.executable, "-c", CHILD, str(study), str(repeats)], env=env, capture_output=True,
                       text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    args, trees = tree_arguments(5, argv)
    results: dict = {str(t): [] for t in trees}
    for _ in range(args.runs):
        for t in trees:
            results[str(t)].append(run_once(args.study, t, 5))
    load = os.getloadavg()[0]
    print(f"{args.study.name}: CPU seconds (process_time), median over {args.runs} runs of each run's minimum of 5 "
          f"warm calls (load {load:.2f} at the end)")
    names = list(results[str(trees[0])][0])
    print(f"  {'part':36s}" + "".join(f"{str(t)[-24:]:>26s}" for t in trees))
    for name in names:
        cells = []
        for t in trees:
            vals = [r[name] for r in results[str(t)] if r.get(name) is not None]
            cells.append(f"{statistics.median(vals):26.4f}" if vals else f"{'-':>26s}")
        print(f"  {name:36s}" + "".join(cells))


if __name__ == "__main__":
    sys.exit(main())
