"""Baseline hazard and predicted survival of a Cox fit against R survival 3.5-3 basehaz/survfit.coxph
(goldens from tests/golden/cox_baseline.R, 1e-6 relative); survival-peers.md section 2 items 8 and 9."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncoseries.stats.concordance import concordance
from oncoseries.stats.cox import cox
from oncoseries.stats.cox_baseline import baseline_hazard, predict_survival

ROOT = Path(__file__).resolve().parents[1]
GOLD = json.loads((ROOT / "golden" / "cox_baseline.json").read_text())
GC = GOLD["cases"]
RTOL = 1e-6


def _read(sub, name):
    return pd.read_csv(ROOT / "data" / sub / f"{name}.csv")


def _lung():
    d = _read("r-survival", "lung")
    d["dead"] = (d["status"] == 2).astype(int)
    d["sexf"] = np.where(d["sex"] == 1, "male", "female")
    return d


L3 = ["age", "sex", "ph.ecog"]
VET = dict(time="time", event="status", covariates=["karno", "trt", "prior"], strata="celltype")
OV = dict(time="futime", event="fustat", covariates=["rx", "age"])
ENT = dict(time="time", event="status", covariates=["x", "g"], entry="entry")
# golden name -> (data loader, oncoseries.cox keyword arguments mirroring the R call)
CASES = {
    "lung_efron": (_lung, dict(time="time", event="dead", covariates=L3)),
    "lung_breslow": (_lung, dict(time="time", event="dead", covariates=L3, ties="breslow")),
    "lung_robust": (_lung, dict(time="time", event="dead", covariates=L3, robust=True)),
    "lung_sexf": (_lung, dict(time="time", event="dead", covariates=["age", "sexf"])),
    "lung_strata2": (_lung, dict(time="time", event="dead", covariates=["age"], strata=["sex", "ph.ecog"])),
    "veteran_strata_efron": (lambda: _read("r-survival", "veteran"), VET),
    "veteran_strata_breslow": (lambda: _read("r-survival", "veteran"), dict(VET, ties="breslow")),
    "ovarian_efron": (lambda: _read("r-survival", "ovarian"), OV),
    "ovarian_breslow": (lambda: _read("r-survival", "ovarian"), dict(OV, ties="breslow")),
    "entry_efron": (lambda: _read("cox", "entry"), ENT),
    "entry_breslow": (lambda: _read("cox", "entry"), dict(ENT, ties="breslow")),
}
_FITS: dict = {}


def fit(name):
    if name not in _FITS:
        loader, kw = CASES[name]
        _FITS[name] = cox(loader(), **kw)
    return _FITS[name]


def close(a, b, rtol=RTOL):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=0)


def test_every_golden_has_a_case():
    assert set(CASES) == set(GC)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fit_is_r_fit(name):
    """The fits behind the curves are R's (coefficients and the means R centres at)."""
    g, res = GC[name], fit(name)
    assert res.ties == g["ties"]
    close(res.coef, g["coef"])
    np.testing.assert_allclose(res.means, g["means"], rtol=1e-12, atol=0)


