"""Two-sample comparison of a series with reconstructed (or real) reference patients: log-rank test and Cox
hazard ratio of the series against the reference (R ``survdiff`` and ``coxph``, via oncoseries.stats)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["compare_with_ipd"]

SERIES, REFERENCE = "series", "reference"


def compare_with_ipd(data, time: str, event: str, ipd: pd.DataFrame, conf_level: float = 0.95) -> dict:
    """Log-rank test and Cox HR (Efron ties, Wald CI) of the series vs the reference patients ``ipd``
    (columns ``time``, ``event``, same time unit). HR > 1: the series does worse."""
    from ..stats.cox import cox
    from ..stats.logrank import logrank

    series = pd.DataFrame({"time": pd.to_numeric(data[time]).to_numpy(float),
                           "event": np.asarray(data[event]).astype(int), "arm": SERIES})
    ref = pd.DataFrame({"time": ipd["time"].to_numpy(float), "event": ipd["event"].to_numpy(int), "arm": REFERENCE})
    both = pd.concat([series, ref], ignore_index=True)
    lr = logrank(both, "time", "event", by="arm")
    fit = cox(both, "time", "event", ["arm"], reference={"arm": REFERENCE}, conf_level=conf_level)
    row = fit.summary.loc[f"arm{SERIES}"]
    return {"n_series": len(series), "events_series": int(series["event"].sum()),
            "n_reference": len(ref), "events_reference": int(ref["event"].sum()),
            "logrank": {"statistic": float(lr.statistic), "df": int(lr.df), "p": float(lr.p_value)},
            "hr": float(row["hr"]), "lower": float(row["lower"]), "upper": float(row["upper"]), "p": float(row["p"])}
