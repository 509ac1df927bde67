"""Time-to-event endpoints (an ADTTE-like table): OS, PFS, DOR and TTP.

Rules follow INTERFACE §5, admiralonco's ``tte_sources`` (event = earliest event date, otherwise the
censoring date; ``AVAL = ADT - STARTDT + 1`` days) and the FDA 2007/2018 PFS censoring table
(new anticancer therapy; two or more missed assessments). Everything is vectorised over patients:
per-patient minima/maxima are ``np.fmin.at``/``np.fmax.at`` over the scan rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..memory import trim
from ._inputs import Inputs, from_days, prepare
from .settings import EndpointSettings

PARAMS = {
    "OS": "Overall Survival",
    "PFS": "Progression-Free Survival",
    "DOR": "Duration of Response",
    "TTP": "Time to Progression",
    "IPFS": "iRECIST Progression-Free Survival",
}
IPFS_EVENT = "Disease progression (iRECIST: iUPD confirmed as iCPD or never reset)"

# evntdesc texts, indexed by the small integer codes used inside the derivation
EV_PD, EV_CLIN, EV_DEATH = 0, 1, 2
CN_LAST, CN_START, CN_NT_LAST, CN_NT_START, CN_MISSED, CN_MISSED_START = 3, 4, 5, 6, 7, 8
CN_DEATH_TTP, CN_ALIVE, CN_ALIVE_LATER, CN_ALIVE_START = 9, 10, 11, 12
DESCRIPTIONS = np.array(
    [
        "Disease progression (RECIST)",
        "Clinical progression",
        "Death",
        "Censored at last adequate assessment",
        "Censored at start: no adequate post-baseline assessment",
        "Censored at last adequate assessment before new anticancer therapy",
        "Censored at start: no adequate assessment before new anticancer therapy",
        "Censored: event after {m} or more missed assessments",
        "Censored at start: event after {m} or more missed assessments",
        "Censored at last adequate assessment: death without progression",
        "Alive at last contact",
        "Alive: censored at latest date known alive",
        "Censored at start: no last contact date",
    ],
    dtype=object,
)
# (srcdom, srcvar) of the date each description refers to
SOURCES = np.array(
    [
        ("timepoints", "date"),
        ("patients", "progression_date"),
        ("patients", "death_date"),
        ("timepoints", "date"),
        ("patients", "start_date"),
        ("timepoints", "date"),
        ("patients", "start_date"),
        ("timepoints", "date"),
        ("patients", "start_date"),
        ("timepoints", "date"),
        ("patients", "last_contact_date"),
        ("known_alive", "date"),
        ("patients", "start_date"),
    ],
    dtype=object,
)
START_LABEL = {"OS": "start_date", "PFS": "start_date", "TTP": "start_date", "DOR": "first_response_date",
               "IPFS": "start_date"}

ADTTE_COLUMNS = ["patient_id", "paramcd", "param", "startdt", "adt", "aval", "cnsr", "evntdesc",
                 "srcdom", "srcvar"]


class EndpointWarning(NamedTuple):
    """One data-quality note raised while deriving the endpoints (like a validation warning)."""

    patient_id: str
    paramcd: str
    column: str
    message: str


@dataclass
class EndpointResult:
    """Result of :func:`derive_endpoints`.

    Attributes
    ----------
    adtte : DataFrame
        One row per patient and parameter: ``patient_id, paramcd, param, startdt, adt, aval, cnsr,
        evntdesc, srcdom, srcvar``; ``aval = adt - startdt + 1`` days, ``cnsr`` 0 event / 1 censored.
    warnings : list of EndpointWarning
    settings : EndpointSettings
    """

    adtte: pd.DataFrame
    warnings: list[EndpointWarning] = field(default_factory=list)
    settings: EndpointSettings = field(default_factory=EndpointSettings)

    def param(self, paramcd: str) -> pd.DataFrame:
        """The rows of one parameter (``"OS"``, ``"PFS"``, ``"DOR"`` or ``"TTP"``), index reset."""
        if paramcd not in PARAMS:
            raise ValueError(f"paramcd must be one of {list(PARAMS)}, got {paramcd!r}")
        return self.adtte[self.adtte["paramcd"] == paramcd].reset_index(drop=True)


@dataclass
class _Block:
    """One parameter's rows as aligned arrays (patient positions, days and description codes)."""

    paramcd: str
    pos: np.ndarray
    start: np.ndarray
    adt: np.ndarray
    cnsr: np.ndarray
    desc: np.ndarray
    source: np.ndarray | None = None  # "domain.variable" overriding SOURCES where not ""


