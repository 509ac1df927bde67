"""The cross-table checks on shared patient positions (validation.patient_positions: one hash pass per
table, issue 17) report exactly the problems of the id-keyed checks (``isin`` and ``map`` on the id
strings, still used when no positions are given), on random tables with missing ids, ids not in
patients, duplicated and missing patient rows, and dates before start or after death."""

import numpy as np
import pandas as pd
import pytest

from oncoseries.problems import ProblemLog
from oncoseries.validation import (check_after_death, check_before_start, check_lesions, check_orphans,
                                   patient_positions)

from tests.test_validation_codes import _random_tables


def _patients(rng, patients: pd.DataFrame) -> pd.DataFrame:
    p = patients.copy()
    n = len(p)
    p["death_date"] = (pd.Series(pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D"))
                       .where(rng.random(n) < 0.6).to_numpy())
    if rng.random() < 0.3:                       # a repeated patient row (the first one counts) ...
        p = pd.concat([p, p.iloc[[0]].assign(death_date=pd.Timestamp("2020-01-02"))], ignore_index=True)
    if rng.random() < 0.3:                       # ... and a row without an id
        p = pd.concat([p, p.iloc[[0]].assign(patient_id=None, death_date=pd.Timestamp("2019-06-01"))],
                      ignore_index=True)
    return p


@pytest.mark.parametrize("seed", range(200))
def test_checks_on_positions_equal_the_id_keyed_checks(seed):
    rng = np.random.default_rng(seed)
    les, patients = _random_tables(rng)
    p = _patients(rng, patients)
    les["cycle"] = np.arange(len(les)) + 1
    ids = pd.Index(p["patient_id"].dropna().unique())
    pos = patient_positions(les, pd.Index(p["patient_id"].drop_duplicates()))
    for with_pos in (False, True):
        log = ProblemLog()
        at = pos if with_pos else None
        check_orphans(les, ids, "x.csv", lambda c: c, log, at)
        check_lesions(les, p, "x.csv", lambda c: c, log, 28, at)
        check_after_death(les, p, "x.csv", "scan", lambda c: c, log, at)
        check_before_start(les, p, "x.csv", lambda c: c, log, at)
        if with_pos:
            assert log.problems == want
        want = log.problems


def test_positions_find_every_kind_of_problem():
    """The random tables above do produce each problem (the comparison is not between empty lists)."""
    rules = set()
    for seed in range(200):
        rng = np.random.default_rng(seed)
        les, patients = _random_tables(rng)
        p = _patients(rng, patients)
        les["cycle"] = 1
        log = ProblemLog()
        pos = patient_positions(les, pd.Index(p["patient_id"].drop_duplicates()))
        check_orphans(les, pd.Index(p["patient_id"].dropna().unique()), "x.csv", lambda c: c, log, pos)
        check_lesions(les, p, "x.csv", lambda c: c, log, 28, pos)
        check_after_death(les, p, "x.csv", "scan", lambda c: c, log, pos)
        check_before_start(les, p, "x.csv", lambda c: c, log, pos)
        rules |= {q.rule for q in log.problems}
    assert {"unknown-patient", "after-death", "cycle-before-start", "no-baseline", "duplicate-lesion",
            "role-change", "state-role"} <= rules


@pytest.mark.parametrize("seed", range(100))
def test_checks_on_categorical_lesion_texts_equal_those_on_objects(seed):
    """load_study gives the lesion texts as categoricals (study.compact_text): the same problems."""
    from oncoseries.flow import initial_flow
    from oncoseries.study import compact_text

    rng = np.random.default_rng(seed)
    les, patients = _random_tables(rng)
    les["nodal"] = rng.random(len(les)) < 0.3
    les["diameter_mm"] = rng.integers(0, 30, len(les)).astype(float)
    cat = les.copy()
    for c in ("role", "state", "lesion_id"):
        cat[c] = compact_text(cat[c])
    assert isinstance(cat["role"].dtype, pd.CategoricalDtype) or cat["role"].isna().all()
    logs = []
    for table in (les, cat):
        log = ProblemLog()
        check_lesions(table, patients, "x.csv", lambda c: c, log, 28,
                      patient_positions(table, pd.Index(patients["patient_id"].drop_duplicates())))
        logs.append(log.problems)
    assert logs[0] == logs[1]
    ok = les["patient_id"].notna() & les["date"].notna()
    flows = [initial_flow({"patients": patients, "lesions": t[ok.to_numpy()]}, 28).parts["response_evaluable"]
             for t in (les, cat)]
    pd.testing.assert_frame_equal(flows[0], flows[1])


def test_compact_text_keeps_values_and_leaves_other_columns():
    from oncoseries.study import compact_text

    s = pd.Series(["b", None, "a", "b"], dtype=object)
    c = compact_text(s)
    assert isinstance(c.dtype, pd.CategoricalDtype) and list(c.cat.categories) == ["b", "a"]
    assert c.astype(object).where(c.notna(), None).tolist() == ["b", None, "a", "b"]
    mixed = pd.Series([1, 1.0, "x"], dtype=object)
    assert compact_text(mixed) is mixed
    assert compact_text(pd.Series([1.5, 2.0])).dtype == float
