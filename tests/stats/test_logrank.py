"""Log-rank / G-rho tests against R survdiff (goldens: tests/golden/logrank.R -> logrank.json)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.stats._km_helpers import assert_close, col, dataset, load_golden, strs

from oncoseries.stats.logrank import logrank, logrank_trend

GOLD = load_golden("logrank")
CASES = GOLD["cases"]
TREND = GOLD["trend"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_logrank_equals_survdiff(name):
    case = CASES[name]
    res = logrank(dataset(case["dataset"]), "time", "event", by=case["by"], strata=case["strata"],
                  rho=case["rho"])
    assert_close(res.statistic, case["statistic"], "statistic")
    assert res.df == case["df"]
    assert_close(res.p_value, case["p_value"], "p")
    exp = case["table"]
    assert list(res.table.columns) == ["group", "n", "observed", "expected", "(O-E)^2/E", "(O-E)^2/V"]
    assert res.table["group"].tolist() == strs(exp["group"])
    for c, e in [("n", "n"), ("observed", "observed"), ("expected", "expected"), ("(O-E)^2/E", "oe2_e"),
                 ("(O-E)^2/V", "oe2_v")]:
        assert_close(res.table[c], exp[e], f"{name} {c}")
    assert_close(res.variance, np.array([col(r) for r in case["var"]]), "var")


def test_peers_values_lung_sex():
    """survival-peers.md: lung by sex 10.326742 (p 0.0013111645), rho=1 12.714151, strata(ph.ecog) 10.79506."""
    lung = dataset("lung")
    assert round(logrank(lung, "time", "event", "sex").statistic, 6) == 10.326742
    assert round(logrank(lung, "time", "event", "sex", rho=1).statistic, 6) == 12.714151
    assert round(logrank(lung, "time", "event", "sex", strata="ph.ecog").statistic, 5) == 10.79506


def test_df_counts_groups_with_expected_events():
    """Group G is censored before the first event: expected 0, so df = 8 groups - 1 (G) - 1 = 6."""
    res = logrank(dataset("random"), "time", "event", "grp")
    row = res.table.set_index("group").loc["G"]
    assert row["expected"] == 0 and row["observed"] == 0
    assert res.df == 6 == CASES["random_grp"]["df"]


def test_one_group_left_at_risk_adds_no_variance():
    """therneau/survival#206: at times when only one group is at risk V gets nothing."""
    a = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "e": [1, 1, 0, 1, 1, 1, 1, 1], "g": list("aaabbbbb")})
    # after t=3 only group b is at risk; deaths there must not change V
    b = a.copy()
    b.loc[b["t"] > 3, "e"] = 0
    assert np.allclose(logrank(a, "t", "e", "g").variance, logrank(b, "t", "e", "g").variance)


@pytest.mark.parametrize("name", sorted(TREND))
def test_trend_equals_r_formula(name):
    case = TREND[name]
    res = logrank_trend(dataset(case["dataset"]), "time", "event", by=case["by"], scores=case["scores"],
                        strata=case["strata"], rho=case["rho"])
    assert res.scores.index.tolist() == strs(case["groups"])
    assert_close(res.scores.to_numpy(), case["used_scores"])
    assert_close(res.u, case["u"])
    assert_close(res.variance, case["var"])
    assert_close(res.statistic, case["statistic"])
    assert_close(res.p_value, case["p_value"])
    assert res.df == 1


def test_trend_two_groups_equals_logrank():
    case = TREND["ovarian_rx"]
    lr = logrank(dataset("ovarian"), "time", "event", "rx")
    assert_close(lr.statistic, case["statistic"])


def test_trend_scores_mapping_and_errors():
    lung = dataset("lung")
    a = logrank_trend(lung, "time", "event", "ph.ecog", scores=[0, 1, 2, 5])
    b = logrank_trend(lung, "time", "event", "ph.ecog", scores={"0": 0, "1": 1, "2": 2, "3": 5})
    c = logrank_trend(lung, "time", "event", "ph.ecog", scores={0.0: 0, 1.0: 1, 2.0: 2, 3.0: 5})
    assert a.statistic == b.statistic == c.statistic
    with pytest.raises(ValueError, match="one value per group"):
        logrank_trend(lung, "time", "event", "ph.ecog", scores=[1, 2])
    with pytest.raises(ValueError, match="no value"):
        logrank_trend(lung, "time", "event", "ph.ecog", scores={"0": 1})


def test_logrank_input_checks():
    lung = dataset("lung")
    with pytest.raises(ValueError, match="0/1"):
        logrank(lung, "time", "status", "sex")
    with pytest.raises(ValueError, match="at least 2 groups"):
        logrank(lung[lung["sex"] == 1], "time", "event", "sex")
    with pytest.raises(ValueError, match="rho"):
        logrank(lung, "time", "event", "sex", rho=-1)
    with pytest.raises(TypeError, match="by"):
        logrank(lung, "time", "event", None)


def test_logrank_bool_events_and_arrays():
    lung = dataset("lung")
    a = logrank(lung, "time", "event", "sex")
    b = logrank(None, lung["time"].to_numpy(), (lung["status"] == 2).to_numpy(), lung["sex"].map({1: "m", 2: "f"}))
    assert b.table["group"].tolist() == ["f", "m"]
    assert_close(b.statistic, a.statistic)
