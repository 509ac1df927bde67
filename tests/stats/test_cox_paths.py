"""The numba path (large data) equals the pure-numpy path (small data) to 1e-10, and small fits
never import numba."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncoseries.stats import _cox_core as core
from oncoseries.stats import _cox_numba as cn
from oncoseries.stats import concordance as conc_mod
from oncoseries.stats import cox as cox_mod
from oncoseries.stats._concordance_numba import counts_numba

ROOT = Path(__file__).resolve().parents[2]


def sim(n, seed, integer_times=True, strata=3):
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.integers(0, 2, n)
    x3 = np.round(rng.normal(50, 10, n))
    lin = 0.4 * x1 - 0.5 * x2 + 0.02 * x3
    t = rng.exponential(1 / np.exp(lin)) * 50
    t = np.ceil(t) if integer_times else t
    return pd.DataFrame({
        "time": t, "status": (rng.random(n) < 0.7).astype(int), "x1": x1, "x2": x2, "x3": x3,
        "grp": rng.choice(["a", "b", "c"], n), "site": rng.integers(0, strata, n),
        "cl": rng.integers(0, n // 10, n),
    })


def fit_both(monkeypatch, data, **kw):
    """Fit with the numpy path and with the numba path on the same data."""
    out = []
    for threshold in (10**12, 1):
        monkeypatch.setattr(core, "NUMBA_MIN_N", threshold)
        monkeypatch.setattr(core, "CONCORDANCE_NUMBA_MIN_N", threshold)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = cox_mod.cox(data, "time", "status", **kw)
        res.concordance  # evaluated while the threshold is set
        out.append(res)
    return out


def agree(a, b, tol=1e-10):
    np.testing.assert_allclose(a.coef, b.coef, rtol=tol, atol=0)
    np.testing.assert_allclose(a.var, b.var, rtol=tol, atol=0)
    np.testing.assert_allclose(a.loglik, b.loglik, rtol=tol, atol=0)
    for t in ("lr_test", "wald_test", "score_test"):
        np.testing.assert_allclose(getattr(a, t).statistic, getattr(b, t).statistic, rtol=tol)
    np.testing.assert_allclose(a.concordance, b.concordance, rtol=tol)
    np.testing.assert_allclose(a.concordance_se, b.concordance_se, rtol=tol)
    assert a.iterations == b.iterations
    if a.robust_var is not None:
        np.testing.assert_allclose(a.robust_var, b.robust_var, rtol=tol, atol=0)
        np.testing.assert_allclose(a.robust_score_test.statistic, b.robust_score_test.statistic, rtol=tol)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_grouped_layout_day_ties(monkeypatch, ties):
    data = sim(6000, 1)
    a, b = fit_both(monkeypatch, data, covariates=["x1", "x2", "x3", "grp"], ties=ties)
    assert cn.use_grouped(core.prepare(a.X, a.time, a.event, None, None, ties))
    agree(a, b)


def test_two_pass_layout_continuous_times_strata_robust(monkeypatch):
    data = sim(7000, 2, integer_times=False)
    a, b = fit_both(monkeypatch, data, covariates=["x1", "x2", "x3"], strata="site", robust=True)
    assert not cn.use_grouped(core.prepare(a.X, a.time, a.event, a.strata, None, "efron"))
    agree(a, b)


def test_strata_cluster_day_ties(monkeypatch):
    data = sim(6000, 3)
    a, b = fit_both(monkeypatch, data, covariates=["x1", "x2", "grp"], strata="site", cluster="cl")
    agree(a, b)


def test_counting_sort_equals_numpy_order():
    rng = np.random.default_rng(4)
    t = rng.integers(0, 50, 3000).astype(float)
    d = (rng.random(3000) < 0.5).astype(float)
    s = rng.integers(0, 4, 3000)
    np.testing.assert_array_equal(cn.sort_order(t, d, s), core.default_order(t, d, s))
    np.testing.assert_array_equal(cn.sort_order(t, d, None), core.default_order(t, d, None))
    tc = t + rng.random(3000)  # non-integer: falls back to numpy
    np.testing.assert_array_equal(cn.sort_order(tc, d, s), core.default_order(tc, d, s))


@pytest.mark.parametrize("strata,entry", [(None, False), (4, False), (None, True), (3, True)])
def test_concordance_kernel_equals_pairwise(strata, entry):
    rng = np.random.default_rng(5)
    n = 700
    t = rng.integers(1, 40, n).astype(float)
    d = (rng.random(n) < 0.6).astype(float)
    lp = np.round(rng.normal(size=n), 1)  # ties in the predictor
    s = None if strata is None else rng.integers(0, strata, n)
    e = np.floor(rng.random(n) * t * 0.8) if entry else None
    np.testing.assert_array_equal(conc_mod._counts_numpy(t, d, lp, s, e), counts_numba(t, d, lp, s, e))


def test_small_fit_does_not_import_numba():
    code = ("import sys, pandas as pd, oncoseries as osr\n"
            "d = pd.read_csv(sys.argv[1]); d['dead'] = (d.status == 2).astype(int)\n"
            "r = osr.cox(d, 'time', 'dead', ['age', 'sex'], robust=True); r.concordance\n"
            "assert 'numba' not in sys.modules, 'numba imported'\n")
    subprocess.run([sys.executable, "-c", code, str(ROOT / "tests/data/r-survival/lung.csv")], check=True,
                   env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})


def test_radix_sort_order_equals_lexsort():
    from oncoseries.stats import _cox_numpy as cnp

    rng = np.random.default_rng(6)
    t = rng.integers(0, 900, 5000).astype(float)
    d = (rng.random(5000) < 0.5).astype(float)
    s = rng.integers(0, 4, 5000)
    for st in (s, None):
        np.testing.assert_array_equal(cnp.sort_order(t, d, st), core.default_order(t, d, st))
    tc = t + rng.random(5000)  # non-integer times: lexsort
    np.testing.assert_array_equal(cnp.sort_order(tc, d, s), core.default_order(tc, d, s))
    wide = t * 100  # whole numbers but too many distinct values for 16-bit keys
    np.testing.assert_array_equal(cnp.sort_order(wide, d, s), core.default_order(wide, d, s))


@pytest.mark.parametrize("ties,strata", [("efron", None), ("breslow", None), ("efron", "site")])
def test_numpy_engine_equals_row_formulas(ties, strata):
    """The segment/syrk numpy engine gives the loglik, score and information of the row-by-row
    formulas (core.numpy_group_sums + Scalars) to 1e-10."""
    from oncoseries.stats import _cox_numpy as cnp

    data = sim(3000, 7)
    X = data[["x1", "x2", "x3"]].to_numpy(dtype=float)
    st = None if strata is None else data[strata].to_numpy()
    cd = core.prepare(X, data["time"].to_numpy(float), data["status"].to_numpy(float), st, None, ties)
    for beta in (np.zeros(3), np.array([0.3, -0.4, 0.2])):
        ll_a, u_a, H_a, _, _ = core.score_info(cd, core.numpy_group_sums(cd, beta))
        gsum, H1, sc = cnp.group_sums(cd, beta)
        ll_b, u_b, H_b, _, _ = core.score_info(cd, gsum, H1, sc)
        np.testing.assert_allclose(ll_b, ll_a, rtol=1e-12)
        np.testing.assert_allclose(u_b, u_a, rtol=1e-10, atol=1e-10 * np.abs(u_a).max())
        np.testing.assert_allclose(H_b, H_a, rtol=1e-10, atol=1e-12 * np.abs(H_a).max())


def test_mid_size_fit_stays_in_numpy():
    """Below NUMBA_MIN_N rows the fit never imports numba (no JIT start-up in a new process)."""
    code = ("import sys, numpy as np, pandas as pd, oncoseries as osr\n"
            "rng = np.random.default_rng(1); n = 50000\n"
            "d = pd.DataFrame({'t': np.ceil(rng.exponential(100, n)), 'e': rng.random(n) < 0.7,\n"
            "                  'x': rng.normal(size=n), 'z': rng.normal(size=n)})\n"
            "r = osr.cox(d, 't', 'e', ['x', 'z'])\n"
            "assert 'numba' not in sys.modules, 'numba imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True,
                   env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})


def test_design_matrix_is_one_column_major_copy():
    from oncoseries.stats.design import model_matrix

    data = sim(2000, 8)
    data.loc[3, "x1"] = np.nan
    d = model_matrix(data, ["x1", "x3", "grp"], also_required=["time"])
    assert d.X.flags.f_contiguous and d.dropped_index == [3]
    np.testing.assert_array_equal(d.X[:, 0], data["x1"].drop(index=3).to_numpy())
    assert not np.shares_memory(d.X, data["x3"].to_numpy())


@pytest.mark.parametrize("ties,strata,robust", [("efron", None, False), ("breslow", None, False),
                                                ("efron", "site", True)])
def test_two_chunk_engine_equals_one_chunk(monkeypatch, ties, strata, robust):
    """Large fits split the element-wise work into two chunks (two threads): same coefficients,
    variance and log likelihood as one chunk, to rounding; and the split itself is exercised (two
    row chunks, two event-group chunks) on data with day ties, strata and a final block of censored
    rows tied at the last time (one long segment)."""
    from oncoseries.stats import _cox_numpy as cnp

    data = sim(5000, 11)
    data.loc[data.index[-600:], "time"] = data["time"].max()
    data.loc[data.index[-600:], "status"] = 0
    out = []
    for threshold in (10**12, 1):
        monkeypatch.setattr(cnp, "PARALLEL_MIN_N", threshold)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = cox_mod.cox(data, "time", "status", ["x1", "x2", "x3", "grp"], ties=ties, strata=strata,
                              robust=robust)
        out.append(res)
        st = None if strata is None else res.strata
        cd = core.prepare(res.X, res.time, res.event, st, None, ties)
        lay = cnp._segments(cd)
        assert len(lay.rows) == (3 if threshold == 1 else 2) and len(lay.ev_groups) == len(lay.rows)
    agree(out[0], out[1], tol=1e-10)


def test_two_chunks_with_a_single_event_group_or_segment(monkeypatch):
    """Degenerate splits: one event time (one event group) or every row in one tied group."""
    from oncoseries.stats import _cox_numpy as cnp

    rng = np.random.default_rng(12)
    X = rng.normal(size=(400, 2))
    beta = np.array([0.2, -0.1])
    for t, d in ((np.where(np.arange(400) < 50, 1.0, 2.0), (np.arange(400) < 50).astype(float)),
                 (np.ones(400), (rng.random(400) < 0.5).astype(float))):
        got = []
        for threshold in (10**12, 1):
            monkeypatch.setattr(cnp, "PARALLEL_MIN_N", threshold)
            cd = core.prepare(X, t, d, None, None, "efron")
            got.append(core.score_info(cd, *cnp.group_sums(cd, beta)))
        np.testing.assert_allclose(got[1][0], got[0][0], rtol=1e-13)
        np.testing.assert_allclose(got[1][1], got[0][1], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got[1][2], got[0][2], rtol=1e-12)


def _fit_in_child(q):
    data = sim(3000, 13)
    q.put(float(cox_mod.cox(data, "time", "status", ["x1", "x2"]).coef[0]))


def test_fit_after_fork_uses_a_fresh_thread_pool(monkeypatch):
    """A pool's threads do not survive fork(): a process forked after a threaded fit still fits."""
    import multiprocessing as mp

    from oncoseries.stats import _cox_numpy as cnp

    monkeypatch.setattr(cnp, "PARALLEL_MIN_N", 1)
    data = sim(3000, 13)
    parent = float(cox_mod.cox(data, "time", "status", ["x1", "x2"]).coef[0])   # creates the pool
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    proc = ctx.Process(target=_fit_in_child, args=(q,))
    proc.start()
    proc.join(120)
    if proc.is_alive():
        proc.kill()
        pytest.fail("the fit in the forked child hung")
    assert proc.exitcode == 0 and q.get(timeout=5) == parent


