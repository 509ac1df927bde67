"""The rows of the few patients a figure draws, in tables of 10^6-10^7 rows, chosen by integer patient code.

The spider and swimmer plots draw 100 and 60 patients; at registry size their data are prepared in a
process forked from the command (report/worker.py), which shares the command's tables copy-on-write.
Hashing a table's patient-id column there (``factorize``, ``isin``, ``map`` of 5.6*10^6 time points or
4.7*10^6 doses) allocates hash tables and code arrays of the table's length and takes a reference to
every id string, which copies the pages holding them: at 10^6 patients most of that process's gigabyte.
The command codes its tables' ids once (analysis/patient_codes.py: the study tables when the statistics
start, the derived tables when a figure worker listens, before it forks), so a figure selects its rows with
one lookup in a table of booleans per row, and only the rows it draws are copied.

Codes are ranks in the ids' sorted order, so ordering by code orders by id (as the text did); a missing id
is -1. Without a study's codes (tests, library use) the tables given are coded here: the same rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["coded", "members", "text", "pack_texts", "unpack_texts"]


def coded(tables: dict, study=None) -> tuple[np.ndarray, dict]:
    """(ids, {name: codes of the table's rows}) for the tables given (None entries left out): the study's
    codes (``codes_for``) where they cover a table, else codes of these tables made here. ``ids[code]`` is
    the id of a code."""
    from ..analysis.patient_codes import PatientCodes, codes_for

    tables = {k: v for k, v in tables.items() if v is not None and "patient_id" in v.columns}
    if study is not None:
        pc = codes_for(study)
        out = {k: pc.table(v) for k, v in tables.items()}
        if all(c is not None for c in out.values()):
            return pc.ids, out
    pc = PatientCodes(tables)
    return pc.ids, {k: pc.table(v) for k, v in tables.items()}


def members(n_ids: int, chosen: np.ndarray) -> np.ndarray:
    """A table of n_ids + 1 booleans: ``members(n, chosen)[codes]`` is True on the rows of the ``chosen``
    codes (a missing id, code -1, reads the last entry: False)."""
    table = np.zeros(n_ids + 1, dtype=bool)
    chosen = np.asarray(chosen, dtype=np.int64)
    table[chosen[chosen >= 0]] = True
    return table


def text(ids: np.ndarray, codes: np.ndarray) -> pd.Series:
    """The ids of ``codes`` as text (as the figures label and sort them)."""
    return pd.Series(np.asarray(ids, dtype=object)[codes], dtype=object).astype(str)


def pack_texts(values) -> tuple[str, np.ndarray]:
    """Texts (e.g. 10^6 patient ids sent to the figure worker) as one string and their lengths: pickled
    so, they are two objects, not 10^6 strings each remembered in pickle's memo (~150 bytes apiece while
    pickling, in the preparing process)."""
    values = list(values)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    small = np.uint8 if lengths.max(initial=0) < 256 else np.int64    # ids are short: one byte each
    return "".join(values), lengths.astype(small)


def unpack_texts(packed: tuple[str, np.ndarray]) -> list[str]:
    """The texts of :func:`pack_texts`."""
    joined, lengths = packed
    ends = np.cumsum(lengths, dtype=np.int64).tolist()
    return [joined[a:b] for a, b in zip([0] + ends[:-1], ends)]
