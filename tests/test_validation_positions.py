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
