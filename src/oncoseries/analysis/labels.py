"""study.yaml ``labels:`` applied to the analysis frame: level labels, grouped levels, level order and
reference, numbers read as categories; and the display names (label and unit) every report writer uses.

Values are matched case-insensitively and as written (a number read as 1.0 matches "1"). The first level
of the order is the reference of Cox models and log-rank comparisons (a pandas category dtype keeps it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import VariableLabel


def _text(values: pd.Series) -> pd.Series:
    """Values as level text: whole numbers without '.0'; missing stays missing."""
    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        return str(v).strip()
    if isinstance(values.dtype, np.dtype) and (values.dtype.kind in "iuf" or (
            values.dtype == object and pd.api.types.infer_dtype(values, skipna=True)
            in ("string", "floating", "integer", "mixed-integer-float", "empty"))):
        return _per_distinct(values, one)      # each distinct value once (registry: 10^6 rows)
    return values.map(one).astype(object)


def _per_distinct(values: pd.Series, func) -> pd.Series:
    """``values.map(func)`` for values whose distinct values factorize faithfully (no True/1 mix); missing
    values give None."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.array([func(u) for u in uniques] + [None], dtype=object)
    return pd.Series(table[codes], index=values.index, dtype=object)


def _key(v: str) -> str:
    return str(v).strip().lower()


def relevel(values: pd.Series, spec: VariableLabel) -> pd.Series:
    """Grouped, relabelled and ordered levels as a category Series (or the values unchanged)."""
    if not (spec.categorical or spec.levels or spec.groups or spec.order or spec.reference):
        return values
    text = _text(values)
    group_of = {_key(v): g for g, members in spec.groups.items() for v in members}
    text = _per_distinct(text, lambda v: group_of.get(_key(v), v))
    label_of = {_key(k): lab for k, lab in spec.levels.items()}
    text = _per_distinct(text, lambda v: label_of.get(_key(v), v))
    present = sorted(pd.unique(text.dropna().to_numpy(object)))

    def resolve(token: str) -> str | None:
        k = _key(token)
        token = label_of.get(k, group_of.get(k, token))
        return next((p for p in present if _key(p) == _key(token)), None)

    order = [r for r in (resolve(t) for t in (spec.order or [])) if r is not None]
    order += [p for p in present if p not in order]
    if spec.reference is not None:
        ref = resolve(spec.reference)
        if ref is not None:
            order = [ref] + [o for o in order if o != ref]
    return pd.Series(pd.Categorical(text, categories=order), index=values.index)


def display_name(name: str, spec: VariableLabel) -> str | None:
    """'Age at relapse (years)'; None when the spec gives neither label nor unit."""
    if not spec.label and not spec.unit:
        return None
    base = spec.label or name.replace("_", " ")
    return f"{base} ({spec.unit})" if spec.unit else base


def apply_labels(frame: pd.DataFrame, labels: dict[str, VariableLabel]) -> dict[str, str]:
    """Relevel the frame's columns in place; return the display names of the labelled variables."""
    names = {}
    for name, spec in labels.items():
        if name in frame.columns:
            frame[name] = relevel(frame[name], spec)
        shown = display_name(name, spec)
        if shown:
            names[name] = shown
    return names
