"""What a journal's Cox table needs beyond each fit (study.yaml ``regression:``; docs/statistics-cox.md):

- **Screening**: with ``screen: all``, every Table 1 variable gets a univariable model beside the planned
  ones (the multivariable model keeps the planned covariates).
- **Global (type III) P** of each term: the likelihood-ratio test of the model against the same model
  without that term, on the same patients (R ``drop1(fit, test = "Chisq")``); for a multi-level factor
  it is the one P of the variable.
- **Scaled HRs**: ``per: {age: 10}`` gives the HR per 10 units (HR^10, CI limits^10, as R ``coxph`` on
  ``age / 10``); ``per: {x: iqr}`` per interquartile range of the model's patients (R ``quantile``, type 7).
- **Events per variable** (Peduzzi et al., J Clin Epidemiol 1996): events / model coefficients; below
  ``min_events_per_variable`` (default 10) the model is flagged as possibly overfitted.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..stats._dist import chi2_sf
from ..stats.cox import cox
from .survival import EVENT, TIME


def univariable_covariates(planned: list[str], table1_vars: list[str], screen: str) -> list[str]:
    """The planned covariates, then (``screen: all``) every other Table 1 variable."""
    if screen != "all":
        return list(planned)
    return list(planned) + [c for c in table1_vars if c not in planned]


def type3(df: pd.DataFrame, covariates: list[str], full=None) -> list[dict]:
    """Likelihood-ratio test of each term (R ``drop1(fit, test = "Chisq")``) on the full model's patients;
    ``full``: the model's fit on ``df`` when already made (then only the reduced models are fitted: none
    for a univariable model)."""
    # only the model's columns: the refits drop rows of a narrow frame, not of the wide analysis frame
    df = df[[c for c in dict.fromkeys([TIME, EVENT, *covariates]) if c in df.columns]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = cox(df, TIME, EVENT, covariates) if full is None else full
        kept = df.drop(index=full.dropped_index) if full.n_dropped else df
        out = []
        for term, cols in full.terms.items():
            others = [c for c in covariates if c != term]
            ll0 = cox(kept, TIME, EVENT, others).loglik[1] if others else full.loglik[0]
            stat = max(2.0 * (full.loglik[1] - ll0), 0.0)
            df_t = len(cols)
            out.append({"term": term, "df": df_t, "statistic": float(stat), "p": float(chi2_sf(stat, df_t)),
                        "method": "likelihood-ratio test, term dropped (type III)"})
    return out


def _unit_word(unit: str | None, amount: float) -> str:
    """'years' for 10, 'year' for 1; 'units' when no unit is known."""
    if not unit:
        return "unit" if amount == 1 else "units"
    if amount == 1 and unit.endswith("s") and len(unit) > 2:
        return unit[:-1]
    return unit


def _amount_text(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def scale_terms(model: dict, df: pd.DataFrame, per: dict, units: dict[str, str]) -> None:
    """Add ``per`` (the HR per the chosen amount) to numeric terms named in study.yaml ``regression.per``,
    and ``unit_text`` ("per 1 year") to every numeric term."""
    used = None      # the model's patients, found only when an IQR needs them (no copy of the wide frame)
    for term in model["terms"]:
        if term.get("level") is not None or term["reference"] is not None:
            continue
        name = term["term"]
        term["unit_text"] = f"per 1 {_unit_word(units.get(name), 1)}"
        want = per.get(name)
        if want is None:
            continue
        if want == "iqr":
            if used is None:
                used = ~df["patient_id"].astype(str).isin(model["dropped_patients"]).to_numpy()
            x = df[name][used].dropna().astype(float).to_numpy()
            q1, q3 = np.quantile(x, [0.25, 0.75])
            amount = float(q3 - q1)
            text = f"per IQR ({amount:.3g} {_unit_word(units.get(name), amount)})"
        else:
            amount = float(want)
            text = f"per {_amount_text(amount)} {_unit_word(units.get(name), amount)}"
        if not amount > 0:
            term["per"] = {"amount": amount, "text": text, "iqr": want == "iqr",
                           "skipped": "the interquartile range is 0"}
            continue
        term["per"] = {"amount": amount, "iqr": want == "iqr", "text": text,
                       "hr": float(np.exp(term["coef"] * amount)),
                       "lower": float(term["lower"] ** amount), "upper": float(term["upper"] ** amount)}


def events_per_variable(model: dict, minimum: float) -> None:
    """``events_per_variable`` (events / coefficients) and ``epv_low`` (below ``minimum``)."""
    k = len(model.get("terms") or [])
    epv = model["events"] / k if k else None
    model["events_per_variable"] = epv
    model["epv_low"] = bool(epv is not None and epv < minimum)


def enrich(model: dict, df: pd.DataFrame, config, units: dict[str, str], fit=None) -> dict:
    """Type III P, scaled HRs and events per variable for one fitted model (in place; returned); ``fit``:
    its CoxResult (regression.fit_model_and_fit), reused by the type III test."""
    if model.get("skipped"):
        return model
    reg = config.regression
    events_per_variable(model, reg.min_events_per_variable)
    try:
        model["type3"] = type3(df, model["covariates"], fit)
    except (ValueError, np.linalg.LinAlgError) as exc:
        model["type3"] = None
        model.setdefault("messages", []).append(f"type III test not computed: {exc}")
    scale_terms(model, df, reg.per, units)
    return model


def regression_section(config, models: list[dict]) -> dict:
    """results.json ``regression``: the options used and the models below the events-per-variable limit."""
    reg = config.regression
    low = [{"endpoint": m["endpoint"], "model": m["model"], "covariates": m["covariates"],
            "events": m["events"], "coefficients": len(m["terms"]),
            "events_per_variable": m["events_per_variable"]}
           for m in models if not m.get("skipped") and m.get("epv_low")]
    return {"screen": reg.screen, "per": dict(reg.per), "min_events_per_variable": reg.min_events_per_variable,
            "epv_warnings": low}
