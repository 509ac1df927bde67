"""Benchmark: read and validate a study of 100,000 patients and 1,000,000 lesion rows.

Target (issue 2): under 10 s on a 2-core machine, peak memory under 2 GB. Run:
    .venv/bin/python benchmarks/bench_intake.py [--patients 100000] [--lesions-per-patient 10]
The study is written once to a temporary folder with numpy (not timed); validation runs in a fresh
subprocess so that its peak resident memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make_study(folder: Path, n_patients: int, per_patient: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    ids = np.array([f"P{i:06d}" for i in range(n_patients)])
    start = np.datetime64("2015-01-01") + rng.integers(0, 2500, n_patients).astype("timedelta64[D]")
    follow = rng.integers(30, 1500, n_patients).astype("timedelta64[D]")
    dead = rng.random(n_patients) < 0.6
    last = start + follow
    pd.DataFrame({
        "patient_id": ids, "start_date": start, "last_contact_date": last,
        "death_date": np.where(dead, last.astype(str), ""), "age": rng.integers(10, 80, n_patients),
        "sex": rng.choice(["male", "female"], n_patients), "prior_ifosfamide": rng.choice(["yes", "no"], n_patients),
    }).to_csv(folder / "patients.csv", index=False)
    # lesions: 2 targets + 1 non-target per scan; scans every 49 days from baseline (7 days before start)
    n_scans = max(1, per_patient // 3)
    pid = np.repeat(np.arange(n_patients), n_scans * 3)
    scan = np.tile(np.repeat(np.arange(n_scans), 3), n_patients)
    lesion = np.tile(np.arange(3), n_patients * n_scans)
    date = start[pid] + (scan * 49 - 7).astype("timedelta64[D]")
    ok = date <= last[pid]
    role = np.where(lesion < 2, "target", "non_target")
    diam = np.where(lesion < 2, np.round(rng.uniform(10, 60, len(pid)), 1).astype(str), "")
    pd.DataFrame({"patient_id": ids[pid], "date": date, "lesion_id": np.char.add("L", lesion.astype(str)),
                  "role": role, "diameter_mm": diam}).loc[ok].to_csv(folder / "lesions.csv", index=False)


CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from oncoseries.study import validate_study
t1 = time.perf_counter()
report = validate_study(sys.argv[1])
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "validate_s": t2 - t1, "usable": report.usable,
                  "patients": len(report.study.patients), "lesions": len(report.study.lesions),
                  "problems": len(report.problems),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--lesions-per-patient", type=int, default=13)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        make_study(folder, args.patients, args.lesions_per_patient)
        size = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
        print(f"study written in {time.perf_counter() - t:.1f} s ({size:.0f} MB of CSV)")
        runs = []
        for _ in range(args.repeat):
            out = subprocess.run([sys.executable, "-c", CHILD, str(folder)], capture_output=True, text=True,
                                 check=True)
            runs.append(json.loads(out.stdout))
        best = min(runs, key=lambda r: r["validate_s"])
        print(json.dumps(best, indent=1))
        print(f"read + validate: best {best['validate_s']:.2f} s of {args.repeat} "
              f"(target < 10 s); peak RSS {best['peak_rss_mb']:.0f} MB (target < 2048 MB)")


if __name__ == "__main__":
    main()
