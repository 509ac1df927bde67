"""Encoding of the typed intake tables into sorted integer/float arrays (internal).

Every derivation works on whole-table numpy arrays sorted by (patient, date, lesion): patient codes
follow the order of the ``patients`` table, dates are whole days (float, NaN for NaT), lesion keys
identify (patient, lesion_id) pairs. Several rows of one lesion on one scan (a split lesion) are
combined into one observation whose diameter is the sum of the fragments (RECIST 1.1, special notes on target lesions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

# role codes
TARGET, NON_TARGET, NEW, IGNORED = 0, 1, 2, 3
ROLE_NAMES = np.array(["target", "non_target", "new", "ignored"], dtype=object)
_ROLES = {"target": TARGET, "non_target": NON_TARGET, "nontarget": NON_TARGET, "new": NEW}

# state codes, ordered by severity (the worst fragment state wins for a split lesion)
ABSENT, TOO_SMALL, EQUIVOCAL, PRESENT, NOT_EVALUATED, UNEQUIVOCAL = range(6)
STATE_NAMES = np.array(["absent", "too_small", "equivocal", "present", "not_evaluated",
                        "unequivocal_progression"], dtype=object)
_STATES = {"absent": ABSENT, "too_small": TOO_SMALL, "equivocal": EQUIVOCAL, "present": PRESENT,
           "not_evaluated": NOT_EVALUATED, "unequivocal_progression": UNEQUIVOCAL}

TOO_SMALL_MM = 5.0   # RECIST 1.1: "too small to measure" = 5 mm
LESION_COLUMNS = ("patient_id", "date", "lesion_id", "role")


class RecistWarning(NamedTuple):
    """A data issue found during the derivation (not an error): who, which lesion, what."""

    patient_id: str
    lesion_id: str | None
    message: str
    row: int | None = None


@dataclass
class Warnings:
    """Vectorised warning collector: lists of equal-length arrays, materialised once at the end."""

    parts: list[pd.DataFrame] = field(default_factory=list)

    def add(self, patient_id, lesion_id, message, row=None) -> None:
        patient_id = np.asarray(patient_id, dtype=object)
        n = len(patient_id)
        if n == 0:
            return
        def col(v):
            return np.asarray(v, dtype=object) if np.ndim(v) else np.full(n, v, dtype=object)
        self.parts.append(pd.DataFrame({"patient_id": patient_id, "lesion_id": col(lesion_id),
                                        "message": col(message), "row": col(row)}))

    def records(self) -> list[RecistWarning]:
        if not self.parts:
            return []
        df = pd.concat(self.parts, ignore_index=True)
        rows = [None if (r is None or (isinstance(r, float) and np.isnan(r))) else int(r) for r in df["row"]]
        lids = [None if (x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x))) else str(x)
                for x in df["lesion_id"]]
        return [RecistWarning(str(p), lid, str(m), r)
                for p, lid, m, r in zip(df["patient_id"], lids, df["message"], rows)]


def small_codes(codes: np.ndarray, n: int) -> np.ndarray:
    """Codes into ``n`` distinct values (-1: missing) in the smallest signed integer type that holds them."""
    for t in (np.int8, np.int16, np.int32):
        if n < np.iinfo(t).max:
            return codes.astype(t, copy=False)
    return codes


@dataclass
class Coded:
    """A text column as small integer codes into its distinct values (1-4 bytes a cell instead of an
    8-byte pointer; a registry's lesions are 10^7 rows). ``coded[idx]`` gives the values as the object
    array it replaces (None where missing). Values that are not all text (1 and 1.0 would be one
    distinct value) are kept as they are (``codes`` None, ``names`` the column itself)."""

    codes: np.ndarray | None
    names: np.ndarray

    @classmethod
    def of(cls, values) -> "Coded":
        if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
            return cls.from_factorized(*factorize(values), None)
        arr = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
        codes, uniq = pd.factorize(arr, use_na_sentinel=True)
        return cls.from_factorized(codes, uniq, arr)

    @classmethod
    def from_factorized(cls, codes: np.ndarray, uniq, values: np.ndarray) -> "Coded":
        uniq = np.asarray(uniq, dtype=object)
        if pd.api.types.infer_dtype(uniq, skipna=False) not in ("string", "empty"):
            if values is None:       # a categorical of other values: its cells as they are
                return cls(None, np.append(uniq, None)[codes])
            return cls(None, values)
        return cls(small_codes(codes, len(uniq)), uniq)

    def __len__(self) -> int:
        return len(self.names if self.codes is None else self.codes)

    def __getitem__(self, idx) -> np.ndarray:
        if self.codes is None:
            return self.names[idx]
        return np.append(self.names, None)[self.codes[idx]]

    def take(self, idx) -> "Coded":
        return Coded(None, self.names[idx]) if self.codes is None else Coded(self.codes[idx], self.names)

    def column(self):
        """The values as a column of the output table: categorical (missing: NaN) when coded."""
        if self.codes is None:
            return self.names
        return pd.Categorical.from_codes(self.codes, categories=pd.Index(self.names, dtype=object))


def factorize(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values) of a column, -1 for missing; a categorical's own codes (no pass over the
    cells; unused categories are harmless: only codes in use are looked up)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy(), np.asarray(s.cat.categories, dtype=object)
    return pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=True)


def to_days(values) -> np.ndarray:
    """datetime64 values -> whole days since 1970-01-01 as float64 (NaN for NaT)."""
    arr = pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[ns]")
    out = arr.astype("datetime64[D]").astype("int64").astype("float64")
    out[np.isnat(arr)] = np.nan
    return out


def from_days(days: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_days` (NaN -> NaT), as datetime64[ns]."""
    days = np.asarray(days, dtype="float64")
    out = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = ~np.isnan(days)
    out[ok] = days[ok].astype("int64").astype("datetime64[D]").astype("datetime64[ns]")
    return out


def require_columns(df: pd.DataFrame, columns, table: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{table}: required column(s) {missing} missing; got {list(df.columns)}")


def _codes(series: pd.Series, mapping: dict[str, int], table: str, column: str, rows,
           factorized=None) -> np.ndarray:
    codes, uniq = factorized or factorize(series)
    keys = [str(u).strip().lower().replace(" ", "_").replace("-", "_") for u in uniq]
    table_codes = np.array([mapping.get(k, -1) for k in keys] + [-1], dtype=np.int8)
    out = table_codes[np.where(codes < 0, len(uniq), codes)]
    if (out < 0).any():
        bad = np.flatnonzero(out < 0)[:5]
        cat = isinstance(series.dtype, pd.CategoricalDtype)   # a missing category is None, as in the text
        shown = [f"row {rows[i]}: {(None if cat and pd.isna(series.iloc[i]) else series.iloc[i])!r}" for i in bad]
        raise ValueError(f"{table}.{column}: unexpected value(s) ({'; '.join(shown)}); "
                         f"expected one of {sorted(set(mapping))}")
    return out


def patient_index(patients: pd.DataFrame) -> pd.Index:
    require_columns(patients, ("patient_id", "start_date"), "patients")
    ids = pd.Index(patients["patient_id"].astype(str))
    if ids.has_duplicates:
        dup = ids[ids.duplicated()].unique()[:5].tolist()
        raise ValueError(f"patients.patient_id: duplicated id(s) {dup}; expected one row per patient")
    return ids


@dataclass
class RowTable:
    """The lesion rows as given (sorted like the observations), for the per-lesion output table."""

    pc: np.ndarray
    day: np.ndarray
    obs: np.ndarray          # index of the observation (lesion on a scan) the row belongs to
    value: np.ndarray        # diameter used for the sum
    lesion_id: Coded
    organ: Coded
    nodal: np.ndarray
    state: Coded             # state text as given
    diameter_mm: np.ndarray


@dataclass
class Encoded:
    """Lesion observations (one per lesion per scan) sorted by patient, date, lesion."""

    ids: pd.Index            # patient ids in patients-table order
    start: np.ndarray        # start_date per patient (days)
    rows: RowTable           # the lesion rows used, sorted
    pc: np.ndarray           # per observation: patient code
    day: np.ndarray          # scan day
    lk: np.ndarray           # lesion key (patient, lesion_id)
    lesion_id: Coded         # lesion_id[idx]: the ids (object array)
    role: np.ndarray         # recorded role code
    state: np.ndarray        # combined state code
    nodal: np.ndarray        # bool
    value: np.ndarray        # diameter used for sums (mm; NaN = not measured)
    organ: Coded
    row: np.ndarray          # spreadsheet row of the first fragment
    n_lesions: int


def row_value(state: np.ndarray, nodal: np.ndarray, diam: np.ndarray) -> np.ndarray:
    """Diameter used in the target sum (RECIST 1.1 special notes on target lesions; CDISC 5 mm).

    present -> recorded; absent -> 0 for non-nodal lesions, a node keeps its recorded short axis
    (0 when none); too_small -> 5 mm unless a smaller value is recorded; not_evaluated -> NaN.
    """
    value = diam.copy()
    value[state == NOT_EVALUATED] = np.nan
    absent = state == ABSENT
    value[absent & ~nodal] = 0.0
    value[absent & nodal & np.isnan(diam)] = 0.0
    small = state == TOO_SMALL
    value[small] = np.fmin(diam[small], TOO_SMALL_MM)
    return value


def _patient_codes(ids: pd.Index, values: pd.Series) -> np.ndarray:
    """Positions of the patient ids in the patients table (-1: unknown); str() only when needed."""
    from ..validation import indexer  # a categorical column (typed lesions, io.typing): by distinct id

    pc = indexer(ids, values)
    miss = pc < 0
    if miss.any():
        pc[miss] = ids.get_indexer(values[miss].astype(str))
    return pc


def encode(patients: pd.DataFrame, lesions: pd.DataFrame, warn: Warnings) -> Encoded:
    """Validate the columns, map codes, sort, and combine split-lesion fragments."""
    ids = patient_index(patients)
    start = to_days(patients["start_date"])
    if np.isnan(start).any():
        bad = ids[np.isnan(start)][:5].tolist()
        raise ValueError(f"patients.start_date: missing for patient(s) {bad}; expected a date")
    require_columns(lesions, LESION_COLUMNS, "lesions")
    n_rows = len(lesions)
    # column arrays, no copy of the table (a registry's lesions are 10^7 rows: RECIST must not hold two)
    col = {c: lesions[c] for c in ("patient_id", "date", "lesion_id", "role", "organ", "nodal", "diameter_mm",
                                   "state") if c in lesions.columns}
    rows = lesions["_row"].to_numpy() if "_row" in lesions.columns else np.arange(n_rows) + 2
    pc = _patient_codes(ids, col["patient_id"])
    if (pc < 0).any():
        unknown = pc < 0
        warn.add(col["patient_id"][unknown].astype(str).to_numpy(),
                 col["lesion_id"][unknown].to_numpy(),
                 "lesion row of a patient not in patients; ignored", rows[unknown])
        col = {c: s[~unknown].reset_index(drop=True) for c, s in col.items()}
        rows, pc = rows[~unknown], pc[~unknown]
    n_rows = len(pc)
    day = to_days(col["date"])
    if np.isnan(day).any():
        bad = rows[np.isnan(day)][:5].tolist()
        raise ValueError(f"lesions.date: missing on row(s) {bad}; expected a date")
    lid_codes, lid_uniq = factorize(col["lesion_id"])
    if (lid_codes < 0).any():
        bad = rows[lid_codes < 0][:5].tolist()
        raise ValueError(f"lesions.lesion_id: missing on row(s) {bad}; expected a lesion id")
    lesion_ids = None if isinstance(col["lesion_id"].dtype, pd.CategoricalDtype) else \
        col["lesion_id"].to_numpy(dtype=object)
    role = _codes(col["role"], _ROLES, "lesions", "role", rows)
    nodal = (col["nodal"].fillna(False).to_numpy(dtype=bool) if "nodal" in col
             else np.zeros(n_rows, dtype=bool))
    diam = (pd.to_numeric(col["diameter_mm"], errors="coerce").to_numpy(dtype="float64")
            if "diameter_mm" in col else np.full(n_rows, np.nan))
    # INTERFACE §1 default (normally applied by intake): present, or not_evaluated for a target
    # row with neither diameter nor state
    given = col["state"].notna().to_numpy() if "state" in col else np.zeros(n_rows, bool)
    state = np.where((role == TARGET) & np.isnan(diam), NOT_EVALUATED, PRESENT).astype(np.int8)
    state_text = None
    if "state" in col:       # factorised once: the codes of the derivation and the text of the table
        st_arr = None if isinstance(col["state"].dtype, pd.CategoricalDtype) else col["state"].to_numpy(dtype=object)
        st_codes, st_uniq = factorize(col["state"])
        if given.all():
            state = _codes(col["state"], _STATES, "lesions", "state", rows, (st_codes, st_uniq))
        elif given.any():
            state[given] = _codes(col["state"][given], _STATES, "lesions", "state", rows[given])
        state_text = Coded.from_factorized(st_codes, st_uniq, st_arr)
        del st_arr, st_codes
    if (diam < 0).any():
        bad = rows[diam < 0][:5].tolist()
        raise ValueError(f"lesions.diameter_mm: negative value on row(s) {bad}; expected mm >= 0")
    lk, _ = pd.factorize(pc.astype(np.int64) * (int(lid_codes.max(initial=0)) + 1) + lid_codes)
    # 32-bit codes (patients and lesions < 2^31): half the memory of the sorted arrays at registry scale
    pc, lk = pc.astype(np.int32), lk.astype(np.int32)
    if len(rows) and rows.max(initial=0) < 2 ** 31 and rows.min(initial=0) >= -2 ** 31:
        rows = rows.astype(np.int32)
    # the text columns as small codes before the sort (the object arrays and int64 codes are freed)
    lesion_ids = Coded.from_factorized(lid_codes, lid_uniq, lesion_ids)
    del lid_codes
    organ = Coded.of(col["organ"]) if "organ" in col else Coded(np.full(n_rows, -1, np.int8), np.array([], object))
    if state_text is None:
        state_text = Coded(state.copy(), STATE_NAMES.copy())
    order = np.lexsort((rows, lk, day, pc))
    # one array at a time, so the unsorted copy of each is freed before the next is sorted
    pc = pc[order]
    day = day[order]
    lk = lk[order]
    role = role[order]
    state = state[order]
    nodal = nodal[order]
    diam = diam[order]
    rows = rows[order]
    lesion_ids = lesion_ids.take(order)
    organ = organ.take(order)
    state_text = state_text.take(order)
    del col, order
    value = row_value(state, nodal, diam)
    n = len(pc)
    new_obs = np.ones(n, dtype=bool)
    if n:
        new_obs[1:] = (pc[1:] != pc[:-1]) | (day[1:] != day[:-1]) | (lk[1:] != lk[:-1])
    obs = (np.cumsum(new_obs) - 1).astype(np.int32)
    table = RowTable(pc=pc, day=day, obs=obs, value=value, lesion_id=lesion_ids, organ=organ,
                     nodal=nodal, state=state_text, diameter_mm=diam)
    if new_obs.all():
        o_state, o_nodal, o_value, o_organ, o_rows = state, nodal, value, organ, rows
    else:
        starts = np.flatnonzero(new_obs)
        frag = ~new_obs
        warn.add(ids.to_numpy(dtype=object)[pc[frag]], lesion_ids[frag],
                 "several rows for one lesion on one scan: treated as fragments of a split lesion "
                 "(diameters summed)", rows[frag])
        o_state = np.maximum.reduceat(state, starts)
        o_nodal = np.logical_or.reduceat(nodal, starts)
        o_value = np.add.reduceat(value, starts)
        pc, day, lk, role, o_rows = (a[starts] for a in (pc, day, lk, role, rows))
        o_organ = organ.take(starts)
    return Encoded(ids=ids, start=start, rows=table, pc=pc, day=day, lk=lk,
                   lesion_id=lesion_ids.take(np.flatnonzero(new_obs)) if not new_obs.all() else lesion_ids,
                   role=role, state=o_state, nodal=o_nodal,
                   value=o_value, organ=o_organ, row=o_rows, n_lesions=int(lk.max(initial=-1)) + 1)
