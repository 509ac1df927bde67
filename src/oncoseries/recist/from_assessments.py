"""Investigator responses (assessments.csv): timepoints when no lesions are given, and the
concordance of derived vs investigator responses when both are (INTERFACE §1).

- Rows on or before ``start_date`` are not post-baseline and are dropped (with a warning).
- Several responses on one date: the worst is kept (PD > NON-CR/NON-PD > SD > PR > CR > NE, as
  admiralonco's ``worst_resp`` ordering in ``ad_adrs.R``), with a warning.
- When the components are given and the overall response disagrees with RECIST 1.1 Tables 1-2,
  the given overall response is kept and a warning says what the table gives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._encode import Warnings, from_days, patient_index, require_columns, to_days
from ._groups import group_first
from .best_response import _RESP, _best_response
from .settings import RecistSettings
from .tables import _NON_TARGET, _TARGET, NA, normalise_codes, normalise_new, overall_response

_WORST = {"NE": 0, "CR": 1, "PR": 2, "SD": 3, "NON-CR/NON-PD": 4, "PD": 5}
_NEW_TEXT = np.array(["no", "yes"], dtype=object)


def timepoints_from_assessments(assessments: pd.DataFrame, patients: pd.DataFrame,
                                warn: Warnings | None = None) -> pd.DataFrame:
    """Investigator time-point responses in the ``timepoints`` layout.

    Parameters
    ----------
    assessments : pandas.DataFrame
        ``patient_id, date, response``; optional ``target, non_target, new_lesions``.
    patients : pandas.DataFrame
        ``patient_id, start_date``.

    Returns
    -------
    pandas.DataFrame ``patient_id, date, target, non_target, new_lesions, overall`` (post-start
    scans, one per date; component columns empty when not given).
    """
    warn = warn if warn is not None else Warnings()
    require_columns(assessments, ("patient_id", "date", "response"), "assessments")
    ids = patient_index(patients)
    a = assessments.reset_index(drop=True)
    rows = a["_row"].to_numpy() if "_row" in a.columns else np.arange(len(a)) + 2
    pc = ids.get_indexer(a["patient_id"].astype(str))
    day = to_days(a["date"])
    resp = normalise_codes(a["response"], "assessments.response", _RESP)
    bad = (pc < 0) | np.isnan(day) | (resp == NA)
    if bad.any():
        warn.add(a.loc[bad, "patient_id"].astype(str).to_numpy(), None,
                 "assessment without a known patient, a date or a response; ignored", rows[bad])
    start = to_days(patients["start_date"])
    early = ~bad & (day <= start[np.maximum(pc, 0)])
    warn.add(a.loc[early, "patient_id"].astype(str).to_numpy(), None,
             "assessment on or before start_date (not post-baseline); ignored", rows[early])
    keep = ~bad & ~early
    n = len(a)
    comp = {}
    for col, table in (("target", _TARGET), ("non_target", _NON_TARGET)):
        comp[col] = (normalise_codes(a[col], f"assessments.{col}", table) if col in a.columns
                     else np.full(n, NA, dtype=object))
    has_new = "new_lesions" in a.columns
    if has_new:
        new = normalise_new(a["new_lesions"], "assessments.new_lesions")
        text = a["new_lesions"].astype("string").str.strip().str.lower()
        new_text = np.where(text.eq("equivocal").fillna(False).to_numpy(bool), "equivocal",
                            _NEW_TEXT[new.astype(int)]).astype(object)
        new_text[a["new_lesions"].isna().to_numpy()] = None
    else:
        new, new_text = np.zeros(n, dtype=bool), np.full(n, None, dtype=object)
    given = keep & ((comp["target"] != NA) | (comp["non_target"] != NA))
    if given.any():
        table_resp = overall_response(comp["target"][given], comp["non_target"][given], new[given])
        off = np.flatnonzero(given)[table_resp != resp[given]]
        warn.add(a.loc[off, "patient_id"].astype(str).to_numpy(), None,
                 [f"response {r} differs from RECIST 1.1 Tables 1-2 applied to its components ({t}); "
                  "the given response is kept" for r, t in zip(resp[off], table_resp[table_resp != resp[given]])],
                 rows[off])
    idx = np.flatnonzero(keep)
    rank = pd.Series(resp[idx]).map(_WORST).to_numpy()
    order = np.lexsort((-rank, day[idx], pc[idx]))
    idx = idx[order]
    first = group_first(pc[idx], day[idx])
    if not first.all():
        dup = idx[~first]
        warn.add(a.loc[dup, "patient_id"].astype(str).to_numpy(), None,
                 "several assessments on one date: the worst response is kept", rows[dup])
    idx = idx[first]
    return pd.DataFrame({
        "patient_id": ids.to_numpy(dtype=object)[pc[idx]],
        "date": from_days(day[idx]),
        "target": np.where(comp["target"][idx] == NA, None, comp["target"][idx]),
        "non_target": np.where(comp["non_target"][idx] == NA, None, comp["non_target"][idx]),
        "new_lesions": new_text[idx],
        "overall": resp[idx],
    })


@dataclass
class Concordance:
    """Derived vs investigator responses.

    ``scans``: one row per scan date present in either source (``derived``, ``investigator``;
    None when missing). ``table``: crosstab of the matched scans (rows derived, columns
    investigator). ``agreement``: share of matched scans with the same overall response;
    ``kappa``: Cohen's kappa. ``bor_table`` / ``bor_agreement``: the same for the unconfirmed
    best overall response of the response population.
    """

    scans: pd.DataFrame
    table: pd.DataFrame
    n_matched: int
    n_agree: int
    agreement: float
    kappa: float
    bor_table: pd.DataFrame
    bor_agreement: float


def _crosstab(a: pd.Series, b: pd.Series, name_a: str, name_b: str):
    levels = [c for c in ["CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING"]
              if (a == c).any() or (b == c).any()]
    tab = pd.crosstab(pd.Categorical(a, levels), pd.Categorical(b, levels), dropna=False)
    tab.index.name, tab.columns.name = name_a, name_b
    n = int(tab.to_numpy().sum())
    agree = int(np.trace(tab.to_numpy())) if n else 0
    if n:
        p = tab.to_numpy() / n
        pe = float(p.sum(axis=1) @ p.sum(axis=0))
        po = agree / n
        kappa = (po - pe) / (1 - pe) if pe < 1 else 1.0
    else:
        kappa = np.nan
    return tab, n, agree, (agree / n if n else np.nan), kappa


def concordance(derived: pd.DataFrame, investigator: pd.DataFrame, patients: pd.DataFrame,
                population=None, settings: RecistSettings | None = None) -> Concordance:
    """Compare derived time-point (and best) responses with the investigator's.

    Parameters
    ----------
    derived : pandas.DataFrame
        Derived ``timepoints``.
    investigator : pandas.DataFrame
        Investigator timepoints (:func:`timepoints_from_assessments`).
    patients : pandas.DataFrame
    population : sequence of str, optional
        Response population for the BOR comparison (default: every patient).
    settings : RecistSettings, optional
    """
    settings = settings or RecistSettings()
    d = derived[["patient_id", "date", "overall"]].rename(columns={"overall": "derived"})
    i = investigator[["patient_id", "date", "overall"]].rename(columns={"overall": "investigator"})
    scans = d.merge(i, on=["patient_id", "date"], how="outer", sort=False)
    scans = scans.sort_values(["patient_id", "date"], kind="mergesort").reset_index(drop=True)
    both = scans["derived"].notna() & scans["investigator"].notna()
    tab, n, agree, share, kappa = _crosstab(scans.loc[both, "derived"], scans.loc[both, "investigator"],
                                            "derived", "investigator")
    bd = _best_response(derived, patients, population, settings, Warnings())
    bi = _best_response(investigator, patients, population, settings, Warnings())
    btab, _, _, bshare, _ = _crosstab(bd["bor"], bi["bor"], "derived", "investigator")
    scans = scans.astype({"derived": object, "investigator": object})
    scans = scans.where(scans.notna(), None)
    return Concordance(scans=scans, table=tab, n_matched=n, n_agree=agree, agreement=share, kappa=kappa,
                       bor_table=btab, bor_agreement=bshare)
