"""Cox models per endpoint: univariable for each covariate, multivariable as planned; each with the
PH test (cox.zph, km transform, as R), and the separation check with a Firth fit when a coefficient
diverges (Heinze & Schemper 2001). All fits are R coxph's defaults (Efron ties, Wald CIs)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..stats.cox import cox
from ..stats.cox_zph import cox_zph
from ..stats.firth import firth_cox
from .survival import EVENT, TIME

PH_ALPHA = 0.05


def _terms(fit, endpoint: str, model: str, covariates: list[str]) -> list[dict]:
    s = fit.summary
    at = {name: i for i, name in enumerate(s.index)}    # = s.loc[name], from the columns as lists
    keys = ("coef", "se", "hr", "lower", "upper", "z", "p")
    values = {k: s[k].tolist() for k in keys}
    rows = []
    levels = getattr(fit.design, "levels", {}) or {}
    for term, cols in fit.terms.items():
        for j in cols:
            name = fit.columns[j]
            i = at[name]
            level = name[len(term):] if term in levels and name.startswith(term) else None
            rows.append({"endpoint": endpoint, "model": model, "covariates": covariates, "term": term,
                         "coefficient": name, "level": level,
                         "reference": str(levels[term][0]) if term in levels else None,
                         **{k: float(values[k][i]) for k in keys}})
    return rows


def fit_model(df: pd.DataFrame, endpoint: str, covariates: list[str], model: str, extras: bool = True) -> dict:
    """One Cox model with everything the report shows about it (``extras=False``: without the
    concordance and the PH test, for callers that only read the terms, tests and Firth fit)."""
    return fit_model_and_fit(df, endpoint, covariates, model, extras)[0]


def fit_model_and_fit(df: pd.DataFrame, endpoint: str, covariates: list[str], model: str,
                      extras: bool = True) -> tuple:
    """fit_model's dict and the CoxResult behind it (the type III test reuses it: cox_extras.type3)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = cox(df, TIME, EVENT, covariates)
    dropped = df.loc[fit.dropped_index, "patient_id"].astype(str).tolist() if fit.n_dropped else []
    out = {"endpoint": endpoint, "model": model, "covariates": covariates, "n": int(fit.n),
           "events": int(fit.n_events), "n_dropped": int(fit.n_dropped), "dropped_patients": dropped,
           "lr_test": _test(fit.lr_test), "wald_test": _test(fit.wald_test), "score_test": _test(fit.score_test),
           "concordance": float(fit.concordance) if extras else None,
           "concordance_se": float(fit.concordance_se) if extras else None,
           "terms": _terms(fit, endpoint, model, covariates), "separation": list(fit.separation or []),
           "messages": sorted({str(w.message) for w in caught}), "ph_test": None, "firth": None}
    if extras and fit.n_events >= 2 and not out["separation"]:
        try:
            zph = cox_zph(fit)
            out["ph_test"] = {"terms": {str(k): {"chisq": float(c), "df": int(d), "p": float(p)}
                                        for k, c, d, p in zip(zph.index, zph["chisq"].tolist(),
                                                              zph["df"].tolist(), zph["p"].tolist())},
                              "transform": "km", "flag": bool((zph["p"] < PH_ALPHA).any())}
        except (ValueError, np.linalg.LinAlgError) as exc:
            out["messages"].append(f"PH test not computed: {exc}")
    if out["separation"]:
        try:
            fr = firth_cox(df, TIME, EVENT, covariates)
            out["firth"] = {"method": "Firth penalised likelihood, profile-likelihood CIs (Breslow ties)",
                            "terms": [{"coefficient": str(k), "coef": float(r["coef"]), "hr": float(r["hr"]),
                                       "lower": float(r["lower"]), "upper": float(r["upper"]),
                                       "p": float(r["p"])} for k, r in fr.summary.iterrows()]}
        except (ValueError, np.linalg.LinAlgError) as exc:
            out["messages"].append(f"Firth fit not computed: {exc}")
    return out, fit


def _test(t) -> dict:
    return {"statistic": float(t.statistic), "df": int(t.df), "p": float(t.p_value)}


def univariable_p(model: dict) -> float:
    """The term's overall p (likelihood-ratio test: one test for a multi-level factor)."""
    return model["lr_test"]["p"]
