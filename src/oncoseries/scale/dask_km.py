"""Kaplan-Meier, log-rank and RMST from a Dask DataFrame: counts per distinct key on the workers.

Each worker counts its rows per distinct (time, event, group, stratum, entry), missing values kept as
keys; dask's groupby tree reduction sums the counts, so what reaches the client grows with the number of
distinct keys, not with n. The client then runs the in-memory engine on the counted rows with the
counts as weights (``SurvData.weight``): the same time axis (R's aeqSurv merging on the distinct
times), the same risk sets, hence the same numbers as on the whole data in memory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COUNT = "__oncoseries_n__"


def column_name(ddf, spec, role: str) -> str | None:
    """A column of the Dask frame named by ``spec`` (exact, then case-insensitive), as in memory."""
    if spec is None:
        return None
    if not isinstance(spec, str):
        raise TypeError(f"with a Dask DataFrame, {role} must name a column (got {type(spec).__name__}); "
                        "arrays cannot be matched to partitions")
    cols = [c for c in ddf.columns]
    if spec in cols:
        return spec
    matches = [c for c in cols if isinstance(c, str) and c.lower() == spec.lower()]
    if len(matches) == 1:
        return matches[0]
    raise ValueError(f"{role} column {spec!r} not found in data (columns: {', '.join(map(str, cols))})")


def _count(df, keys: list[str]):
    return df[keys].groupby(keys, dropna=False, observed=True, sort=False).size()


def _combine(parts: list):
    parts = [p for p in parts if len(p)] or parts[:1]
    s = pd.concat(parts)
    return s.groupby(level=list(range(s.index.nlevels)), dropna=False, observed=True, sort=False).sum()


def key_counts(ddf, columns: list[str], split_every: int = 8) -> pd.DataFrame:
    """Rows per distinct combination of ``columns`` (missing values are keys too), as a pandas frame
    with the key columns (categories kept) and the count in ``COUNT``: counts per partition, summed in a
    tree (``split_every`` at a time) on the workers."""
    import dask

    keys = list(dict.fromkeys(columns))
    level = [dask.delayed(_count)(p, keys) for p in ddf.to_delayed()]
    while len(level) > 1:
        level = [dask.delayed(_combine)(level[i:i + split_every]) for i in range(0, len(level), split_every)]
    (counts,) = dask.compute(level[0])
    out = counts.reset_index()
    out.columns = keys + [COUNT]
    for c in keys:
        dt = ddf._meta[c].dtype
        if isinstance(dt, pd.CategoricalDtype) and out[c].dtype != dt:
            out[c] = out[c].astype(dt)
    return out


def prepare_dask(ddf, time, event, by=None, entry=None, strata=None):
    """SurvData over the distinct keys of a Dask frame, weighted by their counts (see the module doc)."""
    from oncoseries.stats import _km_core as core

    names = {role: column_name(ddf, spec, role) for role, spec in
             (("time", time), ("event", event), ("by", by), ("entry", entry), ("strata", strata))}
    used = [c for c in names.values() if c is not None]
    table = key_counts(ddf, used)
    if len(table) == 0:
        raise ValueError("no rows left to analyse (the data has no rows)")
    weight = table[COUNT].to_numpy(dtype=np.float64)
    return core.prepare(table, names["time"], names["event"], by=names["by"], entry=names["entry"],
                        strata=names["strata"], weight=weight)
