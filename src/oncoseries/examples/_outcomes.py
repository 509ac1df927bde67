"""Intended outcomes of the synthetic HD-ifosfamide series: who responds, progresses, is operated, dies.

Everything is decided first, in days from ``start_date`` (day 0 = cycle 1), and rendered into lesion
measurements afterwards (``_lesions``), so that the RECIST derivation and the endpoint rules of
INTERFACE §5 give back exactly these outcomes:

* PFS: a target time is drawn from a piecewise curve with a proportional effect of ``prior_ifosfamide``
  (stratified quantiles, so that each group follows its curve closely); progression is seen at the
  first scheduled CT on or after it (every 6-9 weeks in the first year, 9-13 weeks later), or for a
  few patients is clinical (``progression_date``).
* CR2 (second surgical complete remission) goes to patients with later progression; they have a
  metastasectomy (``new_therapy_date``) after a response/stable scan, and relapse with new lesions.
* Responders (1 CR + 9 PR per 51) are chosen among patients still progression-free at the second scan.
* OS: a piecewise curve with a proportional effect of CR2, paired within each CR2 group with PFS by
  rank, never less than two weeks after progression; administrative censoring at the data cut-off.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

MONTH = 30.4375
ACCRUAL = (np.datetime64("2007-01-08"), np.datetime64("2018-12-21"))
CUTOFF = np.datetime64("2020-03-31")          # data cut-off: every date is on or before it

# Calibration constants (Palmerini et al. 2020, Cells 9:2389; see docs/example-study.md)
P_PRIOR_IFO = 28 / 51
P_CR2 = 26 / 51
P_CR = 1 / 51
P_PR = 9 / 51
# Survival curves of the whole series at knots (months): PFS mixes prior_ifosfamide yes/no (HR 2.0),
# OS mixes cr2 yes/no (HR 0.13). The knot values are the targets (median PFS 6, 6-month PFS 51%,
# median OS 15, 2-year OS 30%, and survival where the 95% CI of each median ends), adjusted once for
# the scan schedule and the OS >= PFS rule (tools: docs/example-study.md).
PFS_KNOTS = np.array([0, 1.5, 3, 4, 6, 9, 12, 18, 24, 36, 60, 120])
PFS_SURV = np.array([1, .85, .72, .60, .47, .31, .227, .135, .093, .058, .03, .0053])
PFS_HR = 2.0
OS_KNOTS = np.array([0, 2, 4, 6, 8, 10, 12, 15, 19, 24, 36, 60, 120])
OS_SURV = np.array([1, .89, .84, .805, .715, .616, .568, .499, .344, .30, .22, .121, .0304])
OS_HR = 0.13
P_CLINICAL = 0.04              # progression recorded clinically (progression_date), not on a scan
CR2_NOISE = 0.6                # how loosely CR2 follows a long PFS (sd of log-time noise)
RESP_NOISE = 1.0
RESP_BIAS = -0.1             # responders: weight of log PFS in the choice (DOR about 5 months)
PAIR_NOISE = 0.35


@dataclass
class Outcomes:
    """Intended outcomes, one entry per patient (days are counted from start_date = day 0)."""

    start: np.ndarray          # datetime64[D]
    prior_ifo: np.ndarray      # bool
    cr2: np.ndarray            # bool
    scans: np.ndarray          # (n, m) scheduled post-baseline scan days
    n_scans: np.ndarray        # scans actually done (the first n_scans columns)
    pd_scan: np.ndarray        # 1-based index of the PD scan, 0 when none is observed
    clinical: np.ndarray       # bool: progression_date (clinical) instead of a PD scan
    prog_day: np.ndarray       # observed progression day (scan or clinical), -1 when none
    bor: np.ndarray            # "CR", "PR", "SD", "PD" (intended unconfirmed BOR)
    resp_scan: np.ndarray      # 1-based first CR/PR scan (0 for non-responders)
    cr_scan: np.ndarray        # 1-based first CR scan (0 when none)
    surgery_scan: np.ndarray   # metastasectomy after this scan (0 when none)
    surgery_day: np.ndarray    # -1 when none
    dead: np.ndarray           # bool
    death_day: np.ndarray      # -1 when alive
    last_day: np.ndarray       # last contact (death day when dead)

    @property
    def n(self) -> int:
        return len(self.start)


def exact_flags(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """Exactly round(n * p) True values at random positions."""
    flags = np.zeros(n, dtype=bool)
    flags[rng.permutation(n)[: int(round(n * p))]] = True
    return flags


def stratified_uniform(rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
    """Uniforms that fill each group's (0, 1) evenly: (rank + U) / n_g, ranks in random order."""
    groups = np.asarray(groups, dtype=np.int64)
    n = len(groups)
    order = np.lexsort((rng.random(n), groups))
    g = groups[order]
    counts = np.bincount(g)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    pos = np.arange(n) - starts[g]
    u = np.empty(n)
    u[order] = (pos + rng.random(n)) / counts[g]
    return u


