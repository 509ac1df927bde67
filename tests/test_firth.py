"""Firth-penalised Cox regression against the first-principles R implementation in tests/golden/firth.R.

(coxphf cannot be installed here; the R script maximises l(b) + 0.5 log det I(b) with survival::coxph
evaluated at fixed b and numerical derivatives, independently of our analytic modified score.)
"""

from __future__ import annotations

import importlib
import json
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from oncoseries.stats.firth import METHOD, FirthCox, firth_cox, firth_cox_arrays
from oncoseries.stats.separation import detect_separation

HERE = Path(__file__).parent
GOLD = {c["name"]: c for c in json.loads((HERE / "golden" / "firth.json").read_text())["cases"]}
RTOL = 1e-6


def _lung60():
    d = pd.read_csv(HERE / "data" / "r-survival" / "lung.csv")
    return d[["time", "status", "age", "sex", "ph.ecog"]].dropna().head(60).reset_index(drop=True)


SEP = pd.read_csv(HERE / "data" / "firth" / "separation.csv")
NOSEP = pd.read_csv(HERE / "data" / "firth" / "nosep.csv")


def design(name):
    """(time, event, X, strata) for a golden case."""
    if name.startswith("lung60_strata"):
        d = _lung60()
        return d.time, d.status == 2, d[["age", "ph.ecog"]].to_numpy(float), (d.sex - 1).to_numpy()
    if name.startswith("lung60"):
        d = _lung60()
        return d.time, d.status == 2, d[["age", "sex", "ph.ecog"]].to_numpy(float), None
    if name == "separation_g_only":
        return SEP.time, SEP.status, SEP[["g"]].to_numpy(float), None
    if name.startswith("separation"):
        return SEP.time, SEP.status, SEP[["g", "x"]].to_numpy(float), None
    if name.startswith("nosep"):
        return NOSEP.time, NOSEP.status, NOSEP[["trt", "z"]].to_numpy(float), None
    if name.startswith("ovarian"):
        d = pd.read_csv(HERE / "data" / "r-survival" / "ovarian.csv")
        return d.futime, d.fustat, d[["rx", "fustat"]].to_numpy(float), None
    raise KeyError(name)


def fit_case(name, **kw):
    g = GOLD[name]
    time, event, X, strata = design(name)
    return firth_cox_arrays(time, event, X, strata, ties=g["ties"], columns=g["columns"], **kw)


def check_against_golden(res: FirthCox, g):
    s = res.summary
    assert list(s.index) == g["columns"]
    np.testing.assert_allclose(s["coef"], g["coef"], rtol=RTOL)
    np.testing.assert_allclose(s["se"], g["se"], rtol=RTOL)
    np.testing.assert_allclose(s["hr"], np.exp(g["coef"]), rtol=RTOL)
    np.testing.assert_allclose(np.log(s["lower"]), g["lower"], rtol=RTOL)
    np.testing.assert_allclose(np.log(s["upper"]), g["upper"], rtol=RTOL)
    np.testing.assert_allclose(s["chisq"], g["chisq"], rtol=RTOL)
    np.testing.assert_allclose(s["p"], g["p"], rtol=RTOL)
    assert (s["method"] == METHOD).all()
    assert res.lr_test.statistic == pytest.approx(g["lr"], rel=RTOL)
    assert res.lr_test.df == g["lr_df"]
    assert res.lr_test.p_value == pytest.approx(g["lr_p"], rel=RTOL)
    assert res.loglik[0] == pytest.approx(g["pl_null"], rel=RTOL)
    assert res.loglik[1] == pytest.approx(g["pl_max"], rel=RTOL)


@pytest.mark.parametrize("name", sorted(GOLD))
def test_arrays_match_r(name):
    check_against_golden(fit_case(name), GOLD[name])


def test_ovarian_matches_published_sas_phreg_firth():
    """Cross-check with SAS PROC PHREG ``MODEL futime*fustat(0) = rx fustat / FIRTH RISKLIMITS=PL``
    as quoted in kaifenglu/trtswitch tests/testthat/test-phregr.R, which compares at 3 decimals.
    SAS likely stops earlier (default relative-gradient GCONV=1e-8): the flat fustat coefficient agrees to 3
    decimals only (4.23646 here and in tests/golden/firth.R vs SAS 4.23615)."""
    res = fit_case("ovarian_rx_fustat")
    assert res.separation == ["fustat"]  # every death has fustat = 1
    s = res.summary
    np.testing.assert_allclose(s["coef"], [-0.54197, 4.23615], atol=5e-4)
    # hazard-ratio limits as printed by SAS (3 decimals)
    np.testing.assert_allclose(s["lower"], [0.173, 8.771], atol=5e-4, rtol=1e-6)
    np.testing.assert_allclose(s["upper"], [1.884, 8936.061], atol=5e-4, rtol=1e-6)


