"""The early figures' data chosen by integer patient code (report/patient_rows.py, session 9 memory work)
equal what the text-keyed code computed (tests/report/_text_keyed.py, main before session 9), with the
study's codes (as ``oncoseries analyze`` has them, derived tables added before the fork) and without."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from oncoseries.analysis.patient_codes import PatientCodes, codes_for
from oncoseries.report import oncoprint, spider, swimmer, waterfall
from oncoseries.report.axis import AxisCut
from oncoseries.report.patient_rows import coded, members, pack_texts, unpack_texts

from . import _text_keyed as ref
from ._registry import registry_results


@pytest.fixture(scope="module")
def big():
    """3,000 synthetic patients, with what makes the choices hard: OS ties (the swimmer orders ties by id),
    new-therapy dates (scans on or after one are left out), a surgery date, duplicate patients rows, time
    points and doses of patients without a patients row, and ids whose text order is not their row order."""
    r = registry_results(3000, seed=5)
    rng = np.random.default_rng(9)
    p = r.study.tables["patients"]
    n = len(p)
    p["new_therapy_date"] = p["start_date"] + pd.to_timedelta(np.where(rng.random(n) < 0.3,
                                                                       rng.integers(50, 400, n), np.nan), "D")
    p["surgery_date"] = p["start_date"] + pd.to_timedelta(np.where(rng.random(n) < 0.2, 90, np.nan), "D")
    p = pd.concat([p, p.iloc[[5, 17]].assign(start_date=pd.Timestamp("2016-01-01"))], ignore_index=True)
    p = p.iloc[rng.permutation(len(p))].reset_index(drop=True)           # rows not in id order
    r.study.tables["patients"] = p
    a = r.derived["adtte"]
    a.loc[a.index[:400], "aval"] = 2999.0                                # many tied longest follow-ups
    tp = r.derived["timepoints"]
    ghost = tp.iloc[:7].assign(patient_id="Z-not-a-patient")
    r.derived["timepoints"] = pd.concat([tp, ghost], ignore_index=True)
    t = r.study.tables["treatments"]
    t = pd.concat([t, t.iloc[:3].assign(patient_id="Z-not-a-patient"), t.iloc[:2]], ignore_index=True)
    t.loc[t.index[-2:], "date"] = pd.NaT                                 # doses without a date
    r.study.tables["treatments"] = t
    return r


def _with_codes(r, add: bool):
    """A fresh copy of the study's codes on ``r`` (as the command has them), the derived tables added or not."""
    r.study.__dict__.pop("_patient_codes", None)
    pc = codes_for(r.study)
    if add:
        for name in ("timepoints", "best_response", "adtte"):
            assert pc.add(name, r.derived[name])
    return pc


@pytest.mark.parametrize("add", [True, False])
def test_spider_data_equals_the_text_keyed_choice(big, add):
    _with_codes(big, add)
    tp, p, best = big.derived["timepoints"], big.study.patients, big.derived["best_response"]
    want = ref.spider_data(tp, p, best, "bor", 30.4375, max_patients=100)
    for study in (big.study, None):
        got = spider.spider_data(tp, p, best, "bor", 30.4375, max_patients=100, study=study)
        assert (got.n_total, got.n_shown, got.n_after_new_therapy) == \
            (want.n_total, want.n_shown, want.n_after_new_therapy)
        assert got.n_after_new_therapy > 0 and got.n_shown == 100 < got.n_total
        pd.testing.assert_frame_equal(got.points, want.points)
    few = spider.spider_data(tp, p, best, max_patients=10 ** 6, study=big.study)   # every patient, no sample
    pd.testing.assert_frame_equal(few.points, ref.spider_data(tp, p, best, max_patients=10 ** 6).points)


@pytest.mark.parametrize("add", [True, False])
def test_swimmer_data_equals_the_text_keyed_rows(big, add):
    _with_codes(big, add)
    args = (big.derived["adtte"], big.derived["timepoints"], big.study.patients, big.derived["best_response"],
            "bor", 30.4375)
    kw = dict(max_patients=60, treatments=big.study.tables["treatments"],
              changes={"Surgery": ("surgery_date", None, [])}, axis_cut=AxisCut())
    want = ref.swimmer_data(*args, **kw)
    for study in (big.study, None):
        got = swimmer.swimmer_data(*args, **kw, study=study)
        assert got.n_total == want.n_total and got.cut == want.cut
        assert got.rows["end"].iloc[0] == 2999.0 / 30.4375 and len(got.changes) > 0
        pd.testing.assert_frame_equal(got.rows, want.rows)
        pd.testing.assert_frame_equal(got.segments, want.segments)
        pd.testing.assert_frame_equal(got.changes, want.changes)
        np.testing.assert_array_equal(got.all_ends, want.all_ends)


