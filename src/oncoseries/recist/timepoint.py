"""Per-scan RECIST 1.1 responses from lesion measurements (whole-table numpy operations).

Rules (RECIST 1.1 target/non-target/new-lesion evaluation; EORTC FAQ; sources in docs/recist.md):

- Target sum = longest diameters (non-nodal) + short axes (nodes). ``too_small`` counts 5 mm (a
  smaller recorded value as recorded); an ``absent`` non-nodal lesion 0; nodes keep their real
  short axis. A split lesion's fragments are summed.
- Nadir = smallest sum of the earlier *complete* assessments, baseline included.
- Target CR: every non-nodal target absent and every nodal target < 10 mm (the sum may be > 0).
  PD: sum >= nadir + 20 % and >= nadir + 5 mm (with a nadir of 0, +5 mm alone; no division), or
  a non-nodal target reappearing after an overall CR. PR: sum <= baseline - 30 %. Otherwise SD.
  Boundaries are inclusive with tolerance ``TOL``. CR outranks PD (nodes growing but still
  normal). A target not measured makes the scan NE unless the measured ones already show PD.
- Non-target: any ``unequivocal_progression`` -> PD; any lesion not evaluated (or missing from
  the scan) -> NE; all absent and nodes < 10 mm -> CR; else NON-CR/NON-PD; none at baseline -> NA.
- New lesions: ``equivocal`` is not PD; when a later scan shows the same lesion unequivocally, the
  first scan that showed it becomes PD (retro-dated). A new node counts from a 10 mm short axis.
- Overall response: RECIST 1.1 Tables 1 and 2 (:func:`overall_response`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._encode import (ABSENT, EQUIVOCAL, IGNORED, NEW, NON_TARGET, NOT_EVALUATED, PRESENT, ROLE_NAMES,
                      TARGET, TOO_SMALL, UNEQUIVOCAL, Encoded, Warnings, encode, from_days)
from ._groups import count_before, cummin_before, group_first
from .baseline import Baseline, find_baseline
from .settings import TOL, RecistSettings
from .tables import CR, NA, NE, NONCRPD, PD, PR, SD, overall_response, select_text

NORMAL_NODE_MM = 10.0
PD_PCT, PD_MM, PR_PCT = 20.0, 5.0, -30.0

#: non-target status codes; the worst lesion sets the scan's response (max)
NT_GONE, NT_PRESENT, NT_NE, NT_PD = 0, 1, 2, 3
NT_NAMES = np.array([CR, NONCRPD, NE, PD], dtype=object)
#: new-lesion codes per scan (max over lesions)
NEW_NO, NEW_EQUIVOCAL, NEW_YES = 0, 1, 2
NEW_NAMES = np.array(["no", "equivocal", "yes"], dtype=object)

TIMEPOINT_COLUMNS = ["patient_id", "date", "target", "non_target", "new_lesions", "overall"]


def non_target_status(state: np.ndarray, nodal: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Per non-target observation: gone (absent; node < 10 mm) / present / NE / PD."""
    with np.errstate(invalid="ignore"):
        normal_node = nodal & ((state == TOO_SMALL) | (value < NORMAL_NODE_MM - TOL))
    return np.select([state == UNEQUIVOCAL, state == NOT_EVALUATED, (state == ABSENT) | normal_node],
                     [NT_PD, NT_NE, NT_GONE], default=NT_PRESENT).astype(np.int8)


