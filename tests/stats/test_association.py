"""fisher_exact, chisq_test and wilcoxon_ranksum against R fisher.test, chisq.test(correct = FALSE) and
wilcox.test(exact = FALSE, correct = TRUE) (tests/golden/association.R -> association.json)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import fisher_exact as scipy_fisher
from tests.stats._km_helpers import assert_close, load_golden

from oncoseries.stats import association as assoc
from oncoseries.stats.association import chisq_test, fisher_exact, wilcoxon_ranksum

G = load_golden("association")


@pytest.mark.parametrize("case", G["fisher"], ids=lambda c: "x".join(map(str, np.shape(c["table"]))))
def test_fisher_equals_r(case):
    res = fisher_exact(case["table"])
    assert_close(res.p_value, case["p"], f"fisher {case['table']}")
    assert res.statistic is None and res.df is None
    assert res.n == int(np.sum(case["table"]))
    # the transposed table is the same test
    assert_close(fisher_exact(np.transpose(case["table"])).p_value, case["p"], "transposed")


def test_fisher_2x2_agrees_with_scipy_away_from_ties():
    for case in G["fisher"]:
        t = np.asarray(case["table"])
        if t.shape == (2, 2):
            assert fisher_exact(t).p_value == pytest.approx(scipy_fisher(t).pvalue, rel=1e-9)


@pytest.mark.parametrize("case", G["chisq"], ids=lambda c: "x".join(map(str, np.shape(c["table"]))))
def test_chisq_equals_r(case):
    res = chisq_test(case["table"])
    assert_close(res.statistic, case["statistic"], "statistic")
    assert res.df == case["df"]
    assert_close(res.p_value, case["p"], "p")


@pytest.mark.parametrize("case", G["wilcox"], ids=lambda c: f"{len(c['x'])}v{len(c['y'])}")
def test_wilcoxon_equals_r(case):
    res = wilcoxon_ranksum(case["x"], case["y"])
    assert_close(res.statistic, case["statistic"], "W")
    assert_close(res.p_value, case["p"], "p")      # NaN where R gives NaN (every value tied)
    assert res.df is None and res.n == len(np.atleast_1d(case["x"])) + len(np.atleast_1d(case["y"]))


def test_wilcoxon_is_antisymmetric():
    x, y = [1, 2, 2, 3, 5, 7], [2, 3, 3, 4, 8, 9, 10]
    a, b = wilcoxon_ranksum(x, y), wilcoxon_ranksum(y, x)
    assert a.p_value == pytest.approx(b.p_value, rel=1e-12)
    assert a.statistic + b.statistic == len(x) * len(y)


@pytest.mark.parametrize("table, match", [
    ([1, 2, 3], "two-dimensional"), ([[1, 2]], "at least 2 rows"), ([[1, -1], [2, 3]], "non-negative"),
    ([[1.5, 1], [2, 3]], "whole numbers"), ([[np.nan, 1], [2, 3]], "whole numbers")])
def test_table_errors(table, match):
    with pytest.raises(ValueError, match=match):
        fisher_exact(table)
    with pytest.raises(ValueError, match=match):
        chisq_test(table)


def test_chisq_needs_positive_margins_and_fisher_does_not():
    with pytest.raises(ValueError, match="zero total"):
        chisq_test([[0, 5], [0, 7]])
    assert fisher_exact([[0, 5], [0, 7]]).p_value == 1.0


def test_fisher_refuses_tables_too_large_to_enumerate(monkeypatch):
    monkeypatch.setattr(assoc, "MAX_TABLES", 50)
    with pytest.raises(ValueError, match="chisq_test"):
        fisher_exact([[20, 20], [20, 20], [20, 20]])


def test_wilcoxon_errors():
    with pytest.raises(ValueError, match="x is empty"):
        wilcoxon_ranksum([], [1, 2])
    with pytest.raises(ValueError, match="y has missing"):
        wilcoxon_ranksum([1, 2], [1, np.nan])
    with pytest.raises(TypeError, match="x must be numbers"):
        wilcoxon_ranksum(["a", "b"], [1, 2])
