"""Body size, reasons for dose modifications and for stopping, for the synthetic example (issue 14).

Drawn from their own random stream (``SeedSequence([seed, 3])``), so every other file of the example is
unchanged. Height (cm) at baseline is drawn by sex and age; the weight of each cycle is the weight that
gives the patient's BSA by Mosteller's formula, drifting a little from cycle to cycle, so that the BSA
oncoseries computes (Mosteller) is within a few hundredths of a square metre of the drawn one.
"""

from __future__ import annotations

import numpy as np

from ._clinical import AE_TERMS, MAX_CYCLES, SEVERE, Cycles
from ._outcomes import Outcomes


def heights(rng: np.random.Generator, age: np.ndarray, sex: np.ndarray) -> np.ndarray:
    """Height (cm), shorter for children and women; one decimal."""
    mean = np.where(sex == "male", 176.0, 164.0) - np.clip(16 - age, 0, None) * 4.0
    return np.round(np.clip(mean + 7.0 * rng.standard_normal(len(age)), 130, 205), 1)


def cycle_weights(rng: np.random.Generator, bsa: np.ndarray, height: np.ndarray, patient: np.ndarray,
                  cycle: np.ndarray) -> np.ndarray:
    """Weight (kg) per cycle row: Mosteller's inverse w = 3600 BSA^2 / h, then -0.4 kg per cycle +- noise."""
    base = 3600.0 * bsa ** 2 / height[patient]
    drift = -0.4 * (cycle - 1) + 0.5 * rng.standard_normal(len(cycle))
    return np.round(np.clip(base + drift, 20, 150), 1)


def reasons(o: Outcomes, cyc: Cycles) -> tuple[np.ndarray, np.ndarray]:
    """(modification_reason, stop_reason) per cycle row.

    A cycle that is delayed (more than 21 days after the previous one) or the first at the reduced dose is
    'toxicity' when the previous cycle had a severe toxicity (the generator's own rule), else 'scheduling'.
    The last cycle of a patient carries the stop reason: six cycles 'completed', then the cause that cut the
    next cycle (the earliest of them): 'progression', 'metastasectomy', 'death or lost to follow-up'."""
    n_rows = len(cyc.patient)
    terms = np.array([t for t, _, _ in AE_TERMS])
    thresh = np.array([SEVERE.get(t, 99) for t in terms])
    severe_ae = cyc.ae_grade >= thresh[cyc.ae_term]
    key = cyc.patient.astype(np.int64) * (MAX_CYCLES + 2) + cyc.cycle
    severe_keys = np.unique(cyc.ae_patient[severe_ae].astype(np.int64) * (MAX_CYCLES + 2) + cyc.ae_cycle[severe_ae])
    prev_severe = np.isin(key - 1, severe_keys)
    same = np.r_[False, cyc.patient[1:] == cyc.patient[:-1]]
    gap = np.r_[0, np.diff(cyc.day)]
    delayed = same & (gap > 21)
    first_reduced = same & (cyc.dose < np.r_[np.inf, cyc.dose[:-1]])
    modified = delayed | first_reduced
    mod = np.where(modified, np.where(prev_severe, "toxicity", "scheduling"), "")
    last = np.r_[cyc.patient[1:] != cyc.patient[:-1], True]
    p = cyc.patient
    big = np.iinfo(np.int64).max
    cause = np.stack([np.where(o.prog_day >= 0, o.prog_day, big),        # the generator's stopping rule
                      np.where(o.surgery_day >= 0, o.surgery_day - 7, big), o.last_day + 1]).argmin(axis=0)
    names = np.array(["progression", "metastasectomy", "death or lost to follow-up"])
    why = np.where(cyc.cycle >= MAX_CYCLES, "completed", names[cause[p]])
    stop = np.where(last, why, "")
    return mod.astype(object), stop.astype(object)


def dosing_columns(seed: int, o: Outcomes, cyc: Cycles, age: np.ndarray, sex: np.ndarray) -> dict:
    """height_cm per patient; weight_kg, modification_reason, stop_reason per cycle row."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 3]))
    h = heights(rng, age, sex)
    w = cycle_weights(rng, cyc.bsa, h, cyc.patient, cyc.cycle)
    mod, stop = reasons(o, cyc)
    return {"height_cm": h, "weight_kg": w, "modification_reason": mod, "stop_reason": stop}