def test_separation_coxph_diverges_firth_finite():
    g = GOLD["separation_breslow"]
    assert g["coxph_coef"][0] > 15  # ordinary Cox: monotone likelihood, coefficient runs away
    res = fit_case("separation_breslow")
    assert 2 < res.coef[0] < 5 and np.isfinite(res.summary["upper"]).all()
    assert res.separation == ["g"]


def test_no_separation_firth_shrinks_towards_zero():
    g = GOLD["nosep_breslow"]
    res = fit_case("nosep_breslow")
    assert np.all(np.abs(res.coef) < np.abs(g["coxph_coef"]))
    np.testing.assert_allclose(res.coef, g["coxph_coef"], rtol=0.05)
    assert res.separation == []


def test_detect_separation_rules():
    t, e, X, _ = design("separation_breslow")
    assert detect_separation(t, e, X, ["g", "x"]) == ["g"]
    # reversed coding: all events at the risk-set minimum
    assert detect_separation(t, e, 1 - X[:, :1], ["g0"]) == ["g0"]
    t, e, X, _ = design("lung60_breslow")
    assert detect_separation(t, e, X, ["age", "sex", "ph.ecog"]) == []
    # separation by a combination only: a + b equals g; neither column alone is extreme
    noise = np.arange(len(SEP)) % 3 - 1.0
    ab = np.column_stack([SEP.g + noise, -noise])
    assert detect_separation(SEP.time, SEP.status, ab, ["a", "b"]) == ["a", "b"]
    with pytest.raises(ValueError, match="columns has 1 names"):
        detect_separation(t, e, X, ["age"])


def test_row_order_and_event_dtype_do_not_matter():
    g = GOLD["lung60_efron"]
    time, event, X, _ = design("lung60_efron")
    perm = np.random.default_rng(3).permutation(len(time))
    res = firth_cox_arrays(np.asarray(time)[perm], np.asarray(event, dtype=bool)[perm], X[perm],
                           ties="efron", columns=g["columns"])
    check_against_golden(res, g)


def test_narrower_level_gives_narrower_interval():
    r95 = fit_case("nosep_breslow")
    r80 = fit_case("nosep_breslow", conf_level=0.80)
    assert np.all(r80.summary["lower"] > r95.summary["lower"])
    assert np.all(r80.summary["upper"] < r95.summary["upper"])
    est = fit_case("nosep_breslow", profile=False)
    np.testing.assert_allclose(est.coef, r95.coef, rtol=1e-12)
    assert est.summary["p"].isna().all()


def test_array_input_errors():
    t, e, X, _ = design("nosep_breslow")
    with pytest.raises(ValueError, match="same number of rows"):
        firth_cox_arrays(t[:-1], e, X)
    with pytest.raises(ValueError, match="0/1"):
        firth_cox_arrays(t, np.asarray(e) * 2, X)
    with pytest.raises(ValueError, match="at least one event"):
        firth_cox_arrays(t, np.zeros(len(t)), X)
    with pytest.raises(ValueError, match="singular"):
        firth_cox_arrays(t, e, np.column_stack([X, X[:, 0]]))
    with pytest.raises(ValueError, match="conf_level"):
        firth_cox_arrays(t, e, X, conf_level=95)
    with pytest.raises(ValueError, match="ties"):
        firth_cox_arrays(t, e, X, ties="exact")


# ---------------------------------------------------------------- DataFrame entry point
def _contract_model_matrix(data, covariates, reference=None):
    """Test double for oncoseries.stats.design.model_matrix (built on another branch), used only
    when that module is absent: R treatment contrasts, sorted levels, na.omit over covariates."""
    reference = reference or {}
    keep = data[list(covariates)].notna().all(axis=1).to_numpy()
    d = data.loc[keep]
    cols, names, terms, levels = [], [], {}, {}
    for c in covariates:
        start = len(names)
        s = d[c]
        if s.dtype == object or s.dtype == bool or isinstance(s.dtype, pd.CategoricalDtype):
            lv = sorted(s.astype(str).unique())
            ref = str(reference.get(c, lv[0]))
            lv = [ref] + [x for x in lv if x != ref]
            levels[c] = lv
            for x in lv[1:]:
                cols.append((s.astype(str) == x).to_numpy(float))
                names.append(f"{c}{x}")
        else:
            cols.append(s.to_numpy(float))
            names.append(c)
        terms[c] = list(range(start, len(names)))
    return types.SimpleNamespace(X=np.column_stack(cols), columns=names, terms=terms, row_mask=keep,
                                 dropped_index=list(data.index[~keep]), levels=levels)


