"""Integer patient codes (analysis/patient_codes.py, issue 17): the sections grouped, sorted and joined on
codes equal the string-keyed originals (tests/analysis/_string_keyed.py, main 4438206) on random tables with
odd ids: ids only in one table, ids that sort differently as text and as numbers, unicode, spaces, unsorted
and duplicated rows, missing cycles, reasons and body sizes."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from oncoseries.analysis.descriptive import adverse_events, exposure
from oncoseries.analysis.exposure import cycle_table, dosing_section
from oncoseries.analysis.patient_codes import PatientCodes, codes_for
from oncoseries.analysis.toxicity import cycle_of, toxicity_section
from oncoseries.config import ExposureConfig
from tests.analysis import _string_keyed as ref

ODD_IDS = ["P10", "P9", "p9", "P-1", "Ä1", "  x", "x", "10", "9", "0010", "ß", "P1 ", "z", "A"]


def _study(rng: np.random.Generator, with_reason: bool = True, missing_cycles: bool = False):
    """Random patients, treatments and adverse events over odd ids (some only in one table)."""
    ids = list(rng.permutation(ODD_IDS))
    pat_ids = ids[:10]
    patients = pd.DataFrame({
        "patient_id": pat_ids + pat_ids[:2],                      # duplicated rows: the first one counts
        "height_cm": rng.choice([150.0, 172.5, np.nan], size=12),
        "weight_kg": rng.choice([60.0, 81.2, np.nan], size=12),
        "stop_reason": rng.choice(np.array(["Toxicity ", "progression", "", None, " completed"], dtype=object),
                                  size=12)})
    n = int(rng.integers(1, 60))
    tr_ids = ids[2:13]                                           # some not in patients
    t = pd.DataFrame({
        "patient_id": rng.choice(np.array(tr_ids, dtype=object), size=n),
        "cycle": rng.integers(1, 6, size=n).astype(float),
        "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 200, size=n), unit="D"),
        "dose_mg_m2": rng.choice([100.0, 80.0, 60.0, np.nan], size=n),
        "planned_dose_mg_m2": rng.choice([100.0, np.nan], size=n, p=[0.9, 0.1]),
        "weight_kg": rng.choice([70.0, np.nan], size=n),
        "stop_reason": rng.choice(np.array([None, "toxicity", "Patient wish", " "], dtype=object), size=n),
        "_row": np.arange(n) + 2})
    if with_reason:
        t["modification_reason"] = rng.choice(np.array([None, "Neutropenia (tox)", "scheduling", " ",
                                                         "INTOLERANCE"], dtype=object), size=n)
    t.loc[rng.random(n) < 0.1, "date"] = pd.NaT
    m = int(rng.integers(1, 80))
    ae_ids = ids[:12] + ["only-in-ae"]
    ae = pd.DataFrame({
        "patient_id": rng.choice(np.array(ae_ids, dtype=object), size=m),
        "term": rng.choice(np.array(["Anaemia", " Neutropenia", "Nausea", "nausea ", "Fatigue"], dtype=object), size=m),
        "grade": rng.integers(1, 6, size=m).astype(float),
        "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 220, size=m), unit="D"),
        "cycle": rng.integers(1, 6, size=m).astype(float)})
    if missing_cycles:
        ae.loc[rng.random(m) < 0.5, "cycle"] = np.nan
    return patients, t, ae


def _same(a, b) -> None:
    """Equal results (NaN equal to NaN), compared through their pickled-stable repr."""
    assert _norm(a) == _norm(b)


def _norm(v):
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_norm(x) for x in v]
    if isinstance(v, float) and np.isnan(v):
        return "nan"
    if isinstance(v, (np.floating, np.integer)):
        return _norm(v.item())
    return v


@pytest.mark.parametrize("seed", range(60))
def test_dosing_and_cycle_table_equal_string_keyed(seed):
    rng = np.random.default_rng(seed)
    patients, t, ae = _study(rng, with_reason=seed % 3 != 0, missing_cycles=seed % 2 == 0)
    cfg = ExposureConfig(cycle_days=21.0) if seed % 4 == 0 else ExposureConfig()
    got_t, got_len = cycle_table(t, patients, ae, cfg)
    want_t, want_len = ref.cycle_table_ref(t, patients, ae, cfg)
    pd.testing.assert_frame_equal(got_t, want_t)
    assert got_len == want_len or (np.isnan(got_len) and np.isnan(want_len))
    got, got_cycles = dosing_section(t, patients, ae, cfg)
    want, want_cycles = ref.dosing_section_ref(t, patients, ae, cfg)
    _same(got, want)
    pd.testing.assert_frame_equal(got_cycles, want_cycles)
    assert got_cycles.to_csv(index=False) == want_cycles.to_csv(index=False)


@pytest.mark.parametrize("seed", range(60))
def test_toxicity_exposure_and_adverse_events_equal_string_keyed(seed):
    rng = np.random.default_rng(seed)
    patients, t, ae = _study(rng, missing_cycles=seed % 2 == 0)
    if seed % 3 == 0:       # system organ classes given (blank ones fall back to the built-in groups)
        ae["soc"] = rng.choice(np.array(["Blood", " Gastrointestinal", "", None], dtype=object), size=len(ae))
    treated = set(rng.choice(np.array(ODD_IDS + ["not-anywhere"], dtype=object), size=8))
    treatments = t if seed % 5 else None
    _same(toxicity_section(ae, treated, treatments), ref.toxicity_section_ref(ae, treated, treatments))
    _same(exposure(t, patients), ref.exposure_ref(t, patients))
    _same(adverse_events(ae, 10), ref.adverse_events_ref(ae, 10))
    pd.testing.assert_series_equal(cycle_of(ae, t, PatientCodes({"adverse_events": ae, "treatments": t})),
                                   ref.cycle_of(ae, t))


def test_missing_patient_ids_are_no_group():
    """A missing id (-1) is in no patient's group, as pandas' groupby drops missing keys."""
    rng = np.random.default_rng(1)
    patients, t, ae = _study(rng)
    t.loc[t.index[::4], "patient_id"] = None
    ae.loc[ae.index[::3], "patient_id"] = None
    cfg = ExposureConfig()
    got, got_cycles = dosing_section(t, patients, ae, cfg)
    want, want_cycles = ref.dosing_section_ref(t, patients, ae, cfg)
    _same(got, want)
    pd.testing.assert_frame_equal(got_cycles.drop(columns="stop_reason"), want_cycles.drop(columns="stop_reason"))
    _same(exposure(t, patients), ref.exposure_ref(t, patients))
    _same(adverse_events(ae, 10), ref.adverse_events_ref(ae, 10))
    _same(toxicity_section(ae, set(ODD_IDS), t), ref.toxicity_section_ref(ae, set(ODD_IDS), t))


def test_codes_follow_the_id_order_of_pandas():
    a = pd.DataFrame({"patient_id": ["b", "a", None, "10", "9"]})
    b = pd.DataFrame({"patient_id": ["9", "c", "a"]})
    pc = PatientCodes({"a": a, "b": b})
    assert list(pc.ids) == sorted({"a", "b", "c", "10", "9"})
    assert pc.table(a).tolist() == [3, 2, -1, 0, 1]                # ids: 10, 9, a, b, c
    assert pc.table(b).tolist() == [1, 4, 2]
    assert pc.table(pd.DataFrame({"patient_id": ["c", None]})).tolist() == [4, -1]   # looked up
    assert pc.of(["a", "zz"]) is None                               # not coded: the caller keeps strings
    assert sorted(pc.of_known({"a", "zz", "9"}).tolist()) == [1, 2]
    member = pc.members(pc.table(b))
    assert member[pc.table(a)].tolist() == [False, True, False, False, True]
    assert pc.members(pc.table(a))[pc.table(pd.DataFrame({"patient_id": [None, "c"]}))].tolist() == [True, False]


def test_codes_for_is_kept_on_the_study_and_rebuilt_when_a_table_changes():
    from oncoseries.examples import example_study_path
    from oncoseries.study import read_study

    study = read_study(example_study_path("hdifo"))
    pc = codes_for(study)
    assert codes_for(study) is pc
    assert (pc.table(study.adverse_events) >= 0).all()
    assert list(pc.ids[pc.table(study.patients)]) == list(study.patients["patient_id"])
    study.tables["treatments"] = study.treatments.iloc[::2]
    assert codes_for(study) is not pc
    again = pickle.loads(pickle.dumps(study))                       # Results go to the figure worker
    assert codes_for(again).table(again.patients).tolist() == codes_for(study).table(study.patients).tolist()


def _patients_frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Covariates of every kind Table 1 meets: text with blanks and unicode, whole and fractional numbers
    (few and many values), booleans, nullable integers, mixed objects, a labelled category."""
    miss = rng.random(n) < 0.15
    df = pd.DataFrame({
        "sex": rng.choice(np.array(["male", "female", "Ä", " male", None], dtype=object), size=n),
        "ecog": np.where(miss, np.nan, rng.integers(0, 3, size=n).astype(float)),
        "grade": rng.choice([1.0, 2.5, np.nan, 0.0, -0.0], size=n),
        "age": rng.integers(10, 80, size=n),
        "flag": rng.random(n) < 0.3,
        "n_int": pd.array(np.where(miss, None, rng.integers(0, 3, size=n)), dtype="Int64"),
        "mixed": rng.choice(np.array([1, 1.0, "1", "a", None], dtype=object), size=n),
        "site": pd.Categorical(rng.choice(["tibia", "femur", "other"], size=n), categories=["tibia", "other", "femur", "x"]),
        "group": rng.choice(np.array(["A", "B", "C", None], dtype=object), size=n, p=[0.4, 0.3, 0.2, 0.1]),
        "group_num": rng.choice([1.0, 2.0, 10.0, np.nan], size=n),
        "group_cat": pd.Categorical(rng.choice(["lo", "hi"], size=n), categories=["lo", "hi"])})
    return df