@pytest.mark.parametrize("centered", [True, False])
@pytest.mark.parametrize("name", sorted(CASES))
def test_basehaz_matches_r(name, centered):
    g = GC[name]["centered" if centered else "uncentered"]
    out = baseline_hazard(fit(name), centered=centered)
    close(out["time"], g["time"], rtol=0)
    close(out["hazard"], g["hazard"])
    if g["strata"] is None:
        assert list(out.columns) == ["time", "hazard"]
    else:
        assert list(out.columns) == ["strata", "time", "hazard"]
        assert list(out["strata"].astype(str)) == g["strata"]
        assert list(out["strata"].cat.categories) == list(dict.fromkeys(g["strata"]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_breslow_form_increments_match_r_ctype1(name):
    """ties='breslow' on any fit = R survfit(fit, ctype = 1) (the hazard lifelines reports)."""
    g = GC[name]["breslow_form_uncentered"]
    out = baseline_hazard(fit(name), centered=False, ties="breslow")
    close(out["time"], g["time"], rtol=0)
    close(out["hazard"], g["hazard"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_predicted_curves_match_r(name):
    """survfit(fit, newdata = row, censor = FALSE): time, surv, cumhaz, std.err, log CI."""
    g = GC[name]
    nd = pd.DataFrame(g["newdata"])
    out = predict_survival(fit(name), nd)
    assert list(out["row"].unique()) == list(nd.index)
    for i, r in enumerate(g["predict"]):
        o = out[out["row"] == i]
        close(o["time"], r["time"], rtol=0)
        close(o["survival"], r["surv"])
        close(o["cumhaz"], r["cumhaz"])
        close(o["std_err_cumhaz"], r["std_err"])
        close(o["lower"], r["lower"])
        close(o["upper"], r["upper"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_predicted_at_times_match_r_summary(name):
    """summary(survfit(fit, newdata = row), times = ...): R drops times after the last follow-up of the
    stratum (extend = FALSE); we return NaN there."""
    g = GC[name]
    nd = pd.DataFrame(g["newdata"])
    out = predict_survival(fit(name), nd, times=g["times"])
    assert len(out) == len(nd) * len(g["times"])
    for i, r in enumerate(g["predict"]):
        o = out[out["row"] == i]
        at = r["at"]
        inside = np.isin(o["time"], at["times"])
        close(o["time"][inside], at["times"], rtol=0)
        close(o["survival"][inside], at["surv"])
        close(o["cumhaz"][inside], at["cumhaz"])
        close(o["std_err"][inside], at["std_err"])
        close(o["lower"][inside], at["lower"])
        close(o["upper"][inside], at["upper"])
        assert o.loc[~inside, ["survival", "cumhaz", "std_err", "lower", "upper"]].isna().all().all()
        assert (o["time"][~inside] > max(r["time"])).all()


def test_strata_of_newdata_rows():
    """Each newdata row gets its own stratum's curve; labels are R's stratum names."""
    g = GC["veteran_strata_efron"]
    out = predict_survival(fit("veteran_strata_efron"), pd.DataFrame(g["newdata"]))
    assert list(out.groupby("row")["strata"].first().astype(str)) == ["adeno", "squamous"]
    # both the golden and we cut the adeno curve before t = 200 (its last follow-up is earlier)
    assert len(GC["veteran_strata_efron"]["predict"][0]["at"]["times"]) == 3


def test_before_first_event_and_unsorted_times():
    res = fit("lung_efron")
    nd = pd.DataFrame({"age": [60.0], "sex": [1], "ph.ecog": [1]})
    out = predict_survival(res, nd, times=[365, 0, 4.9, 5])
    assert list(out["time"]) == [365, 0, 4.9, 5]
    assert (out["survival"].iloc[1:3] == 1).all() and (out["std_err"].iloc[1:3] == 0).all()
    assert (out["lower"].iloc[1:3] == 1).all() and (out["cumhaz"].iloc[1:3] == 0).all()
    full = predict_survival(res, nd)
    assert out["survival"].iloc[3] == full["survival"].iloc[0]
    s365 = full["survival"][full["time"] <= 365].iloc[-1]
    assert out["survival"].iloc[0] == s365


def test_centred_equals_uncentred_times_exp_offset():
    res = fit("lung_efron")
    c, u = baseline_hazard(res), baseline_hazard(res, centered=False)
    close(u["hazard"], c["hazard"] * np.exp(-np.sum(res.means * res.coef)), rtol=1e-12)
    # R's means are 0 for 0/1 dummies (sexfmale): the "centred" curve is at age = mean, sexf = female
    r = fit("lung_sexf")
    assert r.means[1] == 0.0


def test_newdata_factor_levels_and_reference():
    """Newdata factor values are coded with the fit's dummies; the reference level gives 0."""
    res = fit("lung_sexf")
    a = predict_survival(res, pd.DataFrame({"age": [60.0, 60.0], "sexf": ["female", "male"]}), times=[200])
    hr = a["cumhaz"].iloc[1] / a["cumhaz"].iloc[0]
    close(hr, np.exp(res.coef[1]), rtol=1e-12)


def test_errors():
    res = fit("lung_efron")
    with pytest.raises(ValueError, match="ph.ecog"):
        predict_survival(res, pd.DataFrame({"age": [60.0], "sex": [1]}))
    with pytest.raises(ValueError, match="missing"):
        predict_survival(res, pd.DataFrame({"age": [60.0], "sex": [1], "ph.ecog": [np.nan]}))
    with pytest.raises(ValueError, match="must be numeric"):
        predict_survival(res, pd.DataFrame({"age": ["old"], "sex": [1], "ph.ecog": [1]}))
    with pytest.raises(ValueError, match="times"):
        predict_survival(res, pd.DataFrame({"age": [60.0], "sex": [1], "ph.ecog": [1]}), times=[np.nan])
    with pytest.raises(TypeError, match="newdata"):
        predict_survival(res, {"age": 60})
    with pytest.raises(TypeError, match="CoxResult"):
        baseline_hazard("fit")
    with pytest.raises(ValueError, match="ties"):
        baseline_hazard(res, ties="exact")
    with pytest.raises(ValueError, match="not seen in the fit"):
        predict_survival(fit("lung_sexf"), pd.DataFrame({"age": [60.0], "sexf": ["other"]}))
    vet = fit("veteran_strata_efron")
    with pytest.raises(ValueError, match="celltype"):
        predict_survival(vet, pd.DataFrame({"karno": [60], "trt": [1], "prior": [0]}))
    with pytest.raises(ValueError, match="does not occur in the fit"):
        predict_survival(vet, pd.DataFrame({"karno": [60], "trt": [1], "prior": [0], "celltype": ["x"]}))


def test_strata_levels_exposed_by_cox():
    vet = fit("veteran_strata_efron")
    assert vet.strata_columns == ["celltype"]
    assert vet.strata_levels == [("adeno",), ("large",), ("smallcell",), ("squamous",)]
    data = _read("r-survival", "veteran")
    assert [vet.strata_levels[k][0] for k in vet.strata] == list(data["celltype"])
    two = fit("lung_strata2")
    assert two.strata_columns == ["sex", "ph.ecog"] and len(two.strata_levels) == 7
    assert fit("lung_efron").strata_levels == []


# ---------------------------------------------------------------- survival-peers.md section 2


def test_peer_discrepancy_8_baseline_hazard_efron_increments():
    """survival-peers §2 item 8: at t = 11 on lung (3 tied deaths) R's basehaz(centered = FALSE) after
    the Efron fit of age + sex + ph.ecog is 0.011118183 (Efron increments); lifelines' un-centred
    value is the Breslow-increment value (checked live in the next test) (R survfit(fit, ctype = 1))."""
    g = GOLD["item8"]["age_sex_ph.ecog"]
    assert g["deaths_t11"] == 3
    assert round(g["efron_uncentered_t11"], 9) == 0.011118183  # the model is age + sex + ph.ecog
    assert round(GOLD["item8"]["sex"]["efron_uncentered_t11"], 9) != 0.011118183
    res = fit("lung_efron")
    b = baseline_hazard(res, centered=False)
    ours = float(b.loc[b["time"] == 11, "hazard"].iloc[0])
    close(ours, g["efron_uncentered_t11"])
    assert abs(ours / g["breslow_form_uncentered_t11"][0] - 1) > 1e-3  # Efron and Breslow forms differ
    bres = baseline_hazard(res, centered=False, ties="breslow")
    ours_b = float(bres.loc[bres["time"] == 11, "hazard"].iloc[0])
    close(ours_b, g["breslow_form_uncentered_t11"][0])
    # the sex-only model also differs between the two forms
    sx = cox(_lung(), "time", "dead", ["sex"])
    bs = baseline_hazard(sx, centered=False)
    close(bs.loc[bs["time"] == 11, "hazard"], [GOLD["item8"]["sex"]["efron_uncentered_t11"]])


def test_peer_discrepancy_8_lifelines_uses_breslow_increments():
    """The same, run live: lifelines' cumulative hazard at covariates 0 equals our Breslow form (to its
    convergence precision), not our (R's) Efron default."""
    from lifelines import CoxPHFitter

    d = _lung()[["time", "dead", "age", "sex", "ph.ecog"]].dropna()
    ll = CoxPHFitter().fit(d, "time", "dead")
    zero = pd.DataFrame({"age": [0.0], "sex": [0.0], "ph.ecog": [0.0]})
    lv = float(ll.predict_cumulative_hazard(zero, times=[11.0]).to_numpy()[0, 0])
    res = fit("lung_efron")
    e = baseline_hazard(res, centered=False)
    b = baseline_hazard(res, centered=False, ties="breslow")
    at = e["time"] == 11
    assert abs(lv / float(b.loc[at, "hazard"].iloc[0]) - 1) < 1e-5
    assert abs(lv / float(e.loc[at, "hazard"].iloc[0]) - 1) > 1e-3


def test_peer_discrepancy_9_concordance_direction():
    """survival-peers §2 item 9: cox().concordance is R's C of the fitted risk score (a higher linear
    predictor predicts a shorter survival); > 0.5 for the protective-sex model on lung; concordance()
    with the linear predictor negated (read as a predicted survival time) gives 1 - C, as R's
    concordance(Surv ~ lp) without reverse."""
    g = GOLD["item9"]
    res = cox(_lung(), "time", "dead", ["sex"])
    close(res.coef[0], g["coef_sex"])
    assert res.coef[0] < 0  # women (sex = 2) live longer
    close(res.concordance, g["fit_concordance"])
    close(res.concordance, g["lp_reverse"])
    assert res.concordance > 0.5
    lp = res.linear_predictors
    c, _ = concordance(res.time, res.event, lp)
    close(c, g["fit_concordance"], rtol=1e-12)
    c_neg, _ = concordance(res.time, res.event, -lp)
    close(c_neg, 1 - c, rtol=1e-12)
    close(c_neg, g["lp_forward"])
    assert c_neg < 0.5
