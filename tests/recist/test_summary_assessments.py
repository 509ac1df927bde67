"""Response summary (exact CIs vs R binom.test), assessments-only input and concordance."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncoseries.recist import (RecistSettings, concordance, derive_responses, response_summary,
                               timepoints_from_assessments)
from tests.recist.recist_builders import START, N, Study, T, timepoint_frame

GOLDEN = json.loads((Path(__file__).resolve().parents[1] / "golden" / "recist_summary.json").read_text())


def _best_fixture():
    cats = ["CR"] * 2 + ["PR"] * 5 + ["SD"] * 6 + ["NON-CR/NON-PD"] + ["PD"] * 6 + ["NE"] * 2 + ["MISSING"]
    durable = [True] * 2 + [False] * 5 + [True, True] + [False] * 14      # 2 SD patients: CBR 7 + 2 = 9
    return pd.DataFrame({"patient_id": [f"p{i}" for i in range(23)], "bor": cats, "durable_control": durable})


@pytest.mark.parametrize("scenario,n,level", [("A", None, 0.95), ("B", 25, 0.90)])
def test_response_summary_matches_r_binom_test(scenario, n, level):
    out = response_summary(_best_fixture(), n_population=n, conf_level=level).set_index("category")
    assert list(out.index) == ["CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING", "ORR", "DCR", "CBR"]
    for cat, (prop, lo, hi) in GOLDEN[scenario].items():
        row = out.loc[cat]
        assert row["N"] == (n or 23)
        np.testing.assert_allclose([row["proportion"], row["lower"], row["upper"]], [prop, lo, hi],
                                   rtol=1e-6, atol=1e-12)
    assert out.loc["ORR", "n"] == 7 and out.loc["DCR", "n"] == 14 and out.loc["CBR", "n"] == 9


def test_response_summary_edge_cases():
    empty = response_summary(pd.DataFrame({"patient_id": [], "bor": []}))
    assert empty["n"].sum() == 0 and empty["proportion"].isna().all()
    best = _best_fixture().drop(columns="durable_control")
    assert response_summary(best).set_index("category").loc["CBR", "n"] == 14     # = DCR without column
    with pytest.raises(ValueError, match="confirmed_bor"):
        response_summary(best, column="confirmed_bor")
    with pytest.raises(ValueError, match="unknown categories"):
        response_summary(best.assign(bor="XX"))
    with pytest.raises(ValueError, match="smaller"):
        response_summary(best, n_population=3)


def test_concordance_crosstab_agreement_and_kappa():
    pairs = ([("CR", "CR")] * 3 + [("CR", "PR")] + [("PR", "PR")] * 5 + [("PR", "SD")] * 2
             + [("SD", "PR")] + [("SD", "SD")] * 6 + [("SD", "PD")] + [("PD", "SD")] + [("PD", "PD")] * 4)
    p, der = timepoint_frame({f"p{i}": [(50, d)] for i, (d, _) in enumerate(pairs)})
    _, inv = timepoint_frame({f"p{i}": [(50, v)] for i, (_, v) in enumerate(pairs)})
    inv = pd.concat([inv, pd.DataFrame({"patient_id": ["p0"], "date": [START + pd.Timedelta(days=90)],
                                        "overall": ["CR"]})], ignore_index=True)
    c = concordance(der, inv, p)
    assert c.table.loc["CR", "PR"] == 1 and c.table.loc["SD", "SD"] == 6
    assert (c.n_matched, c.n_agree) == (24, 18)
    assert c.agreement == pytest.approx(GOLDEN["kappa"]["agreement"], rel=1e-6)
    assert c.kappa == pytest.approx(GOLDEN["kappa"]["kappa"], rel=1e-6)
    # the unmatched investigator scan is listed, not compared
    extra = c.scans[c.scans["derived"].isna()]
    assert len(extra) == 1 and extra["investigator"].iloc[0] == "CR"
    assert 0 < c.bor_agreement < 1


def test_assessments_only_are_the_timepoints():
    p, _ = timepoint_frame({"a": [], "b": [], "c": []})
    a = pd.DataFrame({
        "patient_id": ["a", "a", "a", "a", "b", "b", "c"],
        "date": START + pd.to_timedelta([0, 50, 80, 80, 50, 50, -3], unit="D"),
        "response": ["SD", "PR", "PR", "PD", "NE", "SD", "PR"],
        "_row": [2, 3, 4, 5, 6, 7, 8]})
    res = derive_responses(p, None, a)
    tp = res.timepoints
    assert list(tp.columns) == ["patient_id", "date", "target", "non_target", "new_lesions", "overall"]
    # day 0 is not post-baseline; two on one date -> the worst (PD > ... > NE)
    assert tp["overall"].tolist() == ["PR", "PD", "SD"]
    msgs = [(w.patient_id, w.row, w.message) for w in res.warnings]
    assert ("a", 2, "assessment on or before start_date (not post-baseline); ignored") in msgs
    assert any(r == 4 and "worst" in m for _, r, m in msgs)
    assert any(r == 6 and "worst" in m for _, r, m in msgs)
    best = res.best_response.set_index("patient_id")
    assert list(best["bor"]) == ["PR", "SD", "MISSING"]
    assert res.population["evaluable"].all() and res.lesion_table.empty and res.concordance is None


def test_assessment_components_checked_against_table():
    p, _ = timepoint_frame({"a": []})
    a = pd.DataFrame({"patient_id": ["a", "a", "a"], "date": START + pd.to_timedelta([50, 90, 130], unit="D"),
                      "response": ["PR", "SD", "SD"], "target": ["CR", "SD", "SD"],
                      "non_target": ["NE", "NON-CR/NON-PD", "NON-CR/NON-PD"],
                      "new_lesions": ["no", "equivocal", "yes"]})
    tp = timepoints_from_assessments(a, p)
    assert tp["new_lesions"].tolist() == ["no", "equivocal", "yes"]
    assert tp["target"].tolist() == ["CR", "SD", "SD"]
    res = derive_responses(p, None, a)
    bad = [w for w in res.warnings if "differs from RECIST" in w.message]
    assert len(bad) == 1 and "(PD)" in bad[0].message            # only the scan with a new lesion


def test_lesions_and_assessments_give_concordance():
    s = (Study().patient("p").scan("p", -3, T("a", 40), N("x")).scan("p", 50, T("a", 20), N("x"))
         .scan("p", 100, T("a", 20), N("x")))
    a = pd.DataFrame({"patient_id": ["p", "p"], "date": START + pd.to_timedelta([50, 100], unit="D"),
                      "response": ["PR", "SD"]})
    res = derive_responses(s.patients(), s.lesions(), a)
    assert res.timepoints["overall"].tolist() == ["PR", "PR"]          # derived, not the investigator's
    assert res.concordance.n_matched == 2 and res.concordance.agreement == 0.5
    assert res.concordance.table.loc["PR", "SD"] == 1


def test_settings_validation():
    with pytest.raises(ValueError, match="confirmation_days"):
        RecistSettings(confirmation_days=-1)
    with pytest.raises(TypeError, match="confirmation"):
        RecistSettings(confirmation="yes")
    with pytest.raises(TypeError, match="RecistSettings"):
        derive_responses(timepoint_frame({"a": []})[0], settings={"confirmation": True})


def test_lesion_input_errors_name_the_column():
    s = Study().patient("p").scan("p", -3, T("a", 40))
    les = s.lesions()
    with pytest.raises(ValueError, match="lesions.role"):
        derive_responses(s.patients(), les.assign(role="main"))
    with pytest.raises(ValueError, match="lesions.state"):
        derive_responses(s.patients(), les.assign(state="gone"))
    with pytest.raises(ValueError, match="lesion_id"):
        derive_responses(s.patients(), les.drop(columns="lesion_id"))
    with pytest.raises(ValueError, match="diameter_mm"):
        derive_responses(s.patients(), les.assign(diameter_mm=-1.0))
