"""Interactive Kaplan-Meier data for the results page: curves by any covariate, numbers at risk.

Computed with oncoseries' own kaplan_meier (equal to R's survfit) from the run's derived/adtte.csv and
its covariates; times in the study's time unit, as in results.json (days / days per unit).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import DAYS_PER
from ..report.km_plot import risk_ticks
from ..stats.kaplan_meier import kaplan_meier

MAX_GROUPS = 8


def _num(x) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def km_data(adtte: pd.DataFrame, covariates: pd.DataFrame, endpoint: str, by: str | None, unit: str) -> dict:
    """Step curves, censor marks, medians and numbers at risk for one endpoint, optionally by a covariate."""
    scale = DAYS_PER[unit]
    d = adtte.loc[adtte["paramcd"] == endpoint, ["patient_id", "aval", "cnsr"]]
    if d.empty:
        raise ValueError(f"no {endpoint} data in this run")
    d = d.assign(time=d["aval"].astype(float), event=(d["cnsr"] == 0).astype(int))
    note = None
    if by:
        if by not in covariates.columns or by == "patient_id":
            raise ValueError(f"unknown covariate {by!r}")
        d = d.merge(covariates[["patient_id", by]], on="patient_id", how="left")
        missing = int(d[by].isna().sum())
        d = d[d[by].notna()].assign(**{by: lambda f: f[by].astype(str)})
        if d[by].nunique() > MAX_GROUPS:
            raise ValueError(f"{by} has more than {MAX_GROUPS} values; choose a categorical covariate")
        if missing:
            note = f"{missing} patient(s) with no value of {by} are not shown."
    km = kaplan_meier(d, "time", "event", by=by or None)
    table, meds = km.table, km.medians.set_index("group")
    groups = []
    for g in km.groups:
        t = table[table["group"] == g]
        cens = t[t["n_censor"] > 0]
        m = meds.loc[g]
        groups.append({
            "name": str(g), "n": int(m["n"]), "events": int(m["events"]),
            "median": _num(m["median"] / scale), "lower": _num(m["lower"] / scale),
            "upper": _num(m["upper"] / scale),
            "x": [0.0] + (t["time"] / scale).round(6).tolist(), "y": [1.0] + t["survival"].round(6).tolist(),
            "lo": [1.0] + t["lower"].round(6).fillna(0).tolist(), "hi": [1.0] + t["upper"].round(6).fillna(1).tolist(),
            "at_risk": [int(t["n_risk"].iloc[0]) if len(t) else 0] + t["n_risk"].astype(int).tolist(),
            "censor_x": (cens["time"] / scale).round(6).tolist(), "censor_y": cens["survival"].round(6).tolist(),
        })
    ticks = risk_ticks(float(d["time"].max()) / scale, unit)
    at = km.at(np.asarray(ticks, float) * scale)
    risk = [{"group": str(g), "n_risk": at.loc[at["group"] == g, "n_risk"].astype(int).tolist()}
            for g in km.groups]
    return {"endpoint": endpoint, "by": by, "unit": unit, "groups": groups,
            "risk_times": [float(x) for x in ticks], "risk": risk, "note": note}
