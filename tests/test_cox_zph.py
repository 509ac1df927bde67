"""cox_zph against R survival 3.5-3 cox.zph (goldens from tests/golden/cox_zph.R).

The coefficients come from R's coxph (stored in the golden JSON) and the design matrices are built
here with pandas, so these tests do not depend on oncoseries' own Cox fitter.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from oncoseries.stats.cox_zph import CoxZph, cox_zph, cox_zph_arrays, cox_zph_details, transform_time

HERE = Path(__file__).parent
GOLD = {c["name"]: c for c in json.loads((HERE / "golden" / "cox_zph.json").read_text())["cases"]}
RTOL = 1e-6
VET_LEVELS = ["squamous", "smallcell", "adeno", "large"]  # R's factor order for veteran$celltype


def _lung():
    return pd.read_csv(HERE / "data" / "r-survival" / "lung.csv").dropna(subset=["ph.ecog"])


def _veteran():
    return pd.read_csv(HERE / "data" / "r-survival" / "veteran.csv")


def _dummies(series, levels):
    return np.column_stack([(series == lv).to_numpy(float) for lv in levels[1:]])


def design(name):
    """(time, event, X, strata, terms, strata labels) for a golden case, built as R's model.matrix."""
    if name.startswith("lung_strata_ecog"):
        d = _lung()
        X = d[["age", "sex"]].to_numpy(float)
        codes = d["ph.ecog"].astype(int).to_numpy()
        return d.time, d.status == 2, X, codes, None, [f"ph.ecog={k}" for k in range(4)]
    if name.startswith("lung_strata"):
        d = _lung()
        X = d[["age", "ph.ecog"]].to_numpy(float)
        return d.time, d.status == 2, X, (d.sex - 1).to_numpy(), None, ["sex=1", "sex=2"]
    if name.startswith("lung"):
        d = _lung()
        return d.time, d.status == 2, d[["age", "sex", "ph.ecog"]].to_numpy(float), None, None, None
    if name.startswith("veteran_strata"):
        d = _veteran()
        codes = d.celltype.map({lv: i for i, lv in enumerate(VET_LEVELS)}).to_numpy()
        labels = VET_LEVELS
        return d.time, d.status, d[["karno", "age"]].to_numpy(float), codes, None, labels
    if name.startswith("veteran"):
        d = _veteran()
        X = np.column_stack([d.trt, _dummies(d.celltype, VET_LEVELS), d.karno]).astype(float)
        terms = None if name.endswith("noterms") else {"trt": [0], "celltype": [1, 2, 3], "karno": [4]}
        return d.time, d.status, X, None, terms, None
    if name.startswith("ties"):
        d = pd.read_csv(HERE / "data" / "zph" / "ties.csv")
        X = np.column_stack([d.x1, d.x2, _dummies(d.grp, ["a", "b", "c"])]).astype(float)
        terms = {"x1": [0], "x2": [1], "grp": [2, 3]}
        if name.startswith("ties_efron"):
            return d.time, d.status, X, (d.s == "s2").to_numpy(int), terms, ["s1", "s2"]
        return d.time, d.status, X, None, terms, None
    raise KeyError(name)


def run_case(name, transform=None):
    g = GOLD[name]
    time, event, X, strata, terms, _ = design(name)
    if transform is None:
        transform = {"sqrt": np.sqrt}.get(g["transform"], g["transform"])
    return cox_zph_arrays(time, event, X, np.array(g["coef"]), strata=strata, ties=g["ties"], terms=terms,
                          columns=g["columns"], transform=transform, global_test="GLOBAL" in g["terms"],
                          var=np.array(g["var"]))


@pytest.mark.parametrize("name", sorted(GOLD))
def test_table_matches_r(name):
    g = GOLD[name]
    res = run_case(name)
    assert list(res.table.index) == g["terms"]
    np.testing.assert_allclose(res.table["chisq"], g["chisq"], rtol=RTOL)
    np.testing.assert_array_equal(res.table["df"], g["df"])
    np.testing.assert_allclose(res.table["p"], g["p"], rtol=RTOL)


