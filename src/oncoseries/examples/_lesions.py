"""Render intended outcomes into lesion measurements (lesions.csv) that RECIST 1.1 reads back exactly.

Per patient: <= 5 targets (<= 2 per organ, non-nodal >= 10 mm, nodal short axis >= 15 mm), 0-3
non-targets, a baseline CT 2-27 days before start_date, then the scheduled CTs. The sum of target
diameters at each scan is chosen as an integer inside the band of its intended category, with exact
integer arithmetic (RECIST 1.1: PR <= -30% vs baseline; PD >= +20% and >= +5 mm vs nadir):

* stable:  floor(0.7 B) + 1 <= S <= max(ceil(1.2 N) - 1, N + 4)
* partial response: S <= floor(0.7 B) (and never PD vs the nadir), S >= 0.2 B
* complete response, or after metastasectomy: every target and non-target absent (0 mm)
* progression: S >= max(1.26 N, N + 6), a new lesion, or an unequivocally progressing non-target

and split over the lesions in proportion to their baseline size (remainder to the first target), so
the derived sums equal S. A lesion at 0 mm is written ``absent``, at exactly 5 mm ``too_small``.
Nodal lesions are given only to patients who never reach CR or surgery (a CR needs nodes < 10 mm).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._outcomes import Outcomes

SITES = ("lung", "bone", "both")
# target and non-target slots per relapse site: (organ, nodal); nodal slots come last
TARGET_SLOTS = {
    "lung": [("lung", False), ("lung", False), ("pleura", False), ("lymph node", True)],
    "bone": [("bone", False), ("bone", False), ("soft tissue", False), ("lymph node", True)],
    "both": [("lung", False), ("lung", False), ("bone", False), ("bone", False), ("pleura", False)],
}
NON_TARGET_SLOTS = {
    "lung": [("lung", False), ("pleura", False), ("lymph node", True)],
    "bone": [("bone", False), ("lymph node", True)],
    "both": [("lung", False), ("bone", False), ("lymph node", True)],
}
N_TARGET_P = {"lung": [.4, .42, .12, .06], "bone": [.38, .34, .16, .12], "both": [.35, .35, .18, .12]}
N_NON_TARGET_P = {"lung": [.45, .35, .12, .08], "bone": [.42, .38, .2], "both": [.35, .35, .2, .1]}
# baseline size by organ: (median mm, log-sd, min, max); nodes: short axis
SIZE = {"lung": (18, .45, 10, 60), "pleura": (22, .4, 10, 70), "bone": (42, .4, 15, 120),
        "soft tissue": (30, .4, 12, 90), "lymph node": (19, .2, 15, 35)}
ORGANS = ("lung", "pleura", "bone", "soft tissue", "lymph node")
PD_MODES = ("growth", "new", "growth+new", "non_target")
PD_MODE_P = (.55, .25, .12, .08)


@dataclass
class LesionPlan:
    """Per-patient lesion layout: counts, then flat per-lesion arrays (patient-major, slot order)."""

    n_target: np.ndarray
    n_non_target: np.ndarray
    owner: np.ndarray          # patient of each lesion
    slot: np.ndarray           # 0-based slot within its role
    target: np.ndarray         # bool
    organ: np.ndarray          # index into ORGANS
    nodal: np.ndarray
    base: np.ndarray           # baseline diameter (targets, nodal non-targets), else 0


def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts c_p: the owner p and the local index 0..c_p-1 of each of the sum(c) items."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    offsets = np.cumsum(counts) - counts
    return owner, np.arange(len(owner)) - offsets[owner]


def _slot_arrays(slots: dict) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(v) for v in slots.values())
    organ = np.zeros((len(SITES), width), dtype=np.int64)
    nodal = np.zeros((len(SITES), width), dtype=bool)
    for i, s in enumerate(SITES):
        for j, (o, nd) in enumerate(slots[s]):
            organ[i, j], nodal[i, j] = ORGANS.index(o), nd
    return organ, nodal


def _first_nodal(slots: list) -> int:
    return next((j for j, (_, nodal) in enumerate(slots) if nodal), 99)


def _choice_by_site(rng, site: np.ndarray, probs: dict, start: int) -> np.ndarray:
    out = np.zeros(len(site), dtype=np.int64)
    for i, s in enumerate(SITES):   # loop over the three sites, vectorised over patients
        idx = np.flatnonzero(site == i)
        out[idx] = start + rng.choice(len(probs[s]), size=len(idx), p=probs[s])
    return out


def plan_lesions(rng: np.random.Generator, site: np.ndarray, no_nodes: np.ndarray) -> LesionPlan:
    """Targets and non-targets per patient; ``site`` indexes SITES; ``no_nodes`` forbids nodal slots."""
    t_org, t_nod = _slot_arrays(TARGET_SLOTS)
    n_org, n_nod = _slot_arrays(NON_TARGET_SLOTS)
    n_t = _choice_by_site(rng, site, N_TARGET_P, 1)
    n_nt = _choice_by_site(rng, site, N_NON_TARGET_P, 0)
    # drop nodal slots (always last) where nodes are not allowed
    first_nodal_t = np.array([_first_nodal(TARGET_SLOTS[s]) for s in SITES])
    first_nodal_nt = np.array([_first_nodal(NON_TARGET_SLOTS[s]) for s in SITES])
    n_t = np.where(no_nodes, np.minimum(n_t, first_nodal_t[site]), n_t)
    n_nt = np.where(no_nodes, np.minimum(n_nt, first_nodal_nt[site]), n_nt)
    ot, st = expand(n_t)
    on, sn = expand(n_nt)
    owner = np.concatenate([ot, on])
    slot = np.concatenate([st, sn])
    target = np.concatenate([np.ones(len(ot), bool), np.zeros(len(on), bool)])
    organ = np.concatenate([t_org[site[ot], st], n_org[site[on], sn]])
    nodal = np.concatenate([t_nod[site[ot], st], n_nod[site[on], sn]])
    order = np.lexsort((slot, ~target, owner))     # patient, then targets, then slot
    owner, slot, target, organ, nodal = owner[order], slot[order], target[order], organ[order], nodal[order]
    med = np.array([SIZE[o][0] for o in ORGANS], float)
    sd = np.array([SIZE[o][1] for o in ORGANS])
    lo = np.array([SIZE[o][2] for o in ORGANS])
    hi = np.array([SIZE[o][3] for o in ORGANS])
    size = med[organ] * np.exp(sd[organ] * rng.standard_normal(len(owner)))
    size = np.clip(np.round(size), lo[organ], hi[organ])
    nt_node = ~target & nodal
    size = np.where(nt_node, rng.integers(10, 15, len(owner)), np.where(target, size, 0)).astype(np.int64)
    return LesionPlan(n_t, n_nt, owner, slot, target, organ, nodal, size)


def pd_modes(rng: np.random.Generator, o: Outcomes, has_nt: np.ndarray) -> np.ndarray:
    """How each PD scan shows progression (index into PD_MODES), in exact proportions PD_MODE_P among
    the PD scans that can show any mode (largest remainder): after a CR or surgery only new lesions,
    and non-target progression only for patients with a non-target."""
    blank = (o.surgery_scan > 0) | (o.cr_scan > 0)            # everything absent at PD: new lesions
    mode = np.where(blank, 1, 0)
    free = np.flatnonzero((o.pd_scan > 0) & ~blank)
    quota = np.array(PD_MODE_P) * len(free)
    count = np.floor(quota).astype(np.int64)
    count[np.argsort(count - quota, kind="stable")[: len(free) - count.sum()]] += 1
    with_nt = free[has_nt[free]]
    nt_pick = rng.permutation(with_nt)[: count[3]]
    rest = rng.permutation(np.setdiff1d(free, nt_pick))
    count[0] += count[3] - len(nt_pick)                       # not enough non-targets: growth instead
    mode[rest] = np.repeat([0, 1, 2], count[:3])[: len(rest)]
    mode[nt_pick] = 3
    return mode


def target_sums(rng: np.random.Generator, o: Outcomes, base_sum: np.ndarray, has_nt: np.ndarray):
    """(sums, pd_mode): the target sum at baseline (column 0) and at each done scan, and how PD shows.

    Loops over scan number only (vectorised over patients)."""
    n = o.n
    width = int(o.n_scans.max()) + 1
    sums = np.zeros((n, width), dtype=np.int64)
    sums[:, 0] = base_sum
    mode = pd_modes(rng, o, has_nt)
    nadir = base_sum.copy()
    walk = np.ones(n)
    pr_f = np.zeros(n)
    b = base_sum
    pr_max = (7 * b) // 10
    sd_min = pr_max + 1
    for j in range(1, width):
        done = j <= o.n_scans
        hi = np.maximum((12 * nadir + 9) // 10 - 1, nadir + 4)
        walk = walk * np.exp(0.02 + 0.05 * rng.standard_normal(n))
        sd = np.clip(np.round(b * walk).astype(np.int64), sd_min, np.maximum(hi, sd_min))
        pr_f = np.where(j == o.resp_scan, rng.uniform(0.35, 0.62, n), pr_f * rng.uniform(0.85, 1.03, n))
        pr = np.clip(np.round(b * pr_f).astype(np.int64), np.ceil(0.2 * b).astype(np.int64),
                     np.minimum(pr_max, hi))
        s = np.where((o.resp_scan > 0) & (j >= o.resp_scan), pr, sd)
        zero = ((o.surgery_scan > 0) & (j > o.surgery_scan)) | ((o.cr_scan > 0) & (j >= o.cr_scan))
        s = np.where(zero, 0, s)
        grow = np.maximum(np.ceil(1.2 * nadir * rng.uniform(1.05, 1.4, n)).astype(np.int64),
                          nadir + rng.integers(6, 16, n))
        s = np.where((j == o.pd_scan) & ((mode == 0) | (mode == 2)), grow, s)
        s = np.where(done, s, 0)
        sums[:, j] = s
        nadir = np.where(done, np.minimum(nadir, s), nadir)
    return sums, mode


NEW_ORGAN = {"lung": ("lung", "pleura"), "bone": ("bone", "bone"), "both": ("lung", "bone")}
LESION_IDS = ("T1", "T2", "T3", "T4", "T5", "NT1", "NT2", "NT3", "NEW1", "NEW2")
ROLES = ("target", "non_target", "new")
STATES = ("present", "absent", "too_small", "unequivocal_progression")


@dataclass
class LesionRows:
    """lesions.csv as arrays: patient index, day from start, and codes into the tuples above."""

    patient: np.ndarray
    day: np.ndarray
    lesion_id: np.ndarray      # index into LESION_IDS
    role: np.ndarray           # index into ROLES
    organ: np.ndarray          # index into ORGANS
    nodal: np.ndarray
    diameter: np.ndarray       # integer mm, -1 = blank
    state: np.ndarray          # index into STATES


def lesion_rows(rng: np.random.Generator, o: Outcomes, plan: LesionPlan, site: np.ndarray,
                baseline_day: np.ndarray) -> LesionRows:
    """Every lesion at every scan (baseline first), then the new lesions of a PD scan."""
    base_sum = np.bincount(plan.owner, weights=np.where(plan.target, plan.base, 0), minlength=o.n)
    sums, mode = target_sums(rng, o, base_sum.astype(np.int64), plan.n_non_target > 0)
    sp, sj = expand(o.n_scans + 1)                               # scan rows: patient, scan number
    sday = np.where(sj == 0, baseline_day[sp], o.scans[sp, np.maximum(sj, 1) - 1])
    pd_scan = (sj > 0) & (sj == o.pd_scan[sp])
    zero = (sj > 0) & (((o.surgery_scan[sp] > 0) & (sj > o.surgery_scan[sp]))
                       | ((o.cr_scan[sp] > 0) & (sj >= o.cr_scan[sp])))
    n_new = np.where(pd_scan & np.isin(mode[sp], (1, 2)), 1 + (rng.random(len(sp)) < 0.3), 0)
    per_patient = plan.n_target + plan.n_non_target
    n_old = per_patient[sp]
    row_scan, local = expand(n_old + n_new)
    p = sp[row_scan]
    j = sj[row_scan]
    old = local < n_old[row_scan]
    first = np.cumsum(per_patient) - per_patient
    li = np.where(old, first[p] + local, 0)                      # index into the plan's lesions
    tgt = old & plan.target[li]
    nodal = old & plan.nodal[li]
    base = np.where(old, plan.base[li], 0)
    slot = plan.slot[li]

    # targets: split the scan's sum in proportion to (noisy) baseline size; remainder to T1
    w = np.where(tgt, base * np.exp(0.08 * rng.standard_normal(len(p))), 0.0)
    wsum = np.bincount(row_scan, weights=w, minlength=len(sp))[row_scan]
    s = sums[p, j]
    d = np.where(tgt, np.floor(s * w / np.where(wsum > 0, wsum, 1.0)), 0).astype(np.int64)
    del w, wsum
    rem = s - np.bincount(row_scan, weights=d, minlength=len(sp)).astype(np.int64)[row_scan]
    d = np.where(tgt & (slot == 0), d + rem, d)
    d = np.where(tgt & (j == 0), base, d)

    gone = tgt & ~nodal & (d == 0)
    small = tgt & ~nodal & (d == 5)
    nt = old & ~tgt
    state = np.where(gone | (nt & zero[row_scan]), 1, np.where(small, 2, 0))
    state = np.where(nt & pd_scan[row_scan] & (mode[p] == 3) & (slot == 0), 3, state)
    diameter = np.where(tgt & ~gone & ~small, d, np.where(nt & nodal, base, -1))

    new = ~old
    k = np.clip(local - n_old[row_scan], 0, 1)
    new_organ = np.array([[ORGANS.index(NEW_ORGAN[s][i]) for i in (0, 1)] for s in SITES])
    organ = np.where(new, new_organ[site[p], k], plan.organ[li])
    diameter = np.where(new, rng.integers(6, 21, len(p)), diameter)
    lesion_id = np.where(new, 8 + k, np.where(tgt, np.clip(slot, 0, 4), 5 + np.clip(slot, 0, 2)))
    role = np.where(new, 2, np.where(tgt, 0, 1))
    return LesionRows(patient=p, day=sday[row_scan], lesion_id=lesion_id, role=role, organ=organ,
                      nodal=nodal, diameter=diameter, state=state)
