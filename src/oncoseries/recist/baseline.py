"""Baseline scan, target-lesion measurability and the response population (RECIST 1.1, Eisenhauer 2009).

Rules (sources in docs/recist.md):

- Baseline is the last scan on or before ``start_date`` and at most ``baseline_window_days`` before
  it (INTERFACE §5; RECIST 1.1 §3.1: "as close as possible to the treatment start and never more
  than 4 weeks before").
- A target lesion is measurable when its longest diameter is >= 10 mm (non-nodal) or its short
  axis is >= 15 mm (node); otherwise it is counted as a non-target lesion, with a warning (RECIST
  1.1 measurability at baseline; nodes of 10-<15 mm are pathological but non-measurable).
- At most 5 target lesions and 2 per organ, all lymph nodes being one organ (RECIST 1.1 baseline
  documentation of target lesions; EORTC FAQ): more only raises a warning; the investigator's selection is kept.
- Disease at baseline: at least one target or non-target lesion on the baseline scan. Patients with
  only non-target (non-measurable) lesions are assessed by the RECIST 1.1 non-target table (Table 2)
  and get a best response (``measurable`` False).
- The response population (``settings.population``): ``measurable`` (default) = the patients with
  at least one measurable target lesion at baseline (RECIST 1.1 §3.1.2: ORR needs measurable
  disease); ``all`` = every patient with disease at baseline. The others get a reason and stay in
  PFS/OS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._encode import (NEW, NON_TARGET, TARGET, Encoded, Warnings, encode)
from .settings import TOL, RecistSettings
from .tables import select_text

MAX_TARGETS, MAX_PER_ORGAN = 5, 2
MEASURABLE_MM, MEASURABLE_NODE_MM = 10.0, 15.0

REASON_NO_LESIONS = "no lesions recorded"
REASON_NO_BASELINE = "no baseline scan within {days} days before start_date"
REASON_NOT_MEASURABLE = "non-measurable disease only (no measurable target lesion at baseline)"
REASON_NO_DISEASE = "no target or non-target lesion on the baseline scan"


@dataclass
class Baseline:
    """Per-patient baseline results (arrays in patients-table order) and per-lesion baseline roles."""

    day: np.ndarray          # baseline scan day (NaN: none)
    n_target: np.ndarray     # measurable target lesions at baseline
    n_non_target: np.ndarray
    target_sum: np.ndarray   # baseline sum of diameters (NaN when no target)
    lesion_role: np.ndarray  # per lesion key: effective baseline role (-1: not at baseline)
    lesion_rec_role: np.ndarray  # per lesion key: recorded baseline role (-1: not at baseline)
    is_baseline: np.ndarray  # per observation: on the baseline scan
    population: pd.DataFrame


def measurable(value: np.ndarray, nodal: np.ndarray) -> np.ndarray:
    """RECIST 1.1 measurability: LD >= 10 mm (non-nodal) or SA >= 15 mm (node), inclusive with tolerance."""
    with np.errstate(invalid="ignore"):
        return np.where(nodal, value >= MEASURABLE_NODE_MM - TOL, value >= MEASURABLE_MM - TOL)


def find_baseline(enc: Encoded, settings: RecistSettings, warn: Warnings) -> Baseline:
    """Baseline day, effective target/non-target roles and the response population."""
    npat = len(enc.ids)
    sd = enc.start[enc.pc]
    w = settings.baseline_window_days
    in_window = (enc.day <= sd) & (enc.day >= sd - w)
    bday = np.full(npat, np.nan)
    np.fmax.at(bday, enc.pc[in_window], enc.day[in_window])
    is_base = enc.day == bday[enc.pc]
    pid = enc.ids.to_numpy(dtype=object)

    new_at_base = is_base & (enc.role == NEW)
    warn.add(pid[enc.pc[new_at_base]], enc.lesion_id[new_at_base],
             "lesion with role 'new' on the baseline scan; ignored", enc.row[new_at_base])

    base_t = is_base & (enc.role == TARGET)
    ok = measurable(enc.value, enc.nodal)
    demote = base_t & ~ok
    if demote.any():
        v = enc.value[demote]
        kind = np.where(enc.nodal[demote], "node short axis", "longest diameter")
        need = np.where(enc.nodal[demote], "15", "10")
        shown = np.where(np.isnan(v), "not measured", pd.Series(v).map("{:g} mm".format).to_numpy())
        msg = [f"target lesion not measurable at baseline ({k} {s}; needs >= {n} mm): counted as "
               "non-target" for k, s, n in zip(kind, shown, need)]
        warn.add(pid[enc.pc[demote]], enc.lesion_id[demote], msg, enc.row[demote])
    eff_t = base_t & ok
    eff_nt = is_base & ((enc.role == NON_TARGET) | demote)

    lesion_role = np.full(enc.n_lesions, -1, dtype=np.int8)
    lesion_role[enc.lk[eff_nt]] = NON_TARGET
    lesion_role[enc.lk[eff_t]] = TARGET
    lesion_rec_role = np.full(enc.n_lesions, -1, dtype=np.int8)
    rec = is_base & (enc.role != NEW)
    lesion_rec_role[enc.lk[rec]] = enc.role[rec]

    n_t = np.bincount(enc.pc[eff_t], minlength=npat)
    n_nt = np.bincount(enc.pc[eff_nt], minlength=npat)
    tsum = np.bincount(enc.pc[eff_t], weights=enc.value[eff_t], minlength=npat).astype("float64")
    tsum[n_t == 0] = np.nan
    _check_target_counts(enc, eff_t, pid, warn)

    has_rows = np.bincount(enc.pc, minlength=npat) > 0
    is_meas = n_t > 0
    disease = is_meas | (n_nt > 0)
    in_pop = disease if settings.population == "all" else is_meas
    reason = select_text([~has_rows, np.isnan(bday), ~disease, ~in_pop],
                         [REASON_NO_LESIONS, REASON_NO_BASELINE.format(days=w), REASON_NO_DISEASE,
                          REASON_NOT_MEASURABLE], "")
    population = pd.DataFrame({"patient_id": pid, "evaluable": in_pop, "reason": reason,
                               "measurable": is_meas, "baseline_disease": disease})
    return Baseline(day=bday, n_target=n_t, n_non_target=n_nt, target_sum=tsum, lesion_role=lesion_role,
                    lesion_rec_role=lesion_rec_role, is_baseline=is_base, population=population)


def _check_target_counts(enc: Encoded, eff_t: np.ndarray, pid: np.ndarray, warn: Warnings) -> None:
    """RECIST 1.1 §3.2 target selection: at most 5 targets, 2 per organ; all lymph nodes are one organ.

    Warnings only, each naming the spreadsheet rows of the targets concerned (row = the first of them).
    """
    npat = len(pid)
    n_t = np.bincount(enc.pc[eff_t], minlength=npat)
    t_idx = np.flatnonzero(eff_t)
    many = np.flatnonzero(n_t > MAX_TARGETS)
    if len(many):
        sel = t_idx[np.isin(enc.pc[t_idx], many)]
        rows = pd.Series(enc.row[sel]).groupby(enc.pc[sel], sort=True).agg(list)
        warn.add(pid[rows.index.to_numpy()], None,
                 [f"{len(r)} target lesions at baseline (RECIST 1.1 allows at most {MAX_TARGETS}); rows "
                  f"{_rows_text(r)}" for r in rows], [min(r) for r in rows])
    key = pd.Series(enc.organ[eff_t], dtype=object).astype("string").str.strip().str.lower()
    key = key.where(~enc.nodal[eff_t], "lymph node")
    known = (key.notna() & (key != "")).to_numpy(dtype=bool)
    key = key.to_numpy(dtype=object)
    if not known.any():
        return
    df = pd.DataFrame({"pc": enc.pc[eff_t][known], "organ": key[known], "row": enc.row[eff_t][known]})
    size = df.groupby(["pc", "organ"], sort=True)["row"].transform("size").to_numpy()
    over_rows = df[size > MAX_PER_ORGAN]       # lists only for the (few) groups over the limit
    over = over_rows.groupby(["pc", "organ"], sort=True)["row"].agg(list)
    if len(over):
        pcs = over.index.get_level_values(0).to_numpy()
        warn.add(pid[pcs], None, [f"{len(r)} target lesions in organ '{o}' at baseline (RECIST 1.1 allows at "
                                  f"most {MAX_PER_ORGAN} per organ; all lymph nodes are one organ); rows "
                                  f"{_rows_text(r)}" for o, r in zip(over.index.get_level_values(1), over)],
                 [min(r) for r in over])


def _rows_text(rows) -> str:
    return ", ".join(str(int(r)) for r in sorted(rows))


def derive_baseline(patients: pd.DataFrame, lesions: pd.DataFrame,
                    settings: RecistSettings | None = None):
    """Baseline population and warnings from typed tables.

    Parameters
    ----------
    patients, lesions : pandas.DataFrame
        The typed intake tables (INTERFACE §1).
    settings : RecistSettings, optional

    Returns
    -------
    (population, baseline_lesions, warnings): population is a DataFrame ``patient_id, evaluable,
    reason``; baseline_lesions lists the baseline observations with their effective ``role``,
    ``diameter_used`` and ``measurable``; warnings is a list of :class:`RecistWarning`.
    """
    settings = settings or RecistSettings()
    warn = Warnings()
    enc = encode(patients, lesions, warn)
    base = find_baseline(enc, settings, warn)
    b = base.is_baseline & (enc.role != NEW)
    role = base.lesion_role[enc.lk[b]]
    table = pd.DataFrame({
        "patient_id": enc.ids.to_numpy(dtype=object)[enc.pc[b]],
        "lesion_id": enc.lesion_id[b],
        "role": np.where(role == TARGET, "target", "non_target"),
        "nodal": enc.nodal[b],
        "diameter_used": enc.value[b],
        "measurable": measurable(enc.value[b], enc.nodal[b]),
    })
    return base.population, table, warn.records()
