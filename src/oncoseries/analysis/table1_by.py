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
from .descriptive import per_distinct, table1

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


def _test(row: dict, x: pd.Series, g: pd.Series, levels: list[str], gcodes: np.ndarray | None = None,
          guniq: np.ndarray | None = None) -> dict:
    """The gtsummary test of one variable (complete cases of variable and group); ``gcodes``/``guniq``: the
    group column factorised once (sorted) for every variable."""
    if gcodes is None:
        gcodes, guniq = pd.factorize(g, sort=True)
    keep = x.notna().to_numpy() & (gcodes >= 0)
    x, gc = x[keep], gcodes[keep]
    if row["type"] == "continuous":
        pos = {v: i for i, v in enumerate(guniq)}
        xs = [x[gc == pos[lev]].astype(float).to_numpy() if lev in pos else np.empty(0) for lev in levels]
        xs = [v for v in xs if v.size]
        if len(xs) < 2:
            return {"test": None, "reason": "fewer than two groups with a value"}
        if len(levels) == 2:
            res = wilcoxon_test(xs[0], xs[1])
            return {"test": "wilcoxon", "method": res.method, "statistic": res.statistic, "df": None,
                    "p": res.p_value, "exact": "exact" in res.method}
        res = kruskal_wallis(np.concatenate(xs), np.repeat(np.arange(len(xs)), [v.size for v in xs]))
        return {"test": "kruskal", "method": res.method, "statistic": res.statistic, "df": res.df, "p": res.p_value}
    tab = _crosstab(x, gc, len(guniq))      # = pd.crosstab(level text, group): observed rows and columns
    tab = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0]
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        return {"test": None, "reason": "a single level or a single group with a value"}
    kind, res = categorical_test(tab)
    return {"test": kind, "method": TEST_NAMES[kind], "statistic": res.statistic, "df": res.df, "p": res.p_value}


def _crosstab(x: pd.Series, gc: np.ndarray, n_groups: int) -> np.ndarray:
    """Counts of (level text of ``x``, group code) with rows in text order and columns in group order, as
    ``pd.crosstab`` (levels and groups without a count come out as zero rows and columns); the text of each
    distinct value is made once."""
    if not isinstance(x.dtype, pd.CategoricalDtype):
        xc, xu = x.factorize()
        xu = pd.Series(xu)
    if isinstance(x.dtype, pd.CategoricalDtype) or not per_distinct(x, xu):     # text row by row
        text = x.astype(str) if isinstance(x.dtype, pd.CategoricalDtype) else _as_text(x)
        xc, xu = pd.factorize(text, sort=True)
        rows = xc
        n_rows = len(xu)
    else:
        text_u = _as_text(xu).to_numpy(dtype=object)
        to_row, row_text = pd.factorize(text_u, sort=True)
        rows = to_row[xc]
        n_rows = len(row_text)
    flat = np.bincount(rows.astype(np.int64) * n_groups + gc, minlength=n_rows * n_groups)
    return flat.reshape(n_rows, n_groups)


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
    gcodes, guniq = pd.factorize(g, sort=True)           # the groups once, as codes (missing: -1)
    pos = {v: i for i, v in enumerate(guniq)}
    in_level = {lev: gcodes == pos[lev] if lev in pos else np.zeros(len(g), dtype=bool) for lev in levels}
    out = {"by": by, "groups": [{"level": lev, "n": int(in_level[lev].sum())} for lev in levels],
           "n_unknown_group": int((gcodes < 0).sum()), "n": int(len(patients)),
           "rule": "gtsummary add_p defaults", "variables": []}
    overall = {r["variable"]: r for r in table1(patients, covariates)}
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
        entry.update(_test(row, patients[cov], g, levels, gcodes, guniq))
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
