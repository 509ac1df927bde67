"""The dense worst-grade table (analysis/worst_grade.py) gives the groupby's counts: toxicity and adverse
events equal to the string-keyed references with the dense table, in small blocks, and without it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncoseries.analysis import worst_grade
from oncoseries.analysis.descriptive import adverse_events
from oncoseries.analysis.toxicity import toxicity_section

from . import _string_keyed as ref
from .test_patient_codes import ODD_IDS, _same, _study


def _events(seed: int):
    rng = np.random.default_rng(500 + seed)
    _, t, ae = _study(rng, missing_cycles=seed % 2 == 0)
    ae.loc[rng.random(len(ae)) < 0.2, "grade"] = np.nan
    if seed % 3 == 0:
        ae.loc[ae.index[: len(ae) // 3], "grade"] = np.nan     # some (term, patient) pairs with no grade at all
    if seed % 4 == 1:
        ae["soc"] = rng.choice(np.array(["Blood", " Gastrointestinal", "", None], dtype=object), size=len(ae))
    treated = set(rng.choice(np.array(ODD_IDS, dtype=object), size=8))
    return t, ae, treated


@pytest.mark.parametrize("mode", ["dense", "blocks", "groupby"])
@pytest.mark.parametrize("seed", range(12))
def test_counts_equal_the_references(monkeypatch, seed, mode):
    if mode == "blocks":
        monkeypatch.setattr(worst_grade, "BLOCK", 3)     # many blocks, a partial last one
    if mode == "groupby":
        monkeypatch.setattr(worst_grade, "MAX_CELLS", 0)
    t, ae, treated = _events(seed)
    _same(toxicity_section(ae, treated, t), ref.toxicity_section_ref(ae, treated, t))
    _same(toxicity_section(ae, treated, None), ref.toxicity_section_ref(ae, treated, None))
    _same(adverse_events(ae, 10), ref.adverse_events_ref(ae, 10))


@pytest.mark.parametrize("seed", range(6))
def test_grades_that_are_not_small_whole_numbers_use_the_groupby(seed):
    t, ae, treated = _events(seed)
    ae["grade"] = ae["grade"] + np.where(np.arange(len(ae)) % 2, 0.5, 0.0)
    assert worst_grade.worst_histogram([(np.zeros(len(ae), np.int32), 1)], 1, ae["grade"].to_numpy()) is None
    _same(toxicity_section(ae, treated, t), ref.toxicity_section_ref(ae, treated, t))
    _same(adverse_events(ae, 10), ref.adverse_events_ref(ae, 10))


def test_histogram_counts_distinct_keys_by_worst_grade():
    outer = np.array([0, 0, 0, 1, 1, 1, 1], dtype=np.int32)
    inner = np.array([0, 0, 1, 0, 2, 2, 1], dtype=np.int32)
    grade = np.array([1.0, 3.0, np.nan, 5.0, np.nan, 2.0, np.nan])
    hist = worst_grade.worst_histogram([(outer, 2), (inner, 3)], 1, grade)
    # outer 0: keys (0,0) worst 3, (0,1) no grade; outer 1: (1,0) 5, (1,2) 2, (1,1) no grade
    assert hist[0, 1] == 1 and hist[0, 5] == 1 and hist[0].sum() == 2
    assert hist[1, 1] == 1 and hist[1, 7] == 1 and hist[1, 4] == 1 and hist[1].sum() == 3
    assert worst_grade.grade_count(hist, 3).tolist() == [1, 1]
    assert worst_grade.grade_count(hist, 1, 2).tolist() == [0, 1]
    ok = np.array([True, False, True, True, True, True, True])
    assert worst_grade.worst_histogram([(outer, 2), (inner, 3)], 1, grade, ok)[0, 3] == 1
