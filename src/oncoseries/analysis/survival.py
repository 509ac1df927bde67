"""Survival summaries per endpoint: Kaplan-Meier medians and landmarks with CIs, median follow-up by
reverse Kaplan-Meier (Schemper & Smith 1996), and Kaplan-Meier/log-rank by categorical covariate.

Times are the ADTTE ``aval`` in days (``adt - startdt + 1``); results are reported in the plan's time
unit (a month is 30.4375 days). CIs are R survfit's defaults (log transform, Greenwood).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats.kaplan_meier import kaplan_meier, median_followup
from ..stats.logrank import logrank


#: Internal column names of an endpoint frame. Study columns never start with "_" (io.readers reserves
#: the prefix), so a covariate called ``time``, ``event``, ``aval`` or ``bor`` cannot collide with them.
TIME, EVENT = "_time", "_event"


def endpoint_frame(adtte: pd.DataFrame, paramcd: str, patients: pd.DataFrame) -> pd.DataFrame:
    """One row per patient for one endpoint: ``_time`` (days), ``_event`` (0/1) and the patient covariates."""
    d = adtte.loc[adtte["paramcd"] == paramcd, ["patient_id", "aval", "cnsr"]]
    d = pd.DataFrame({"patient_id": d["patient_id"].to_numpy(), TIME: d["aval"].to_numpy(float),
                      EVENT: (d["cnsr"] == 0).to_numpy(int)})
    return d.merge(patients, on="patient_id", how="left")


def _value(v: float, scale: float) -> float | None:
    return None if v is None or not np.isfinite(v) else float(v) / scale


def summarise_endpoint(df: pd.DataFrame, landmarks: list[float], scale: float) -> tuple[dict, object]:
    """n, events, median (95% CI) and landmark survival (95% CI, numbers at risk) in display units."""
    km = kaplan_meier(df, TIME, EVENT)
    med = km.medians.iloc[0]
    out = {
        "n": int(med["n"]), "events": int(med["events"]), "censored": int(med["n"] - med["events"]),
        "median": {"value": _value(med["median"], scale), "lower": _value(med["lower"], scale),
                   "upper": _value(med["upper"], scale),
                   "reached": bool(np.isfinite(med["median"]))},
        "landmarks": [],
    }
    if landmarks:
        at = km.at(np.asarray(landmarks, float) * scale)
        for t, row in zip(landmarks, at.itertuples()):
            out["landmarks"].append({
                "time": float(t), "survival": None if np.isnan(row.survival) else float(row.survival),
                "lower": None if np.isnan(row.lower) else float(row.lower),
                "upper": None if np.isnan(row.upper) else float(row.upper), "n_risk": int(row.n_risk)})
    return out, km


def followup(df: pd.DataFrame, scale: float) -> dict:
    """Median follow-up by reverse Kaplan-Meier, with its CI and the range of observed times."""
    f = median_followup(df, TIME, EVENT).iloc[0]
    return {"method": "reverse Kaplan-Meier", "median": _value(f["median"], scale),
            "lower": _value(f["lower"], scale), "upper": _value(f["upper"], scale),
            "min": _value(f["min"], scale), "max": _value(f["max"], scale)}


def by_covariate(df: pd.DataFrame, covariate: str, scale: float) -> tuple[dict, object] | None:
    """Kaplan-Meier per level and the log-rank test, for a categorical covariate (levels as strings)."""
    sub = df[[TIME, EVENT, covariate]].dropna()
    if sub[covariate].nunique() < 2:
        return None
    col = sub[covariate]
    if isinstance(col.dtype, pd.CategoricalDtype):  # study.yaml labels: keep the given level order
        cats = [str(c) for c in col.cat.categories if (col == c).any()]
        sub = sub.assign(**{covariate: pd.Categorical(col.astype(str), categories=cats)})
    else:
        sub = sub.assign(**{covariate: col.astype(str)})
    km = kaplan_meier(sub, TIME, EVENT, by=covariate)
    lr = logrank(sub, TIME, EVENT, by=covariate)
    groups = []
    for row in km.medians.itertuples():
        groups.append({"group": row.group, "n": int(row.n), "events": int(row.events),
                       "median": _value(row.median, scale), "lower": _value(row.lower, scale),
                       "upper": _value(row.upper, scale)})
    result = {"covariate": covariate, "n": int(len(sub)), "n_missing": int(len(df) - len(sub)),
              "statistic": float(lr.statistic), "df": int(lr.df), "p": float(lr.p_value), "groups": groups}
    if not lr.estimable:
        result.update(statistic=None, p=None, not_estimable=lr.reason)
    return result, km