@pytest.mark.parametrize("seed", range(25))
def test_table1_and_table1_by_equal_per_row_originals(seed):
    from oncoseries.analysis.descriptive import table1
    from oncoseries.analysis.table1_by import table1_by

    rng = np.random.default_rng(seed)
    df = _patients_frame(rng, int(rng.integers(3, 300)))
    covs = ["sex", "ecog", "grade", "age", "flag", "n_int", "mixed", "site", "group"]
    _same(table1(df, covs), ref.table1_ref(df, covs))
    for by in ("group", "group_num", "group_cat", "sex"):
        _same(table1_by(df, covs, by), ref.table1_by_ref(df, covs, by))


def test_sequenced_flag_is_decided_per_distinct_value():
    from types import SimpleNamespace

    from oncoseries.analysis.biomarkers import YES, sequenced_patients

    values = ["yes", " Yes ", "TRUE", "1", "no", "", None, np.nan, 1, 1.0, True, "y"]
    b = pd.DataFrame({"patient_id": [f"p{i}" for i in range(len(values))], "ngs_tested": values})
    want = {p for p, v in zip(b["patient_id"], values) if pd.notna(v) and str(v).strip().lower() in YES}
    assert sequenced_patients(SimpleNamespace(biomarkers=b, mutations=None)) == want


