"""Honest response claims: both objective response rates side by side, and a clinical benefit rate
defined on the same events as PFS (docs/recist.md, "Clinical benefit").

Clinical benefit (CBR) = CR or PR (of the best overall response in that column), or no progression or
death for at least ``clinical_benefit_days`` (default 168 days = 24 weeks) by the PFS rule: the PFS event
or censoring date (ADTTE PFS, which counts clinical progression and death, and runs through new therapy
when study.yaml says so) at least that many days after the start. A patient censored earlier without a
response has no benefit shown (unknown counts as no benefit). The progression-free part is therefore the
number still at risk in the PFS Kaplan-Meier analysis at that time, and the rate cannot contradict PFS.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def pfs_benefit(best: pd.DataFrame, adtte: pd.DataFrame, days: int) -> pd.Series:
    """Per patient of ``best``: progression-free (by the PFS rule) for at least ``days`` days from the start
    (ADTTE ``aval - 1`` = end date - start date, in days)."""
    pfs = adtte.loc[adtte["paramcd"] == "PFS"].set_index("patient_id")["aval"]
    elapsed = pfs.reindex(best["patient_id"]).to_numpy(float) - 1.0
    return pd.Series(np.nan_to_num(elapsed, nan=-1.0) >= days, index=best.index)


def _rate(rows: list[dict], category: str) -> dict | None:
    r = next((r for r in rows if r["category"] == category), None)
    return None if r is None else {k: r[k] for k in ("n", "N", "proportion", "lower", "upper")}


def claims(section: dict, best: pd.DataFrame, days: int, headline: str) -> dict:
    """results.json additions to ``response``: ``orr`` (both rates, the headline named) and
    ``clinical_benefit`` (definition, counts, both rates)."""
    conf = headline == "confirmed_bor"
    free = int(best["durable_control"].astype(bool).sum()) if "durable_control" in best else None
    weeks = days / 7.0
    span = f"{int(weeks)} weeks" if days % 7 == 0 else f"{days} days"
    return {
        "orr": {"headline": "confirmed" if conf else "unconfirmed",
                "unconfirmed": _rate(section["unconfirmed"], "ORR"),
                "confirmed": _rate(section["confirmed"], "ORR")},
        "clinical_benefit": {
            "rule": "pfs", "days": int(days), "weeks": weeks, "progression_free_n": free,
            "definition": (f"CR or PR, or no progression or death for at least {span} from the start by the "
                           "PFS rule (progression on a scan, clinical progression or death; patients "
                           f"censored before {span} without a response count as without benefit)"),
            "unconfirmed": _rate(section["unconfirmed"], "CBR"),
            "confirmed": _rate(section["confirmed"], "CBR")},
    }
