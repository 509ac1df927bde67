"""iRECIST time-point responses and best overall response (Seymour et al., Lancet Oncol 18:e143, 2017).

Rules (sources and choices in docs/recist.md, "iRECIST"):

- Baseline, target, non-target and RECIST 1.1 time-point responses are those of RECIST 1.1 (Seymour
  §"Baseline", §"Follow-up"). Before any progression the iRECIST response is the RECIST 1.1 one with
  the prefix: iCR, iPR, iSD, NON-iCR/NON-iUPD (non-target disease only), NE.
- The first RECIST 1.1 PD is iUPD (unconfirmed). The categories that progressed are remembered
  (target sum, non-target, new lesions). At a later assessment iCPD (confirmed) is assigned when
  (Seymour Table 2; EORTC iRECIST FAQ): the target sum grew >= 5 mm over its value at the iUPD (when
  target disease was the iUPD category; sequential increases add up), or the target lesions newly meet
  RECIST 1.1 PD (when they were not); the non-target lesions show (further) unequivocal progression;
  an additional new lesion appears; or, when new lesions were the iUPD category, the sum of the new
  target lesions grew >= 5 mm or a new non-target lesion grew.
- Scans less than 28 days after the iUPD can confirm only by an additional new lesion; otherwise they
  leave the status iUPD (EORTC FAQ: such scans are disregarded).
- A later assessment that neither confirms nor still meets RECIST 1.1 PD (target, non-target and new
  lesions all back below the PD thresholds) resets the status: iCR/iPR/iSD/NON-iCR/NON-iUPD, and a new
  RECIST 1.1 PD is needed for the next iUPD (Seymour: "the bar is reset"). An NE keeps the status.
- New lesions (role ``new``) are new target lesions when measurable at their first sighting (non-nodal
  >= 10 mm, node short axis >= 15 mm), at most 5 in total and 2 per organ (all nodes one organ),
  chosen in order of appearance, then larger first, then lesion id; the others are new non-target.
- iBOR (admiralonco ``irecist`` vignette events): iCR; iPR; iSD (iCR/iPR/iSD at day >= sd_min_days);
  NON-iCR/NON-iUPD (day >= sd_min_days); iCPD (dated at the iUPD it confirms); iUPD; NE; MISSING. Scans
  before new therapy and up to and including the first iCPD count.

The status is a per-patient state machine; it is run step by step over the k-th scan of all patients
at once (one vectorised update per scan position), so the cost is linear in the number of scans.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._encode import UNEQUIVOCAL
from ._groups import group_first
from .baseline import MAX_PER_ORGAN, MAX_TARGETS, measurable
from .settings import TOL, RecistSettings
from .tables import CR, MISSING, NE, NONCRPD, PD, PR, SD

ICR, IPR, ISD, INON, IUPD, ICPD = "iCR", "iPR", "iSD", "NON-iCR/NON-iUPD", "iUPD", "iCPD"
I_RESPONSES = (ICR, IPR, ISD, INON, IUPD, ICPD, NE)
IBOR_CATEGORIES = [ICR, IPR, ISD, INON, ICPD, IUPD, NE, MISSING]
_PREFIX = {CR: ICR, PR: IPR, SD: ISD, NONCRPD: INON, NE: NE, PD: IUPD}
CONFIRM_MM = 5.0        # Seymour 2017: iCPD on a further increase of >= 5 mm in a sum of measures
MIN_CONFIRM_DAYS = 28   # EORTC iRECIST FAQ: scans < 4 weeks after iUPD do not confirm (except new lesions)


def new_lesion_targets(pc: np.ndarray, scan: np.ndarray, lk: np.ndarray, lesion_id: np.ndarray,
                       organ: np.ndarray, nodal: np.ndarray, value: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """Per new-lesion observation: True when its lesion is a new *target* lesion (rule in the module doc).

    Arrays are the post-baseline observations of role ``new``; ``shown`` marks unequivocal sightings.
    """
    out = np.zeros(len(pc), dtype=bool)
    if not shown.any():
        return out
    idx = np.flatnonzero(shown)
    df = pd.DataFrame({"lk": lk[idx], "pc": pc[idx], "scan": scan[idx], "value": value[idx],
                       "nodal": nodal[idx], "lid": lesion_id[idx].astype(str),
                       "organ": pd.Series(organ[idx], dtype=object).astype("string").str.strip().str.lower()
                       .fillna("").to_numpy(object)})
    first = df.sort_values(["lk", "scan"], kind="stable").drop_duplicates("lk")
    first = first[measurable(first["value"].to_numpy(float), first["nodal"].to_numpy(bool))].copy()
    first["organ"] = np.where(first["nodal"], "lymph node", first["organ"])
    first = first.sort_values(["pc", "scan", "value", "lid"], ascending=[True, True, False, True], kind="stable")
    named = first["organ"] != ""
    per_organ = first.groupby(["pc", "organ"], sort=False).cumcount().to_numpy()
    first = first[~named.to_numpy() | (per_organ < MAX_PER_ORGAN)]
    first = first[first.groupby("pc", sort=False).cumcount().to_numpy() < MAX_TARGETS]
    is_t = np.zeros(int(lk.max()) + 1, dtype=bool)
    is_t[first["lk"].to_numpy()] = True
    return is_t[lk]


def new_lesion_scan_values(pc, scan, lk, lesion_id, organ, nodal, value, state, code_yes, ns):
    """Per scan: sum of the new target lesions, any growing new non-target lesion, any new lesion
    seen for the first time (arrays of the post-baseline observations of role ``new``)."""
    nlt_sum = np.full(ns, np.nan)
    nlnt_inc = np.zeros(ns, dtype=bool)
    added = np.zeros(ns, dtype=bool)
    if len(pc) == 0:
        return nlt_sum, nlnt_inc, added
    is_t = new_lesion_targets(pc, scan, lk, lesion_id, organ, nodal, value, code_yes)
    meas_t = is_t & ~np.isnan(value)
    nlt_sum = np.bincount(scan[meas_t], weights=value[meas_t], minlength=ns).astype("float64")
    nlt_sum[np.bincount(scan[meas_t], minlength=ns) == 0] = np.nan     # no new target lesion on the scan
    # first unequivocal sighting of each new lesion
    yes = np.flatnonzero(code_yes)
    if len(yes):
        first_scan = pd.Series(scan[yes]).groupby(lk[yes]).min()
        added[first_scan.to_numpy()] = True
    # new non-target growth: larger than at the lesion's previous sighting, or unequivocal progression
    order = np.lexsort((scan, lk))
    lk_o, v_o = lk[order], value[order]
    prev_v = np.full(len(order), np.nan)
    same = np.zeros(len(order), dtype=bool)
    same[1:] = lk_o[1:] == lk_o[:-1]
    prev_v[1:] = np.where(same[1:], v_o[:-1], np.nan)
    with np.errstate(invalid="ignore"):
        grew_o = same & (v_o > prev_v + TOL)
    grew = np.zeros(len(order), dtype=bool)
    grew[order] = grew_o
    inc = ~is_t & code_yes & (grew | (state == UNEQUIVOCAL))
    nlnt_inc[scan[inc]] = True
    return nlt_sum, nlnt_inc, added


def irecist_timepoints(s_pc: np.ndarray, s_day: np.ndarray, overall: np.ndarray, t_pd: np.ndarray,
                       t_sum: np.ndarray, nt_pd: np.ndarray, new_yes: np.ndarray, new_added: np.ndarray,
                       nlt_sum: np.ndarray, nlnt_inc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """iRECIST response per scan (scans sorted by patient and date) and, for iUPD/iCPD scans, the day of
    the iUPD that opened the episode (NaN otherwise)."""
    ns = len(s_pc)
    out = np.empty(ns, dtype=object)
    ep_of = np.full(ns, np.nan)
    if ns == 0:
        return out, ep_of
    first = group_first(s_pc)
    starts = np.flatnonzero(first)
    lengths = np.diff(np.append(starts, ns))
    npg = len(starts)
    state = np.zeros(npg, dtype=np.int8)          # 0 none/reset, 1 iUPD, 2 iCPD
    ep_day = np.full(npg, np.nan)
    ep_tsum = np.full(npg, np.nan)
    ep_nlt = np.zeros(npg)
    cat_t = np.zeros(npg, dtype=bool)
    cat_new = np.zeros(npg, dtype=bool)
    prefixed = np.array([_PREFIX[x] for x in overall], dtype=object)
    is_pd, is_ne = overall == PD, overall == NE
    for k in range(int(lengths.max())):
        g = np.flatnonzero(lengths > k)
        i = starts[g] + k
        st = state[g]
        res = prefixed[i].copy()
        # no open episode: RECIST 1.1 PD opens one (iUPD)
        s0 = st == 0
        open_ = s0 & is_pd[i]
        og = g[open_]
        state[og] = 1
        ep_day[og], ep_tsum[og] = s_day[i[open_]], t_sum[i[open_]]
        ep_nlt[og] = np.nan_to_num(nlt_sum[i[open_]])
        cat_t[og], cat_new[og] = t_pd[i[open_]], new_yes[i[open_]]
        # open episode: confirm, keep, or reset
        s1 = st == 1
        with np.errstate(invalid="ignore"):
            early = s_day[i] - ep_day[g] < MIN_CONFIRM_DAYS
            grow_t = np.where(cat_t[g], t_sum[i] >= ep_tsum[g] + CONFIRM_MM - TOL, t_pd[i])
            grow_new = cat_new[g] & ((nlt_sum[i] >= ep_nlt[g] + CONFIRM_MM - TOL) | nlnt_inc[i])
        confirm = s1 & (new_added[i] | (~early & (grow_t | nt_pd[i] | grow_new)))
        keep = s1 & ~confirm & (early | is_pd[i])
        ne_keep = s1 & ~confirm & ~keep & is_ne[i]
        reset = s1 & ~confirm & ~keep & ~ne_keep
        res[confirm] = ICPD
        res[keep] = IUPD
        res[ne_keep] = NE
        state[g[confirm]] = 2
        state[g[reset]] = 0
        res[st == 2] = ICPD
        out[i] = res
        in_ep = (open_ | s1 | (st == 2)) & ~reset
        ep_of[i[in_ep]] = ep_day[g[in_ep]]
    return out, ep_of


def irecist_best_response(tp: pd.DataFrame, patients: pd.DataFrame, population, settings: RecistSettings
                          ) -> pd.DataFrame:
    """``patient_id, ibor, ibor_date`` for the patients in ``population`` (admiralonco iRECIST iBOR events)."""
    from ._encode import from_days, patient_index, to_days

    ids = patient_index(patients)
    start = to_days(patients["start_date"])
    ntd = (to_days(patients["new_therapy_date"]) if "new_therapy_date" in patients.columns
           else np.full(len(ids), np.nan))
    pc = ids.get_indexer(tp["patient_id"].astype(str))
    day = to_days(tp["date"])
    resp = tp["i_overall"].to_numpy(dtype=object)
    ep = (to_days(tp["i_upd_date"]) if "i_upd_date" in tp.columns else day)
    order = np.lexsort((day, pc))
    pc, day, resp, ep = pc[order], day[order], resp[order], ep[order]
    with np.errstate(invalid="ignore"):
        keep = np.isnan(ntd[pc]) | (day < ntd[pc])
    pc, day, resp, ep = pc[keep], day[keep], resp[keep], ep[keep]
    first = group_first(pc)
    cpd = (resp == ICPD).astype(np.int64)
    before = np.cumsum(cpd) - cpd
    gid = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    keep = (before - before[starts][gid]) == 0 if len(pc) else np.zeros(0, bool)
    pc, day, resp, ep = pc[keep], day[keep], resp[keep], ep[keep]
    late = day - start[pc] >= settings.sd_min_days
    rank = np.select([resp == ICR, resp == IPR, np.isin(resp, [ICR, IPR, ISD]) & late, (resp == INON) & late,
                      resp == ICPD, resp == IUPD], [0, 1, 2, 3, 4, 5], default=6).astype(np.int8)
    when_day = np.where(resp == ICPD, ep, day)
    cat = np.full(len(ids), MISSING, dtype=object)
    when = np.full(len(ids), np.nan)
    if len(pc):
        starts = np.flatnonzero(group_first(pc))
        best = np.minimum.reduceat(rank, starts)
        g = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(rank))))
        w = np.minimum.reduceat(np.where(rank == best[g], when_day, np.inf), starts)
        names = np.array([ICR, IPR, ISD, INON, ICPD, IUPD, NE], dtype=object)
        cat[pc[starts]] = names[best]
        when[pc[starts]] = w
    sel = np.flatnonzero(ids.isin(pd.Index(pd.Series(population, dtype=object).astype(str))))
    return pd.DataFrame({"patient_id": ids.to_numpy(dtype=object)[sel], "ibor": cat[sel],
                         "ibor_date": from_days(when[sel])})


def ibor_summary(best: pd.DataFrame, conf_level: float = 0.95) -> pd.DataFrame:
    """Counts per iBOR category and iORR (iCR + iPR) / iDCR (+ iSD, NON-iCR/NON-iUPD) with exact CIs."""
    from .best_response import _exact_ci

    cat = best["ibor"].astype(str).to_numpy()
    n = len(best)
    counts = {c: int((cat == c).sum()) for c in IBOR_CATEGORIES}
    orr = counts[ICR] + counts[IPR]
    rows = [(c, counts[c]) for c in IBOR_CATEGORIES] + [("ORR", orr), ("DCR", orr + counts[ISD] + counts[INON])]
    return pd.DataFrame([(c, k, n, *_exact_ci(k, n, conf_level)) for c, k in rows],
                        columns=["category", "n", "N", "proportion", "lower", "upper"])


__all__ = ["ibor_summary", "irecist_best_response", "irecist_timepoints", "new_lesion_targets"]
