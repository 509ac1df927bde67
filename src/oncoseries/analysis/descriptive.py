"""Descriptive tables: Table 1 (patient characteristics), exposure, adverse events.

Table 1 follows journal convention: continuous covariates as median (range) and IQR, categorical ones
as n (%), and missing values as their own row (never silently dropped; reporting-ux.md §2.13).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .worst_grade import grade_count, worst_histogram


def _num(v) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def table1(patients: pd.DataFrame, covariates: list[str]) -> list[dict]:
    n = len(patients)
    rows = []
    for cov in covariates:
        s = patients[cov]
        if pd.api.types.is_numeric_dtype(s) and s.dropna().nunique() > 5:
            missing = int(s.isna().sum())
            x = s.dropna().astype(float)
            rows.append({"variable": cov, "type": "continuous", "n": int(x.size),
                         "median": _num(x.median()), "q1": _num(x.quantile(0.25)), "q3": _num(x.quantile(0.75)),
                         "min": _num(x.min()), "max": _num(x.max()), "missing": missing, "N": n})
            continue
        if isinstance(s.dtype, pd.CategoricalDtype):  # study.yaml labels: the given level order
            missing = int(s.isna().sum())
            levels = s.dropna()
            counts = levels.value_counts().reindex([c for c in s.cat.categories if (levels == c).any()])
            counts.index = counts.index.astype(str)
        else:
            missing, counts = level_counts(s)
        rows.append({"variable": cov, "type": "categorical", "N": n, "missing": missing,
                     "levels": [{"level": str(k), "n": int(v), "percent": 100.0 * v / n}
                                for k, v in counts.items()]})
    return rows


def level_text(values: pd.Series) -> pd.Series:
    """The level text of values (whole numbers without '.0'; else ``str``), as Table 1 shows them."""
    if pd.api.types.is_numeric_dtype(values) and (values == values.round()).all():
        return values.astype(int).astype(str)
    return values.astype(str)


def per_distinct(s: pd.Series, uniques: pd.Series) -> bool:
    """Whether equal values always have the same level text, so it can be made once per distinct value
    (``uniques``: ``s.factorize()``'s): not for objects other than text (1, 1.0 and True are equal, their
    texts differ), nor for fractional floats (0.0 and -0.0)."""
    if s.dtype == object:
        return pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")
    return uniques.dtype.kind != "f" or bool((uniques == uniques.round()).all())


def level_counts(s: pd.Series) -> tuple[int, pd.Series]:
    """(missing, counts per level text sorted by text) of a non-categorical column: ``level_text`` of the
    present values, then ``value_counts().sort_index()``, worked out once per distinct value."""
    codes, uniques = s.factorize()                     # missing: -1
    u = pd.Series(uniques)
    if not per_distinct(s, u):                         # 1, 1.0 and True, or 0.0 and -0.0: row by row
        levels = level_text(s.dropna())
        return int(s.isna().sum()), levels.value_counts().sort_index()
    text = level_text(u).to_numpy(dtype=object)
    per = np.bincount(codes[codes >= 0], minlength=len(text))
    # = Series(per, index=text).groupby(level=0, sort=True).sum(): the texts sorted (str order), the counts
    # of equal texts added; without a pandas groupby (most of Table 1's time: a call per variable and group)
    labels, inverse = np.unique(text, return_inverse=True)
    summed = np.zeros(len(labels), dtype=per.dtype)
    np.add.at(summed, inverse.ravel(), per)
    return int((codes < 0).sum()), pd.Series(summed, index=pd.Index(labels, dtype=object))


def _patient_codes(pc, tables: dict):
    from .patient_codes import PatientCodes
    return pc if pc is not None else PatientCodes({k: v for k, v in tables.items() if v is not None})


def exposure(treatments: pd.DataFrame | None, patients: pd.DataFrame, pc=None) -> dict | None:
    """Cycles per patient, cycle interval, dose reductions and relative dose intensity.

    Relative dose intensity (RDI) = delivered mg/m2 per week / planned mg/m2 per week, where the
    delivered period runs from the first cycle to one planned cycle length after the last. Patients are
    grouped on the run's integer patient codes ``pc`` (analysis/patient_codes.py; built when not given).
    """
    if treatments is None or treatments.empty:
        return None
    pc = _patient_codes(pc, {"treatments": treatments, "patients": patients})
    code = pc.table(treatments)
    key = np.where(code >= 0, code, len(pc)).astype(np.int64)
    date = pd.Categorical(treatments["date"], ordered=True).codes.astype(np.int64)
    order = np.lexsort([np.where(date < 0, date.max(initial=0) + 1, date), key])   # = sort_values, NaT last
    t = treatments.take(order)
    code = code[order]
    grp = np.where(code >= 0, code, np.nan) if (code < 0).any() else code        # missing ids: no group
    count = np.bincount(code[(code >= 0) & t["cycle"].notna().to_numpy()], minlength=len(pc) + 1)
    pcode = pc.table(patients)
    cycles = pd.Series(count[np.where(pcode >= 0, pcode, len(pc))], index=patients["patient_id"])
    same = np.zeros(len(t), dtype=bool)
    same[1:] = (code[1:] == code[:-1]) & (code[1:] >= 0)
    gaps = (t["date"] - t["date"].shift(1)).where(same).dt.days.dropna()     # = groupby(patient).diff()
    out = {"patients_treated": int((cycles > 0).sum()), "cycles_total": int(cycles.sum()),
           "cycles_per_patient": {"median": _num(cycles[cycles > 0].median()), "min": int(cycles[cycles > 0].min()),
                                  "max": int(cycles.max())},
           "cycle_interval_days": {"median": _num(gaps.median()) if len(gaps) else None,
                                   "delayed_cycles": int((gaps > gaps.median() + 3).sum()) if len(gaps) else 0}}
    if {"dose_mg_m2", "planned_dose_mg_m2"} <= set(t.columns):
        reduced = (t["dose_mg_m2"] < 0.95 * t["planned_dose_mg_m2"]).to_numpy(dtype=bool)
        out["reduced_cycles"] = int(reduced.sum())
        rc = code[reduced & (code >= 0)]
        out["patients_with_reduction"] = int(np.count_nonzero(np.bincount(rc, minlength=len(pc))))
        length = float(gaps.median()) if len(gaps) else 21.0
        g = t.groupby(grp)
        weeks = ((g["date"].max() - g["date"].min()).dt.days + length) / 7.0
        delivered = g["dose_mg_m2"].sum() / weeks
        planned = g["planned_dose_mg_m2"].mean() / (length / 7.0)
        rdi = (delivered / planned).replace([np.inf, -np.inf], np.nan).dropna()
        if len(rdi):
            out["relative_dose_intensity"] = {"median": float(rdi.median()), "min": float(rdi.min()),
                                              "max": float(rdi.max())}
    return out


def adverse_events(ae: pd.DataFrame | None, n_patients: int, pc=None) -> list[dict] | None:
    """Worst CTCAE grade per patient and term: patients with any grade, grade 3-4 and grade 5 (grouped on
    term codes and the run's integer patient codes ``pc``)."""
    if ae is None or ae.empty:
        return None
    pc = _patient_codes(pc, {"adverse_events": ae})
    code = pc.table(ae)
    term, terms = pd.factorize(ae["term"], sort=True)
    ok = (code >= 0) & (term >= 0)
    hist = None   # worst grade per (term, patient) in a dense table when the grades allow (worst_grade.py)
    if pd.api.types.is_numeric_dtype(ae["grade"]) and not pd.api.types.is_bool_dtype(ae["grade"]):
        hist = worst_histogram([(term, len(terms)), (code, len(pc))], 1,
                               ae["grade"].to_numpy(dtype=float, na_value=np.nan), ok)
    if hist is not None:
        n_any = hist[:, 1:].sum(axis=1)
        counts = {"grade_1_2": grade_count(hist, 1, 2), "grade_3": grade_count(hist, 3, 3),
                  "grade_4": grade_count(hist, 4, 4), "grade_5": grade_count(hist, 5, 5),
                  "grade_3_4": grade_count(hist, 3, 4)}
    else:
        n_any, counts = _worst_by_groupby(ae, code, term, len(terms), ok, len(pc))
    rows = []
    for i in np.flatnonzero(n_any):
        rows.append({"term": str(terms[i]), "any": int(n_any[i]), "grade_1_2": int(counts["grade_1_2"][i]),
                     "grade_3": int(counts["grade_3"][i]), "grade_4": int(counts["grade_4"][i]),
                     "grade_5": int(counts["grade_5"][i]), "grade_3_4": int(counts["grade_3_4"][i]),
                     "N": n_patients})
    rows.sort(key=lambda r: (-r["grade_3_4"], -r["any"], r["term"]))
    return rows


def _worst_by_groupby(ae: pd.DataFrame, code: np.ndarray, term: np.ndarray, n_terms: int, ok: np.ndarray,
                      n_codes: int) -> tuple:
    """``adverse_events``' counts per term by a groupby of the worst grade per (term, patient)."""
    key = term[ok].astype(np.int64) * (n_codes + 1) + code[ok]
    worst = ae["grade"][ok].groupby(key).max()                  # one value per (term, patient)
    tk = (worst.index.to_numpy() // (n_codes + 1)).astype(np.int64)
    grade = worst.to_numpy(dtype=float, na_value=np.nan)

    def per_term(mask) -> np.ndarray:
        return np.bincount(tk[mask], minlength=n_terms)

    n_any = per_term(np.ones(len(tk), dtype=bool))
    counts = {"grade_1_2": per_term((grade >= 1) & (grade <= 2)), "grade_3": per_term(grade == 3),
              "grade_4": per_term(grade == 4), "grade_5": per_term(grade == 5),
              "grade_3_4": per_term((grade >= 3) & (grade <= 4))}
    return n_any, counts
