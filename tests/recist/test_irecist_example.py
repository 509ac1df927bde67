"""The committed iRECIST worked example (tests/data/irecist_example, README.md there derives every value
from the RECIST 1.1 / iRECIST texts) through intake, RECIST/iRECIST, endpoints and the whole analysis."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from oncoseries.analysis import analyze
from oncoseries.endpoints import derive_endpoints
from oncoseries.recist import RecistSettings, derive_responses
from oncoseries.study import read_study

DATA = Path(__file__).resolve().parents[1] / "data" / "irecist_example"


def _derived():
    st = read_study(DATA)
    res = derive_responses(st.patients, st.lesions, None, RecistSettings(criteria="irecist", population="all"))
    return st, res


def test_timepoints_match_the_worked_example():
    _, res = _derived()
    exp = pd.read_csv(DATA / "expected_timepoints.csv", keep_default_na=False)
    got = res.timepoints[exp.columns].copy()
    got["date"] = got["date"].dt.strftime("%Y-%m-%d")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), exp.astype(object), check_dtype=False)


def test_best_response_and_ibor_match_the_worked_example():
    _, res = _derived()
    exp = pd.read_csv(DATA / "expected_best_response.csv")
    got = res.best_response[exp.columns].copy()
    for c in ("bor_date", "ibor_date"):
        got[c] = got[c].dt.strftime("%Y-%m-%d")
    got["measurable"] = got["measurable"].astype(bool)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), exp, check_dtype=False)


def test_pfs_and_ipfs_match_the_worked_example():
    st, res = _derived()
    adtte = derive_endpoints(st.patients, res.timepoints, res.best_response).adtte
    exp = pd.read_csv(DATA / "expected_adtte.csv")
    got = adtte[adtte["paramcd"].isin(["PFS", "IPFS"])][exp.columns].copy()
    got["adt"] = got["adt"].dt.strftime("%Y-%m-%d")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), exp, check_dtype=False)


def test_analysis_reports_recist_and_irecist_side_by_side():
    results = analyze(DATA)
    resp = results.sections["response"]
    assert resp["population_n"] == 5 and resp["populations"]["non_measurable_n"] == 1
    ib = {r["category"]: r["n"] for r in resp["irecist"]["ibor"]}
    assert (ib["iPR"], ib["iSD"], ib["NON-iCR/NON-iUPD"], ib["ORR"], ib["DCR"]) == (2, 2, 1, 2, 5)
    rec = {r["category"]: r["n"] for r in resp["unconfirmed"]}
    assert (rec["PR"], rec["SD"], rec["NON-CR/NON-PD"], rec["PD"], rec["ORR"], rec["DCR"]) == (1, 2, 1, 1, 1, 4)
    surv = results.sections["survival"]
    assert (surv["PFS"]["events"], surv["IPFS"]["events"]) == (5, 4)
    assert {"i_overall"} <= set(results.derived["timepoints"].columns)
    assert {"ibor", "ibor_date", "measurable"} <= set(results.derived["best_response"].columns)


def test_cdisc_export_carries_irecist_parameters():
    """ADRS gets IOVR per scan and IBOR per patient (admiralonco irecist.Rmd parameter names); ADTTE IPFS."""
    from oncoseries.io.cdisc_export import adrs_dataset, adtte_dataset

    st, res = _derived()
    adrs = adrs_dataset(res.timepoints, res.best_response)
    i01 = adrs[(adrs["USUBJID"] == "I01") & adrs["PARAMCD"].isin(["IOVR", "IBOR"])]
    assert i01["AVALC"].tolist() == ["iUPD", "iPR", "iPR", "iPR"]
    assert i01["AVAL"].tolist() == [5.0, 2.0, 2.0, 2.0]
    adtte = adtte_dataset(derive_endpoints(st.patients, res.timepoints, res.best_response).adtte)
    assert (adtte["PARAMCD"] == "IPFS").sum() == 5
