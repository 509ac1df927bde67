"""Binomial CIs against R binom.test / prop.test(correct=FALSE) (tests/golden/binomial.R -> binomial.json)."""

from __future__ import annotations

import numpy as np
import pytest
from tests.stats._km_helpers import assert_close, col, load_golden

from oncoseries.stats.binomial import binomial_ci

G = load_golden("binomial")
ROWS = list(zip(col(G["successes"]).astype(int), col(G["n"]).astype(int), col(G["conf_level"])))


@pytest.mark.parametrize("method, lo, hi", [("clopper-pearson", "cp_lower", "cp_upper"),
                                            ("wilson", "wilson_lower", "wilson_upper")])
def test_binomial_ci_equals_r(method, lo, hi):
    got = np.array([binomial_ci(k, n, conf_level=c, method=method) for k, n, c in ROWS])
    assert_close(got[:, 0], G["estimate"], "estimate")
    assert_close(got[:, 1], G[lo], f"{method} lower")
    assert_close(got[:, 2], G[hi], f"{method} upper")


def test_default_is_clopper_pearson_and_numpy_ints():
    assert binomial_ci(np.int64(7), np.int32(23)) == binomial_ci(7, 23, 0.95, "exact")
    assert binomial_ci(7.0, 23.0) == binomial_ci(7, 23)


@pytest.mark.parametrize("args, exc", [((3, 0), ValueError), ((5, 3), ValueError), ((-1, 3), ValueError),
                                       ((1.5, 3), TypeError), ((True, 3), TypeError)])
def test_binomial_errors(args, exc):
    with pytest.raises(exc):
        binomial_ci(*args)
    with pytest.raises(ValueError, match="method"):
        binomial_ci(1, 3, method="wald")
    with pytest.raises(ValueError, match="conf_level"):
        binomial_ci(1, 3, conf_level=1.5)