@functools.lru_cache(maxsize=64)
def _baseline_hazard(surv: tuple, p_exposed: float, hr: float) -> np.ndarray:
    surv = np.asarray(surv)
    lo, hi = np.zeros(len(surv)), np.full(len(surv), 60.0)
    for _ in range(80):                                  # bisection, vectorised over the knots
        mid = 0.5 * (lo + hi)
        s = (1 - p_exposed) * np.exp(-mid) + p_exposed * np.exp(-hr * mid)
        lo, hi = np.where(s > surv, mid, lo), np.where(s > surv, hi, mid)
    return 0.5 * (lo + hi)


def baseline_hazard(surv: np.ndarray, p_exposed: float, hr: float) -> np.ndarray:
    """H0 at the knots such that (1 - p) exp(-H0) + p exp(-hr H0) equals the mixture survival."""
    return _baseline_hazard(tuple(float(x) for x in surv), float(p_exposed), float(hr))


def curve_days(u: np.ndarray, knots: np.ndarray, h0: np.ndarray, hr: np.ndarray) -> np.ndarray:
    """Times (days) with survival u under S(t) = exp(-hr H0(t)), H0 linear between the knots and with
    the last slope beyond them."""
    h = -np.log(u) / hr
    t = np.interp(h, h0, knots)
    slope = (h0[-1] - h0[-2]) / (knots[-1] - knots[-2])
    t = np.where(h > h0[-1], knots[-1] + (h - h0[-1]) / slope, t)
    return t * MONTH