def new_lesion_code(state: np.ndarray, nodal: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Per new-lesion observation: no / equivocal / unequivocal (a node needs SA >= 10 mm)."""
    with np.errstate(invalid="ignore"):
        small_node = nodal & (value < NORMAL_NODE_MM - TOL)
    shown = (state == PRESENT) | (state == TOO_SMALL) | (state == UNEQUIVOCAL)
    return np.select([small_node, shown, state == EQUIVOCAL], [NEW_NO, NEW_YES, NEW_EQUIVOCAL],
                     default=NEW_NO).astype(np.int8)


def observation_roles(enc: Encoded, base: Baseline, post: np.ndarray, warn: Warnings) -> np.ndarray:
    """Effective role per observation: the baseline role (RECIST 1.1: roles are fixed at baseline),
    ``new`` for new lesions, ``ignored`` for target/non-target rows absent from the baseline scan."""
    brole = base.lesion_role[enc.lk]
    role = np.where(brole >= 0, brole, np.where(enc.role == NEW, NEW, IGNORED)).astype(np.int8)
    role[base.is_baseline & (enc.role == NEW)] = IGNORED
    pid = enc.ids.to_numpy(dtype=object)
    checked = post & ~np.isnan(base.day)[enc.pc]
    ign = checked & (role == IGNORED)
    warn.add(pid[enc.pc[ign]], enc.lesion_id[ign],
             [f"{r} lesion not on the baseline scan; ignored" for r in ROLE_NAMES[enc.role[ign]]],
             enc.row[ign])
    renamed = checked & (brole >= 0) & (enc.role == NEW)
    warn.add(pid[enc.pc[renamed]], enc.lesion_id[renamed],
             "role 'new' for a lesion of the baseline scan; its baseline role is used", enc.row[renamed])
    rec = base.lesion_rec_role[enc.lk]
    changed = checked & (brole >= 0) & (enc.role != NEW) & (enc.role != rec)
    if changed.any():
        idx = np.flatnonzero(changed)
        _, first = np.unique(enc.lk[idx], return_index=True)
        idx = idx[np.sort(first)]
        warn.add(pid[enc.pc[idx]], enc.lesion_id[idx],
                 [f"role changed from {ROLE_NAMES[a]} at baseline to {ROLE_NAMES[b]}; the baseline role "
                  "is kept" for a, b in zip(rec[idx], enc.role[idx])], enc.row[idx])
    return role


def derive_timepoints(enc: Encoded, base: Baseline, settings: RecistSettings, warn: Warnings):
    """Per-scan responses (post-baseline scans) and the per-lesion table.

    Returns ``(timepoints, lesion_table)`` DataFrames; see :func:`timepoints`. The per-scan work arrays
    (some 40 arrays of one value per scan: 2 GB for a registry's 5*10^6 scans) are freed before the
    lesion table is built.
    """
    role_all, scan_of_obs, tp = _scan_responses(enc, base, settings, warn)
    return tp, _lesion_table(_take_rows(enc), enc.ids, base, role_all, scan_of_obs, tp)


def _take_rows(enc: Encoded) -> dict:
    """The lesion-row arrays (RowTable) taken out of ``enc``, which is spent afterwards: its observation
    arrays are dropped too (they are the row arrays when no lesion was split), so that each row array is
    freed as soon as its column of the lesion table is built."""
    rows = dict(vars(enc.rows))
    for name in ("rows", "pc", "day", "lk", "lesion_id", "role", "state", "nodal", "value", "organ", "row"):
        setattr(enc, name, None)
    return rows


def _scan_responses(enc: Encoded, base: Baseline, settings: RecistSettings, warn: Warnings):
    """(effective role per observation, scan of each post-baseline observation (-1: none), time points)."""
    pid = enc.ids.to_numpy(dtype=object)
    has_base = ~np.isnan(base.day)
    ref = np.where(has_base, base.day, enc.start)
    post = enc.day > ref[enc.pc]
    role_all = observation_roles(enc, base, post, warn)

    p_idx = np.flatnonzero(post)
    pc, day = enc.pc[p_idx], enc.day[p_idx]
    role, v, nod, st, lk = (role_all[p_idx], enc.value[p_idx], enc.nodal[p_idx], enc.state[p_idx],
                            enc.lk[p_idx])
    new_scan = group_first(pc, day)
    scan = np.cumsum(new_scan) - 1
    starts = np.flatnonzero(new_scan)
    ns = len(starts)
    s_pc, s_day = pc[starts], day[starts]

    # target lesions
    is_t = role == TARGET
    meas = is_t & ~np.isnan(v)
    with np.errstate(invalid="ignore"):
        cr_ok = meas & np.where(nod, v < NORMAL_NODE_MM - TOL, v <= TOL)
        reappear_obs = is_t & ~nod & (v > TOL)
    t_nobs = np.bincount(scan, weights=meas, minlength=ns)
    t_sum = np.bincount(scan, weights=np.where(meas, v, 0.0), minlength=ns)
    t_crok = np.bincount(scan, weights=cr_ok, minlength=ns)
    reappear = np.bincount(scan, weights=reappear_obs, minlength=ns) > 0

    # non-target lesions
    is_nt = role == NON_TARGET
    status = np.where(is_nt, non_target_status(st, nod, v), -1).astype(np.int8)
    nt_max = np.maximum.reduceat(status, starts) if ns else np.zeros(0, dtype=np.int8)
    nt_nobs = np.bincount(scan, weights=is_nt, minlength=ns)
    nobase_pd = np.bincount(scan, weights=(~has_base[pc]) & (enc.role[p_idx] == NON_TARGET)
                            & (st == UNEQUIVOCAL), minlength=ns) > 0

    # new lesions, retro-dated: every sighting of a lesion later seen unequivocally is PD
    is_new = role == NEW
    code = np.where(is_new, new_lesion_code(st, nod, v), NEW_NO).astype(np.int8)
    confirmed = np.zeros(enc.n_lesions, dtype=bool)
    confirmed[lk[code == NEW_YES]] = True
    code[(code == NEW_EQUIVOCAL) & confirmed[lk]] = NEW_YES
    s_new = np.maximum.reduceat(code, starts) if ns else np.zeros(0, dtype=np.int8)
    scan_of_obs = np.full(len(enc.pc), -1, dtype=np.int32)
    scan_of_obs[p_idx] = scan
    if settings.criteria == "irecist":    # the new lesions' values, before the observation arrays go
        nw = np.flatnonzero(is_new)
        new_obs = (pc[nw], scan[nw], lk[nw], enc.lesion_id[p_idx][nw], enc.organ[p_idx][nw], nod[nw], v[nw],
                   st[nw], code[nw] == NEW_YES)
    # the per-observation arrays (10^7 in a registry) are freed before the per-scan ones are built
    del (p_idx, pc, day, role, v, nod, st, lk, scan, is_t, meas, cr_ok, reappear_obs, is_nt, status, is_new,
         code, confirmed, new_scan)

    # target response
    n_bt, n_bnt = base.n_target[s_pc], base.n_non_target[s_pc]
    bsum = base.target_sum[s_pc]
    s_has_base = has_base[s_pc]
    has_t = n_bt > 0
    complete = has_t & (t_nobs == n_bt)
    t_cr = complete & (t_crok == n_bt)
    first = group_first(s_pc)
    nadir = np.fmin(bsum, cummin_before(np.where(complete, t_sum, np.inf), first))
    with np.errstate(invalid="ignore", divide="ignore"):
        inc = t_sum - nadir
        pct_nadir = np.where(nadir > TOL, 100.0 * inc / nadir, np.nan)
        pd_sum = has_t & (inc >= PD_MM - TOL) & ((nadir <= TOL) | (pct_nadir >= PD_PCT - TOL))
        chg_base = t_sum - bsum
        pct_base = 100.0 * chg_base / bsum
        pr = complete & (pct_base <= PR_PCT + TOL)

    nt_code = np.where(nt_nobs < n_bnt, np.maximum(nt_max, NT_NE), nt_max)
    nt_resp = np.append(NT_NAMES, NA)[np.where(n_bnt > 0, np.clip(nt_code, 0, 3), len(NT_NAMES))]
    nt_resp[~s_has_base] = np.array([NE, PD], dtype=object)[nobase_pd[~s_has_base].astype(np.int8)]
    prelim_cr = t_cr & ((n_bnt == 0) | (nt_code == NT_GONE)) & (s_new < NEW_YES)
    had_cr = count_before(prelim_cr, first) > 0
    t_pd = pd_sum | (had_cr & reappear)
    target = select_text([~s_has_base, ~has_t, t_cr, t_pd, ~complete, pr], [NE, NA, CR, PD, NE, PR], SD)
    overall = overall_response(target, nt_resp, s_new == NEW_YES)

    dates = from_days(s_day)
    inc_out = np.where(complete, inc, np.nan)
    tp = pd.DataFrame({
        "patient_id": pid[s_pc], "date": dates, "target": target, "non_target": nt_resp,
        "new_lesions": NEW_NAMES[s_new], "overall": overall,
        "target_sum": np.where(complete, t_sum, np.nan),
        "target_complete": complete,
        "baseline_sum": bsum,
        "nadir": np.where(has_t, nadir, np.nan),
        "change_from_baseline_mm": np.where(complete, chg_base, np.nan),
        "pct_from_baseline": np.where(complete, pct_base, np.nan),
        "change_from_nadir_mm": inc_out,
        "pct_from_nadir": np.where(complete, pct_nadir, np.nan),
    }, copy=False)   # one block per column: no consolidated copy of the per-scan arrays
    if settings.criteria == "irecist":
        from .irecist import irecist_timepoints, new_lesion_scan_values

        nlt_sum, nlnt_inc, added = new_lesion_scan_values(*new_obs, ns)
        i_overall, ep_day = irecist_timepoints(s_pc, s_day, overall, t_pd & s_has_base, np.where(complete, t_sum, np.nan),
                                               nt_resp == PD, s_new == NEW_YES, added, nlt_sum, nlnt_inc)
        tp["i_overall"] = i_overall
        tp["i_upd_date"] = from_days(ep_day)
        tp["new_target_sum"] = nlt_sum
    return role_all, scan_of_obs, tp


def _lesion_table(r: dict, ids: pd.Index, base: Baseline, role_all: np.ndarray, scan_of_obs: np.ndarray,
                  tp: pd.DataFrame) -> pd.DataFrame:
    """One row per lesion row of the baseline and post-baseline scans (derived/lesions.csv); ``r`` the
    row arrays (_take_rows), each removed once used."""
    keep = np.flatnonzero(base.is_baseline[r["obs"]] | (scan_of_obs[r["obs"]] >= 0))
    if len(keep) < 2 ** 31:
        keep = keep.astype(np.int32)
    obs = r.pop("obs")[keep]
    pcs = r.pop("pc")[keep]
    is_b = base.is_baseline[obs]
    role = role_all[obs]
    scv = np.where(is_b, 0, scan_of_obs[obs])
    del obs
    bsum = base.target_sum[pcs]

    def scan_col(name, at_baseline):
        if len(tp) == 0:
            return np.broadcast_to(np.asarray(at_baseline, dtype="float64"), (len(keep),)).copy()
        return np.where(is_b, at_baseline, tp[name].to_numpy(dtype="float64")[scv])

    # column by column, each temporary freed before the next (a registry's table is 10^7 rows)
    # text columns as categoricals (codes of 1-4 bytes; derived/lesions.csv is written the same)
    cols = {"patient_id": pd.Categorical.from_codes(pcs, categories=ids)}
    del pcs
    cols["date"] = from_days(r.pop("day")[keep])
    cols["lesion_id"] = r.pop("lesion_id").take(keep).column()
    cols["role"] = pd.Categorical.from_codes(role, categories=pd.Index(ROLE_NAMES, dtype=object))
    cols["organ"] = r.pop("organ").take(keep).column()
    cols["nodal"] = r.pop("nodal")[keep]
    cols["state"] = r.pop("state").take(keep).column()
    cols["diameter_mm"] = r.pop("diameter_mm")[keep]
    cols["diameter_used"] = np.where(role == TARGET, r.pop("value")[keep], np.nan)
    del role
    cols["baseline"] = is_b
    cols["baseline_sum"] = bsum
    cols["target_sum"] = scan_col("target_sum", bsum)
    cols["nadir"] = scan_col("nadir", np.nan)
    cols["pct_from_baseline"] = scan_col("pct_from_baseline", np.where(np.isnan(bsum), np.nan, 0.0))
    cols["pct_from_nadir"] = scan_col("pct_from_nadir", np.nan)
    return pd.DataFrame(cols, copy=False)   # one block per column: no consolidated copy


def timepoints(patients: pd.DataFrame, lesions: pd.DataFrame, settings: RecistSettings | None = None):
    """Time-point responses from lesion measurements.

    Parameters
    ----------
    patients, lesions : pandas.DataFrame
        Typed intake tables (INTERFACE §1).
    settings : RecistSettings, optional

    Returns
    -------
    (timepoints, lesion_table, warnings)
        ``timepoints`` has ``patient_id, date, target, non_target, new_lesions, overall`` then
        ``target_sum, target_complete, baseline_sum, nadir, change_from_baseline_mm,
        pct_from_baseline, change_from_nadir_mm, pct_from_nadir`` (NaN when not every target was
        measured), one row per post-baseline scan; ``lesion_table`` one row per lesion per scan.
    """
    settings = settings or RecistSettings()
    warn = Warnings()
    enc = encode(patients, lesions, warn)
    base = find_baseline(enc, settings, warn)
    tp, table = derive_timepoints(enc, base, settings, warn)
    return tp, table, warn.records()
