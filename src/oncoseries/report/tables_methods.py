"""Methods sentences for Table 1 by group and the Cox table options (kept apart from narrative.py so that
the Methods prose can change around them)."""

from __future__ import annotations

from .context import label


def tables_methods(w) -> list:
    """Pieces appended to the statistical-analysis paragraph of the Methods."""
    d = w.data
    out: list = []
    tb = d.get("table1_by")
    if tb and tb.get("p_values", True) and len(tb.get("groups") or []) >= 2:
        out.append(f" Patient characteristics were compared between {label(tb['by'], False)} groups by Pearson's "
                   "chi-square test without continuity correction, or Fisher's exact test when an expected count "
                   "was below 5, and by the Wilcoxon rank-sum test (Kruskal-Wallis test for more than two "
                   "groups).")
    reg = d.get("regression") or {}
    fitted = [m for m in d.get("cox") or [] if not m.get("skipped")]
    if not fitted:
        return out
    if reg.get("screen") == "all":
        out.append(" Every patient characteristic was screened in a univariable Cox model; the multivariable "
                   "model held the covariates planned in advance.")
    if any(len([t for t in m["terms"] if t["term"] == x["term"]]) > 1 for m in fitted for x in m["terms"]):
        out.append(" For variables with more than two categories, one P value was obtained by the likelihood-ratio "
                   "test of the model with and without the variable.")
    if reg.get("per"):
        out.append(" Hazard ratios of continuous covariates are given per clinically meaningful unit or per "
                   "interquartile range where stated.")
    out += [" Models with fewer than ", w.num("regression.min_events_per_variable", "num"),
            " events per estimated coefficient were flagged as at risk of overfitting (Peduzzi et al., 1996)."]
    return out
