"""Patient flow: every patient is included or excluded, with the reason, in every analysis population.

Populations: ``entered`` (every row of patients), ``all_treated``, ``response_evaluable``, and one per
endpoint (``OS``, ``PFS``, later ``DOR``). Nothing is dropped silently; the report draws the
CONSORT-style diagram from this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .validation import indexer

POPULATION_LABELS = {
    "records": "Records in the source (before intake filters)",
    "entered": "Patients in the study file",
    "all_treated": "All treated patients",
    "response_disease": "Disease at baseline (measurable or not: best overall response)",
    "response_evaluable": "Evaluable for response (measurable disease at baseline)",
    "OS": "Overall survival",
    "PFS": "Progression-free survival",
    "DOR": "Duration of response (responders)",
    "TTP": "Time to progression",
}


@dataclass
class PatientFlow:
    """One row per patient per population: ``patient_id, population, included, reason``."""

    parts: dict[str, pd.DataFrame] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)   # overrides POPULATION_LABELS

    @property
    def table(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({"patient_id": pd.Series(dtype=object), "population": pd.Series(dtype=object),
                                 "included": pd.Series(dtype=bool), "reason": pd.Series(dtype=object)})
        return pd.concat(list(self.parts.values()), ignore_index=True)

    def set(self, population: str, patient_ids, included, reasons) -> None:
        """Record (or replace) a population; `reasons` is ignored where `included` is True."""
        included = np.asarray(included, dtype=bool)
        reasons = np.asarray(reasons, dtype=object).copy()
        reasons[included] = None
        self.parts[population] = pd.DataFrame({
            "patient_id": np.asarray(patient_ids, dtype=object), "population": population,
            "included": included, "reason": reasons})

    def populations(self) -> list[str]:
        return list(self.parts)

    def included(self, population: str) -> pd.Index:
        t = self.parts[population]
        return pd.Index(t.loc[t["included"], "patient_id"])

    def excluded(self, population: str) -> pd.DataFrame:
        t = self.parts[population]
        return t.loc[~t["included"], ["patient_id", "reason"]].reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """Counts per population: n, included, excluded, and excluded counts by reason."""
        rows = []
        for pop, t in self.parts.items():
            reasons = t.loc[~t["included"], "reason"].value_counts()
            rows.append({"population": pop, "label": self.labels.get(pop, POPULATION_LABELS.get(pop, pop)),
                         "n": len(t),
                         "included": int(t["included"].sum()), "excluded": int((~t["included"]).sum()),
                         "reasons": {str(k): int(v) for k, v in sorted(reasons.items())}})
        return pd.DataFrame(rows)


def initial_flow(tables: dict[str, pd.DataFrame], window_days: int,
                 left_out: pd.DataFrame | None = None) -> PatientFlow:
    """Flow before any derivation: who is treated, who can be assessed for response, who enters OS/PFS.

    ``all_treated`` excludes patients with no cycle in treatments.csv (when that table is given).
    ``records`` (only when records were left out at intake, e.g. by REDCap ``where:`` filters) lists every
    record of the source, the left-out ones with their reason.
    ``response_evaluable`` here is provisional (a measurable target lesion on a baseline scan: non-nodal
    >= 10 mm, nodal short axis >= 15 mm, RECIST 1.1 §3.1); the RECIST derivation refines it.
    """
    p = tables["patients"]
    ids = p["patient_id"].to_numpy(dtype=object)
    flow = PatientFlow()
    if left_out is not None and len(left_out):
        flow.set("records", np.concatenate([ids, left_out["patient_id"].to_numpy(dtype=object)]),
                 np.r_[np.ones(len(ids), bool), np.zeros(len(left_out), bool)],
                 np.r_[np.array([None] * len(ids), dtype=object), left_out["reason"].to_numpy(dtype=object)])
    flow.set("entered", ids, np.ones(len(ids), bool), [None] * len(ids))
    treated = np.ones(len(ids), bool)
    reason = np.array([None] * len(ids), dtype=object)
    if "treatments" in tables:
        treated = p["patient_id"].isin(tables["treatments"]["patient_id"]).to_numpy()
        reason[~treated] = "no treatment cycle recorded in treatments"
    flow.set("all_treated", ids, treated, reason)

    ev_reason = np.array(["not treated"] * len(ids), dtype=object)
    evaluable = np.zeros(len(ids), bool)
    if "lesions" in tables:
        les = tables["lesions"]
        # each row's patient by position (one pass over the ids; no copy of the baseline rows: a
        # registry's lesions are 10^7 rows); -1: not in patients
        at = indexer(pd.Index(p["patient_id"]), les["patient_id"])
        start = np.append(p["start_date"].to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT"))[at]
        days = (les["date"] - pd.Series(start, index=les.index)).dt.days
        del start
        base = ((days <= 0) & (days >= -window_days)).to_numpy() & (at >= 0)
        del days
        nodal = les["nodal"].fillna(False).astype(bool).to_numpy() if "nodal" in les.columns else False
        diam = les["diameter_mm"].to_numpy() if "diameter_mm" in les.columns else np.full(len(les), np.nan)
        with np.errstate(invalid="ignore"):
            measurable = base & (les["role"] == "target").to_numpy() & (diam >= np.where(nodal, 15.0, 10.0))

        def seen(mask):
            return np.bincount(at[mask], minlength=len(p)) > 0
        has_les = seen(at >= 0)
        has_base = seen(base)
        has_meas = seen(measurable)
        ev_reason = np.where(~has_les, "no lesion measurements",
                             np.where(~has_base, f"no baseline scan within {window_days} days before start",
                                      np.where(~has_meas, "no measurable target lesion at baseline", None)))
        evaluable = has_meas
    elif "assessments" in tables:
        evaluable = p["patient_id"].isin(tables["assessments"]["patient_id"]).to_numpy()
        ev_reason = np.where(evaluable, None, "no response assessment")
    else:
        ev_reason = np.array(["the study has no lesion or response data"] * len(ids), dtype=object)
    ev_reason = np.where(treated, ev_reason, "not treated")
    flow.set("response_evaluable", ids, evaluable & treated, ev_reason)
    for endpoint in ("OS", "PFS"):
        flow.set(endpoint, ids, treated, np.where(treated, None, "not treated"))
    return flow
