"""Checking and vectorising the inputs of :func:`derive_endpoints`.

Dates become float day numbers (days since 1970-01-01, NaN when missing) so that per-patient
minima/maxima are single ``np.fmin.at``/``np.fmax.at`` calls (NaN-ignoring, no loop over patients).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

OVERALL_VALUES = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")
PATIENT_DATES = ("start_date", "last_contact_date", "death_date", "progression_date", "new_therapy_date")


@dataclass
class Inputs:
    """Column arrays aligned on ``ids`` (patients) and on the rows of the timepoints table."""

    ids: np.ndarray  # patient_id (str), input order
    start: np.ndarray  # float days
    last_contact: np.ndarray
    death: np.ndarray
    progression: np.ndarray
    new_therapy: np.ndarray
    response: np.ndarray  # first CR/PR date of the headline BOR, NaN for non-responders
    tp_code: np.ndarray  # patient position of each scan
    tp_date: np.ndarray  # float days
    tp_pd: np.ndarray  # bool: overall response is PD
    tp_adequate: np.ndarray  # bool: overall response is not NE (RECIST "adequate assessment")
    alive_code: np.ndarray  # patient position of each "known alive" date
    alive_date: np.ndarray
    alive_source: np.ndarray  # where that date comes from: int32 codes into alive_labels (texts when None)
    warnings: list  # (patient_id, paramcd, column, message)
    tp_ipd: np.ndarray | None = None  # bool: iPFS event scan (iRECIST; only with timepoints.i_overall)
    tp_iadequate: np.ndarray | None = None  # bool: iRECIST response is not NE
    alive_labels: np.ndarray | None = None  # the source texts of alive_source's codes


def _source_codes(labels: list, texts: np.ndarray) -> np.ndarray:
    """int32 codes of ``texts`` (object array) into ``labels``, extended with the texts not there yet:
    half the memory of a text pointer per row (10^7 dates known alive in a registry)."""
    codes, uniques = pd.factorize(texts)
    at = []
    for u in uniques:
        if u not in labels:
            labels.append(u)
        at.append(labels.index(u))
    return np.asarray(at, dtype=np.int32)[codes] if len(codes) else np.zeros(0, dtype=np.int32)


def to_days(values: pd.Series, column: str, table: str) -> np.ndarray:
    """Dates -> float days since epoch (NaN for NaT); time of day is dropped (floor to the date)."""
    s = values
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        if s.isna().all():
            return np.full(len(s), np.nan)
        try:
            s = pd.to_datetime(s, format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise TypeError(
                f"{table}.{column} must hold dates (datetime64 or ISO 'YYYY-MM-DD' strings): {exc}"
            ) from None
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)
    v = s.to_numpy("datetime64[ns]")
    nat = np.isnat(v)
    days = v.astype("datetime64[D]").astype(np.int64).astype(np.float64)
    days[nat] = np.nan
    return days


def from_days(days: np.ndarray) -> np.ndarray:
    """Float days -> datetime64[ns] (NaT for NaN)."""
    out = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = ~np.isnan(days)
    out[ok] = days[ok].astype(np.int64).astype("datetime64[D]").astype("datetime64[ns]")
    return out


def _require(df, table: str, columns: tuple[str, ...]) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{table} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{table} is missing required column(s) {missing}; it has {list(df.columns)}")


def _overall(values: pd.Series) -> np.ndarray:
    """Normalised overall responses (upper case, stripped; None when missing), via the few unique values."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    u = pd.Series(uniques, dtype="string").str.strip().str.upper()
    u = u.str.replace(r"^NON[- ]?CR\s*/\s*NON[- ]?PD$", "NON-CR/NON-PD", regex=True)
    bad = u.notna() & ~u.isin(OVERALL_VALUES)
    if bad.any():
        raise ValueError(
            f"timepoints.overall must be one of {list(OVERALL_VALUES)}; "
            f"found {sorted(set(u[bad].tolist()))[:5]}"
        )
    norm = np.append(u.to_numpy(dtype=object, na_value=None), None)
    return norm[codes]  # code -1 (missing) picks the appended None


def _ids(df: pd.DataFrame, table: str) -> np.ndarray:
    pid = df["patient_id"]
    if pid.isna().any():
        rows = np.flatnonzero(pid.isna().to_numpy())[:5].tolist()
        raise ValueError(f"{table}.patient_id is empty at row position(s) {rows}")
    codes, uniques = pd.factorize(pid)
    return pd.Index(uniques).astype(str).str.strip().to_numpy(dtype=object)[codes]


def _table_codes(index: pd.Index, df: pd.DataFrame, table: str) -> np.ndarray:
    """Each row's patient position in ``index`` (the ids of ``_ids``), with one hash pass over the rows: the distinct ids are
    cleaned and looked up, then taken back to the rows (a registry's time points and treatment dates are
    5*10^6 rows each); the same errors."""
    codes, uniques = pd.factorize(df["patient_id"], use_na_sentinel=True)
    if (codes < 0).any():
        rows = np.flatnonzero(codes < 0)[:5].tolist()
        raise ValueError(f"{table}.patient_id is empty at row position(s) {rows}")
    names = pd.Index(uniques).astype(str).str.strip().to_numpy(dtype=object)
    at = index.get_indexer(names)
    if (at < 0).any():
        unknown = sorted(set(names[at < 0]))[:5]
        raise ValueError(f"{table}.patient_id has patients not in patients: {unknown}")
    return at[codes]


