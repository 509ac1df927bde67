"""Speed of derive_endpoints on a large synthetic series (target: 100,000 patients well under 5 s).

There is no Python peer deriving ADTTE from RECIST timepoints (admiralonco is R and not installed), so
the reference point is a plain pandas per-patient ``groupby().apply`` of the PFS rule on a subset,
scaled to the full size: the ratio shows what vectorising buys. Run:
``PYTHONPATH=src python benchmarks/bench_endpoints.py [n_patients]``.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from oncoseries.endpoints import EndpointSettings, derive_endpoints

RESPONSES = np.array(["CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE"])


def synthetic(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    ids = np.char.add("P", np.arange(n).astype(str)).astype(object)
    start = np.datetime64("2015-01-01") + rng.integers(0, 1500, n).astype("timedelta64[D]")

    def maybe(p, hi):
        d = (start + rng.integers(1, hi, n).astype("timedelta64[D]")).astype("datetime64[ns]")
        d[rng.random(n) >= p] = np.datetime64("NaT")
        return d

    patients = pd.DataFrame({
        "patient_id": ids, "start_date": start.astype("datetime64[ns]"),
        "last_contact_date": maybe(1.0, 900), "death_date": maybe(0.4, 900),
        "progression_date": maybe(0.1, 600), "new_therapy_date": maybe(0.3, 600),
    })
    k = rng.integers(0, 11, n)  # scans per patient, mean 5
    code = np.repeat(np.arange(n), k)
    visit = np.concatenate([np.arange(j) for j in k]) if n else np.zeros(0, int)
    date = start[code] + (42 * (visit + 1) + rng.integers(-5, 6, len(code))).astype("timedelta64[D]")
    tp = pd.DataFrame({"patient_id": ids[code], "date": date.astype("datetime64[ns]"),
                       "overall": rng.choice(RESPONSES, len(code), p=[.1, .2, .3, .1, .15, .15])})
    first = tp[tp.overall.isin(["CR", "PR"])].groupby("patient_id").date.min()
    br = pd.DataFrame({"patient_id": ids, "first_response_date": pd.Series(ids).map(first).to_numpy()})
    br["first_response_date"] = br["first_response_date"].astype("datetime64[ns]")
    return patients, tp, br


def naive_pfs(patients, tp, m):
    """Per-patient pandas apply of the PFS rule (no new-therapy/missed options), first m patients."""
    p = patients.iloc[:m].set_index("patient_id")
    t = tp[tp.patient_id.isin(p.index)]

    def one(g):
        pid = g.name
        pd_dates = g.date[g.overall == "PD"]
        cand = (pd_dates.min(), p.at[pid, "progression_date"], p.at[pid, "death_date"])
        ev = [d for d in cand if pd.notna(d)]
        if ev:
            return min(ev)
        ad = g.date[g.overall != "NE"]
        return ad.max() if len(ad) else p.at[pid, "start_date"]

    return t.groupby("patient_id").apply(one, include_groups=False)


def main(n: int = 100_000) -> None:
    patients, tp, br = synthetic(n)
    derive_endpoints(*synthetic(100))  # warm-up (imports)
    for label, settings in (("default", EndpointSettings()),
                            ("missed_assessments", EndpointSettings(missed_assessments=(42, 2)))):
        best = np.inf
        for _ in range(3):
            t0 = time.perf_counter()
            res = derive_endpoints(patients, tp, br, settings)
            best = min(best, time.perf_counter() - t0)
        print(f"derive_endpoints {label:>18}: {n:,} patients, {len(tp):,} scans, {len(res.adtte):,} rows: "
              f"{best:.3f} s")
    m = 2000
    t0 = time.perf_counter()
    naive_pfs(patients, tp, m)
    naive = (time.perf_counter() - t0) * n / m
    print(f"naive per-patient pandas apply (PFS only), scaled from {m:,} to {n:,}: {naive:.1f} s; "
          f"ratio naive/ours: {naive / best:.0f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