@pytest.fixture
def with_design(monkeypatch):
    try:
        importlib.import_module("oncoseries.stats.design")
    except ImportError:
        mod = types.ModuleType("oncoseries.stats.design")
        mod.model_matrix = _contract_model_matrix
        monkeypatch.setitem(sys.modules, "oncoseries.stats.design", mod)


def test_dataframe_categorical_and_missing_rows(with_design):
    g = GOLD["separation_breslow"]
    d = SEP.assign(group=np.where(SEP.g == 1, "high", "low"))
    extra = pd.DataFrame({"time": [np.nan, 3.0], "status": [1, 1], "group": ["high", None], "x": [0.1, 0.2]})
    d = pd.concat([d, extra], ignore_index=True)  # both extra rows must be dropped (na.omit)
    res = firth_cox(d, "time", "status", ["group", "x"], reference={"group": "low"})
    assert list(res.summary.index) == ["grouphigh", "x"]
    assert res.n == len(SEP)
    g = dict(g, columns=["grouphigh", "x"])
    check_against_golden(res, g)
    assert res.separation == ["grouphigh"]


def test_dataframe_strata_efron_and_bool_event(with_design):
    d = _lung60().assign(dead=lambda x: x.status == 2)
    res = firth_cox(d, "time", "dead", ["age", "ph.ecog"], strata="sex")
    check_against_golden(res, GOLD["lung60_strata_breslow"])
    res = firth_cox(d, "time", "dead", ["age", "sex", "ph.ecog"], ties="efron")
    check_against_golden(res, GOLD["lung60_efron"])


def test_dataframe_errors(with_design):
    d = _lung60()
    with pytest.raises(TypeError, match="DataFrame"):
        firth_cox(d.to_numpy(), "time", "status", ["age"])
    with pytest.raises(ValueError, match="'nope' not found"):
        firth_cox(d, "time", "status", ["nope"])
    with pytest.raises(ValueError, match="'status' must be 0/1"):
        firth_cox(d, "time", "status", ["age"])  # lung codes status 1/2
    with pytest.raises(ValueError, match="'time' must hold non-negative"):
        firth_cox(d.assign(time=-d.time, dead=1), "time", "dead", ["age"])


def test_lr_test_is_penalised_lr_of_all_zero():
    res = fit_case("lung60_breslow")
    assert res.lr_test.statistic == pytest.approx(2 * (res.loglik[1] - res.loglik[0]), rel=1e-12)
    assert res.lr_test.p_value == pytest.approx(stats.chi2.sf(res.lr_test.statistic, 3), rel=1e-12)


@pytest.mark.parametrize("ties", ["breslow", "efron"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_modified_score_is_gradient_of_penalised_loglik(ties, seed):
    """U*(b) = U(b) + 0.5 tr(I^-1 dI/db) equals the numerical gradient of pl on tied, stratified data."""
    from oncoseries.stats._risksets import RiskSets
    from oncoseries.stats.firth import _Penalised

    rng = np.random.default_rng(seed)
    n = 80
    X = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n), rng.normal(2, 3, n)])
    time = rng.integers(1, 12, n).astype(float)  # heavy ties
    event = rng.random(n) < 0.7
    strata = rng.integers(0, 2, n)
    pen = _Penalised(RiskSets(time, event, strata, ties), X)
    b = rng.normal(scale=0.3, size=3)
    _, ustar, _ = pen.full(b)
    num = np.empty(3)
    for j in range(3):
        h = 1e-4
        e = np.zeros(3)
        e[j] = h
        d1 = (pen(b + e) - pen(b - e)) / (2 * h)
        d2 = (pen(b + e / 2) - pen(b - e / 2)) / h
        num[j] = (4 * d2 - d1) / 3
    np.testing.assert_allclose(ustar, num, rtol=1e-7, atol=1e-8)
