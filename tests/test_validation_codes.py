"""validation.check_lesions works on integer codes of the ids (registry scale, issue 17): on random lesion
tables (missing ids and dates, repeated rows, role changes, states, patients without a baseline scan) it
reports exactly the problems of the string-keyed original, kept here as the reference."""

import numpy as np
import pandas as pd
import pytest

from oncoseries.problems import ProblemLog
from oncoseries.validation import _fmt, _rows, check_lesions


def _reference(les, patients, file, labels, log, window_days):
    """check_lesions before integer codes (grouping and sorting on the id strings)."""
    key = ["patient_id", "date", "lesion_id"]
    dup = les[key].notna().all(axis=1) & les.duplicated(key, keep="first")
    _rows(log, "error", file, les, dup, labels("lesion_id"),
          lambda s: [f"lesion '{lid}' of patient '{pid}' is measured twice on {d}"
                     for lid, pid, d in zip(s["lesion_id"], s["patient_id"], _fmt(s["date"]))],
          "one row per lesion per scan", "duplicate-lesion")
    valid = les["role"].notna() & les["lesion_id"].notna()
    first_role = les.loc[valid].sort_values(["date", "_row"], kind="stable").groupby(
        ["patient_id", "lesion_id"])["role"].first()
    ref = pd.MultiIndex.from_frame(les[["patient_id", "lesion_id"]])
    expected_role = pd.Series(first_role.reindex(ref).to_numpy(), index=les.index)
    changed = valid & expected_role.notna() & (les["role"] != expected_role)
    _rows(log, "error", file, les, changed, labels("role"),
          lambda s: [f"lesion '{lid}' was '{r0}' on an earlier scan and is '{r}' here"
                     for lid, r0, r in zip(s["lesion_id"], expected_role.loc[s.index], s["role"])],
          "the same role at every scan", "role-change")
    wrong = ((les["state"] == "unequivocal_progression") & (les["role"] != "non_target")) | (
        (les["state"] == "equivocal") & (les["role"] != "new"))
    _rows(log, "error", file, les, wrong, labels("state"),
          lambda s: [f"state '{st}' does not apply to a {r} lesion" for st, r in zip(s["state"], s["role"])],
          "unequivocal_progression for non-target lesions, equivocal for new lesions", "state-role")
    start = les["patient_id"].map(patients.drop_duplicates("patient_id").set_index("patient_id")["start_date"])
    days = (les["date"] - start).dt.days
    in_window = (days <= 0) & (days >= -window_days)
    has_baseline = in_window.groupby(les["patient_id"]).any()
    missing = has_baseline.index[~has_baseline.to_numpy()]
    first = les.loc[les["patient_id"].isin(missing)].drop_duplicates("patient_id")
    _rows(log, "warning", file, first, np.ones(len(first), bool), labels("date"),
          lambda s: [f"patient '{pid}' has lesion measurements but no baseline scan within {window_days} days "
                     f"before start_date; not evaluable for response" for pid in s["patient_id"]],
          f"a scan on or up to {window_days} days before start_date", "no-baseline")


def _random_tables(rng):
    n_pat, n = int(rng.integers(1, 6)), int(rng.integers(1, 60))
    ids = np.array([f"P{i}" for i in range(n_pat + 1)], dtype=object)   # the last one is not in patients
    pid = ids[rng.integers(0, n_pat + 1, n)]
    pid[rng.random(n) < 0.05] = None
    lid = np.array(["L1", "L2", "L3", "N1"], dtype=object)[rng.integers(0, 4, n)]
    lid[rng.random(n) < 0.05] = None
    date = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(-40, 120, n), unit="D")
    date = pd.Series(date).where(rng.random(n) > 0.05)
    role = np.array(["target", "non_target", "new", None], dtype=object)[rng.choice(4, n, p=[.4, .3, .2, .1])]
    state = np.array(["present", "absent", "equivocal", "unequivocal_progression", None],
                     dtype=object)[rng.integers(0, 5, n)]
    rows = rng.permutation(n) + 2 if rng.random() < 0.5 else rng.integers(2, 6, n)   # repeated rows: parts
    les = pd.DataFrame({"_row": rows, "patient_id": pid, "date": date.to_numpy(), "lesion_id": lid,
                        "role": role, "state": state})
    patients = pd.DataFrame({"_row": np.arange(n_pat) + 2, "patient_id": ids[:n_pat],
                             "start_date": pd.Timestamp("2020-01-01")
                             + pd.to_timedelta(rng.integers(0, 30, n_pat), unit="D")})
    return les, patients


@pytest.mark.parametrize("seed", range(300))
def test_check_lesions_on_codes_equals_reference(seed):
    rng = np.random.default_rng(seed)
    les, patients = _random_tables(rng)
    got, want = ProblemLog(), ProblemLog()
    check_lesions(les, patients, "lesions.csv", lambda c: c, got, 28)
    _reference(les, patients, "lesions.csv", lambda c: c, want, 28)
    assert got.problems == want.problems