@pytest.mark.parametrize("name", sorted(GOLD))
def test_residuals_match_r(name):
    g = GOLD[name]
    res = run_case(name)
    np.testing.assert_allclose(res.x, g["x"], rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(res.time, g["time"], rtol=RTOL)
    assert list(res.y.columns) == g["y_columns"]
    y_r = np.array(g["y"], dtype=float)
    if name == "lung_strata_ecog_km":
        # stratum ph.ecog=3 (one row, last in order): R leaves the residual unscaled (= coef); we give NaN
        np.testing.assert_allclose(y_r[-1], g["coef"], rtol=1e-12)
        assert np.isnan(res.y.to_numpy()[-1]).all()
        y_r = y_r[:-1]
    np.testing.assert_allclose(res.y.to_numpy()[: len(y_r)], y_r, rtol=RTOL, atol=1e-10)
    np.testing.assert_allclose(res.var, np.array(g["zph_var"]), rtol=RTOL, atol=1e-12)
    labels = design(name)[5]
    if "strata" in g:
        assert [labels[k] for k in res.strata] == g["strata"]
    else:
        assert res.strata is None


def test_survival_peers_item4_r_not_lifelines():
    """survival-peers §2 item 4: lung age+sex+ph.ecog, km: R's exact test (0.1880), not lifelines' 0.0287."""
    res = run_case("lung_km")
    tbl = res.table
    assert tbl.loc["age", "chisq"] == pytest.approx(0.18798767, rel=1e-7)
    assert tbl.loc["age", "chisq"] != pytest.approx(0.0287, abs=1e-3)  # lifelines' old approximation
    assert tbl.loc["sex", "chisq"] == pytest.approx(2.3054372, rel=1e-7)
    assert tbl.loc["ph.ecog", "chisq"] == pytest.approx(2.0542488, rel=1e-7)
    assert "GLOBAL" in tbl.index and tbl.loc["GLOBAL", "df"] == 3
    assert tbl.loc["GLOBAL", "chisq"] == pytest.approx(GOLD["lung_km"]["chisq"][3], rel=RTOL)


def test_categorical_term_is_one_row_with_df_levels_minus_one():
    tbl = run_case("veteran_km").table
    assert tbl.loc["celltype", "df"] == 3 and tbl.loc["GLOBAL", "df"] == 5


def test_cox_zph_from_fit_object():
    """cox_zph(fit) uses the fit contract (coef, var, X, time, event, strata, ties, columns, terms)."""
    g = GOLD["veteran_km"]
    time, event, X, strata, terms, _ = design("veteran_km")
    fit = SimpleNamespace(coef=np.array(g["coef"]), var=np.array(g["var"]), X=X, time=time.to_numpy(float),
                          event=event.to_numpy(float), strata=strata, ties="efron", columns=pd.Index(g["columns"]),
                          terms=terms)
    tbl = cox_zph(fit)
    assert isinstance(tbl, pd.DataFrame) and list(tbl.columns) == ["chisq", "df", "p"]
    np.testing.assert_allclose(tbl["chisq"], g["chisq"], rtol=RTOL)
    det = cox_zph_details(fit, transform="identity")
    assert isinstance(det, CoxZph)
    np.testing.assert_allclose(det.table["chisq"], GOLD["veteran_identity"]["chisq"], rtol=RTOL)
    per_coef = cox_zph(fit, terms=False)
    np.testing.assert_allclose(per_coef["chisq"], GOLD["veteran_km_noterms"]["chisq"], rtol=RTOL)
    assert list(per_coef.index) == GOLD["veteran_km_noterms"]["terms"]
    no_global = cox_zph(fit, global_test=False)
    assert "GLOBAL" not in no_global.index


def test_row_order_does_not_matter():
    g = GOLD["ties_efron_km"]
    time, event, X, strata, terms, _ = design("ties_efron_km")
    perm = np.random.default_rng(1).permutation(len(time))
    res = cox_zph_arrays(np.asarray(time)[perm], np.asarray(event)[perm], X[perm], np.array(g["coef"]),
                         strata=strata[perm], ties="efron", terms=terms, columns=g["columns"])
    np.testing.assert_allclose(res.table["chisq"], g["chisq"], rtol=RTOL)


def test_aliased_coefficient_is_dropped():
    g = GOLD["lung_km"]
    time, event, X, *_ = design("lung_km")
    X2 = np.column_stack([X, X[:, 1]])  # a copy of sex: R gives it an NA coefficient
    res = cox_zph_arrays(time, event, X2, np.append(g["coef"], np.nan), columns=g["columns"] + ["sex2"])
    np.testing.assert_allclose(res.table["chisq"], g["chisq"], rtol=RTOL)


def test_km_transform_is_one_minus_km_before_t():
    t = np.array([1.0, 2, 2, 3, 4])
    e = np.array([1, 1, 0, 1, 0])
    g, name = transform_time(t, e, "km")
    assert name == "km"
    # S(1-) = 1, S(2-) = 4/5, S(3-) = 4/5 * 3/4, S(4-) = 0.6 * 1/2
    np.testing.assert_allclose(g, [0.0, 0.2, 0.2, 0.4, 0.7])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(transform="bogus"), "transform must be"),
        (dict(ties="exact"), "ties must be"),
    ],
)
def test_bad_options_raise(kwargs, match):
    time, event, X, *_ = design("lung_km")
    with pytest.raises(ValueError, match=match):
        cox_zph_arrays(time, event, X, np.array(GOLD["lung_km"]["coef"]), **kwargs)


def test_bad_inputs_raise():
    time, event, X, *_ = design("lung_km")
    coef = np.array(GOLD["lung_km"]["coef"])
    with pytest.raises(ValueError, match="coef has 2"):
        cox_zph_arrays(time, event, X, coef[:2])
    with pytest.raises(ValueError, match="0/1"):
        cox_zph_arrays(time, np.asarray(event, float) * 2, X, coef)
    with pytest.raises(ValueError, match="at least one event"):
        cox_zph_arrays(time, np.zeros(len(time)), X, coef)
    with pytest.raises(ValueError, match="log"):
        cox_zph_arrays(np.asarray(time) - 10, event, X, coef, transform="log")
    with pytest.raises(TypeError, match="Cox fit"):
        cox_zph(object())


def test_public_exports():
    import oncoseries as osr

    assert osr.cox_zph is cox_zph
    from oncoseries.stats.firth import firth_cox

    assert osr.firth_cox is firth_cox
