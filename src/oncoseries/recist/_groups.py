"""Grouped cumulative operations over arrays sorted by group (internal, numpy/pandas only)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def group_first(*keys: np.ndarray) -> np.ndarray:
    """True on the first element of each run of equal keys (arrays sorted by the keys)."""
    n = len(keys[0])
    first = np.ones(n, dtype=bool)
    if n > 1:
        change = np.zeros(n - 1, dtype=bool)
        for k in keys:
            change |= k[1:] != k[:-1]
        first[1:] = change
    return first


def cummin_before(x: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Minimum of the earlier elements of the same group (+inf for the first one)."""
    if len(x) == 0:
        return x.astype("float64")
    gid = np.cumsum(first) - 1
    cm = pd.Series(x, dtype="float64").groupby(gid, sort=False).cummin().to_numpy()
    out = np.empty(len(x), dtype="float64")
    out[0] = np.inf
    out[1:] = cm[:-1]
    out[first] = np.inf
    return out


def count_before(flag: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Number of earlier True elements in the same group."""
    if len(flag) == 0:
        return np.zeros(0, dtype=np.int64)
    f = flag.astype(np.int64)
    before = np.cumsum(f) - f
    gid = np.cumsum(first) - 1
    return before - before[np.flatnonzero(first)][gid]


def next_index(mask: np.ndarray) -> np.ndarray:
    """nxt[k] = smallest index >= k where mask is True (len(mask) if none); length n + 1."""
    n = len(mask)
    pos = np.where(mask, np.arange(n), n)
    out = np.empty(n + 1, dtype=np.int64)
    out[n] = n
    out[:n] = np.minimum.accumulate(pos[::-1])[::-1]
    return out


def prev_index(mask: np.ndarray) -> np.ndarray:
    """prv[k] = largest index <= k where mask is True (-1 if none)."""
    n = len(mask)
    pos = np.where(mask, np.arange(n), -1)
    return np.maximum.accumulate(pos) if n else np.zeros(0, dtype=np.int64)
