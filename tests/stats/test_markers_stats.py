"""p_adjust, logistic_ml, logistic_firth and maxstat_logrank against R (tests/golden/markers.R ->
markers.json): p.adjust, glm(family = binomial) with confint.default, an independent R implementation of
Firth's logistic regression (r-cran-logistf is not in Debian) and maxstat.test(pmethod = "Lau92"/"Lau94")."""

from __future__ import annotations

import numpy as np
import pytest
from tests.stats._km_helpers import assert_close, load_golden

from oncoseries.stats.logistic import logistic_firth, logistic_ml, separated
from oncoseries.stats.maxstat import logrank_scores, maxstat_logrank
from oncoseries.stats.multiplicity import p_adjust

G = load_golden("markers")


@pytest.mark.parametrize("case", G["padjust"], ids=lambda c: str(len(np.atleast_1d(c["p"]))))
@pytest.mark.parametrize("method", ["BH", "holm"])
def test_p_adjust_equals_r(case, method):
    p = np.atleast_1d(np.asarray(case["p"], dtype=float))
    assert_close(p_adjust(p, method), case[method], method)


def test_p_adjust_keeps_order_missing_and_rejects_bad_input():
    assert np.isnan(p_adjust([0.01, None, 0.04], "BH")[1])
    np.testing.assert_array_equal(p_adjust([0.3, 0.1], "none"), [0.3, 0.1])
    with pytest.raises(ValueError, match="method"):
        p_adjust([0.1], "bonferonni")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        p_adjust([1.2], "BH")


@pytest.mark.parametrize("case", [c for c in G["logistic"] if "glm" in c], ids=lambda c: c["name"])
def test_logistic_ml_equals_glm(case):
    fit = logistic_ml(np.array(case["X"]), np.array(case["y"]), case["names"])
    g = case["glm"]
    for key in ("coef", "se", "p", "lower", "upper"):
        assert_close(getattr(fit, key), g[key], f"{case['name']} {key}")
    assert_close(fit.loglik, g["loglik"], "loglik")
    assert fit.converged


@pytest.mark.parametrize("case", G["logistic"], ids=lambda c: c["name"])
def test_logistic_firth_equals_independent_r(case):
    fit = logistic_firth(np.array(case["X"]), np.array(case["y"]), case["names"])
    f = case["firth"]
    assert f["gradient_max"] < 1e-9          # the R fit converged
    for key in ("coef", "lower", "upper", "p"):
        assert_close(getattr(fit, key), f[key], f"{case['name']} {key}")
    assert_close(fit.loglik, f["loglik"], "penalised loglik")


def test_firth_2x2_is_the_half_added_log_odds_ratio():
    """For one binary covariate Firth's estimate is the log odds ratio of the table with 0.5 added to each
    cell (Firth 1993; Heinze & Schemper 2002, section 2): level 1 0/5 responders, level 0 4/9."""
    case = next(c for c in G["logistic"] if c["name"] == "empty_level")
    fit = logistic_firth(np.array(case["X"]), np.array(case["y"]))
    assert fit.coef[1] == pytest.approx(np.log((0.5 / 5.5) / (4.5 / 5.5)), rel=1e-9)
    assert fit.coef[0] == pytest.approx(np.log(4.5 / 5.5), rel=1e-9)


def test_separation_rule():
    assert separated([1, 2, 3, 4], [0, 0, 1, 1])
    assert separated([1, 2, 2, 4], [0, 0, 1, 1])          # quasi-complete: tie at the border
    assert not separated([1, 3, 2, 4], [0, 0, 1, 1])
    assert separated([0, 0, 1, 1, 1], [0, 1, 0, 0, 0])    # a dummy level with no responders
    assert separated([0, 1, 2], [1, 1, 1])


@pytest.mark.parametrize("name", list(G["maxstat"]))
def test_maxstat_equals_r(name):
    c = G["maxstat"][name]
    r = maxstat_logrank(c["time"], c["event"], c["x"])
    assert_close(r.statistic, c["statistic"], "M")
    assert_close(r.cutpoint, c["cutpoint"], "cutpoint")
    assert_close(r.p_value, c["p_lau92"], "Lau92")
    assert_close(r.p_lau94, c["p_lau94"], "Lau94")
    assert_close(r.stats, c["stats"], "standardised statistics")
    assert_close(r.cuts, c["cuts"], "candidate cuts")


def test_maxstat_published_example():
    """maxstat's own example (?maxstat.test; Hothorn & Lausen 2003, DLBCL data of Alizadeh et al. 2000):
    'M = 3.1772, p-value = 0.03548, estimated cutpoint 0.1860526'."""
    c = G["maxstat"]["dlbcl"]
    r = maxstat_logrank(c["time"], c["event"], c["x"])
    assert round(r.statistic, 4) == 3.1772 and round(r.p_value, 5) == 0.03548
    assert round(r.cutpoint, 7) == 0.1860526
    assert r.n_low + r.n_high == 40


def test_logrank_scores_sum_to_zero_and_tie():
    assert logrank_scores([5, 3, 4, 8, 1], [1, 1, 0, 0, 1]).sum() == pytest.approx(0.0, abs=1e-12)  # no ties
    s = logrank_scores([5, 3, 3, 8, 1], [1, 1, 0, 0, 1])
    assert s[1] - 1 == pytest.approx(s[2])                 # same time: same cumulative hazard


def test_maxstat_refuses_what_it_cannot_cut():
    with pytest.raises(ValueError, match="no events"):
        maxstat_logrank([1, 2, 3], [0, 0, 0], [1, 2, 3])
    with pytest.raises(ValueError, match="cut-point"):
        maxstat_logrank([1, 2, 3, 4], [1, 1, 0, 1], [5, 5, 5, 5])