def prepare(patients, timepoints, best_response, known_alive) -> Inputs:
    """Validate the four tables of the input contract and turn them into aligned arrays."""
    _require(patients, "patients", ("patient_id",) + PATIENT_DATES[:2])
    ids = _ids(patients, "patients")
    index = pd.Index(ids)
    if not index.is_unique:
        dup = sorted(set(index[index.duplicated()]))[:5]
        raise ValueError(f"patients.patient_id must be unique; repeated: {dup}")
    n = len(ids)
    cols = {}
    for c in PATIENT_DATES:
        cols[c] = to_days(patients[c], c, "patients") if c in patients.columns else np.full(n, np.nan)
    if np.isnan(cols["start_date"]).any():
        miss = ids[np.isnan(cols["start_date"])][:5].tolist()
        raise ValueError(f"patients.start_date is required (the time origin); missing for {miss}")
    warnings: list = []

    if timepoints is None:  # no scans at all
        timepoints = pd.DataFrame({"patient_id": pd.Series(dtype=object),
                                   "date": pd.Series(dtype="datetime64[ns]"),
                                   "overall": pd.Series(dtype=object)})
    _require(timepoints, "timepoints", ("patient_id", "date", "overall"))
    tp_code = _table_codes(index, timepoints, "timepoints")
    tp_date = to_days(timepoints["date"], "date", "timepoints")
    overall = _overall(timepoints["overall"])
    bad_date = np.isnan(tp_date)
    if bad_date.any():
        who = sorted(set(ids[tp_code[bad_date]]))[:5]
        raise ValueError(f"timepoints.date is missing for patient(s) {who}")
    early = tp_date <= cols["start_date"][tp_code]
    if early.any():
        for pid in sorted(set(ids[tp_code[early]])):
            warnings.append((pid, "PFS", "date", "scan on or before start_date ignored (not post-baseline)"))
    no_resp = pd.isna(overall)
    if no_resp.any():
        for pid in sorted(set(ids[tp_code[no_resp]])):
            warnings.append((pid, "PFS", "overall", "scan without overall response treated as NE"))
    keep = ~early
    alive_code = [tp_code]
    alive_date = [tp_date]
    labels = ["timepoints.date", "patients.progression_date", "patients.new_therapy_date"]
    alive_source = [np.zeros(len(tp_code), dtype=np.int32)]   # labels[0]
    tp_code, tp_date, overall = tp_code[keep], tp_date[keep], overall[keep]
    tp_pd = np.asarray(overall == "PD", dtype=bool)
    tp_adequate = ~pd.isna(overall) & (overall != "NE")
    tp_ipd = tp_iadequate = None
    if "i_overall" in timepoints.columns:
        from ._irecist import ipfs_flags

        tp_ipd, tp_iadequate = ipfs_flags(tp_code, tp_date, timepoints["i_overall"][keep].reset_index(drop=True))

    response = np.full(n, np.nan)
    if best_response is not None:
        _require(best_response, "best_response", ("patient_id", "first_response_date"))
        br_code = _table_codes(index, best_response, "best_response")
        if len(np.unique(br_code)) != len(br_code):
            raise ValueError("best_response.patient_id must be unique (one row per patient)")
        response[br_code] = to_days(best_response["first_response_date"], "first_response_date",
                                    "best_response")

    for c, label in (("progression_date", 1), ("new_therapy_date", 2)):
        ok = ~np.isnan(cols[c])
        alive_code.append(np.flatnonzero(ok))
        alive_date.append(cols[c][ok])
        alive_source.append(np.full(int(ok.sum()), label, dtype=np.int32))
    if known_alive is not None:
        ka_code, ka_dates, ka_src = _known_alive(known_alive, index)
        alive_code.append(ka_code)
        alive_date.append(ka_dates)
        alive_source.append(_source_codes(labels, ka_src))
        del ka_code, ka_dates, ka_src
    a_code = np.concatenate(alive_code)
    a_date = np.concatenate(alive_date)
    ok = ~np.isnan(a_date)
    return Inputs(
        ids=ids, start=cols["start_date"], last_contact=cols["last_contact_date"], death=cols["death_date"],
        progression=cols["progression_date"], new_therapy=cols["new_therapy_date"], response=response,
        tp_code=tp_code, tp_date=tp_date, tp_pd=tp_pd, tp_adequate=tp_adequate, tp_ipd=tp_ipd,
        tp_iadequate=tp_iadequate,
        alive_code=a_code[ok], alive_date=a_date[ok], alive_source=np.concatenate(alive_source)[ok],
        alive_labels=np.asarray(labels, dtype=object), warnings=warnings,
    )


def _known_alive(known_alive, index: pd.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Series (index patient_id, values dates) or DataFrame (patient_id, date[, source]): (patient codes
    in ``index``, days, sources)."""
    if isinstance(known_alive, pd.Series):
        df = pd.DataFrame({"patient_id": known_alive.index, "date": known_alive.to_numpy()})
    elif isinstance(known_alive, pd.DataFrame):
        df = known_alive
    else:
        raise TypeError(f"known_alive must be a Series or DataFrame, got {type(known_alive).__name__}")
    _require(df, "known_alive", ("patient_id", "date"))
    dates = to_days(df["date"], "date", "known_alive")
    if "source" in df.columns:
        src = df["source"].astype(str).to_numpy(dtype=object)
    else:
        src = np.full(len(df), "known_alive.date", dtype=object)
    return _table_codes(index, df, "known_alive"), dates, src