def scan_schedule(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    """(n, m) scan days: first at 42-63 days, then every 42-63 days in year one, 63-91 days after.

    A gap is a first-year one while the previous scan is before day 365; as the first-year days are
    increasing, that is every column up to the first whose first-year cumulative day reaches 365."""
    early = rng.integers(42, 64, (n, m))
    late = rng.integers(63, 92, (n, m))
    k = (np.cumsum(early, axis=1) < 365).sum(axis=1)
    gaps = np.where(np.arange(m) <= k[:, None], early, late)
    return np.cumsum(gaps, axis=1)


def _top(score: np.ndarray, eligible: np.ndarray, k: int) -> np.ndarray:
    """The k eligible entries with the highest score (fewer if not enough are eligible)."""
    s = np.where(eligible, score, -np.inf)
    chosen = np.zeros(len(s), dtype=bool)
    k = min(k, int(eligible.sum()))
    if k > 0:
        chosen[np.argsort(-s, kind="stable")[:k]] = True
    return chosen


def draw_outcomes(rng: np.random.Generator, n: int) -> Outcomes:
    """One draw of intended outcomes for n patients (vectorised)."""
    span = int((ACCRUAL[1] - ACCRUAL[0]).astype(int))
    start = np.sort(ACCRUAL[0] + rng.integers(0, span + 1, n).astype("timedelta64[D]"))
    cutoff_day = (CUTOFF - start).astype(np.int64)
    prior_ifo = exact_flags(rng, n, P_PRIOR_IFO)

    # PFS target times and the scans that see them
    u = stratified_uniform(rng, prior_ifo)
    h0 = baseline_hazard(PFS_SURV, prior_ifo.mean(), PFS_HR)
    target = curve_days(u, PFS_KNOTS, h0, np.where(prior_ifo, PFS_HR, 1.0))
    m = 12 + int(np.ceil((cutoff_day.max() - 365) / 63))
    scans = scan_schedule(rng, n, m)
    k = (scans < target[:, None]).sum(axis=1) + 1           # first scan on/after the target
    k = np.where(k > m, 0, k)
    clinical = (rng.random(n) < P_CLINICAL) & (target > scans[:, 0] + 7) & (k > 0)
    k = np.where(clinical, 0, k)
    rows = np.arange(n)
    prog = np.where(k > 0, scans[rows, np.maximum(k, 1) - 1], -1)
    prog = np.where(clinical, np.ceil(target).astype(np.int64), prog)
    has_prog = prog >= 0

    # CR2 (surgery) and responders: progression-free at the second scan at least
    later = (k >= 2) | (~has_prog)
    log_t = np.log(np.where(has_prog, prog, scans[:, -1]).astype(float))
    n_cr2 = int(round(n * P_CR2))
    cr2 = _top(log_t + CR2_NOISE * rng.standard_normal(n), later & ~clinical, n_cr2)
    n_cr, n_pr = int(round(n * P_CR)), int(round(n * P_PR))
    score = RESP_BIAS * log_t + RESP_NOISE * rng.standard_normal(n) + 0.3 * cr2
    resp = _top(score, later & ~clinical, n_cr + n_pr)
    third = (k >= 3) | (~has_prog)
    cr = _top(np.where(resp & cr2, log_t + 0.3 * rng.standard_normal(n), -np.inf), resp & cr2 & third, n_cr)
    if cr.sum() < n_cr:   # not enough long-PFS CR2 responders: any responder
        cr |= _top(np.where(resp & ~cr, log_t, -np.inf), resp & ~cr, n_cr - int(cr.sum()))
    kk = np.where(has_prog & ~clinical, k, m + 1)             # scans before progression + 1
    resp_scan = np.where(resp, np.where((rng.random(n) < 0.5) & (kk >= 3), 2, 1), 0)
    resp_scan = np.where(cr, 1, resp_scan)
    cr_scan = np.where(cr, np.minimum(2, kk - 1), 0)
    bor = np.where(cr, "CR", np.where(resp, "PR", np.where(k == 1, "PD", "SD")))

    # metastasectomy after the response (responders) or after scan 1-2 (stable disease)
    surg = cr2 & ~cr
    js = np.where(resp, resp_scan + (rng.random(n) < 0.4), 1 + (rng.random(n) < 0.4))
    js = np.where(surg, np.clip(js, 1, kk - 1), 0)
    j0 = np.maximum(js, 1) - 1
    gap = scans[rows, np.minimum(j0 + 1, m - 1)] - scans[rows, j0]
    surgery_day = np.where(surg, scans[rows, j0] + 14 + (rng.random(n) * (gap - 27)).astype(np.int64), -1)

    # OS: the curve by CR2, paired with PFS by rank inside each CR2 group
    u_os = stratified_uniform(rng, cr2)
    h0 = baseline_hazard(OS_SURV, cr2.mean(), OS_HR)
    os_t = curve_days(u_os, OS_KNOTS, h0, np.where(cr2, OS_HR, 1.0))
    pfs_t = np.where(has_prog, prog, target).astype(float)
    key = np.log(pfs_t) + PAIR_NOISE * rng.standard_normal(n)
    death = np.empty(n)
    for g in (False, True):
        idx = np.flatnonzero(cr2 == g)
        death[idx[np.argsort(key[idx])]] = np.sort(os_t[idx])
    floor = pfs_t + 14
    death = np.where(death < floor, floor + rng.integers(0, 90, n), death)
    death = np.round(death).astype(np.int64)

    dead = death <= cutoff_day
    last = np.where(dead, death, cutoff_day - rng.integers(0, 61, n))
    # scans done: up to the progression scan, and not after the last contact
    limit = np.where(has_prog & ~clinical, prog, np.where(clinical, prog - 1, last))
    limit = np.minimum(limit, last)
    n_scans = (scans <= limit[:, None]).sum(axis=1)
    seen = has_prog & (prog <= last)
    pd_scan = np.where(seen & ~clinical, k, 0)
    prog_day = np.where(seen, prog, -1)
    return Outcomes(start=start, prior_ifo=prior_ifo, cr2=cr2, scans=scans, n_scans=n_scans,
                    pd_scan=pd_scan, clinical=clinical & seen, prog_day=prog_day, bor=bor,
                    resp_scan=resp_scan, cr_scan=cr_scan, surgery_scan=js, surgery_day=surgery_day,
                    dead=dead, death_day=np.where(dead, death, -1), last_day=last)


def endpoints_days(o: Outcomes) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """PFS, OS and DOR (days, event) as INTERFACE §5 derives them (ADTTE aval = adt - startdt + 1 days)."""
    rows = np.arange(o.n)
    last_scan = np.where(o.n_scans > 0, o.scans[rows, np.maximum(o.n_scans, 1) - 1], 0)
    pfs_event = o.prog_day >= 0
    pfs = np.where(pfs_event, o.prog_day, last_scan) + 1
    os_days = np.where(o.dead, o.death_day, o.last_day) + 1
    resp = o.resp_scan > 0
    r_day = o.scans[rows, np.maximum(o.resp_scan, 1) - 1]
    dor = (np.where(pfs_event, o.prog_day, last_scan) - r_day + 1)[resp]
    return {"PFS": (pfs, pfs_event), "OS": (os_days, o.dead), "DOR": (dor, pfs_event[resp])}


def endpoints_months(o: Outcomes) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """PFS, OS and DOR (months = days / 30.4375, event), from ``endpoints_days``."""
    return {k: (t / MONTH, e) for k, (t, e) in endpoints_days(o).items()}
