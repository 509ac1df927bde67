"""Table 1 overall and by group (results.json ``table1_by``), as gtsummary ``tbl_summary(by =) |>
add_overall() |> add_p()``: one column per group beside the overall column, a P per characteristic
marked with its test (footnotes), missing values counted in their own row."""

from __future__ import annotations

from . import numbers as nb
from .context import ReportContext, label
from .tables import ReportTable, _d, _range

MARKS = "\u00b9\u00b2\u00b3\u2074\u2075"        # superscript 1-5, one per test used, in order of use
TEST_TEXT = {"chisq": "Pearson's chi-square test without continuity correction (all expected counts \u2265 5)",
             "chisq_fallback": "Pearson's chi-square test without continuity correction (the table was too "
                               "large for the exact test)",
             "fisher": "Fisher's exact test (an expected count < 5)",
             "wilcoxon": "Wilcoxon rank-sum test",
             "kruskal": "Kruskal-Wallis rank-sum test"}


def _continuous(r: dict) -> str:
    if not r or not r.get("n"):
        return nb.MISSING
    whole = [nb.is_number(v) and float(v).is_integer() for v in (r["min"], r["max"])]
    d = 0 if all(whole) else 1
    dm = 0 if nb.is_number(r["median"]) and float(r["median"]).is_integer() else 1
    return f"{_d(r['median'], dm)} ({_range(r['min'], r['max'], d)})"


def table1_by_group(ctx: ReportContext) -> ReportTable | None:
    tb = ctx.data.get("table1_by")
    overall = {r["variable"]: r for r in ctx.data.get("table1") or []}
    if not tb or len(tb.get("groups") or []) < 2 or not overall:
        return None
    show_p = tb.get("p_values", True)
    n = tb["n"]
    by = label(tb["by"])
    cols = ["Characteristic", f"Overall (N = {n})"] + [f"{by}: {g['level']} (N = {g['n']})" for g in tb["groups"]]
    t = ReportTable("table1_characteristics", f"Patient characteristics, overall and by {label(tb['by'], False)}",
                    "table1", cols + (["P"] if show_p else []))
    used: list[str] = []

    def p_cell(v: dict) -> str:
        if not show_p:
            return None
        if not v.get("test") or not nb.is_number(v.get("p")):
            return "\u2014"
        if v["test"] not in used:
            used.append(v["test"])
        return ctx.p(v["p"], prefix=False) + MARKS[used.index(v["test"])]

    for v in tb["variables"]:
        o = overall[v["variable"]]
        name = label(v["variable"])
        pc = [p_cell(v)] if show_p else []
        if v["type"] == "continuous":
            t.add([f"{name}, median (range)", _continuous(o)] + [_continuous(g) for g in v["groups"]] + pc)
        else:
            t.add([f"{name}, n (%)", ""] + [""] * len(v["groups"]) + pc, "group")
            for i, lev in enumerate(o["levels"]):
                cells = [lev["level"], ctx.n_pct(lev["n"], lev["percent"] / 100.0, o["N"])]
                for g in v["groups"]:
                    gl = (g.get("levels") or [])[i] if i < len(g.get("levels") or []) else None
                    cells.append(ctx.n_pct(gl["n"], gl["n"] / g["N"], g["N"]) if gl and g.get("N") else "0")
                t.add(cells + ([""] if show_p else []), "indent")
        if o["missing"] or any(g.get("missing") for g in v["groups"]):
            cells = ["Missing", ctx.n_pct(o["missing"], o["missing"] / o["N"], o["N"])]
            cells += [ctx.n_pct(g.get("missing", 0), g.get("missing", 0) / g["N"], g["N"]) if g.get("N") else "0"
                      for g in v["groups"]]
            t.add(cells + ([""] if show_p else []), "indent")
    t.notes.append(f"Treated patients, overall and by {label(tb['by'], False)}. Continuous characteristics: "
                   "median (range); categorical: n (%); missing values are counted in their own row and "
                   "included in the denominator.")
    if tb.get("n_unknown_group"):
        t.notes.append(f"{tb['n_unknown_group']} patient(s) with unknown {label(tb['by'], False)} are in the "
                       "overall column only.")
    if show_p and used:
        t.notes.append("P values compare the groups (patients with a value; as gtsummary add_p): "
                       + "; ".join(f"{MARKS[i]} {TEST_TEXT[k]}" for i, k in enumerate(used)) + ".")
    if show_p and any(r[-1] == "\u2014" for r in t.rows):
        t.notes.append("\u2014: no test (a single level or group with values). P values are descriptive, not "
                       "adjusted for multiple comparisons.")
    elif show_p:
        t.notes.append("P values are descriptive, not adjusted for multiple comparisons.")
    return t


def results_pieces(w) -> list:
    """Results sentence: the characteristics that differed between the groups (P < 0.05), with traced P."""
    tb = w.data.get("table1_by")
    if not tb or len(tb.get("groups") or []) < 2 or not tb.get("p_values", True):
        return []
    tested = [(i, v) for i, v in enumerate(tb["variables"]) if nb.is_number(v.get("p"))]
    hits = [(i, v) for i, v in tested if v["p"] < 0.05]
    lead = [f" Compared by {label(tb['by'], False)} ("]
    for k, g in enumerate(tb["groups"]):
        lead += ["; " if k else "", f"{g['level']}: ", w.num(f"table1_by.groups[{k}].n", "int"),
                 " patients" if k == 0 else ""]
    lead += ["), "]
    if not hits:
        return [*lead, "no characteristic differed between the groups (", w.num("table1_by.n", "int"),
                f" patients; {len(tested)} characteristics tested, all P \u2265 0.05)."]
    out = [*lead, "the groups differed in "]
    for k, (i, v) in enumerate(hits):
        sep = "" if k == 0 else (" and " if k == len(hits) - 1 else ", ")
        out += [sep, label(v["variable"], False), " (", w.num(f"table1_by.variables[{i}].p", "p"), ")"]
    rest = len(tested) - len(hits)
    out += [f"; the other {rest} characteristics tested did not (P \u2265 0.05)." if rest else "."]
    return out
