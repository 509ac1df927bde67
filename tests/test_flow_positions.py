"""flow.initial_flow finds each lesion row's patient by position (one pass over the ids, no copy of the
baseline rows; issue 17): the provisional response population equals the one of the former id-keyed
code (``map`` and ``isin`` on the id strings, kept here as the reference) on random tables."""

import numpy as np
import pandas as pd
import pytest

from oncoseries.flow import initial_flow


def _reference(p: pd.DataFrame, les: pd.DataFrame, window_days: int) -> tuple:
    start = les["patient_id"].map(p.set_index("patient_id")["start_date"])
    days = (les["date"] - start).dt.days
    base = les[(days <= 0) & (days >= -window_days)]
    nodal = base["nodal"].fillna(False).astype(bool) if "nodal" in base.columns else False
    diam = base["diameter_mm"] if "diameter_mm" in base.columns else pd.Series(np.nan, index=base.index)
    measurable = (base["role"] == "target") & (diam >= np.where(nodal, 15.0, 10.0))
    return (p["patient_id"].isin(les["patient_id"]).to_numpy(), p["patient_id"].isin(base["patient_id"]).to_numpy(),
            p["patient_id"].isin(base.loc[measurable, "patient_id"]).to_numpy())


@pytest.mark.parametrize("seed", range(100))
def test_provisional_response_population_equals_the_id_keyed_one(seed):
    rng = np.random.default_rng(seed)
    n_pat, n = int(rng.integers(1, 8)), int(rng.integers(0, 80))
    ids = np.array([f"P{i}" for i in range(n_pat + 1)], dtype=object)       # the last is not in patients
    p = pd.DataFrame({"patient_id": ids[:n_pat], "start_date": pd.Timestamp("2020-02-01")
                      + pd.to_timedelta(rng.integers(0, 20, n_pat), unit="D")})
    les = pd.DataFrame({"patient_id": ids[rng.integers(0, n_pat + 1, n)],
                        "date": (pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D")),
                        "role": np.array(["target", "non_target", "new"], dtype=object)[rng.integers(0, 3, n)],
                        "nodal": rng.random(n) < 0.3,
                        "diameter_mm": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 30, n).astype(float))})
    les["date"] = les["date"].where(rng.random(n) > 0.05)
    if rng.random() < 0.3:
        les = les.drop(columns=[str(rng.choice(["nodal", "diameter_mm"]))])
    has_les, has_base, has_meas = _reference(p, les, 28)
    flow = initial_flow({"patients": p, "lesions": les}, 28)
    got = flow.parts["response_evaluable"].set_index("patient_id").reindex(p["patient_id"])
    assert got["included"].to_numpy().tolist() == has_meas.tolist()
    want = np.where(~has_les, "no lesion measurements",
                    np.where(~has_base, "no baseline scan within 28 days before start",
                             np.where(~has_meas, "no measurable target lesion at baseline", None)))
    assert got["reason"].tolist() == want.tolist()
