"""Results and Methods sentences for multiplicity, dose and toxicity (issue 14), every number traced to
results.json (``Num`` pieces of the narrative writer)."""

from __future__ import annotations

from . import numbers as nb
from .tables import marker_label

ADJUST_NAMES = {"BH": "Benjamini-Hochberg", "holm": "Holm"}


def adjustment_results(w) -> list:
    """Which tests survive adjustment for multiplicity."""
    b = w.data.get("biomarkers") or {}
    method = b.get("adjustment", "none")
    if not b.get("n_tests") or method == "none":
        return []
    name = ADJUST_NAMES.get(method, method)
    kept = b.get("significant_after_adjustment") or []
    if not kept:
        adj = [(i, k, m[k]["p_adjusted"]) for i, m in enumerate(b["markers"]) for k in ("response", "PFS", "OS")
               if nb.is_number((m.get(k) or {}).get("p_adjusted"))]
        i, k, _ = min(adj, key=lambda t: t[2])
        return [f" After {name} adjustment for the ", w.num("biomarkers.n_tests", "int"),
                " tests, none remained below 0.05 (smallest adjusted ",
                w.num(f"biomarkers.markers[{i}].{k}.p_adjusted", "p"), ")."]
    out = [f" After {name} adjustment for the ", w.num("biomarkers.n_tests", "int"), " tests, ",
           w.num("biomarkers.n_adjusted_below_alpha", "int"), " remained below 0.05: "]
    for j, s in enumerate(kept):
        m = next(m for m in b["markers"] if m["marker"] == s["marker"])
        out += ["; " if j else "", f"{marker_label(m)} and {s['analysis']} (adjusted ",
                w.num(f"biomarkers.significant_after_adjustment[{j}].p_adjusted", "p"), ")"]
    return out + ["."]


def dosing_results(w) -> list:
    d = w.data.get("dosing")
    if not d or not d.get("relative_dose_intensity") or d.get("rdi_at_least_85") is None:
        return []
    n = d["patients_treated"]
    return [" The median relative dose intensity was ", w.num("dosing.relative_dose_intensity.median", "pct0"),
            " (", w.num("dosing.rdi_at_least_85", "int"), " of ", w.num("dosing.patients_treated", "int"),
            " patients \u2265 85%); ", w.num("dosing.reductions.patients", "int"),
            " patient had a dose reduction (" if d["reductions"]["patients"] == 1 else " patients had a dose reduction (",
            w.num("dosing.toxicity.reductions", "int"), " of ", w.num("dosing.reductions.events", "int"),
            " reductions for toxicity) and ", w.num("dosing.delays.cycles", "int"), " of ",
            w.num("dosing.cycles_total", "int"), " cycles were delayed (", w.num("dosing.toxicity.delayed_cycles", "int"),
            " for toxicity)."] if n else []


def toxicity_results(w) -> list:
    t = w.data.get("toxicity")
    if not t or not t.get("terms"):
        return []
    n = t["N"]
    pk = w.pct_kind(n)
    out = [" Grade \u2265 3 adverse events occurred in ", w.num("toxicity.summary.grade_3_plus.n", "int"), " of ",
           w.num("toxicity.N", "int"), " patients (", w.num("toxicity.summary.grade_3_plus.proportion", pk),
           ")"]
    groups = {g["group"]: i for i, g in enumerate(t.get("by_group") or [])}
    if "Haematological" in groups and "Non-haematological" in groups:
        i, j = groups["Haematological"], groups["Non-haematological"]
        out += [": haematological in ", w.num(f"toxicity.by_group[{i}].grade_3_plus.n", "int"),
                " and non-haematological in ", w.num(f"toxicity.by_group[{j}].grade_3_plus.n", "int")]
    deaths = t["summary"]["grade_5"]["n"]
    out += ["; there " + ("was " if deaths == 1 else "were ") if deaths else "; there was no toxic death (grade 5)",
            *([w.num("toxicity.summary.grade_5.n", "int"),
               " toxic death (grade 5)" if deaths == 1 else " toxic deaths (grade 5)"] if deaths else []), "."]
    return out


def methods(w) -> list:
    """Methods sentences on adjustment, odds ratios, cut-points, dose and toxicity."""
    d = w.data
    out: list = []
    b = d.get("biomarkers") or {}
    if b.get("markers"):
        method = b.get("adjustment", "none")
        if method != "none":
            out += [f" P values were adjusted for the number of tests by the {ADJUST_NAMES.get(method, method)} "
                    f"method ({'Benjamini & Hochberg, 1995' if method == 'BH' else 'Holm, 1979'})."]
        out += [" Odds ratios of response came from univariable logistic regression (categorical markers per "
                "level against the reference, numeric markers per unit and per interquartile range), and from "
                "Firth's penalised logistic regression with profile penalised-likelihood confidence intervals "
                "when responders were separated by the marker or a level had fewer than 5 responders (Heinze & "
                "Schemper, 2002). Hazard ratios of every marker and endpoint are reported as REMARK recommends."]
        if any(m.get("cutpoint") for m in b["markers"]):
            out += [" Numeric markers were also dichotomised at a prespecified cut-point or, where none "
                    "was given, at the data-driven cut-point maximising the log-rank statistic (maximally selected "
                    "rank statistics, with the corrected P of Lausen & Schumacher, 1992); data-driven cut-points are "
                    "exploratory."]
    ds = d.get("dosing")
    if ds:
        out += [f" Body surface area was taken as given or computed from height and weight ({ds['bsa']['formula_text']}); "
                "dose intensity was the dose per week from the first cycle to one planned cycle length after the "
                "last, and relative dose intensity its ratio to the planned dose intensity (Hryniuk & Bush, 1984). "
                f"A cycle was delayed when given more than {ds['delay_threshold_days']} days after the planned "
                f"interval, and reduced below {nb.fixed(100 * ds['reduction_threshold'], 0)}% of the planned dose."]
    if d.get("toxicity"):
        out += [" Adverse events (CTCAE) are reported as the worst grade per patient and term, and per cycle, "
                "grouped as haematological or non-haematological (or by system organ class when given)."]
    return out
