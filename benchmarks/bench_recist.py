"""RECIST derivation at scale: synthetic 100,000 patients / ~1,000,000 lesion rows.

Run: PYTHONPATH=src python benchmarks/bench_recist.py [n_patients]
Target: the whole derivation (baseline, time points, confirmed and unconfirmed BOR, summary) in
under 20 s. There is no peer library deriving RECIST from lesions in Python, so only our time is
printed (one run after a small warm-up; the machine is shared).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from oncoseries.recist import RecistSettings, derive_responses


def synthetic(n_pat: int, seed: int = 20240501) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    pid_text = np.array([f"P{i:06d}" for i in range(n_pat)], dtype=object)
    start = np.datetime64("2020-01-01") + rng.integers(0, 900, n_pat).astype("timedelta64[D]")
    ntd = np.where(rng.random(n_pat) < 0.2, start + rng.integers(60, 400, n_pat).astype("timedelta64[D]"),
                   np.datetime64("NaT"))
    patients = pd.DataFrame({
        "patient_id": pid_text, "start_date": start.astype("datetime64[ns]"),
        "last_contact_date": (start + np.timedelta64(700, "D")).astype("datetime64[ns]"),
        "death_date": pd.NaT, "progression_date": pd.NaT,
        "new_therapy_date": ntd.astype("datetime64[ns]")})
    patients[["death_date", "progression_date"]] = patients[["death_date", "progression_date"]].astype(
        "datetime64[ns]")

    n_t = rng.integers(1, 4, n_pat)                        # 1-3 targets
    n_nt = rng.integers(0, 2, n_pat)                       # 0-1 non-target
    n_scan = 1 + rng.integers(0, 7, n_pat)                 # baseline + 0-6 follow-ups
    n_les = n_t + n_nt
    # one row per (patient, scan, lesion)
    scan_pat = np.repeat(np.arange(n_pat), n_scan)
    scan_k = np.arange(len(scan_pat)) - np.repeat(np.cumsum(n_scan) - n_scan, n_scan)
    first = np.cumsum(n_scan) - n_scan
    gap = np.where(scan_k == 0, 0, rng.integers(35, 70, len(scan_pat)))
    cs = np.cumsum(gap)
    scan_day = cs - np.repeat(cs[first], n_scan)
    scan_day[first] = -rng.integers(0, 25, n_pat)          # baseline within the 28-day window
    rows_per_scan = n_les[scan_pat]
    r_scan = np.repeat(np.arange(len(scan_pat)), rows_per_scan)
    r_pat = scan_pat[r_scan]
    r_les = np.arange(len(r_scan)) - np.repeat(np.cumsum(rows_per_scan) - rows_per_scan, rows_per_scan)
    r_k = scan_k[r_scan]
    is_t = r_les < n_t[r_pat]
    nodal = is_t & (r_les == 2)
    base_d = rng.uniform(12, 80, n_pat * 4).reshape(n_pat, 4)[r_pat, np.minimum(r_les, 3)]
    trend = rng.normal(-0.08, 0.15, n_pat)[r_pat]
    diam = np.round(np.maximum(base_d * (1 + trend * r_k + rng.normal(0, 0.05, len(r_k))), 0), 1)
    u = rng.random(len(r_k))
    state = np.full(len(r_k), "present", dtype=object)
    follow = r_k > 0
    state[follow & is_t & (u < 0.03)] = "not_evaluated"
    state[follow & is_t & (u >= 0.03) & (u < 0.06)] = "too_small"
    state[follow & is_t & ~nodal & (u >= 0.06) & (u < 0.10)] = "absent"
    state[follow & ~is_t & (u < 0.05)] = "unequivocal_progression"
    state[follow & ~is_t & (u >= 0.05) & (u < 0.25)] = "absent"
    diam = np.where(~is_t | np.isin(state, ["not_evaluated", "too_small", "absent"]), np.nan, diam)
    lesion_names = np.array(["T1", "T2", "T3", "N1"], dtype=object)
    lid = np.where(is_t, lesion_names[np.minimum(r_les, 2)], "N1")
    lesions = pd.DataFrame({
        "patient_id": pid_text[r_pat], "date": (start[r_pat] + scan_day[r_scan].astype("timedelta64[D]")
                                                ).astype("datetime64[ns]"),
        "lesion_id": lid, "role": np.where(is_t, "target", "non_target").astype(object),
        "organ": np.where(nodal, "lymph node", np.where(is_t, lesion_names[np.minimum(r_les, 3)], "bone")),
        "nodal": nodal, "diameter_mm": diam, "state": state})
    # new lesions on ~3 % of follow-up scans, a third equivocal
    fu = np.flatnonzero(scan_k > 0)
    pick = fu[rng.random(len(fu)) < 0.03]
    new = pd.DataFrame({
        "patient_id": pid_text[scan_pat[pick]],
        "date": (start[scan_pat[pick]] + scan_day[pick].astype("timedelta64[D]")).astype("datetime64[ns]"),
        "lesion_id": "NEW1", "role": "new", "organ": "liver", "nodal": False, "diameter_mm": np.nan,
        "state": np.where(rng.random(len(pick)) < 0.33, "equivocal", "present").astype(object)})
    lesions = pd.concat([lesions, new], ignore_index=True)
    lesions["_row"] = np.arange(len(lesions)) + 2
    return patients, lesions


def main() -> None:
    n_pat = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    patients, lesions = synthetic(n_pat)
    small_p, small_l = synthetic(200, seed=1)
    derive_responses(small_p, small_l).summary()           # warm-up (imports, scipy)
    settings = RecistSettings()
    t0 = time.perf_counter()
    res = derive_responses(patients, lesions, settings=settings)
    summary = res.summary()
    elapsed = time.perf_counter() - t0
    print(f"patients: {n_pat:,}  lesion rows: {len(lesions):,}  time points: {len(res.timepoints):,}  "
          f"response population: {int(res.population['evaluable'].sum()):,}  warnings: {len(res.warnings):,}")
    print(f"derive_responses + summary: {elapsed:.2f} s  (target < 20 s)")
    print(summary.set_index("category")[["n", "proportion"]].T.to_string())
    print(res.timepoints["overall"].value_counts().to_string())
    t0 = time.perf_counter()
    ires = derive_responses(patients, lesions, settings=RecistSettings(criteria="irecist"))
    elapsed_i = time.perf_counter() - t0
    print(f"derive_responses with iRECIST (response.criteria: irecist): {elapsed_i:.2f} s")
    print(ires.timepoints["i_overall"].value_counts().to_string())


if __name__ == "__main__":
    main()
