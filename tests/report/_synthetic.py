"""A seeded SYNTHETIC study (not patient data) for the figure tests: n patients, two target lesions and
one non-target lesion each, scans every 8 weeks, new lesions in some, categorical (2 and 3 levels) and
numeric covariates, and a study.yaml asking for univariable and multivariable Cox models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

STUDY_YAML = """\
title: Synthetic figure-test study (not patient data)
time_unit: months
landmarks: {PFS: [6], OS: [12]}
cox:
  PFS: [arm, site, age]
  OS: [arm, site]
"""


def write_study(folder: Path, n: int = 80, seed: int = 7) -> Path:
    """Write patients.csv, lesions.csv and study.yaml into ``folder``; returns the folder."""
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ids = np.array([f"S{i:03d}" for i in range(1, n + 1)])
    start = np.datetime64("2018-01-08") + rng.integers(0, 700, n).astype("timedelta64[D]")
    arm = np.where(rng.random(n) < 0.5, "A", "B")
    site = rng.choice(["bone", "lung", "soft tissue"], n)
    age = rng.integers(14, 70, n)
    hazard = np.where(arm == "B", 1 / 200, 1 / 420)
    death_day = np.ceil(rng.exponential(1 / hazard)).astype(int) + 30
    follow = rng.integers(200, 1100, n)
    dead = death_day <= follow
    last_day = np.where(dead, death_day, follow)
    slope = rng.normal(-0.04, 0.10, n)              # proportional change of each diameter per scan
    n_scans = np.clip(last_day // 56, 0, 10)
    n_scans[:3] = 0                                   # three patients without a post-baseline scan
    patients = pd.DataFrame({
        "patient_id": ids, "start_date": start.astype(str),
        "last_contact_date": (start + last_day.astype("timedelta64[D]")).astype(str),
        "death_date": np.where(dead, (start + death_day.astype("timedelta64[D]")).astype(str), ""),
        "arm": arm, "site": site, "age": age})
    # scans: baseline (7 days before start) and k = 1..n_scans every 56 days
    pid = np.repeat(np.arange(n), n_scans + 1)
    k = np.concatenate([np.arange(m + 1) for m in n_scans])
    day = np.where(k == 0, -7, k * 56)
    date = (start[pid] + day.astype("timedelta64[D]")).astype(str)
    d1 = rng.integers(15, 45, n)[pid] * np.clip(1 + slope[pid] * k, 0.05, None)
    d2 = rng.integers(10, 30, n)[pid] * np.clip(1 + slope[pid] * k * 1.1, 0.05, None)
    rows = [pd.DataFrame({"patient_id": ids[pid], "date": date, "lesion_id": lid, "role": "target",
                          "organ": "lung", "nodal": "false", "diameter_mm": np.round(d).astype(int).clip(5),
                          "state": "present"}) for lid, d in (("T1", d1), ("T2", d2))]
    rows.append(pd.DataFrame({"patient_id": ids[pid], "date": date, "lesion_id": "NT1", "role": "non_target",
                              "organ": "bone", "nodal": "false", "diameter_mm": "", "state": "present"}))
    new = (k == n_scans[pid]) & (k >= 1) & (rng.random(k.size) < 0.3)
    rows.append(pd.DataFrame({"patient_id": ids[pid][new], "date": date[new], "lesion_id": "NEW1", "role": "new",
                              "organ": "liver", "nodal": "false", "diameter_mm": 12, "state": "present"}))
    lesions = pd.concat(rows, ignore_index=True).sort_values(["patient_id", "date", "lesion_id"], kind="stable")
    patients.to_csv(folder / "patients.csv", index=False)
    lesions.to_csv(folder / "lesions.csv", index=False)
    (folder / "study.yaml").write_text(STUDY_YAML, encoding="utf-8")
    return folder