def derive_endpoints(
    patients: pd.DataFrame,
    timepoints: pd.DataFrame,
    best_response: pd.DataFrame | None,
    settings: EndpointSettings | None = None,
    known_alive: pd.Series | pd.DataFrame | None = None,
) -> EndpointResult:
    """Derive OS, PFS, DOR and TTP for every patient (INTERFACE §5; admiralonco; FDA 2007/2018).

    Parameters
    ----------
    patients : DataFrame
        ``patient_id`` plus the dates ``start_date``, ``last_contact_date`` and optionally
        ``death_date``, ``progression_date`` (clinical progression), ``new_therapy_date``.
    timepoints : DataFrame
        Post-baseline scans: ``patient_id, date, overall`` (overall in CR, PR, SD, NON-CR/NON-PD, PD, NE).
    best_response : DataFrame or None
        ``patient_id, first_response_date`` (first CR/PR of the headline BOR, NaT for non-responders);
        patients with a date get a DOR row.
    settings : EndpointSettings, optional
    known_alive : Series or DataFrame, optional
        Other dates the patient was alive (Series indexed by patient_id, or DataFrame
        ``patient_id, date[, source]``), e.g. treatment dates. Scan, progression and new-therapy dates
        are always used.

    Returns
    -------
    EndpointResult
        ``adtte`` ordered by patient (input order) then OS, PFS, DOR, TTP (and IPFS when ``timepoints``
        has the iRECIST column ``i_overall``); and the warnings.
    """
    settings = settings if settings is not None else EndpointSettings()
    if not isinstance(settings, EndpointSettings):
        raise TypeError(f"settings must be an EndpointSettings, got {type(settings).__name__}")
    inp = prepare(patients, timepoints, best_response, known_alive)
    warnings = [EndpointWarning(*w) for w in inp.warnings]

    all_pos = np.arange(len(inp.ids))
    blocks = [_overall_survival(inp, warnings)]
    blocks.append(_progression(inp, settings, "PFS", all_pos, inp.start, death_is_event=True))
    resp = np.flatnonzero(~np.isnan(inp.response))
    blocks.append(_progression(inp, settings, "DOR", resp, inp.response[resp], death_is_event=True))
    blocks.append(_progression(inp, settings, "TTP", all_pos, inp.start, death_is_event=False))
    if inp.tp_ipd is not None:
        # iPFS: as PFS with the iRECIST event scan and adequate assessments (endpoints/_irecist.py)
        inp_i = replace(inp, tp_pd=inp.tp_ipd, tp_adequate=inp.tp_iadequate)
        blocks.append(_progression(inp_i, settings, "IPFS", all_pos, inp.start, death_is_event=True))
    adtte = _assemble(inp, blocks, settings, warnings)
    del inp, blocks
    trim()   # the work arrays (10^6 patients: 10^7 dates known alive): back to the system (memory.py)
    return EndpointResult(adtte=adtte, warnings=warnings, settings=settings)


