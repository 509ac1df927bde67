"""Effect sizes, cut-points and multiplicity for the ``biomarkers`` section (issue 14; docs/biomarkers-exposure-
toxicity.md).

- Odds ratio of response (CR/PR) per marker: logistic regression (R glm); categorical markers per level
  against the first level in sorted order, numeric markers per unit and per IQR (R quantile type 7, in the
  model's patients). Firth's penalised logistic regression with profile-likelihood CIs (Heinze & Schemper
  2002; R logistf) replaces it when there is separation or a level has fewer than MIN_RESPONDERS responders
  (numeric markers: fewer than MIN_RESPONDERS responders in all).
- Hazard ratios (REMARK, McShane et al. 2005, item 15): every marker x endpoint gets a univariable Cox HR
  with its CI and P (categorical markers per level; Firth Cox under separation), in ``remark``.
- Cut-points of numeric markers: given in study.yaml (``biomarkers.cutpoints``: high = value >= cut), else
  chosen per endpoint by maximally selected log-rank statistics with Lausen & Schumacher's corrected P
  (R maxstat, ``Lau92``), labelled data-driven.
- Multiplicity: every marker test P (response, PFS, OS: the tests of the main table) gets a
  Benjamini-Hochberg (default) or Holm adjusted P (R p.adjust) across all of them; the number of tests and
  those below alpha after adjustment are stored.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..stats.association import fisher_exact
from ..stats.kaplan_meier import kaplan_meier
from ..stats.logistic import logistic_firth, logistic_ml, separated
from ..stats.logrank import logrank
from ..stats.maxstat import maxstat_logrank
from ..stats.multiplicity import p_adjust
from .biomarkers import narrow
from .regression import fit_model
from .survival import EVENT, TIME

MIN_RESPONDERS = 5
ANALYSES = ("response", "PFS", "OS")


def _fit(X: np.ndarray, y: np.ndarray, names: list[str], firth_why: str | None):
    if firth_why:
        return logistic_firth(X, y, names), "firth", firth_why
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return logistic_ml(X, y, names), "ml", None


def odds_ratios(sub: pd.DataFrame, col: str, numeric: bool) -> dict:
    """Odds ratio(s) of response for one marker; ``sub`` holds ``_resp`` (bool) and the marker (no missing)."""
    y = sub["_resp"].to_numpy(float)
    if y.sum() == 0 or y.sum() == y.size:
        return {"skipped": "no responders" if y.sum() == 0 else "no non-responders"}
    if numeric:
        x = sub[col].to_numpy(float)
        why = ("separation" if separated(x, y) else
               f"fewer than {MIN_RESPONDERS} responders" if y.sum() < MIN_RESPONDERS else None)
        fit, method, why = _fit(np.c_[np.ones_like(x), x], y, ["(Intercept)", col], why)
        r = fit.row(col)
        q1, q3 = np.quantile(x, [0.25, 0.75])
        iqr = float(q3 - q1)
        return {"method": method, "firth_reason": why, "n": int(y.size), "responders": int(y.sum()),
                "terms": [{"term": "per unit", **r},
                          {"term": "per IQR", "iqr": iqr, "coef": r["coef"] * iqr,
                           "odds_ratio": float(np.exp(r["coef"] * iqr)), "lower": float(r["lower"] ** iqr),
                           "upper": float(r["upper"] ** iqr), "p": r["p"]}]}
    levels = sorted(sub[col].unique())
    ref, others = levels[0], levels[1:]
    X = np.c_[np.ones(len(sub)), np.column_stack([(sub[col] == lv).to_numpy(float) for lv in others])]
    codes = pd.factorize(sub[col])[0]                 # the levels' groups (as groupby(col)), no missing here
    count = np.bincount(codes)
    responders = np.bincount(codes[y == 1.0], minlength=count.size)
    sep = any(separated(X[:, j + 1], y) for j in range(len(others))) or \
        bool(((responders == 0) | (responders == count)).any())
    few = bool((responders < MIN_RESPONDERS).any())
    why = "separation" if sep else f"fewer than {MIN_RESPONDERS} responders in a level" if few else None
    fit, method, why = _fit(X, y, ["(Intercept)"] + [f"{col}{lv}" for lv in others], why)
    return {"method": method, "firth_reason": why, "n": int(y.size), "responders": int(y.sum()),
            "reference": str(ref),
            "terms": [{"term": str(lv), **fit.row(f"{col}{lv}")} for lv in others]}


def _remark_row(entry: dict, ep: str, df: pd.DataFrame, col: str, numeric: bool) -> dict:
    a = entry.get(ep) or {}
    row = {"endpoint": ep, "n": a.get("n"), "events": a.get("events"), "test": a.get("test"), "p": a.get("p"),
           "p_adjusted": a.get("p_adjusted"), "hr": []}
    if "skipped" in a:
        row["skipped"] = a["skipped"]
    if numeric:
        if "hr" in a:
            row["hr"] = [{"term": "per unit", "hr": a["hr"], "lower": a["lower"], "upper": a["upper"], "p": a["p"]},
                         {"term": "per IQR", "hr": a["hr_iqr"], "lower": a["lower_iqr"], "upper": a["upper_iqr"],
                          "p": a["p"]}]
        return row
    sub = df[["patient_id", TIME, EVENT, col]].dropna()
    if sub[col].nunique() < 2 or sub[EVENT].sum() < 2:
        return row
    m = fit_model(sub, ep, [col], "univariable", extras=False)   # terms, LR test, Firth: no C, no PH test
    firth = {t["coefficient"]: t for t in (m.get("firth") or {}).get("terms", [])}
    row["reference"] = m["terms"][0]["reference"] if m["terms"] else None
    for t in m["terms"]:
        f = firth.get(t["coefficient"])
        src = f if f else t
        row["hr"].append({"term": t["level"], "hr": src["hr"], "lower": src["lower"], "upper": src["upper"],
                          "p": src["p"], "method": "firth" if f else "cox"})
    row["lr_p"] = m["lr_test"]["p"] if not m["separation"] else None
    return row


def _km_groups(sub: pd.DataFrame, group: pd.Series, scale: float) -> list[dict]:
    km = kaplan_meier(sub.assign(_g=group.to_numpy()), TIME, EVENT, by="_g")

    def sc(v):
        return None if v is None or not np.isfinite(v) else float(v) / scale

    return [{"level": str(r.group), "n": int(r.n), "events": int(r.events), "median": sc(r.median),
             "lower": sc(r.lower), "upper": sc(r.upper)} for r in km.medians.itertuples()]


def cutpoint_analysis(entry: dict, col: str, resp: pd.DataFrame, ends: dict, cfg, scale: float) -> dict | None:
    """A numeric marker dichotomised at the study.yaml cut-point, else at the maxstat cut-point per endpoint."""
    given = cfg.cutpoints.get(entry["marker"], cfg.cutpoints.get(col))
    if given is None and not cfg.data_driven_cutpoints:
        return None
    out = {"source": "study.yaml" if given is not None else "data-driven (maximally selected log-rank)",
           "value": None if given is None else float(given),
           "rule": "high = value >= cut-point" if given is not None else "high = value > cut-point",
           "minprop": cfg.minprop}
    if given is not None:
        r = resp[resp[col].notna()]
        high = r[col].astype(float) >= given
        tab = pd.crosstab(high, r["_resp"]).reindex(index=[False, True], columns=[True, False], fill_value=0)
        out["response"] = {"low": {"n": int(tab.loc[False].sum()), "responders": int(tab.loc[False, True])},
                           "high": {"n": int(tab.loc[True].sum()), "responders": int(tab.loc[True, True])}}
        if (tab.sum(axis=1) > 0).all():
            out["response"]["p"] = fisher_exact(tab.to_numpy()).p_value
    for ep, df in ends.items():
        sub = df[[TIME, EVENT, col]].dropna()
        x = sub[col].astype(float)
        res: dict = {"n": int(len(sub)), "events": int(sub[EVENT].sum())}
        try:
            if given is None:
                ms = maxstat_logrank(sub[TIME], sub[EVENT], x, minprop=cfg.minprop, maxprop=1 - cfg.minprop)
                # maxstat's low group is x <= c; reported as high = x > c
                res.update({"cutpoint": ms.cutpoint, "rule": "high = value > cut-point", "statistic": ms.statistic,
                            "p_corrected": ms.p_value, "p_method": "Lausen & Schumacher 1992 (R maxstat Lau92)",
                            "n_low": ms.n_low, "n_high": ms.n_high, "minprop": ms.minprop})
                high = x > ms.cutpoint
            else:
                high = x >= given
                if high.nunique() == 2:
                    lr = logrank(sub.assign(_g=high.to_numpy()), TIME, EVENT, by="_g")
                    res["p"] = float(lr.p_value) if lr.estimable else None
            if high.nunique() == 2:
                res["groups"] = _km_groups(sub, high.map({True: "high", False: "low"}), scale)
        except ValueError as exc:
            res["skipped"] = str(exc)
        out[ep] = res
    return out


def augment(section: dict, resp: pd.DataFrame, ends: dict, numeric_of: dict, conv_of: dict, plan, cfg,
            narrowed: dict | None = None) -> None:
    """Add odds ratios, REMARK rows, cut-points and adjusted P values to ``section`` (in place);
    ``narrowed``: marker -> (its narrow response frame, {endpoint: its narrow endpoint frame}) when the
    caller made them already (biomarkers.narrow; they are only read)."""
    narrowed = narrowed or {}
    for m in section["markers"]:
        col = m["marker"]
        augment_marker(m, narrowed.get(col), resp, ends, numeric_of[col], conv_of[col], plan, cfg)
    finish(section, cfg)


def augment_marker(m: dict, made: tuple | None, resp: pd.DataFrame, ends: dict, numeric: bool, conv, plan,
                   cfg) -> None:
    """One marker's odds ratio, cut-point and REMARK rows (their adjusted P is filled by :func:`finish`):
    called as soon as the marker's narrow frames ``made`` exist, so that a registry's frames of every
    marker are never held at once."""
    scale = plan.days_per_unit
    col = m["marker"]
    full = made[0] if made else narrow(resp, col, conv)
    r = full[full[col].notna()]
    a = m.get("response") or {}
    if "p" in a or a.get("responders"):
        try:
            a["odds_ratio"] = odds_ratios(r, col, numeric)
        except (ValueError, np.linalg.LinAlgError) as exc:
            a["odds_ratio"] = {"skipped": f"not estimable ({exc})"}
    del r
    d_ends = made[1] if made and set(made[1]) == set(ends) else \
        {ep: narrow(df, col, conv) for ep, df in ends.items()}
    if numeric:
        cut = cutpoint_analysis(m, col, full, d_ends, cfg, scale)
        if cut:
            m["cutpoint"] = cut
    m["remark"] = [_remark_row(m, ep, df, col, numeric) for ep, df in d_ends.items()]


def finish(section: dict, cfg) -> None:
    """Adjusted P values of all markers' tests (``cfg.adjust``), copied into the REMARK rows."""
    _adjust(section, cfg.adjust)
    for m in section["markers"]:
        for row in m.get("remark", []):
            row["p_adjusted"] = (m.get(row["endpoint"]) or {}).get("p_adjusted")


def _adjust(section: dict, method: str) -> None:
    keys = [(m, k) for m in section["markers"] for k in ANALYSES
            if isinstance(m.get(k), dict) and m[k].get("p") is not None and np.isfinite(m[k]["p"])]
    adj = p_adjust([m[k]["p"] for m, k in keys], method if method != "none" else "none") if keys else []
    alpha = section["alpha"]
    for (m, k), q in zip(keys, adj):
        m[k]["p_adjusted"] = float(q)
    section["adjustment"] = method
    section["adjustment_method"] = {"BH": "Benjamini-Hochberg false discovery rate (R p.adjust 'BH')",
                                    "holm": "Holm step-down (R p.adjust 'holm')", "none": "none"}[method]
    section["significant_after_adjustment"] = [
        {"marker": m["marker"], "analysis": k, "p": m[k]["p"], "p_adjusted": float(q)}
        for (m, k), q in zip(keys, adj) if q < alpha]
    section["n_adjusted_below_alpha"] = len(section["significant_after_adjustment"])
