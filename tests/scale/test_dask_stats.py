"""The Dask engine equals the in-memory engine to 1e-10 relative, whatever the partitioning.

Runs on a LocalCluster of 2 worker processes (as CI): 1, 3 and 17 uneven partitions, empty partitions,
a tied time split across partitions, a stratum present in only some partitions, missing values.
"""

from __future__ import annotations

import warnings

import dask
import dask.dataframe as dd
import distributed
import numpy as np
import pandas as pd
import pytest

import oncoseries as osr

RTOL = 1e-10


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                                       silence_logs=40)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _data(n: int = 1500, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "time": rng.integers(1, 120, n).astype(float),
        "event": rng.integers(0, 2, n),
        "arm": rng.choice(["A", "B", "C"], n, p=[0.5, 0.3, 0.2]),
        "age": rng.normal(60, 10, n).round(1),
        "sex": rng.choice(["female", "male"], n),
        "flag": rng.integers(0, 2, n),
        "site": rng.choice(["s1", "s2"], n),
        "centre": rng.integers(0, 60, n),
    })
    df["entry"] = np.floor(rng.uniform(0, 1, n) * df["time"] * 0.5)
    df.loc[[3, 40], "time"] = np.nan
    df.loc[[7], "arm"] = None
    df.loc[[11, 12], "age"] = np.nan
    # site s3 only at the end of the data: it lands in the last partitions only
    df = df.sort_values("time", kind="stable").reset_index(drop=True)
    df.loc[df.index[-200:], "site"] = "s3"
    return df


def _split(df: pd.DataFrame, cuts: list[int]):
    """A Dask frame whose partitions are df[cuts[i]:cuts[i+1]] (equal cuts give empty partitions)."""
    bounds = [0, *cuts, len(df)]
    pieces = [df.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    return dd.from_delayed([dask.delayed(p) for p in pieces], meta=df.iloc[:0], verify_meta=False)


DF = _data()
# data sorted by time: cut 700 falls inside a run of tied times (checked below); 0-length partitions
PARTITIONS = {"1": [], "3": [120, 700], "17": [0, 0, 5, 90, 91, 300, 300, 650, 700, 701, 900, 1100, 1101,
                                              1300, 1450, 1499]}


def test_a_cut_splits_tied_times():
    assert DF["time"].iloc[699] == DF["time"].iloc[700]


@pytest.fixture(params=list(PARTITIONS), scope="module")
def ddf(request, client):
    return client.persist(_split(DF, PARTITIONS[request.param]))  # the rows live on the workers


def _close(a: pd.DataFrame, b: pd.DataFrame):
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), rtol=RTOL, atol=0,
                                  check_dtype=False)


def test_kaplan_meier(ddf):
    for kw in (dict(by="arm"), dict(), dict(by="arm", entry="entry"), dict(by="site", conf_type="log-log")):
        a, b = osr.kaplan_meier(DF, "time", "event", **kw), osr.kaplan_meier(ddf, "time", "event", **kw)
        _close(a.table, b.table)
        _close(a.medians, b.medians)
        _close(a.at([10, 50, 100]), b.at([10, 50, 100]))
        assert a.groups == b.groups and a.n_missing == b.n_missing > 0


def test_logrank_and_trend(ddf):
    for kw in (dict(), dict(strata="site"), dict(strata="site", rho=1)):
        a, b = osr.logrank(DF, "time", "event", by="arm", **kw), osr.logrank(ddf, "time", "event", by="arm", **kw)
        assert b.statistic == pytest.approx(a.statistic, rel=RTOL) and b.df == a.df
        assert b.p_value == pytest.approx(a.p_value, rel=RTOL)
        _close(a.table, b.table)
        np.testing.assert_allclose(b.variance, a.variance, rtol=RTOL)
    a = osr.logrank_trend(DF, "time", "event", by="arm", strata="site")
    b = osr.logrank_trend(ddf, "time", "event", by="arm", strata="site")
    assert b.statistic == pytest.approx(a.statistic, rel=RTOL)