def test_oncoprint_codes_read_as_the_text_matrix(big):
    m = big.study.tables["mutations"]
    pats = list(big.study.patients["patient_id"].drop_duplicates())
    seq = set(pats[: len(pats) * 2 // 3]) | set(m["patient_id"])
    bor = dict(zip(big.derived["best_response"]["patient_id"], big.derived["best_response"]["bor"]))
    want = ref.oncoprint_data(m, pats, seq, bor)
    got = oncoprint.oncoprint_data(m, pats, seq, bor)
    assert got.codes.dtype == np.int8 and (got.codes == oncoprint.NOT_SEQUENCED).any()
    pd.testing.assert_frame_equal(got.cells, want["cells"])
    assert (got.genes, got.patients, got.bor, got.sequenced, got.percent, got.n_sequenced) == \
        (want["genes"], want["patients"], want["bor"], want["sequenced"], want["percent"], want["n_sequenced"])
    back = pickle.loads(pickle.dumps(got))
    pd.testing.assert_frame_equal(back.cells, want["cells"])
    assert back.patients == want["patients"] and back.bor == want["bor"]


def test_waterfall_ids_travel_as_one_text():
    best = pd.DataFrame({"patient_id": ["b", "a", "ü-7", "", "c,d"], "best_pct_change": [1.0, 1.0, -3.0, 5.0, 0.0],
                         "bor": ["SD", "SD", "PR", "PD", None]})
    wf = waterfall.waterfall_data(best)
    state = wf.__getstate__()
    assert isinstance(state["patient_id"][0], str)          # one text, not one object per bar
    back = pickle.loads(pickle.dumps(wf))
    assert list(back.patient_id) == ["", "a", "b", "c,d", "ü-7"] == list(wf.patient_id)
    assert list(back.bor) == list(wf.bor) and (back.values == wf.values).all()


def test_pack_texts_round_trip():
    texts = ["P-001", "", "ünïcode", "a\x00b", "x" * 300]
    joined, lengths = pack_texts(texts)
    assert joined == "".join(texts) and lengths.tolist() == [5, 0, 7, 3, 300]
    assert unpack_texts((joined, lengths)) == texts
    assert unpack_texts(pack_texts([])) == []


def test_coded_uses_the_study_codes_and_falls_back():
    patients = pd.DataFrame({"patient_id": ["b", "a", "c"]})
    tp = pd.DataFrame({"patient_id": ["c", "a", "a", None]})
    other = pd.DataFrame({"patient_id": ["a", "zz"]})                 # an id no study table holds

    class S:
        pass

    s = S()
    s.patients = patients
    pc = codes_for(s)
    assert pc.add("timepoints", tp) and not pc.add("other", other)
    ids, codes = coded({"patients": patients, "tp": tp}, s)
    assert ids is pc.ids and codes["tp"] is pc.table(tp)
    assert list(ids[codes["patients"]]) == ["b", "a", "c"] and codes["tp"].tolist() == [2, 0, 0, -1]
    ids, codes = coded({"tp": tp, "other": other}, s)                 # not covered: coded here
    assert list(ids) == ["a", "c", "zz"] and codes["other"].tolist() == [0, 2]
    assert codes["tp"].tolist() == [1, 0, 0, -1] and members(3, np.array([0, 2]))[codes["tp"]].tolist() == [False, True, True, False]
    assert codes_for(s) is pc                                         # the added tables do not rebuild the codes
    assert isinstance(PatientCodes({"tp": tp}).table(tp), np.ndarray)


@pytest.mark.parametrize("add", [True, False])
def test_oncoprint_prepare_on_the_study_codes_equals_the_text_keyed_matrix(big, add):
    import copy

    r = copy.copy(big)
    r.study = copy.copy(big.study)
    p = big.study.patients.drop_duplicates("patient_id")
    r.study.tables = {**big.study.tables, "patients": p}
    r.study.__dict__.pop("_patient_codes", None)
    pc = codes_for(r.study)
    if add:
        assert pc.add("best_response", r.derived["best_response"])
    got = oncoprint.prepare(r, {})["data"]
    best = r.derived["best_response"]
    want = ref.oncoprint_data(r.study.mutations, list(p["patient_id"]), None,
                              dict(zip(best["patient_id"].astype(str), best["bor"].astype(str))))
    pd.testing.assert_frame_equal(got.cells, want["cells"])
    assert (got.genes, got.patients, got.bor, got.sequenced, got.percent, got.n_sequenced) == \
        (want["genes"], want["patients"], want["bor"], want["sequenced"], want["percent"], want["n_sequenced"])
