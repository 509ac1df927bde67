"""Dose and exposure per cycle and per patient (issue 14; docs/biomarkers-exposure-toxicity.md).

- BSA (m2) per cycle: ``bsa_m2`` when given, else from height (cm) and weight (kg) of the cycle row, or of
  the patients row: Mosteller (1987, N Engl J Med 317:1098) ``sqrt(h w / 3600)`` by default; DuBois & DuBois
  (1916, Arch Intern Med 17:863) ``0.007184 h^0.725 w^0.425``; Haycock et al. (1978, J Pediatr 93:62)
  ``0.024265 h^0.3964 w^0.5378`` (study.yaml ``exposure.bsa_formula``).
- Dose per cycle (mg/m2): ``dose_mg_m2``, else ``dose_mg / BSA``; cumulative dose per patient in g/m2.
- Planned cycle length L: study.yaml ``exposure.cycle_days``, else the median interval between consecutive
  cycles. Delay of a cycle = days beyond L since the previous cycle; delayed when > ``delay_days``.
- Reduced cycle: delivered < ``reduction_threshold`` x planned dose (mg/m2); a dose reduction is the first
  reduced cycle after a full-dose one (a reduced dose usually stays reduced).
- Dose intensity (Hryniuk & Bush 1984, J Clin Oncol 2:1281): delivered = total mg/m2 / ((last - first
  cycle, days) + L) x 7 (mg/m2/week); planned = planned mg/m2 per cycle / L x 7; relative dose intensity
  (RDI) = delivered / planned (mean planned dose of the patient's cycles).
- Attributed to toxicity: a delay or dose reduction whose ``modification_reason`` says toxicity, or (no reason
  given) that follows a cycle with a grade >= 3 adverse event; a stop whose ``stop_reason`` says toxicity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .patient_codes import PatientCodes

FORMULAS = {
    "mosteller": "Mosteller: sqrt(height cm x weight kg / 3600)",
    "dubois": "DuBois & DuBois: 0.007184 x height^0.725 x weight^0.425",
    "haycock": "Haycock: 0.024265 x height^0.3964 x weight^0.5378",
}
TOXICITY_WORDS = ("tox", "adverse", "side effect", "intoler")


def bsa(height_cm, weight_kg, formula: str = "mosteller") -> np.ndarray:
    """Body surface area (m2) from height (cm) and weight (kg) by the named formula."""
    h, w = np.asarray(height_cm, float), np.asarray(weight_kg, float)
    if formula == "mosteller":
        return np.sqrt(h * w / 3600.0)
    if formula == "dubois":
        return 0.007184 * h ** 0.725 * w ** 0.425
    if formula == "haycock":
        return 0.024265 * h ** 0.3964 * w ** 0.5378
    raise ValueError(f"formula must be one of {', '.join(FORMULAS)}, got {formula!r}")


def is_toxicity(text: pd.Series) -> pd.Series:
    """A reason naming a toxicity word (TOXICITY_WORDS), decided once per distinct reason."""
    codes, uniques = pd.factorize(text)                      # missing: -1 -> False
    hit = np.array([any(k in str(s).lower() for k in TOXICITY_WORDS) for s in uniques] + [False], dtype=bool)
    return pd.Series(hit[codes], index=text.index, dtype=bool)


def _has_text(text: pd.Series) -> np.ndarray:
    """``text.fillna("").astype(str).str.strip() != ""``, decided once per distinct value."""
    codes, uniques = pd.factorize(text)
    return np.array([str(s).strip() != "" for s in uniques] + [False], dtype=bool)[codes]


def _labels(choice: np.ndarray, labels: tuple) -> np.ndarray:
    """``labels[choice]`` as an object array pointing at the few label strings (not one string per row)."""
    return np.array(labels, dtype=object)[choice]


def _summary(x: pd.Series) -> dict | None:
    x = x.dropna().astype(float)
    if x.empty:
        return None
    return {"n": int(x.size), "median": float(x.median()), "q1": float(x.quantile(0.25)),
            "q3": float(x.quantile(0.75)), "min": float(x.min()), "max": float(x.max())}


def _codes(pc: PatientCodes | None, treatments, patients, ae) -> PatientCodes:
    if pc is not None:
        return pc
    tables = {"treatments": treatments, "patients": patients}
    if ae is not None:
        tables["adverse_events"] = ae
    return PatientCodes(tables)


def _sort_key(s: pd.Series) -> np.ndarray:
    """pandas' own multi-column sort key of a column (``sorting.lexsort_indexer``: ordered categorical
    codes, missing last)."""
    cat = pd.Categorical(s, ordered=True)
    codes = cat.codes.astype(np.int64)
    return np.where(codes < 0, len(cat.categories), codes)


def cycle_table(treatments: pd.DataFrame, patients: pd.DataFrame, ae: pd.DataFrame | None, cfg,
                pc: PatientCodes | None = None) -> tuple:
    """One row per cycle with BSA, doses, delay, reduction and their attribution; and the cycle length."""
    t, length, _ = _cycle_table(treatments, patients, ae, cfg, pc)
    return t, length


def _cycle_table(treatments, patients, ae, cfg, pc) -> tuple:
    """cycle_table and the patient codes of its rows. Rows are sorted by patient, date and cycle; the
    per-patient steps work on the integer patient codes (analysis/patient_codes.py) of the sorted rows,
    whose equal codes are adjacent."""
    pc = _codes(pc, treatments, patients, ae)
    t = treatments.drop(columns=[c for c in treatments.columns if c.startswith("_")])
    pcode = pc.table(treatments)
    pkey = np.where(pcode >= 0, pcode, len(pc)).astype(np.int64)
    order = np.lexsort([_sort_key(t["cycle"]), _sort_key(t["date"]), pkey])    # = sort_values, stable
    if len(t) and (np.diff(order) < 0).any():
        t = t.take(order).reset_index(drop=True)
    else:                            # already in order (a registry's export): no copy of 10^6-10^7 rows
        t.index = pd.RangeIndex(len(t))     # t is drop()'s new frame; its columns are only ever replaced
    code = pcode[order]
    same = np.zeros(len(t), dtype=bool)                # the row before is the same patient's
    same[1:] = (code[1:] == code[:-1]) & (code[1:] >= 0)
    pcodes = pc.table(patients)
    first = np.unique(pcodes, return_index=True)       # the first patients row of each id
    at = np.full(len(pc) + 1, -1, dtype=np.int64)
    at[first[0][first[0] >= 0]] = first[1][first[0] >= 0]
    prow = at[np.where(code >= 0, code, len(pc))]      # each cycle's patients row (-1: none)
    size = {}
    for col in ("height_cm", "weight_kg"):
        own = t[col].astype(float) if col in t.columns else pd.Series(np.nan, index=t.index)
        if col in patients.columns:
            pv = np.append(patients[col].astype(float).to_numpy(dtype=float, na_value=np.nan), np.nan)
            base = pd.Series(pv[prow], index=t.index)
        else:
            base = pd.Series(np.nan, index=t.index)
        size[col] = own.fillna(base)
    computed = pd.Series(bsa(size["height_cm"], size["weight_kg"], cfg.bsa_formula), index=t.index)
    given = t["bsa_m2"].astype(float) if "bsa_m2" in t.columns else pd.Series(np.nan, index=t.index)
    t["bsa_m2"] = given.fillna(computed)
    t["bsa_source"] = _labels(np.where(given.notna(), 0, np.where(computed.notna(), 1, 2)),
                              ("given", cfg.bsa_formula, "missing"))
    dose = t["dose_mg_m2"].astype(float) if "dose_mg_m2" in t.columns else pd.Series(np.nan, index=t.index)
    if "dose_mg" in t.columns:
        dose = dose.fillna(t["dose_mg"].astype(float) / t["bsa_m2"])
    t["dose_mg_m2"] = dose
    gaps = (t["date"] - t["date"].shift(1)).where(same).dt.days      # = groupby(patient).diff()
    length = float(cfg.cycle_days) if cfg.cycle_days else (float(gaps.median()) if gaps.notna().any() else np.nan)
    t["interval_days"] = gaps
    t["delay_days"] = (gaps - length).clip(lower=0)
    t["delayed"] = (t["delay_days"] > cfg.delay_days).fillna(False)
    planned = t["planned_dose_mg_m2"].astype(float) if "planned_dose_mg_m2" in t.columns else \
        pd.Series(np.nan, index=t.index)
    t["reduced"] = (t["dose_mg_m2"] < cfg.reduction_threshold * planned).fillna(False)
    reduced = t["reduced"].to_numpy(dtype=bool)
    was = np.zeros(len(t), dtype=bool)
    was[1:] = reduced[:-1] & same[1:]
    t["reduction"] = reduced & ~was                # the act of reducing (a reduced dose usually persists)
    # attribution: the cycle's own reason, else a grade >= 3 event in the previous cycle
    prev_severe = np.zeros(len(t), dtype=bool)
    if ae is not None and not ae.empty:
        from .toxicity import cycle_values      # the event's cycle: its cycle column, else by its date
        cyc = cycle_values(ae, treatments, pc)
        sev = (ae["grade"] >= 3).to_numpy() & ~np.isnan(cyc) & (pc.table(ae) >= 0)
        prev_cycle = np.full(len(t), np.nan)
        prev_cycle[1:] = np.where(same[1:], t["cycle"].astype(float).to_numpy(float, na_value=np.nan)[:-1], np.nan)
        ask = ~np.isnan(prev_cycle) & (code >= 0)
        prev_severe[ask] = _pairs_in(code[ask], prev_cycle[ask], pc.table(ae)[sev], cyc[sev], len(pc))
    reason = t["modification_reason"] if "modification_reason" in t.columns else pd.Series(None, index=t.index)
    has_reason = _has_text(reason)
    tox = np.where(has_reason, is_toxicity(reason), prev_severe)
    t["toxicity_attributed"] = (t["delayed"] | t["reduction"]) & tox
    t["attribution"] = _labels(np.where(has_reason, 0, 1),
                               ("recorded reason", "grade >= 3 event in the previous cycle"))
    return t, length, code


def _pairs_in(code: np.ndarray, cycle: np.ndarray, ref_code: np.ndarray, ref_cycle: np.ndarray,
              n_codes: int) -> np.ndarray:
    """(patient code, cycle) pairs found among the reference pairs (no missing cycles), as
    ``MultiIndex.isin``: the cycles are factorised together, each pair is one integer, looked up in a
    table of every (patient, cycle) (a hash set when that table would be large)."""
    cc, cu = pd.factorize(np.concatenate([cycle, ref_cycle]))
    key = code.astype(np.int64) * max(len(cu), 1) + cc[:len(cycle)]
    ref = ref_code.astype(np.int64) * max(len(cu), 1) + cc[len(cycle):]
    size = n_codes * max(len(cu), 1)
    if size <= 50_000_000:
        table = np.zeros(size, dtype=bool)
        table[ref] = True
        return table[key]
    return pd.Index(key).isin(ref)


def _stop_reasons(t: pd.DataFrame, patients: pd.DataFrame, code: np.ndarray, pc: PatientCodes) -> tuple:
    """One stop reason per treated patient: patients.stop_reason, else the last cycle's stop_reason; as a
    Series by patient id (in the rows' order) and per row of ``t`` (sorted by patient code)."""
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if len(t) else np.zeros(0, dtype=np.int64)
    flag = np.zeros(len(t), dtype=np.int64)
    flag[starts] = 1
    run = np.cumsum(flag) - 1                                        # each row's patient (run of equal codes)
    ucode = code[starts]
    out = np.full(len(starts), None, dtype=object)
    if "stop_reason" in t.columns:
        sr = t["stop_reason"].to_numpy(dtype=object)
        rows = np.flatnonzero(pd.notna(sr) & (code >= 0))
        last = np.r_[run[rows][1:] != run[rows][:-1], True] if rows.size else np.zeros(0, dtype=bool)
        out[run[rows][last]] = sr[rows][last]                          # = groupby(patient).last()
    if "stop_reason" in patients.columns:
        pcodes = pc.table(patients)
        u, first = np.unique(pcodes, return_index=True)
        at = np.full(len(pc) + 1, -1, dtype=np.int64)
        at[u[u >= 0]] = first[u >= 0]
        prow = at[np.where(ucode >= 0, ucode, len(pc))]
        pr = pd.Series(np.append(patients["stop_reason"].to_numpy(dtype=object), None)[prow])
        out = np.where(_has_text(pr), pr.to_numpy(dtype=object), out)
    codes, uniques = pd.factorize(out)                               # normalised once per distinct reason
    text = np.array([str(v).strip().lower() for v in uniques] + ["not recorded"], dtype=object)[codes]
    return pd.Series(text, index=pd.Index(t["patient_id"].to_numpy(dtype=object)[starts], dtype=object)), \
        text[run]


def _distinct(code: np.ndarray) -> int:
    """Number of distinct patients (codes, missing left out) of rows sorted by code."""
    c = code[code >= 0]
    return int(c.size and np.count_nonzero(c[1:] != c[:-1]) + 1)


def dosing_section(treatments: pd.DataFrame | None, patients: pd.DataFrame, ae: pd.DataFrame | None,
                   cfg, pc: PatientCodes | None = None) -> tuple[dict | None, pd.DataFrame | None]:
    """The ``dosing`` section of results.json and the per-cycle table (derived/cycles.csv); ``pc``: the
    run's patient codes (built here when not given)."""
    if treatments is None or treatments.empty:
        return None, None
    pc = _codes(pc, treatments, patients, ae)
    t, length, code = _cycle_table(treatments, patients, ae, cfg, pc)
    g = t.groupby(np.where(code >= 0, code, np.nan) if (code < 0).any() else code, sort=True)
    weeks = ((g["date"].max() - g["date"].min()).dt.days + length) / 7.0
    total = g["dose_mg_m2"].sum(min_count=1)
    delivered = total / weeks
    planned_di = g["planned_dose_mg_m2"].mean() / (length / 7.0) if "planned_dose_mg_m2" in t.columns else None
    rdi = (delivered / planned_di).replace([np.inf, -np.inf], np.nan) if planned_di is not None else None
    per_cycle = []
    cols = ["cycle", "dose_mg_m2", "bsa_m2", "reduced", "reduction", "delayed", "toxicity_attributed"]
    by_cycle = t[cols].groupby("cycle")
    for c, part in by_cycle:     # a few cycle numbers, not rows
        rows = by_cycle.indices[c]
        per_cycle.append({"cycle": int(c), "patients": _distinct(code[rows]),     # rows ascending: codes sorted
                          "dose_mg_m2": _summary(part["dose_mg_m2"]), "bsa_m2": _summary(part["bsa_m2"]),
                          "reduced": int(part["reduced"].sum()), "reductions": int(part["reduction"].sum()),
                          "delayed": int(part["delayed"].sum()),
                          "toxicity_attributed": int(part["toxicity_attributed"].sum())})
    stops, stop_of_row = _stop_reasons(t, patients, code, pc)
    n = _distinct(code)
    delayed = t["delayed"].to_numpy(dtype=bool)
    out = {
        "patients_treated": n, "cycles_total": int(len(t)),
        "bsa": {"formula": cfg.bsa_formula, "formula_text": FORMULAS[cfg.bsa_formula],
                "cycles_given": int((t["bsa_source"] == "given").sum()),
                "cycles_computed": int((t["bsa_source"] == cfg.bsa_formula).sum()),
                "cycles_missing": int((t["bsa_source"] == "missing").sum()),
                "per_cycle": _summary(t["bsa_m2"])},
        "cycle_days": float(length) if np.isfinite(length) else None,
        "cycle_days_source": "study.yaml" if cfg.cycle_days else ("median interval" if np.isfinite(length) else
                                                                  "not known: no patient had two cycles; set "
                                                                  "exposure.cycle_days in study.yaml"),
        "delay_threshold_days": cfg.delay_days, "reduction_threshold": cfg.reduction_threshold,
        "cumulative_dose_g_m2": _summary(total / 1000.0),
        "dose_intensity_mg_m2_week": {"delivered": _summary(delivered),
                                      "planned": _summary(planned_di) if planned_di is not None else None},
        "relative_dose_intensity": _summary(rdi) if rdi is not None else None,
        "rdi_at_least_85": int((rdi >= 0.85).sum()) if rdi is not None and rdi.notna().any() else None,
        "rdi_definition": ("delivered dose intensity (total mg/m2 / ((last - first cycle, days) + planned cycle "
                           "length) x 7) / planned dose intensity (planned mg/m2 per cycle / planned cycle "
                           "length x 7)"),
        "delays": {"cycles": int(t["delayed"].sum()), "patients": _distinct(code[delayed]),
                   "days": _summary(t.loc[t["delayed"], "delay_days"])},
        "reductions": {"cycles": int(t["reduced"].sum()), "events": int(t["reduction"].sum()),
                       "patients": _distinct(code[t["reduced"].to_numpy(dtype=bool)])},
        "toxicity": {"delayed_cycles": int((t["delayed"] & t["toxicity_attributed"]).sum()),
                     "reductions": int((t["reduction"] & t["toxicity_attributed"]).sum()),
                     "discontinuations": int(is_toxicity(stops).sum()),
                     "attribution": ("recorded modification_reason" if "modification_reason" in t.columns
                                     else "grade >= 3 adverse event in the previous cycle")},
        "per_cycle": per_cycle,
        "stop_reasons": [{"reason": k, "n": int(v), "percent": 100.0 * v / n}
                         for k, v in stops.value_counts().sort_index().items()],
    }
    cols = (["patient_id", "cycle", "date", "bsa_m2", "bsa_source", "dose_mg_m2"]
            + [c for c in ("planned_dose_mg_m2",) if c in t.columns]
            + ["interval_days", "delay_days", "delayed", "reduced", "reduction", "toxicity_attributed"])
    cycles = pd.DataFrame({**{c: t[c] for c in cols}, "stop_reason": stop_of_row}, index=t.index, copy=False)
    return out, cycles
