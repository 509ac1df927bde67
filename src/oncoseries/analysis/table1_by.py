"""Table 1 by group (study.yaml ``table1: {by: <variable>}``), with P values as gtsummary ``add_p()``.

Each characteristic is summarised per group as in the overall Table 1 (descriptive.table1) and compared
across the groups with gtsummary's default tests (Sjoberg et al., R Journal 2021; ``?add_p.tbl_summary``):
categorical, Pearson's chi-square without continuity correction when every expected count is at least 5,
otherwise Fisher's exact test; continuous, the Wilcoxon rank-sum test for two groups (R ``wilcox.test``
defaults: exact when both groups have fewer than 50 values and no ties) and the Kruskal-Wallis test for
more. Patients with a missing value are left out of that variable's test (and counted per group);
patients with a missing group are not in the group columns (their number is reported), as gtsummary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats.group_compare import categorical_test, kruskal_wallis, wilcoxon_test
from .descriptive import table1

#: Table 1 by group needs between these numbers of groups (a continuous ``by`` would give one per value).
MIN_GROUPS, MAX_GROUPS = 2, 10

TEST_NAMES = {"chisq": "Pearson's chi-square test (no continuity correction)",
              "chisq_fallback": "Pearson's chi-square test (no continuity correction; table too large "
                                "for the exact test)",
              "fisher": "Fisher's exact test", "wilcoxon": "Wilcoxon rank-sum test",
              "kruskal": "Kruskal-Wallis rank-sum test"}


def group_levels(values: pd.Series) -> list[str]:
    """The group levels in report order: a category's own order (study.yaml labels:), else sorted."""
    present = values.dropna()
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [str(c) for c in values.cat.categories if (present == c).any()]
    if pd.api.types.is_numeric_dtype(present):        # numeric order (2 before 10), shown as text
        ordered = present.drop_duplicates().sort_values()
        return _as_text(ordered).tolist() if len(ordered) else []
    return sorted(_as_text(present).unique().tolist())


def _as_text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and len(values) and (values == values.round()).all():
        return values.astype(int).astype(str)
    return values.astype(str)


def _test(row: dict, x: pd.Series, g: pd.Series, levels: list[str]) -> dict:
    """The gtsummary test of one variable (complete cases of variable and group)."""
    keep = x.notna().to_numpy() & g.notna().to_numpy()
    x, g = x[keep], g[keep]
    if row["type"] == "continuous":
        xs = [x[g == lev].astype(float).to_numpy() for lev in levels]
        xs = [v for v in xs if v.size]
        if len(xs) < 2:
            return {"test": None, "reason": "fewer than two groups with a value"}
        if len(levels) == 2:
            res = wilcoxon_test(xs[0], xs[1])
            return {"test": "wilcoxon", "method": res.method, "statistic": res.statistic, "df": None,
                    "p": res.p_value, "exact": "exact" in res.method}
        res = kruskal_wallis(np.concatenate(xs), np.repeat(np.arange(len(xs)), [v.size for v in xs]))
        return {"test": "kruskal", "method": res.method, "statistic": res.statistic, "df": res.df, "p": res.p_value}
    tab = pd.crosstab(_as_text(x) if not isinstance(x.dtype, pd.CategoricalDtype) else x.astype(str), g)
    tab = tab.loc[tab.sum(axis=1) > 0, tab.sum(axis=0) > 0]
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        return {"test": None, "reason": "a single level or a single group with a value"}
    kind, res = categorical_test(tab.to_numpy())
    return {"test": kind, "method": TEST_NAMES[kind], "statistic": res.statistic, "df": res.df, "p": res.p_value}


def table1_by(patients: pd.DataFrame, covariates: list[str], by: str) -> dict:
    """results.json ``table1_by``: the groups, and per characteristic its summary in each group and the
    test across groups (``test``: chisq | fisher | chisq_fallback | wilcoxon | kruskal, or None with a
    ``reason``)."""
    groups_raw = patients[by]
    levels = group_levels(groups_raw)
    if not MIN_GROUPS <= len(levels) <= MAX_GROUPS:
        return {"by": by, "n": int(len(patients)), "groups": [], "variables": [],
                "skipped": f"{len(levels)} distinct values; Table 1 by group needs {MIN_GROUPS} to {MAX_GROUPS} "
                           "groups (group a numeric variable with labels: groups)"}
    present = groups_raw.dropna()
    text = present.astype(str) if isinstance(groups_raw.dtype, pd.CategoricalDtype) else _as_text(present)
    g = text.astype(object).reindex(patients.index)
    known = g.notna()
    out = {"by": by, "groups": [{"level": lev, "n": int((g == lev).sum())} for lev in levels],
           "n_unknown_group": int((~known).sum()), "n": int(len(patients)),
           "rule": "gtsummary add_p defaults", "variables": []}
    overall = {r["variable"]: r for r in table1(patients, covariates)}
    in_level = {lev: (g == lev).to_numpy() for lev in levels}
    for cov in covariates:
        if cov == by:
            continue
        row = overall[cov]
        per_group = []
        column = patients[[cov]]         # one column per subgroup, not the wide frame (10^6 patients)
        for lev in levels:
            sub = column[in_level[lev]]
            part = table1(sub, [cov])[0] if len(sub) else None
            if part is not None and part["type"] != row["type"]:      # few distinct values in a group
                part = (_as_categorical if row["type"] == "categorical" else _as_continuous)(sub[cov], row)
            if part is not None and row["type"] == "categorical":
                part["levels"] = _align(part, row)
            per_group.append({"level": lev, **(part or {})})
        entry = {"variable": cov, "type": row["type"], "groups": per_group}
        entry.update(_test(row, patients[cov], g, levels))
        out["variables"].append(entry)
    return out


def _as_categorical(values: pd.Series, overall: dict) -> dict:
    """A subgroup summary in the overall row's (categorical) shape even when the subgroup has few values."""
    text = _as_text(values.dropna())
    n = len(values)
    counts = text.value_counts()
    return {"variable": overall["variable"], "type": "categorical", "N": n, "missing": int(values.isna().sum()),
            "levels": [{"level": k, "n": int(v), "percent": 100.0 * v / n if n else None}
                       for k, v in counts.items()]}


def _as_continuous(values: pd.Series, overall: dict) -> dict:
    x = values.dropna().astype(float)
    num = (lambda v: None if pd.isna(v) else float(v))
    return {"variable": overall["variable"], "type": "continuous", "n": int(x.size), "median": num(x.median()),
            "q1": num(x.quantile(0.25)), "q3": num(x.quantile(0.75)), "min": num(x.min()), "max": num(x.max()),
            "missing": int(values.isna().sum()), "N": int(len(values))}


def _align(part: dict, overall: dict) -> list[dict]:
    """Every overall level in the subgroup, in the overall order (zero counts included)."""
    have = {lv["level"]: lv for lv in part.get("levels", [])}
    n = part.get("N") or 0
    return [have.get(lv["level"], {"level": lv["level"], "n": 0, "percent": 0.0 if n else None})
            for lv in overall["levels"]]
