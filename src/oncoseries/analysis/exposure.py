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
    t = text.fillna("").astype(str).str.lower()
    codes, uniques = pd.factorize(t)
    hit = np.array([any(k in s for k in TOXICITY_WORDS) for s in uniques] + [False], dtype=bool)
    return pd.Series(hit[codes], index=text.index, dtype=bool)


def _summary(x: pd.Series) -> dict | None:
    x = x.dropna().astype(float)
    if x.empty:
        return None
    return {"n": int(x.size), "median": float(x.median()), "q1": float(x.quantile(0.25)),
            "q3": float(x.quantile(0.75)), "min": float(x.min()), "max": float(x.max())}


def cycle_table(treatments: pd.DataFrame, patients: pd.DataFrame, ae: pd.DataFrame | None, cfg) -> tuple:
    """One row per cycle with BSA, doses, delay, reduction and their attribution; and the cycle length."""
    t = treatments.drop(columns=[c for c in treatments.columns if c.startswith("_")]).copy()
    t = t.sort_values(["patient_id", "date", "cycle"], kind="stable").reset_index(drop=True)
    p = patients.drop_duplicates("patient_id").set_index("patient_id")
    bsa_source = pd.Series("given", index=t.index)
    size = {}
    for col in ("height_cm", "weight_kg"):
        own = t[col] if col in t.columns else pd.Series(np.nan, index=t.index)
        base = t["patient_id"].map(p[col]) if col in p.columns else pd.Series(np.nan, index=t.index)
        size[col] = own.astype(float).fillna(base.astype(float))
    computed = pd.Series(bsa(size["height_cm"], size["weight_kg"], cfg.bsa_formula), index=t.index)
    given = t["bsa_m2"].astype(float) if "bsa_m2" in t.columns else pd.Series(np.nan, index=t.index)
    t["bsa_m2"] = given.fillna(computed)
    bsa_source = np.where(given.notna(), "given", np.where(computed.notna(), cfg.bsa_formula, "missing"))
    t["bsa_source"] = bsa_source
    dose = t["dose_mg_m2"].astype(float) if "dose_mg_m2" in t.columns else pd.Series(np.nan, index=t.index)
    if "dose_mg" in t.columns:
        dose = dose.fillna(t["dose_mg"].astype(float) / t["bsa_m2"])
    t["dose_mg_m2"] = dose
    gaps = t.groupby("patient_id")["date"].diff().dt.days
    length = float(cfg.cycle_days) if cfg.cycle_days else (float(gaps.median()) if gaps.notna().any() else np.nan)
    t["interval_days"] = gaps
    t["delay_days"] = (gaps - length).clip(lower=0)
    t["delayed"] = (t["delay_days"] > cfg.delay_days).fillna(False)
    planned = t["planned_dose_mg_m2"].astype(float) if "planned_dose_mg_m2" in t.columns else \
        pd.Series(np.nan, index=t.index)
    t["reduced"] = (t["dose_mg_m2"] < cfg.reduction_threshold * planned).fillna(False)
    was = t.groupby("patient_id")["reduced"].shift(1, fill_value=False).astype(bool)
    t["reduction"] = t["reduced"] & ~was            # the act of reducing (a reduced dose usually persists)
    # attribution: the cycle's own reason, else a grade >= 3 event in the previous cycle
    prev_severe = pd.Series(False, index=t.index)
    if ae is not None and not ae.empty:
        from .toxicity import cycle_of      # the event's cycle: its cycle column, else by its date
        cyc = cycle_of(ae, treatments)
        sev = (ae["grade"] >= 3).to_numpy() & cyc.notna().to_numpy()
        keys = pd.MultiIndex.from_arrays([ae["patient_id"].to_numpy()[sev], cyc.to_numpy(float, na_value=np.nan)[sev]])
        prev_cycle = t.groupby("patient_id")["cycle"].shift(1).astype(float)
        prev_severe = pd.Series(pd.MultiIndex.from_arrays([t["patient_id"], prev_cycle]).isin(keys)
                                & prev_cycle.notna().to_numpy(), index=t.index)
    reason = t["modification_reason"] if "modification_reason" in t.columns else pd.Series(None, index=t.index)
    has_reason = reason.fillna("").astype(str).str.strip() != ""
    tox = np.where(has_reason, is_toxicity(reason), prev_severe)
    t["toxicity_attributed"] = (t["delayed"] | t["reduction"]) & tox
    t["attribution"] = np.where(has_reason, "recorded reason", "grade >= 3 event in the previous cycle")
    return t, length


