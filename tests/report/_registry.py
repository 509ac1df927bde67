"""A SYNTHETIC registry-size Results (not patient data) for the figure worker's payload tests: the bundled
study's configuration with n patients' tables of the shapes the scale benchmark's generated study has
(about 5.6 time points, 9 doses and 1.5 mutations per patient, OS and PFS rows), built vectorised."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from oncoseries.analysis import analyze
from oncoseries.analysis.results import Results
from oncoseries.examples import example_study_path

GENES = np.array([f"G{i}" for i in range(30)])
BORS = np.array(["CR", "PR", "SD", "PD", "NE"])


def registry_results(n: int, seed: int = 17) -> Results:
    """A Results of ``n`` synthetic patients holding what the figures read."""
    base = analyze(example_study_path("hdifo"))
    rng = np.random.default_rng(seed)
    ids = np.array([f"R{i:07d}" for i in range(n)], dtype=object)
    start = np.datetime64("2015-01-01") + rng.integers(0, 2000, n).astype("timedelta64[D]")
    patients = pd.DataFrame({"patient_id": ids, "start_date": pd.to_datetime(start)})
    k = rng.integers(1, 11, n)                                  # scans per patient (mean 5.5)
    who = np.repeat(np.arange(n), k)
    nth = np.arange(len(who)) - np.repeat(np.cumsum(k) - k, k)
    tp = pd.DataFrame({"patient_id": ids[who], "date": pd.to_datetime(start[who] + (nth + 1) * 56),
                       "pct_from_baseline": np.round(rng.normal(-10, 30, len(who)), 1),
                       "overall": rng.choice(BORS[:4], len(who)), "new_lesions": rng.choice(["no", "yes"], len(who))})
    best = pd.DataFrame({"patient_id": ids, "best_pct_change": np.round(rng.normal(-15, 35, n), 1),
                         "bor": rng.choice(BORS, n), "first_response_date": pd.NaT})
    adtte = pd.DataFrame({"patient_id": np.tile(ids, 2), "paramcd": np.repeat(["OS", "PFS"], n),
                          "aval": rng.integers(10, 3000, 2 * n).astype(float), "cnsr": rng.integers(0, 2, 2 * n)})
    doses = np.repeat(np.arange(n), 9)
    treatments = pd.DataFrame({"patient_id": ids[doses],
                               "date": pd.to_datetime(start[doses] + np.tile(np.arange(9) * 21, n))})
    m = rng.integers(0, n, n * 3 // 2)
    mutations = pd.DataFrame({"patient_id": ids[m], "gene": GENES[rng.zipf(1.6, len(m)) % len(GENES)],
                              "classification": rng.choice(["pathogenic", "likely pathogenic", "VUS"], len(m))})
    study = copy.copy(base.study)
    study.tables = {"patients": patients, "treatments": treatments, "mutations": mutations}
    study.flow = None
    return Results(study=study, plan=base.plan, sections={"response": {"headline": "bor"}},
                   derived={"timepoints": tp, "best_response": best, "adtte": adtte}, curves={}, problems=[])
