"""Worst grade per (row group, item) of 10^7 adverse events without a hash table (issue 17, memory).

The toxicity and adverse-event tables count, per term (and group), the patients (or patient-cycles) by
their worst CTCAE grade. ``Series.groupby(int64 key).max()`` over a registry's 1.5*10^7 events built a key
array, a hash table and group codes of the events' size (about 1.7 GB at 10^6 patients). Here the worst
grade of every (outer, inner) pair is kept in one byte of a dense table (outer: the term or group-term code;
inner: the patient, or patient and cycle, code), filled block by block with ``np.maximum.at``, and counted
per outer code with ``bincount``. A cell holds 0 when the pair has no event, 1 when its events have no
grade (``max`` skips missing values; all missing gives a missing worst grade), ``grade + 2`` otherwise:
the counts are those of the ``groupby``. Used only when the grades are whole numbers 0-120 and the table
has at most ``MAX_CELLS`` cells; otherwise ``None`` and the caller keeps its ``groupby``.
"""

from __future__ import annotations

import numpy as np

MAX_CELLS = 2 ** 28          # 256 MB of int8 cells
BLOCK = 1 << 20              # events per block (the key and value temporaries are a few MB)
LEVELS = 128                 # cell values 0..127


def small_whole_grades(grade: np.ndarray) -> bool:
    """True when every grade given is a whole number in 0..120 (missing grades allowed)."""
    g = grade[~np.isnan(grade)]
    return not g.size or (g.min() >= 0 and g.max() <= 120 and bool((g == np.floor(g)).all()))


def worst_histogram(parts: list, n_outer_parts: int, grade: np.ndarray,
                    ok: np.ndarray | None = None) -> np.ndarray | None:
    """``hist[o, v]``: the number of distinct keys among the rows ``ok`` (all: None) with outer code ``o``
    whose cell value is ``v`` (1: no grade, ``grade + 2``: worst grade); None when the dense table does
    not apply (see the module). A key is the mixed-radix number of ``parts``, a list of (codes, levels)
    (codes >= 0 on the rows ``ok``); its first ``n_outer_parts`` parts make the outer code."""
    n_outer = int(np.prod([n for _, n in parts[:n_outer_parts]], dtype=np.int64))
    n_inner = int(np.prod([n for _, n in parts[n_outer_parts:]], dtype=np.int64))
    if n_outer * n_inner == 0 or n_outer * n_inner > MAX_CELLS or not small_whole_grades(
            grade if ok is None else grade[ok]):
        return None
    cells = np.zeros(n_outer * n_inner, dtype=np.int8)
    for s in range(0, len(grade), BLOCK):
        m = None if ok is None else ok[s:s + BLOCK]
        key = np.zeros(min(BLOCK, len(grade) - s) if m is None else int(m.sum()), dtype=np.int64)
        for codes, n in parts:
            c = codes[s:s + BLOCK]
            key *= n
            key += c if m is None else c[m]
        g = grade[s:s + BLOCK] if m is None else grade[s:s + BLOCK][m]
        np.maximum.at(cells, key, np.where(np.isnan(g), 1, g + 2).astype(np.int8))
    hist = np.zeros((n_outer, LEVELS), dtype=np.int64)
    step = 8 * BLOCK
    for o in range(n_outer):
        row = cells[o * n_inner:(o + 1) * n_inner].view(np.uint8)
        for s in range(0, n_inner, step):
            hist[o] += np.bincount(row[s:s + step], minlength=LEVELS)[:LEVELS]
    hist[:, 0] = 0
    return hist


def grade_count(hist: np.ndarray, lo: float, hi: float = 120) -> np.ndarray:
    """Per outer code: the pairs whose worst grade is in [lo, hi]."""
    a, b = int(np.ceil(lo)) + 2, int(np.floor(hi)) + 2
    return hist[:, max(a, 2):min(b, LEVELS - 1) + 1].sum(axis=1)