def test_sorted_treatments_are_used_without_a_copy_and_left_unchanged():
    rng = np.random.default_rng(5)
    patients, t, ae = _study(rng)
    t = t.dropna(subset=["date"]).sort_values(["patient_id", "date", "cycle"], kind="stable")
    t.index = np.arange(len(t))[::-1] + 100          # an index of its own: the cycle table renumbers it
    before = t.copy()
    got, got_cycles = dosing_section(t, patients, ae, ExposureConfig())
    want, want_cycles = ref.dosing_section_ref(before, patients, ae, ExposureConfig())
    pd.testing.assert_frame_equal(t, before)
    _same(got, want)
    pd.testing.assert_frame_equal(got_cycles, want_cycles)


@pytest.mark.parametrize("seed", range(10))
def test_usable_covariate_equals_per_row_counts(seed):
    from oncoseries.analysis.plan import _usable_per_row, usable_covariate

    rng = np.random.default_rng(seed)
    df = _patients_frame(rng, int(rng.integers(1, 200)))
    df["rare"] = rng.choice(np.array(["a", "b", "c"], dtype=object), size=len(df), p=[0.9, 0.08, 0.02])
    df["many"] = rng.integers(0, 9, size=len(df)).astype(str)
    df["empty"] = np.nan
    for c in df.columns:
        assert usable_covariate(df[c]) == _usable_per_row(df[c]), c


def test_codes_for_takes_any_object_with_the_tables():
    """The example generator calls analysis_covariates with a namespace holding some tables."""
    from types import SimpleNamespace

    ns = SimpleNamespace(patients=pd.DataFrame({"patient_id": ["b", "a"]}),
                         mutations=pd.DataFrame({"patient_id": ["a", "c"], "gene": ["TP53", "TP53"]}))
    pc = codes_for(ns)
    assert list(pc.ids) == ["a", "b", "c"] and codes_for(ns) is pc
    assert pc.table(ns.mutations).tolist() == [0, 2]


@pytest.mark.parametrize("seed", range(20))
def test_toxicity_missing_terms_and_grades_equal_string_keyed(seed):
    """The toxicity section on integer term/group codes (no per-event text arrays): a missing term is
    its own text ("None"/"nan"), a missing grade counts in "any" only, as the string-keyed original."""
    rng = np.random.default_rng(100 + seed)
    _, t, ae = _study(rng, missing_cycles=seed % 2 == 0)
    ae["term"] = ae["term"].astype(object)
    ae.loc[rng.random(len(ae)) < 0.15, "term"] = None
    ae.loc[rng.random(len(ae)) < 0.1, "term"] = np.nan
    ae.loc[rng.random(len(ae)) < 0.15, "grade"] = np.nan
    if seed % 2:
        ae["soc"] = rng.choice(np.array(["Blood", " Gastrointestinal", "", None], dtype=object), size=len(ae))
    treated = set(rng.choice(np.array(ODD_IDS + ["not-anywhere"], dtype=object), size=8))
    _same(toxicity_section(ae, treated, t), ref.toxicity_section_ref(ae, treated, t))
    _same(toxicity_section(ae, treated, None), ref.toxicity_section_ref(ae, treated, None))
