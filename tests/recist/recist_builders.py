"""Small builders for RECIST test studies: typed tables as intake hands them over (INTERFACE §1)."""

from __future__ import annotations

import numpy as np
import pandas as pd

START = pd.Timestamp("2020-01-01")


def T(lid, diam=None, state=None, nodal=False, organ="lung"):
    """A target-lesion row."""
    return dict(lesion_id=lid, role="target", diameter_mm=diam, state=state, nodal=nodal, organ=organ)


def N(lid, state=None, nodal=False, diam=None, organ="liver"):
    """A non-target row."""
    return dict(lesion_id=lid, role="non_target", diameter_mm=diam, state=state, nodal=nodal, organ=organ)


def NEW(lid, state=None, nodal=False, diam=None, organ="bone"):
    """A new-lesion row."""
    return dict(lesion_id=lid, role="new", diameter_mm=diam, state=state, nodal=nodal, organ=organ)


class Study:
    """Patients and lesion rows; scan days are relative to each patient's start date."""

    def __init__(self):
        self._patients: list[dict] = []
        self._rows: list[dict] = []
        self._start: dict[str, pd.Timestamp] = {}

    def patient(self, pid: str, start: pd.Timestamp = START, new_therapy_day: int | None = None):
        self._start[pid] = start
        self._patients.append(dict(
            patient_id=pid, start_date=start, last_contact_date=start + pd.Timedelta(days=720),
            death_date=pd.NaT, progression_date=pd.NaT,
            new_therapy_date=pd.NaT if new_therapy_day is None else start + pd.Timedelta(days=new_therapy_day)))
        return self

    def scan(self, pid: str, day: int, *lesions: dict):
        date = self._start[pid] + pd.Timedelta(days=day)
        for les in lesions:
            self._rows.append(dict(patient_id=pid, date=date, **les))
        return self

    def patients(self) -> pd.DataFrame:
        p = pd.DataFrame(self._patients)
        for c in ("start_date", "last_contact_date", "death_date", "progression_date", "new_therapy_date"):
            p[c] = pd.to_datetime(p[c]).astype("datetime64[ns]")
        return p

    def lesions(self) -> pd.DataFrame:
        cols = ["patient_id", "date", "lesion_id", "role", "organ", "nodal", "diameter_mm", "state"]
        les = pd.DataFrame(self._rows, columns=cols)
        les["date"] = pd.to_datetime(les["date"]).astype("datetime64[ns]")
        les["diameter_mm"] = pd.to_numeric(les["diameter_mm"]).astype("float64")
        les["nodal"] = les["nodal"].astype(bool)
        # intake default (INTERFACE §1): present, or not_evaluated for a target with no diameter
        unmeasured = les["state"].isna() & (les["role"] == "target") & les["diameter_mm"].isna()
        les["state"] = les["state"].where(les["state"].notna(),
                                          np.where(unmeasured, "not_evaluated", "present"))
        les["_row"] = np.arange(len(les)) + 2
        return les


def timepoint_frame(pid_days_resp, start=START) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Patients and timepoints from {pid: [(day, response), ...]}; empty list = no scan."""
    pats, rows = [], []
    for pid, seq in pid_days_resp.items():
        pats.append(dict(patient_id=pid, start_date=start, new_therapy_date=pd.NaT))
        for day, resp in seq:
            rows.append(dict(patient_id=pid, date=start + pd.Timedelta(days=day), overall=resp))
    p = pd.DataFrame(pats)
    p["new_therapy_date"] = pd.to_datetime(p["new_therapy_date"]).astype("datetime64[ns]")
    tp = pd.DataFrame(rows, columns=["patient_id", "date", "overall"])
    tp["date"] = pd.to_datetime(tp["date"]).astype("datetime64[ns]")
    return p, tp


def by_day(tp: pd.DataFrame, pid: str, start=START) -> dict[int, pd.Series]:
    """Timepoint rows of one patient keyed by study day."""
    sub = tp[tp["patient_id"] == pid]
    return {int((d - start).days): row for d, (_, row) in zip(sub["date"], sub.iterrows())}
