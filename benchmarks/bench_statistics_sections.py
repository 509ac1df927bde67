"""Registry scale (issue 17): wall seconds of each section of the statistics stage (``run_analysis`` after
RECIST and endpoints) and of the derived-table writers, in one process.

    .venv/bin/python benchmarks/bench_statistics_sections.py STUDY [--snapshot FILE] [--write DIR] [--repeat 1]

The study is read, RECIST and the endpoints derived once; with ``--snapshot`` these are pickled to FILE
(the lesions table and RECIST's lesion table left out) and later runs load them instead, so the sections of
two branches can be timed on the same inputs (run the script with each branch's ``src`` first on
PYTHONPATH). Each section function is wrapped and timed where ``run_analysis`` calls it; what is not a
listed section is "other". ``--write DIR`` also times ``write_outputs``' results.json and derived CSVs
(no report). Prints one line per section and the peak RSS.
"""

from __future__ import annotations

import argparse
import functools
import pickle
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

SECTIONS = {   # module (under oncoseries.analysis) -> functions timed where they are looked up
    "run": ["analysis_covariates", "apply_labels", "endpoint_frame", "summarise_endpoint", "followup",
            "by_covariate", "fit_model", "fit_model_and_fit", "table1", "exposure", "adverse_events", "biomarker_section",
            "table1_by", "_response_section", "_warnings_as_problems"],
    "exposure": ["dosing_section"],
    "toxicity": ["toxicity_section"],
    "cox_extras": ["enrich"],
    "time_dependent": ["analyse", "specs"],
    "response_claims": ["pfs_benefit", "claims"],
}
TIMES: dict[str, float] = defaultdict(float)
_DEPTH = [0]


def _timed(name: str, fn):
    @functools.wraps(fn)
    def wrapper(*a, **k):
        if _DEPTH[0]:                 # nested (fit_model inside biomarker_section): counted by the outer one
            return fn(*a, **k)
        _DEPTH[0] += 1
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            TIMES[name] += time.perf_counter() - t
            _DEPTH[0] -= 1
    return wrapper


def _snapshot(study_dir: Path, snap: Path | None):
    """(study, recist, endpoints) from the snapshot, or derived (and saved when ``snap`` is given)."""
    if snap is not None and snap.exists():
        t = time.perf_counter()
        with open(snap, "rb") as f:
            out = pickle.load(f)
        print(f"snapshot loaded in {time.perf_counter() - t:.1f} s", flush=True)
        return out
    import pandas as pd

    from oncoseries.analysis.plan import make_plan
    from oncoseries.analysis.run import analysis_covariates
    from oncoseries.endpoints import derive_endpoints
    from oncoseries.recist import derive_responses
    from oncoseries.study import read_study

    t = time.perf_counter()
    study = read_study(study_dir)
    print(f"read {time.perf_counter() - t:.1f} s", flush=True)
    frame, covariates = analysis_covariates(study)
    plan = make_plan(study.config, covariates)
    recist = derive_responses(study.patients, study.lesions, study.assessments, plan.recist)
    treated = pd.Index(list(set(study.flow.included("all_treated"))), dtype=object)
    best = recist.best_response[recist.best_response["patient_id"].isin(treated)]
    best = best[best["response_population"].astype(bool)]
    known = None if study.treatments is None else study.treatments[["patient_id", "date"]].assign(source="treatment")
    tps = recist.timepoints[recist.timepoints["patient_id"].isin(treated)]
    endpoints = derive_endpoints(study.patients[study.patients["patient_id"].isin(treated)], tps, best,
                                 plan.endpoints, known_alive=known)
    print(f"RECIST and endpoints {time.perf_counter() - t:.1f} s", flush=True)
    study.tables.pop("lesions", None)
    recist.lesion_table = recist.lesion_table.iloc[:0]
    if snap is not None:
        with open(snap, "wb") as f:
            pickle.dump((study, recist, endpoints), f, protocol=pickle.HIGHEST_PROTOCOL)
    return study, recist, endpoints


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("study", type=Path)
    ap.add_argument("--snapshot", type=Path)
    ap.add_argument("--write", type=Path, help="also time results.json and the derived CSVs into DIR")
    args = ap.parse_args(argv)
    import importlib

    import oncoseries
    from oncoseries.analysis import run as run_mod

    print(f"oncoseries from {Path(oncoseries.__file__).parent}", flush=True)
    study, recist, endpoints = _snapshot(args.study, args.snapshot)
    run_mod.derive_responses = lambda *a, **k: recist
    run_mod.derive_endpoints = lambda *a, **k: endpoints
    for mod, names in SECTIONS.items():
        m = importlib.import_module(f"oncoseries.analysis.{mod}")
        for name in names:
            if hasattr(m, name):
                setattr(m, name, _timed(name if mod == "run" else f"{mod}.{name}", getattr(m, name)))
    t = time.perf_counter()
    results = run_mod.run_analysis(study)
    total = time.perf_counter() - t
    for name, s in sorted(TIMES.items(), key=lambda kv: -kv[1]):
        print(f"{name:34s} {s:8.2f}")
    print(f"{'other':34s} {total - sum(TIMES.values()):8.2f}")
    print(f"{'run_analysis':34s} {total:8.2f}")
    if args.write:
        write(results, args.write)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GB")


def write(results, out: Path) -> None:
    """results.json and the derived CSVs as write_outputs writes them (no CDISC, no report)."""
    import json

    from oncoseries.analysis.results import _derived_csv
    from oncoseries.io.fast_csv import write_csv

    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    d = results.to_dict()
    t1 = time.perf_counter()
    (out / "results.json").write_text(json.dumps(d, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    print(f"{'results.to_dict':34s} {t1 - t:8.2f}\n{'results.json dump':34s} {time.perf_counter() - t1:8.2f}")
    for name, df in results.derived.items():
        if len(df) == 0:
            continue
        t = time.perf_counter()
        write_csv(_derived_csv(df, name), out / f"{name}.csv", date_format="%Y-%m-%d")
        print(f"{'derived ' + name:34s} {time.perf_counter() - t:8.2f}")


if __name__ == "__main__":
    sys.exit(main())