def _stop_reasons(t: pd.DataFrame, patients: pd.DataFrame) -> pd.Series:
    """One stop reason per treated patient: patients.stop_reason, else the last cycle's stop_reason."""
    treated = t["patient_id"].unique()
    out = pd.Series(None, index=treated, dtype=object)
    if "stop_reason" in t.columns:
        last = t.dropna(subset=["stop_reason"]).groupby("patient_id")["stop_reason"].last()
        out.update(last)
    if "stop_reason" in patients.columns:
        pr = patients.drop_duplicates("patient_id").set_index("patient_id")["stop_reason"].reindex(treated)
        out = pr.where(pr.notna() & (pr.astype(str).str.strip() != ""), out)
    return out.fillna("not recorded").astype(str).str.strip().str.lower()


def dosing_section(treatments: pd.DataFrame | None, patients: pd.DataFrame, ae: pd.DataFrame | None,
                   cfg) -> tuple[dict | None, pd.DataFrame | None]:
    """The ``dosing`` section of results.json and the per-cycle table (derived/cycles.csv)."""
    if treatments is None or treatments.empty:
        return None, None
    t, length = cycle_table(treatments, patients, ae, cfg)
    g = t.groupby("patient_id")
    weeks = ((g["date"].max() - g["date"].min()).dt.days + length) / 7.0
    total = g["dose_mg_m2"].sum(min_count=1)
    delivered = total / weeks
    planned_di = g["planned_dose_mg_m2"].mean() / (length / 7.0) if "planned_dose_mg_m2" in t.columns else None
    rdi = (delivered / planned_di).replace([np.inf, -np.inf], np.nan) if planned_di is not None else None
    per_cycle = []
    for c, part in t.groupby("cycle"):     # a few cycle numbers, not rows
        per_cycle.append({"cycle": int(c), "patients": int(part["patient_id"].nunique()),
                          "dose_mg_m2": _summary(part["dose_mg_m2"]), "bsa_m2": _summary(part["bsa_m2"]),
                          "reduced": int(part["reduced"].sum()), "reductions": int(part["reduction"].sum()),
                          "delayed": int(part["delayed"].sum()),
                          "toxicity_attributed": int(part["toxicity_attributed"].sum())})
    stops = _stop_reasons(t, patients)
    n = int(t["patient_id"].nunique())
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
        "delays": {"cycles": int(t["delayed"].sum()), "patients": int(t.loc[t["delayed"], "patient_id"].nunique()),
                   "days": _summary(t.loc[t["delayed"], "delay_days"])},
        "reductions": {"cycles": int(t["reduced"].sum()), "events": int(t["reduction"].sum()),
                       "patients": int(t.loc[t["reduced"], "patient_id"].nunique())},
        "toxicity": {"delayed_cycles": int((t["delayed"] & t["toxicity_attributed"]).sum()),
                     "reductions": int((t["reduction"] & t["toxicity_attributed"]).sum()),
                     "discontinuations": int(is_toxicity(stops).sum()),
                     "attribution": ("recorded modification_reason" if "modification_reason" in t.columns
                                     else "grade >= 3 adverse event in the previous cycle")},
        "per_cycle": per_cycle,
        "stop_reasons": [{"reason": k, "n": int(v), "percent": 100.0 * v / n}
                         for k, v in stops.value_counts().sort_index().items()],
    }
    cycles = t[["patient_id", "cycle", "date", "bsa_m2", "bsa_source", "dose_mg_m2"]
               + [c for c in ("planned_dose_mg_m2",) if c in t.columns]
               + ["interval_days", "delay_days", "delayed", "reduced", "reduction", "toxicity_attributed"]]
    return out, cycles.assign(stop_reason=cycles["patient_id"].map(stops))
