"""Best overall response, unconfirmed and confirmed (RECIST 1.1; admiralonco event rules).

- Only scans before ``new_therapy_date`` and up to and including the first PD count
  (admiralonco ANL01FL/ANL02FL; INTERFACE §5); nor do scans after a clinical ``progression_date``
  (RECIST 1.1: best response is recorded "until disease progression"; so a response never starts
  after the progression that ends it, and DOR is never negative).
- Unconfirmed BOR, first matching wins (admiralonco ``bor_cr`` ... ``no_data_missing``): any CR;
  any PR; SD = a CR/PR/SD scan at ``day >= sd_min_days``; NON-CR/NON-PD at ``day >= sd_min_days``;
  any PD; NE (scans exist but none qualifies); MISSING (no scan). The date is the first scan of
  the winning kind.
- Confirmed BOR (admiralonco ``cbor_cr``/``cbor_pr``): a CR needs a later CR at
  ``>= confirmation_days``, with only CR/NE between and at most ``max_ne_between`` NE; a PR needs a
  later CR/PR at ``>= confirmation_days``, only CR/PR/NE between (one SD too with
  ``allow_sd_between``), at most ``max_ne_between`` NE and no PR after a CR. The confirming scan is
  the first one far enough away; the conditions only get harder for later ones, so "some later
  scan qualifies" is the same test. Then SD, NON-CR/NON-PD, PD, NE, MISSING as above.
- Days count without +1: ``scan_date - start_date`` and ``later_date - first_date``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._encode import Warnings, from_days, patient_index, require_columns, to_days
from ._groups import count_before, group_first, next_index, prev_index
from .settings import RecistSettings
from .tables import CR, MISSING, NE, NONCRPD, PD, PR, SD, normalise_codes

BOR_CATEGORIES = [CR, PR, SD, NONCRPD, PD, NE, MISSING]
_RESP = {"CR": CR, "PR": PR, "SD": SD, "NON-CR/NON-PD": NONCRPD, "NONCR/NONPD": NONCRPD, "PD": PD, "NE": NE}
_RANK_NAMES = np.array([CR, PR, SD, NONCRPD, PD, NE], dtype=object)
BEST_COLUMNS = ["patient_id", "bor", "bor_date", "confirmed_bor", "confirmed_bor_date",
                "first_response_date", "time_to_response_days", "best_pct_change", "durable_control",
                "confirmed_first_response_date", "unconfirmed_first_response_date"]


def confirmation_flags(resp: np.ndarray, day: np.ndarray, first: np.ndarray,
                       settings: RecistSettings) -> tuple[np.ndarray, np.ndarray]:
    """Per scan: is this CR confirmed, is this PR confirmed (admiralonco cbor_cr / cbor_pr).

    ``resp``, ``day`` are sorted by patient then date; ``first`` marks each patient's first scan.
    """
    n = len(resp)
    if n == 0:
        return np.zeros(0, bool), np.zeros(0, bool)
    idx = np.arange(n)
    starts = np.flatnonzero(first)
    g_end = np.append(starts[1:], n)[np.cumsum(first) - 1]
    is_cr, is_pr, is_ne, is_sd = (resp == CR), (resp == PR), (resp == NE), (resp == SD)
    cd = settings.confirmation_days

    def limit(flag: np.ndarray, allowed: int) -> np.ndarray:
        """First index j at which more than `allowed` flagged scans lie strictly between i and j."""
        c = np.concatenate([[0], np.cumsum(flag)])
        return np.minimum(np.searchsorted(c, c[idx + 1] + allowed, side="right"), n)

    ne_lim = limit(is_ne, settings.max_ne_between)

    # CR: only CR/NE between, <= max NE, confirming CR >= cd days later
    block = next_index(~(is_cr | is_ne))[idx + 1]
    lim = np.minimum.reduce([block, ne_lim, g_end])
    j = prev_index(is_cr)[lim - 1]
    conf_cr = is_cr & (j > idx) & (day[np.maximum(j, 0)] - day >= cd)

    # PR: only CR/PR/NE (+ one SD) between, <= max NE, no PR after a CR, confirming CR/PR >= cd later
    allowed = is_cr | is_pr | is_ne | (is_sd if settings.allow_sd_between else False)
    block = next_index(~allowed)[idx + 1]
    parts = [block, ne_lim, g_end]
    if settings.allow_sd_between:
        parts.append(limit(is_sd, 1))
    first_cr = next_index(is_cr)[idx + 1]
    parts.append(next_index(is_pr)[np.minimum(first_cr + 1, n)])
    lim = np.minimum.reduce(parts)
    j = prev_index(is_cr | is_pr)[lim - 1]
    conf_pr = is_pr & (j > idx) & (day[np.maximum(j, 0)] - day >= cd)
    return conf_cr, conf_pr


def _reduce_first(rank: np.ndarray, day: np.ndarray, starts: np.ndarray):
    """Per group: the smallest rank and the first day holding it."""
    best = np.minimum.reduceat(rank, starts)
    gid = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(rank))))
    when = np.minimum.reduceat(np.where(rank == best[gid], day, np.inf), starts)
    return best, when


def _best_response(tp: pd.DataFrame, patients: pd.DataFrame, population, settings: RecistSettings,
                   warn: Warnings) -> pd.DataFrame:
    ids = patient_index(patients)
    require_columns(tp, ("patient_id", "date", "overall"), "timepoints")
    npat = len(ids)
    start = to_days(patients["start_date"])
    ntd = (to_days(patients["new_therapy_date"]) if "new_therapy_date" in patients.columns
           else np.full(npat, np.nan))
    in_pop = np.ones(npat, dtype=bool)
    if population is not None:
        pop_ids = pd.Index(pd.Series(population).astype(str))
        in_pop = ids.isin(pop_ids)
    pc = ids.get_indexer(tp["patient_id"].astype(str))
    if (pc < 0).any():
        bad = tp.loc[pc < 0, "patient_id"].astype(str).unique()[:5].tolist()
        raise ValueError(f"timepoints.patient_id: {bad} not in patients")
    day = to_days(tp["date"])
    if np.isnan(day).any():
        raise ValueError("timepoints.date: missing date(s); expected one date per scan")
    resp = normalise_codes(tp["overall"], "overall", _RESP)
    if (resp == "NA").any():
        raise ValueError("timepoints.overall: empty response(s); expected CR, PR, SD, NON-CR/NON-PD, PD or NE")
    pct = (tp["pct_from_baseline"].to_numpy(dtype="float64") if "pct_from_baseline" in tp.columns
           else np.full(len(tp), np.nan))
    order = np.lexsort((day, pc))
    pc, day, resp, pct = pc[order], day[order], resp[order], pct[order]
    dup = ~group_first(pc, day)
    if dup.any():
        raise ValueError(f"timepoints: patient {ids[pc[dup][0]]!r} has two responses on one date; "
                         "expected one scan per date")
    prog = (to_days(patients["progression_date"]) if "progression_date" in patients.columns
            else np.full(npat, np.nan))
    with np.errstate(invalid="ignore"):
        keep = in_pop[pc] & (np.isnan(ntd[pc]) | (day < ntd[pc])) & (np.isnan(prog[pc]) | (day <= prog[pc]))
    pc, day, resp, pct = pc[keep], day[keep], resp[keep], pct[keep]
    first = group_first(pc)
    keep = count_before(resp == PD, first) == 0          # up to and including the first PD
    pc, day, resp, pct = pc[keep], day[keep], resp[keep], pct[keep]
    first = group_first(pc)
    starts = np.flatnonzero(first)
    g_pc = pc[starts]

    rday = day - start[pc]
    is_cr, is_pr, is_sd, is_non, is_pd = (resp == x for x in (CR, PR, SD, NONCRPD, PD))
    late = rday >= settings.sd_min_days
    conf_cr, conf_pr = confirmation_flags(resp, day, first, settings)
    crpr_after_cr = is_pr & (count_before(is_cr, first) > 0)
    if crpr_after_cr.any():
        bad = np.unique(pc[crpr_after_cr])
        warn.add(ids.to_numpy(dtype=object)[bad], None,
                 "CR followed by a later PR (RECIST 1.1: after a true CR reappearing disease is PD; "
                 "the CR is not confirmed by the PR)")

    def ranks(cr, pr):
        return np.select([cr, pr, (is_cr | is_pr | is_sd) & late, is_non & late, is_pd],
                         [0, 1, 2, 3, 4], default=5).astype(np.int8)

    out = {}
    for name, cr, pr in (("bor", is_cr, is_pr), ("confirmed_bor", conf_cr, conf_pr)):
        cat = np.full(npat, MISSING, dtype=object)
        when = np.full(npat, np.nan)
        fr = np.full(npat, np.nan)
        if len(starts):
            best, first_day = _reduce_first(ranks(cr, pr), day, starts)
            cat[g_pc] = _RANK_NAMES[best]
            when[g_pc] = first_day
            fr[g_pc] = np.minimum.reduceat(np.where(cr | pr, day, np.inf), starts)
        out[name], out[name + "_date"] = cat, when
        out[name + "_first_response"] = np.where(np.isinf(fr), np.nan, fr)
    headline = "confirmed_bor" if settings.confirmation else "bor"
    resp_day = out[headline + "_first_response"]
    best_pct = np.full(npat, np.nan)
    durable = np.zeros(npat, dtype=bool)
    if len(starts):
        best_pct[g_pc] = np.fmin.reduceat(pct, starts)
        durable[g_pc] = np.logical_or.reduceat((is_cr | is_pr | is_sd | is_non)
                                               & (rday >= settings.clinical_benefit_days), starts)
    sel = np.flatnonzero(in_pop)
    res = pd.DataFrame({
        "patient_id": ids.to_numpy(dtype=object)[sel],
        "bor": out["bor"][sel], "bor_date": from_days(out["bor_date"][sel]),
        "confirmed_bor": out["confirmed_bor"][sel],
        "confirmed_bor_date": from_days(out["confirmed_bor_date"][sel]),
        "first_response_date": from_days(resp_day[sel]),
        "time_to_response_days": (resp_day - start)[sel],
        "best_pct_change": best_pct[sel],
        "durable_control": durable[sel],
        "confirmed_first_response_date": from_days(out["confirmed_bor_first_response"][sel]),
        "unconfirmed_first_response_date": from_days(out["bor_first_response"][sel]),
    })
    return res[BEST_COLUMNS]


def best_response(timepoints: pd.DataFrame, patients: pd.DataFrame, population=None,
                  settings: RecistSettings | None = None) -> pd.DataFrame:
    """Best overall response per patient of the response population.

    Parameters
    ----------
    timepoints : pandas.DataFrame
        ``patient_id, date, overall`` (one row per scan, post-baseline); ``pct_from_baseline``
        optional (gives ``best_pct_change``).
    patients : pandas.DataFrame
        ``patient_id, start_date`` and optionally ``new_therapy_date``.
    population : sequence of str, optional
        Patient ids of the response population (default: every patient).
    settings : RecistSettings, optional

    Returns
    -------
    pandas.DataFrame
        ``patient_id, bor, bor_date, confirmed_bor, confirmed_bor_date, first_response_date,
        time_to_response_days, best_pct_change, durable_control`` and the first response dates of
        both kinds. ``bor`` is always unconfirmed and ``confirmed_bor`` always confirmed;
        ``first_response_date`` (the DOR start) and ``time_to_response_days`` (first response minus
        start, days) follow the headline (``settings.confirmation``). ``best_pct_change`` is the
        smallest % change of the target sum from baseline over the counted scans (waterfall).
        ``durable_control``: a CR/PR/SD/NON-CR/NON-PD scan at ``>= clinical_benefit_days``.
    """
    return _best_response(timepoints, patients, population, settings or RecistSettings(), Warnings())


def _exact_ci(k: int, n: int, conf_level: float) -> tuple[float, float, float]:
    """Proportion and its exact Clopper-Pearson interval (R ``binom.test``: beta quantiles)."""
    if n == 0:
        return np.nan, np.nan, np.nan
    from ..stats._dist import clopper_pearson

    low, high = clopper_pearson(int(k), int(n), conf_level)
    return k / n, low, high


def response_summary(best: pd.DataFrame, n_population: int | None = None, conf_level: float = 0.95,
                     column: str = "bor") -> pd.DataFrame:
    """Counts per best-response category and ORR / DCR / clinical benefit with exact CIs.

    Parameters
    ----------
    best : pandas.DataFrame
        Output of :func:`best_response` (one row per patient of the response population).
    n_population : int, optional
        Denominator (default ``len(best)``, the response population).
    conf_level : float
        Confidence level of the Clopper-Pearson intervals (R ``binom.test``).
    column : str
        ``"bor"`` (unconfirmed) or ``"confirmed_bor"``.

    Returns
    -------
    pandas.DataFrame
        ``category, n, N, proportion, lower, upper``; rows CR, PR, SD, NON-CR/NON-PD, PD, NE,
        MISSING, ORR (CR+PR), DCR (CR+PR+SD+NON-CR/NON-PD), CBR (CR/PR, or ``durable_control``:
        a non-PD response at >= ``clinical_benefit_days``; without that column CBR = DCR).
    """
    if column not in best.columns:
        raise ValueError(f"best: column {column!r} missing; expected 'bor' or 'confirmed_bor'")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be between 0 and 1, got {conf_level!r}")
    cat = best[column].astype(str).to_numpy()
    unknown = sorted(set(cat) - set(BOR_CATEGORIES))
    if unknown:
        raise ValueError(f"best.{column}: unknown categories {unknown}; expected {BOR_CATEGORIES}")
    n_total = len(best) if n_population is None else int(n_population)
    if n_total < len(best):
        raise ValueError(f"n_population ({n_total}) is smaller than the number of patients ({len(best)})")
    counts = {c: int((cat == c).sum()) for c in BOR_CATEGORIES}
    orr = counts[CR] + counts[PR]
    dcr = orr + counts[SD] + counts[NONCRPD]
    if "durable_control" in best.columns:
        cbr = int((np.isin(cat, [CR, PR]) | best["durable_control"].fillna(False).to_numpy(bool)).sum())
    else:
        cbr = dcr
    rows = [(c, counts[c]) for c in BOR_CATEGORIES] + [("ORR", orr), ("DCR", dcr), ("CBR", cbr)]
    data = [(c, k, n_total, *_exact_ci(k, n_total, conf_level)) for c, k in rows]
    return pd.DataFrame(data, columns=["category", "n", "N", "proportion", "lower", "upper"])