def test_rmst_and_followup(ddf):
    _close(osr.rmst(DF, "time", "event", 90, by="arm"), osr.rmst(ddf, "time", "event", 90, by="arm"))
    _close(osr.rmst_difference(DF, "time", "event", 90, by="sex"),
           osr.rmst_difference(ddf, "time", "event", 90, by="sex"))
    _close(osr.median_followup(DF, "time", "event", by="arm"), osr.median_followup(ddf, "time", "event", by="arm"))


COX = [dict(), dict(ties="breslow"), dict(strata="site"), dict(robust=True), dict(cluster="centre"),
       dict(strata="site", ties="breslow", robust=True), dict(reference={"arm": "C"})]


@pytest.fixture(scope="module")
def ddf17(client):
    return client.persist(_split(DF, PARTITIONS["17"]))


@pytest.mark.parametrize("kw", COX, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "efron")
def test_cox_17_partitions(ddf17, kw):
    _check_cox(ddf17, kw)


@pytest.mark.parametrize("kw", [COX[0], COX[5]], ids=["efron", "strata-breslow-robust"])
def test_cox_1_and_3_partitions(ddf, kw):
    _check_cox(ddf, kw)


def _check_cox(ddf, kw):
    cov = ["age", "arm", "sex", "flag"]
    a, b = osr.cox(DF, "time", "event", cov, **kw), osr.cox(ddf, "time", "event", cov, **kw)
    cols = ["coef", "se", "hr", "lower", "upper", "z", "p"] + (["se_naive"] if "se_naive" in a.summary else [])
    _close(a.summary[cols], b.summary[cols])
    assert list(b.summary.index) == list(a.summary.index)
    np.testing.assert_allclose(b.loglik, a.loglik, rtol=RTOL)
    np.testing.assert_allclose(b.var, a.var, rtol=RTOL)
    for t in ("lr_test", "wald_test", "score_test", "robust_score_test"):
        ta, tb = getattr(a, t), getattr(b, t)
        if ta is None:
            assert tb is None
        else:
            assert (tb.statistic, tb.df) == (pytest.approx(ta.statistic, rel=RTOL), ta.df)
    if a.robust_var is not None:
        np.testing.assert_allclose(b.robust_var, a.robust_var, rtol=RTOL)
    assert (b.n, b.n_events, b.n_dropped, b.iterations, b.converged) == (a.n, a.n_events, a.n_dropped,
                                                                         a.iterations, a.converged)
    assert sorted(b.dropped_index) == sorted(a.dropped_index)
    assert b.strata_levels == a.strata_levels
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert b.concordance == pytest.approx(a.concordance, rel=RTOL)
        assert b.concordance_se == pytest.approx(a.concordance_se, rel=RTOL)
    assert any("gathered" in str(x.message) for x in w)
    # what crossed the network per Newton step: sums per distinct time, not rows
    info = b.dask_info
    assert info["groups"] <= 3 * 120 and info["bytes_per_step"] < 64 * info["partitions"] * info["groups"] * 20


def test_errors_reach_the_caller_as_in_memory(ddf):
    bad = DF.assign(event=DF["event"] + 1)
    with pytest.raises(ValueError, match="must be 0/1"):
        osr.kaplan_meier(dd.from_pandas(bad, npartitions=2), "time", "event")
    with pytest.raises(ValueError, match="must be 0/1"):
        osr.cox(dd.from_pandas(bad, npartitions=2), "time", "event", ["age"])
    with pytest.raises(TypeError, match="name a column"):
        osr.kaplan_meier(ddf, DF["time"].to_numpy(), "event")
    with pytest.raises(ValueError, match="not supported with a Dask"):
        osr.cox(ddf, "time", "event", ["age"], entry="entry")
    with pytest.raises(ValueError, match="single value"):
        osr.cox(ddf.assign(one=1.0), "time", "event", ["one"])


def test_dispatch_does_not_import_dask():
    import subprocess
    import sys

    code = ("import sys, pandas as pd, oncoseries as osr; "
            "osr.kaplan_meier(pd.DataFrame({'t': [1., 2.], 'e': [1, 0]}), 't', 'e'); "
            "osr.cox(pd.DataFrame({'t': [1., 2., 3.], 'e': [1, 0, 1], 'x': [0.1, 0.5, 0.2]}), 't', 'e', ['x']); "
            "print('dask' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
