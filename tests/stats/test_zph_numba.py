"""cox.zph's compiled sweep (stats/_zph_numba.py) against the numpy risk-set path (stats/cox_zph.py
``_zph_core``, itself checked against R in test_ph_firth): random data with tied times, strata, both tie
rules, factors and multi-column terms; the two sum in different orders, so they agree to rounding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncoseries.stats import cox_zph as Z
from oncoseries.stats._risksets import RiskSets
from oncoseries.stats._zph_numba import zph_score_info
from oncoseries.stats.cox import cox


def _data(rng, n, n_times, strata):
    t = rng.integers(1, n_times, n).astype(float)          # few distinct times: many ties
    e = (rng.random(n) < 0.6).astype(float)
    X = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n), rng.normal(3, 2, n)])
    s = rng.integers(0, 3, n) if strata else None
    return t, e, X, s


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("strata", [False, True])
def test_sweep_equals_risk_sets(seed, ties, strata):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 400))
    t, e, X, s = _data(rng, n, int(rng.integers(3, 40)), strata)
    e[0] = 1.0
    coef = rng.normal(0, 0.5, X.shape[1])
    ttimes, _ = Z.transform_time(t, e.astype(bool), "km")
    g = ttimes - ttimes[e.astype(bool)].mean()
    u0, i0, _ = Z._zph_core(RiskSets(t, e, s, ties), X, coef, g)
    u1, i1 = zph_score_info(X, coef, g, t, e, s, ties)
    np.testing.assert_allclose(u1, u0, rtol=1e-10, atol=1e-10 * np.abs(u0).max())
    np.testing.assert_allclose(i1, i0, rtol=1e-10, atol=1e-12 * np.abs(i0).max())


@pytest.mark.parametrize("transform", ["km", "rank", "identity"])
@pytest.mark.parametrize("strata", [None, "site"])
def test_cox_zph_table_large_equals_numpy_path(transform, strata):
    """Above ZPH_NUMBA_MIN_N rows cox_zph takes the fit's own sorted rows; cox_zph_details (numpy
    path, with residuals) gives the same table."""
    rng = np.random.default_rng(7)
    n = Z.ZPH_NUMBA_MIN_N + 3000
    t, e, X, s = _data(rng, n, 300, True)
    df = pd.DataFrame({"t": t, "e": e, "x": X[:, 0], "grp": np.where(X[:, 1] > 0, "b", "a"),
                       "lvl": rng.choice(["p", "q", "r"], n), "site": s})
    df.loc[rng.random(n) < 0.05, "x"] = np.nan                  # rows dropped by the fit
    fit = cox(df, "t", "e", ["x", "grp", "lvl"], strata=strata)
    assert fit.zph_sorted is not None
    fast = Z.cox_zph(fit, transform=transform)
    slow = Z.cox_zph_details(fit, transform=transform).table
    assert list(fast.index) == list(slow.index) == ["x", "grp", "lvl", "GLOBAL"]
    np.testing.assert_allclose(fast["chisq"], slow["chisq"], rtol=1e-9)
    np.testing.assert_allclose(fast["p"], slow["p"], rtol=1e-9)
    # the gathering path (no fit): the same
    arr = Z.cox_zph_arrays(fit.time, fit.event, fit.X, fit.coef, strata=fit.strata, terms=fit.terms,
                           columns=fit.columns, transform=transform, residuals=False)
    np.testing.assert_allclose(arr["chisq"], slow["chisq"], rtol=1e-9)


def test_small_fits_keep_the_numpy_path():
    rng = np.random.default_rng(3)
    t, e, X, _ = _data(rng, 200, 30, False)
    fit = cox(pd.DataFrame({"t": t, "e": e, "x": X[:, 0]}), "t", "e", ["x"])
    assert fit.zph_sorted is None
    pd.testing.assert_frame_equal(Z.cox_zph(fit), Z.cox_zph_details(fit).table)


@pytest.mark.parametrize("strata", [None, "site"])
def test_zph_sorted_is_rebuilt_bit_equal_to_the_fits_own_rows(strata):
    """A result does not keep the fit's sorted rows: ``zph_sorted`` rebuilds them from X and order,
    equal to the bit to what the fit itself iterated on (including a 0/1 column left unscaled and
    rows dropped for missing values)."""
    from oncoseries.stats import _cox_core as core

    rng = np.random.default_rng(11)
    n = Z.ZPH_NUMBA_MIN_N + 3000
    t, e, X, s = _data(rng, n, 300, True)
    df = pd.DataFrame({"t": t, "e": e, "x": X[:, 0] * 1e3 + 7, "b": (X[:, 1] > 0).astype(float), "site": s})
    df.loc[rng.random(n) < 0.05, "x"] = np.nan
    fit = cox(df, "t", "e", ["x", "b"], strata=strata)
    assert "zph_sorted" not in vars(fit)               # nothing n x p kept beside X
    Xs, beta_s, ts, ds, ss, scale = fit.zph_sorted
    cd = core.prepare(fit.X, fit.time, fit.event, fit.strata, None, "efron", ranges=fit.design.ranges)
    assert Xs.tobytes() == cd.Xs.tobytes() and Xs.flags.f_contiguous
    assert ts.tobytes() == cd.time.tobytes() and ds.tobytes() == cd.status.tobytes()
    np.testing.assert_array_equal(scale, cd.scale)
    assert scale[1] == 1.0 and scale[0] != 1.0               # the 0/1 column is left alone (R coxfit6)
    np.testing.assert_array_equal(beta_s * scale, fit.coef)
    if strata is None:
        assert ss is None
    else:
        np.testing.assert_array_equal(ss, fit.strata[cd.order])
