"""Descriptive tables: Table 1 (patient characteristics), exposure, adverse events.

Table 1 follows journal convention: continuous covariates as median (range) and IQR, categorical ones
as n (%), and missing values as their own row (never silently dropped; reporting-ux.md §2.13).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _num(v) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def table1(patients: pd.DataFrame, covariates: list[str]) -> list[dict]:
    n = len(patients)
    rows = []
    for cov in covariates:
        s = patients[cov]
        missing = int(s.isna().sum())
        if pd.api.types.is_numeric_dtype(s) and s.dropna().nunique() > 5:
            x = s.dropna().astype(float)
            rows.append({"variable": cov, "type": "continuous", "n": int(x.size),
                         "median": _num(x.median()), "q1": _num(x.quantile(0.25)), "q3": _num(x.quantile(0.75)),
                         "min": _num(x.min()), "max": _num(x.max()), "missing": missing, "N": n})
        else:
            levels = s.dropna()
            if isinstance(s.dtype, pd.CategoricalDtype):  # study.yaml labels: the given level order
                counts = levels.value_counts().reindex([c for c in s.cat.categories if (levels == c).any()])
                levels = levels.astype(str)
                counts.index = counts.index.astype(str)
            else:
                levels = levels.astype(int).astype(str) if pd.api.types.is_numeric_dtype(levels) and \
                    (levels == levels.round()).all() else levels.astype(str)
                counts = levels.value_counts().sort_index()
            rows.append({"variable": cov, "type": "categorical", "N": n, "missing": missing,
                         "levels": [{"level": str(k), "n": int(v), "percent": 100.0 * v / n}
                                    for k, v in counts.items()]})
    return rows


def exposure(treatments: pd.DataFrame | None, patients: pd.DataFrame) -> dict | None:
    """Cycles per patient, cycle interval, dose reductions and relative dose intensity.

    Relative dose intensity (RDI) = delivered mg/m2 per week / planned mg/m2 per week, where the
    delivered period runs from the first cycle to one planned cycle length after the last.
    """
    if treatments is None or treatments.empty:
        return None
    t = treatments.sort_values(["patient_id", "date"])
    cycles = t.groupby("patient_id")["cycle"].count().reindex(patients["patient_id"], fill_value=0)
    gaps = t.groupby("patient_id")["date"].diff().dt.days.dropna()
    out = {"patients_treated": int((cycles > 0).sum()), "cycles_total": int(cycles.sum()),
           "cycles_per_patient": {"median": _num(cycles[cycles > 0].median()), "min": int(cycles[cycles > 0].min()),
                                  "max": int(cycles.max())},
           "cycle_interval_days": {"median": _num(gaps.median()) if len(gaps) else None,
                                   "delayed_cycles": int((gaps > gaps.median() + 3).sum()) if len(gaps) else 0}}
    if {"dose_mg_m2", "planned_dose_mg_m2"} <= set(t.columns):
        reduced = t["dose_mg_m2"] < 0.95 * t["planned_dose_mg_m2"]
        out["reduced_cycles"] = int(reduced.sum())
        out["patients_with_reduction"] = int(t.loc[reduced, "patient_id"].nunique())
        length = float(gaps.median()) if len(gaps) else 21.0
        g = t.groupby("patient_id")
        weeks = ((g["date"].max() - g["date"].min()).dt.days + length) / 7.0
        delivered = g["dose_mg_m2"].sum() / weeks
        planned = g["planned_dose_mg_m2"].mean() / (length / 7.0)
        rdi = (delivered / planned).replace([np.inf, -np.inf], np.nan).dropna()
        if len(rdi):
            out["relative_dose_intensity"] = {"median": float(rdi.median()), "min": float(rdi.min()),
                                              "max": float(rdi.max())}
    return out


def adverse_events(ae: pd.DataFrame | None, n_patients: int) -> list[dict] | None:
    """Worst CTCAE grade per patient and term: patients with any grade, grade 3-4 and grade 5."""
    if ae is None or ae.empty:
        return None
    worst = ae.groupby(["term", "patient_id"])["grade"].max().reset_index()
    rows = []
    for term, g in worst.groupby("term"):
        grade = g["grade"]
        rows.append({"term": str(term), "any": int(len(g)), "grade_1_2": int(((grade >= 1) & (grade <= 2)).sum()),
                     "grade_3": int((grade == 3).sum()), "grade_4": int((grade == 4).sum()),
                     "grade_5": int((grade == 5).sum()), "grade_3_4": int(((grade >= 3) & (grade <= 4)).sum()),
                     "N": n_patients})
    rows.sort(key=lambda r: (-r["grade_3_4"], -r["any"], r["term"]))
    return rows