def _group_extreme(ufunc, n: int, code: np.ndarray, days: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Per-patient np.fmax / np.fmin of the dates (NaN when none)."""
    out = np.full(n, np.nan)
    if mask is not None:
        code, days = code[mask], days[mask]
    ufunc.at(out, code, days)
    return out


def _group_max(n: int, code: np.ndarray, days: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Per-patient latest date (NaN when none)."""
    return _group_extreme(np.fmax, n, code, days, mask)


def _group_min(n: int, code: np.ndarray, days: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Per-patient earliest date (NaN when none)."""
    return _group_extreme(np.fmin, n, code, days, mask)


def _overall_survival(inp: Inputs, warnings: list) -> _Block:
    """OS: event at death; otherwise censored at the latest date known alive.

    admiralonco ``death_event``/``lastalive_censor``; INTERFACE §5: a scan, treatment or other date
    later than ``last_contact_date`` moves the censoring date there, with a warning.
    """
    n = len(inp.ids)
    dead = ~np.isnan(inp.death)
    latest_other = _group_max(n, inp.alive_code, inp.alive_date)
    later = ~dead & ~np.isnan(latest_other) & ~(latest_other <= inp.last_contact)
    adt = np.where(dead, inp.death, inp.last_contact)
    adt = np.where(later, latest_other, adt)
    desc = np.where(dead, EV_DEATH, np.where(later, CN_ALIVE_LATER, CN_ALIVE))
    no_date = np.isnan(adt)
    adt = np.where(no_date, inp.start, adt)
    desc = np.where(no_date, CN_ALIVE_START, desc)

    src = _source_of_latest(inp, later, latest_other)
    if later.any():
        for p in np.flatnonzero(later):
            last = "missing" if np.isnan(inp.last_contact[p]) else _iso(inp.last_contact[p])
            warnings.append(EndpointWarning(
                inp.ids[p], "OS", "last_contact_date",
                f"known alive on {_iso(latest_other[p])} ({src[p]}), after last_contact_date ({last}); "
                f"OS censored on {_iso(latest_other[p])}"))
    if no_date.any():
        for p in np.flatnonzero(no_date):
            warnings.append(EndpointWarning(inp.ids[p], "OS", "last_contact_date",
                                            "no last_contact_date and no other date known alive; "
                                            "OS censored at start_date"))
    after_death = dead & (latest_other > inp.death)
    if after_death.any():
        src = _source_of_latest(inp, after_death, latest_other)
        for p in np.flatnonzero(after_death):
            warnings.append(EndpointWarning(inp.ids[p], "OS", "death_date",
                                            f"date {_iso(latest_other[p])} ({src[p]}) is after death_date "
                                            f"{_iso(inp.death[p])}"))
    contact_after_death = dead & (inp.last_contact > inp.death)
    for p in np.flatnonzero(contact_after_death):
        warnings.append(EndpointWarning(inp.ids[p], "OS", "last_contact_date",
                                        f"last_contact_date {_iso(inp.last_contact[p])} is after death_date "
                                        f"{_iso(inp.death[p])}"))
    source = np.full(n, "", dtype=object)
    if later.any():
        source[later] = src[later]
    return _Block("OS", np.arange(n), inp.start, adt, (~dead).astype(np.int64), desc, source)


def _source_of_latest(inp: Inputs, flagged: np.ndarray, latest: np.ndarray) -> np.ndarray:
    """For flagged patients, the source name of their latest known-alive date (first such row)."""
    rows = flagged[inp.alive_code] & (inp.alive_date == latest[inp.alive_code])
    out = np.full(len(inp.ids), "", dtype=object)
    code = inp.alive_code[rows]
    # reversed assignment keeps the first row per patient
    src = inp.alive_source[rows][::-1]
    out[code[::-1]] = src if inp.alive_labels is None else inp.alive_labels[src]
    return out


def _progression(inp: Inputs, settings: EndpointSettings, paramcd: str, pos: np.ndarray,
                 start: np.ndarray, death_is_event: bool) -> _Block:
    """PFS, DOR (start = first response) and TTP (death not an event) for the patients ``pos``.

    Event: earliest of the first PD scan, ``progression_date`` and (unless TTP) death; ties are named
    RECIST PD, then clinical progression, then death. Otherwise censored at the last adequate
    (non-NE) scan on or after the start, or at the start when there is none (admiralonco
    ``lasta_censor``/``rand_censor``). New therapy and missed-assessment rules as INTERFACE §5.
    """
    m = len(pos)
    k_of = np.full(len(inp.ids), -1)
    k_of[pos] = np.arange(m)
    rk = k_of[inp.tp_code]
    rows = rk >= 0
    rk, rdate = rk[rows], inp.tp_date[rows]
    rows_in = rdate >= start[rk]  # PFS/TTP: scans are post-baseline already; DOR: on/after response
    rk, rdate = rk[rows_in], rdate[rows_in]
    r_pd = inp.tp_pd[rows][rows_in]
    r_adequate = inp.tp_adequate[rows][rows_in]

    # event candidates in tie-break order: RECIST PD, clinical progression, death
    cand = [_group_min(m, rk, rdate, r_pd), inp.progression[pos]]
    if death_is_event:
        cand.append(inp.death[pos])
    stack = np.column_stack(cand)
    has_event = ~np.isnan(stack).all(axis=1)
    kind = np.argmin(np.where(np.isnan(stack), np.inf, stack), axis=1)
    event = np.where(has_event, stack[np.arange(m), kind], np.nan)

    last_adequate = _group_max(m, rk, rdate, r_adequate)
    adt = np.where(np.isnan(last_adequate), start, last_adequate)
    desc = np.where(np.isnan(last_adequate), CN_START, CN_LAST)
    if not death_is_event:
        died = ~np.isnan(inp.death[pos]) & ~np.isnan(last_adequate)
        desc = np.where(died, CN_DEATH_TTP, desc)
    cnsr = np.ones(m, dtype=np.int64)

    censored_nt = np.zeros(m, dtype=bool)
    if settings.censor_at_new_therapy:
        nt = inp.new_therapy[pos]
        # new therapy strictly before the event (an event on the day therapy starts still counts)
        censored_nt = ~np.isnan(nt) & (~has_event | (nt < event))
        nt_row = nt[rk]
        before_nt = _group_max(m, rk, rdate, r_adequate & (rdate < nt_row))
        adt = np.where(censored_nt, np.where(np.isnan(before_nt), start, before_nt), adt)
        desc = np.where(censored_nt, np.where(np.isnan(before_nt), CN_NT_START, CN_NT_LAST), desc)

    is_event = has_event & ~censored_nt
    if settings.missed_assessments is not None and is_event.any():
        window = settings.missed_assessments.window_days
        ev_row = event[rk]
        ref_scan = _group_max(m, rk, rdate, r_adequate & (rdate < ev_row))
        ref = np.where(np.isnan(ref_scan), start, ref_scan)
        missed = is_event & (event - ref > window)
        adt = np.where(missed, ref, adt)
        desc = np.where(missed, np.where(np.isnan(ref_scan), CN_MISSED_START, CN_MISSED), desc)
        is_event &= ~missed

    adt = np.where(is_event, event, adt)
    desc = np.where(is_event, kind, desc)  # kind 0/1/2 == EV_PD/EV_CLIN/EV_DEATH
    cnsr[is_event] = 0
    return _Block(paramcd, pos, start, adt, cnsr, desc)


def _assemble(inp: Inputs, blocks: list[_Block], settings: EndpointSettings, warnings: list) -> pd.DataFrame:
    """Stack the blocks into the ADTTE-like table; warn on dates before the start (aval < 1)."""
    order = {p: i for i, p in enumerate(PARAMS)}
    pos = np.concatenate([b.pos for b in blocks])
    param_i = np.concatenate([np.full(len(b.pos), order[b.paramcd]) for b in blocks])
    start = np.concatenate([b.start for b in blocks])
    adt = np.concatenate([b.adt for b in blocks])
    cnsr = np.concatenate([b.cnsr for b in blocks])
    desc_code = np.concatenate([b.desc for b in blocks]).astype(np.int64)
    source = np.concatenate([b.source if b.source is not None else np.full(len(b.pos), "", dtype=object)
                             for b in blocks])
    sort = np.lexsort((param_i, pos))
    pos, param_i, start, adt, cnsr, desc_code, source = (
        a[sort] for a in (pos, param_i, start, adt, cnsr, desc_code, source))

    codes = np.array(list(PARAMS), dtype=object)
    labels = np.array(list(PARAMS.values()), dtype=object)
    descriptions = DESCRIPTIONS.copy()
    m = settings.missed_assessments.max_missed if settings.missed_assessments else 2
    descriptions[CN_MISSED] = descriptions[CN_MISSED].format(m=m)
    descriptions[CN_MISSED_START] = descriptions[CN_MISSED_START].format(m=m)
    aval = (adt - start + 1).astype(np.int64)
    adtte = pd.DataFrame({
        "patient_id": inp.ids[pos],
        "paramcd": codes[param_i],
        "param": labels[param_i],
        "startdt": from_days(start),
        "adt": from_days(adt),
        "aval": aval,
        "cnsr": cnsr,
        "evntdesc": descriptions[desc_code],
        "srcdom": SOURCES[desc_code, 0],
        "srcvar": SOURCES[desc_code, 1],
    }, copy=False)   # fresh arrays: one block per column, no consolidated copy (10^6 patients: 4*10^6 rows)
    over = np.flatnonzero(source != "")
    if len(over):
        split = pd.Series(source[over]).str.split(".", n=1, expand=True).reindex(columns=[0, 1])
        adtte.loc[over, "srcdom"] = split[0].to_numpy()
        adtte.loc[over, "srcvar"] = split[1].fillna("date").to_numpy()
    ipd = (codes[param_i] == "IPFS") & (desc_code == EV_PD)
    adtte.loc[ipd, "evntdesc"] = IPFS_EVENT
    # the DOR censoring at "start" is the first response date
    dor_start = (codes[param_i] == "DOR") & (adtte["srcvar"].to_numpy() == "start_date")
    adtte.loc[dor_start, "srcdom"] = "best_response"
    adtte.loc[dor_start, "srcvar"] = "first_response_date"
    for i in np.flatnonzero(aval < 1):
        warnings.append(EndpointWarning(
            adtte.at[i, "patient_id"], adtte.at[i, "paramcd"], adtte.at[i, "srcvar"],
            f"{adtte.at[i, 'srcvar']} {_iso(adt[i])} is before {START_LABEL[codes[param_i[i]]]} "
            f"{_iso(start[i])} (aval {aval[i]})"))
    return adtte


def _iso(day: float) -> str:
    return str(np.datetime64(int(day), "D"))