def test_design_ranges_are_the_column_extremes():
    """model_matrix hands each column's minimum and maximum to the Cox engine (R's centring rule):
    exact extremes of the rows used, 0 and 1 for dummy columns; a float covariate's missing value,
    found in its extremes after the copy, drops its row as the missing-value pass would."""
    from oncoseries.stats.design import model_matrix

    data = sim(500, 21)
    data.loc[[4, 9], "x3"] = np.nan
    data.loc[7, "time"] = np.nan
    d = model_matrix(data, ["x1", "x3", "grp"], also_required=["time"])
    assert d.dropped_index == [4, 7, 9]
    kept = data.drop(index=[4, 7, 9])
    np.testing.assert_array_equal(d.ranges[0], [kept["x1"].min(), kept["x1"].max()])
    np.testing.assert_array_equal(d.ranges[1], [kept["x3"].min(), kept["x3"].max()])
    np.testing.assert_array_equal(d.ranges[2:], [[0.0, 1.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="infinite"):
        model_matrix(data.assign(x1=data["x1"].replace(data["x1"].iloc[0], np.inf)), ["x1", "x3"])


def test_early_sort_falls_back_when_rows_are_dropped_or_invalid(monkeypatch):
    """Large fits sort the times while the design matrix is copied in the other thread, assuming every
    row is used. A missing covariate or time, or an invalid event value, sends the fit down the usual
    path: same rows used, same result (or message) as the one-thread fit."""
    from oncoseries.stats import _cox_numpy as cnp

    base = sim(3000, 17)
    cases = {"complete": base, "missing covariate": base.assign(x1=base["x1"].where(base.index != 5)),
             "missing time": base.assign(time=base["time"].where(base.index != 8))}
    for name, data in cases.items():
        fits = []
        for threshold in (10**12, 1):
            monkeypatch.setattr(cnp, "PARALLEL_MIN_N", threshold)
            fits.append(cox_mod.cox(data, "time", "status", ["x1", "x2", "x3"]))
        assert fits[0].n == fits[1].n and fits[0].dropped_index == fits[1].dropped_index, name
        agree(fits[0], fits[1], tol=1e-10)
    bad = base.assign(status=base["status"].where(base.index != 3, 2))
    with pytest.raises(ValueError, match="must be 0/1"):
        cox_mod.cox(bad, "time", "status", ["x1"])


def test_sum_of_logs_by_products_of_eight():
    """The Efron log-likelihood's sum of log denominators, taken as logs of products of 8, equals the
    value-by-value sum to 1e-14; values whose products could overflow are summed one by one."""
    from oncoseries.stats._cox_numpy import _sum_log

    rng = np.random.default_rng(5)
    for n in (1, 7, 8, 9, 1001, 100_003):
        x = np.exp(rng.uniform(-30, 30, n))
        want = float(np.log(x).sum())
        got = _sum_log(x, float(x.min()), float(x.max()))
        assert abs(got - want) <= 1e-14 * max(1.0, np.abs(np.log(x)).sum())
    huge = np.array([1e300, 1e300, 1e-300, 2.0] * 4)
    assert _sum_log(huge, 1e-300, 1e300) == float(np.log(huge).sum())


def test_large_fit_copies_the_design_once_into_its_sorted_buffer(monkeypatch):
    """From PARALLEL_MIN_N rows (no strata, no entry, every row used) the design is not copied before
    the fit: the sorted copy is made from the data's own columns, and X then fills that copy's
    buffer. The result is bit-equal to the copying path's, X equals the data (original order, dummy
    columns of the factor, the integer column as float), owns its memory, and the data are untouched."""
    from oncoseries.stats import _cox_numpy as cnp
    from oncoseries.stats.design import model_matrix_deferred

    data = sim(4000, 29)
    before = data.copy()
    monkeypatch.setattr(cnp, "PARALLEL_MIN_N", 1)
    seen = []

    def spy(*a, **k):
        d = model_matrix_deferred(*a, **k)
        seen.append(d.X is None)
        return d

    with monkeypatch.context() as m:
        m.setattr(cox_mod, "model_matrix_deferred", spy)
        deferred = cox_mod.cox(data, "time", "status", ["x1", "x2", "x3", "grp"])
    assert seen == [True]
    with monkeypatch.context() as m:   # the same engine, with the design copied first
        m.setattr(cox_mod, "model_matrix_deferred", cox_mod.model_matrix)
        copied = cox_mod.cox(data, "time", "status", ["x1", "x2", "x3", "grp"])
    for a in ("coef", "var", "means"):
        assert getattr(copied, a).tobytes() == getattr(deferred, a).tobytes(), a
    assert copied.loglik == deferred.loglik and copied.iterations == deferred.iterations
    X = deferred.X
    assert X.tobytes() == copied.X.tobytes() and X.flags.f_contiguous
    assert X is deferred.design.X and deferred.design.sources is None
    np.testing.assert_array_equal(X[:, 0], data["x1"].to_numpy())
    np.testing.assert_array_equal(X[:, 1], data["x2"].to_numpy(dtype=float))
    np.testing.assert_array_equal(X[:, 3], (data["grp"] == "b").to_numpy(dtype=float))
    np.testing.assert_array_equal(X[:, 4], (data["grp"] == "c").to_numpy(dtype=float))
    assert not np.shares_memory(X, data["x1"].to_numpy())
    pd.testing.assert_frame_equal(data, before)
    assert deferred.concordance == copied.concordance
    # the deferred design: columns, not a copy; with a dropped row it is copied as model_matrix does
    d = model_matrix_deferred(data, ["x1", "grp"], also_required=["time"])
    assert d.X is None and len(d.sources) == 3 and np.shares_memory(d.sources[0], data["x1"].to_numpy())
    np.testing.assert_array_equal(d.ranges[0], [data["x1"].min(), data["x1"].max()])
    holed = data.assign(x1=data["x1"].where(data.index != 6))
    d = model_matrix_deferred(holed, ["x1", "grp"], also_required=["time"])
    assert d.sources is None and d.X.shape == (3999, 3) and d.dropped_index == [6]
    with pytest.raises(ValueError, match="infinite"):
        model_matrix_deferred(data.assign(x1=data["x1"].replace(data["x1"].iloc[0], np.inf)), ["x1"])
    # the robust variance (dfbeta residuals from the sorted copy, before X fills its buffer)
    rob = [cox_mod.cox(data, "time", "status", ["x1", "x2"], cluster="cl")]
    with monkeypatch.context() as m:
        m.setattr(cox_mod, "model_matrix_deferred", cox_mod.model_matrix)
        rob.append(cox_mod.cox(data, "time", "status", ["x1", "x2"], cluster="cl"))
    assert rob[0].robust_var.tobytes() == rob[1].robust_var.tobytes()
    assert rob[0].X.tobytes() == rob[1].X.tobytes()
    # the numba engine reads a copied design: with its threshold down, a large fit copies and uses it
    engines = []
    real_engine = cox_mod._make_engine
    with monkeypatch.context() as m:
        m.setattr(core, "NUMBA_MIN_N", 1)
        m.setattr(cox_mod, "_make_engine",
                  lambda cd, use_numba: engines.append(use_numba) or real_engine(cd, use_numba))
        numba_fit = cox_mod.cox(data, "time", "status", ["x1", "x2", "x3", "grp"])
    assert engines == [True]
    np.testing.assert_allclose(numba_fit.coef, copied.coef, rtol=1e-9)
    # the same argument checks as model_matrix, also through a large fit
    with pytest.raises(ValueError, match="duplicates"):
        model_matrix_deferred(data, ["x1", "x1"])
    with pytest.raises(ValueError, match="not one of the covariates"):
        cox_mod.cox(data, "time", "status", ["x1", "grp"], reference={"x9": "a"})
    with pytest.raises(ValueError, match="duplicates"):
        cox_mod.cox(data, "time", "status", ["x1", "x1"])


def test_page_toucher_writes_once_per_page_shared_by_two_threads():
    """PageToucher hands out its pieces once each: with two threads working, every 4 KiB page (every
    512th double) is written exactly once, nothing else is, and the array is the n x p column-major
    view of that buffer."""
    import threading

    from oncoseries.stats._cox_numpy import PageToucher

    for n, p in ((1, 1), (1000, 3), (123_457, 10)):
        t = PageToucher(n, p)
        assert t.array.shape == (n, p) and t.array.flags.f_contiguous
        t._flat[:] = np.nan
        other = threading.Thread(target=t.work)
        other.start()
        t.work()
        other.join(30)
        touched = ~np.isnan(t._flat)
        assert np.array_equal(np.flatnonzero(touched), np.arange(0, n * p, 512)), (n, p)
