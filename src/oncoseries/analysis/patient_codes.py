"""Integer codes of patient ids, computed once per run for the tables of a study (issue 17).

Every ``isin``, ``groupby``, ``map`` or ``merge`` on ``patient_id`` hashes 10^6-10^7 id strings again; the
statistics sections group, join and test membership on these int32 codes instead. A code is the rank of the
id among every id of the coded tables in pandas' own sort order (``pd.factorize(sort=True)``, the order
``groupby`` and ``sort_values`` use), so ordering rows by code orders them by id as the string-keyed
operations did; a missing id is -1. ``codes_for(study)`` builds them once and keeps them on the study.
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd

#: the study tables whose ids are coded (the lesions are RECIST's, done before statistics)
TABLES = ("patients", "treatments", "adverse_events", "biomarkers", "mutations", "assessments")
MISSING = -1


class PatientCodes:
    """Codes of the ``patient_id`` of some tables (a dict name -> DataFrame) over their union, in id order."""

    def __init__(self, tables: dict[str, pd.DataFrame]):
        local, uniques = {}, []
        self._frames = {name: weakref.ref(df) for name, df in tables.items()}
        for name, df in tables.items():
            codes, u = pd.factorize(df["patient_id"].to_numpy(dtype=object))   # one hash pass per table
            local[name] = codes
            uniques.append(np.asarray(u, dtype=object))
        allu = np.concatenate(uniques) if uniques else np.empty(0, dtype=object)
        rank, universe = pd.factorize(allu, sort=True)                    # the few distinct ids, sorted
        self.ids = np.asarray(universe, dtype=object)
        self._codes, start = {}, 0
        for (name, codes), u in zip(local.items(), uniques):
            to_rank = np.append(rank[start:start + len(u)], MISSING).astype(np.int32)
            self._codes[name] = to_rank[codes]                             # -1 (missing) -> last entry
            start += len(u)
        self._index = None

    def __getstate__(self) -> dict:
        """Pickled (Results sent to the figure worker) as empty: rebuilt by codes_for where needed."""
        return {"ids": np.empty(0, dtype=object), "_codes": {}, "_frames": {}, "_index": None}

    def __len__(self) -> int:
        return len(self.ids)

    def table(self, df: pd.DataFrame) -> np.ndarray | None:
        """The codes of a coded table (the same DataFrame object, a study table or one ``add``-ed), else of
        its ids looked up (``of``; None when an id is not coded)."""
        for name, ref in self._frames.items():
            if ref() is df:
                return self._codes[name]
        return self.of(df["patient_id"])

    def add(self, name: str, df: pd.DataFrame) -> bool:
        """Code a derived table's ids too (RECIST's time points, best responses, the ADTTE): one lookup pass,
        made by the command before it forks the process that prepares the early figures, which then selects
        the rows of the patients it draws by code instead of hashing 10^6-10^7 id strings (its memory,
        report/worker.py). False (nothing added) when an id is not coded."""
        codes = self.of(df["patient_id"])
        if codes is None:
            return False
        self._frames[name] = weakref.ref(df)
        self._codes[name] = codes
        return True

    def forget(self, name: str) -> None:
        """Drop the codes of table ``name`` (a table the command line frees: Study.release)."""
        self._frames.pop(name, None)
        self._codes.pop(name, None)

    def of(self, values) -> np.ndarray | None:
        """Codes of other ids (a derived table's): one lookup pass; None when an id is not coded (the
        caller then keeps its string-keyed path)."""
        if self._index is None:
            self._index = pd.Index(self.ids, dtype=object)
        values = np.asarray(values, dtype=object)
        out = self._index.get_indexer(values).astype(np.int32)
        lost = out < 0
        if lost.any() and not pd.isna(values[lost]).all():
            return None
        return out

    def of_known(self, ids) -> np.ndarray:
        """Codes of the ``ids`` that are coded (an id no coded table holds cannot match a coded row)."""
        ids = np.fromiter(ids, dtype=object, count=len(ids)) if isinstance(ids, (set, frozenset)) else ids
        if self._index is None:
            self._index = pd.Index(self.ids, dtype=object)
        out = self._index.get_indexer(np.asarray(ids, dtype=object))
        return out[out >= 0].astype(np.int32)

    def members(self, member_codes: np.ndarray) -> np.ndarray:
        """A lookup table: ``members(m)[codes]`` is ``isin`` of the rows' ids in the ids of codes ``m``
        (a missing id, code -1, reads the last entry: False)."""
        table = np.zeros(len(self.ids) + 1, dtype=bool)
        table[member_codes[member_codes >= 0]] = True
        table[-1] = bool((member_codes < 0).any())     # missing among the members: missing ids match (isin)
        return table


def codes_for(study) -> PatientCodes:
    """The codes of the study's tables (TABLES present), built on first use and kept on the study; built
    again when a table was replaced since."""
    tables = {name: getattr(study, name, None) for name in TABLES}      # Study or any object with the tables
    tables = {k: v for k, v in tables.items() if v is not None and "patient_id" in v.columns}
    pc = getattr(study, "_patient_codes", None)
    coded = {k for k in pc._frames if k in TABLES} if pc is not None else set()   # not the derived ones (add)
    if pc is None or coded != set(tables) or any(pc._frames[k]() is not v for k, v in tables.items()):
        pc = PatientCodes(tables)
        study._patient_codes = pc
    return pc
