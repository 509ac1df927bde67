"""Report tables for the biomarker effect sizes (results.json ``biomarkers``; issue 14): odds ratios of
response, the REMARK table (n, events, HR with CI, P, adjusted P for every marker and endpoint) and the
cut-points of numeric markers (study.yaml or data-driven, clearly labelled)."""

from __future__ import annotations

from . import numbers as nb
from .context import ReportContext
from .tables import ReportTable, marker_label, marker_level

FIRTH = "\u2020"       # dagger: a Firth estimate
DATA_DRIVEN = "\u00a7"  # section sign: a data-driven cut-point


def _adj(ctx: ReportContext, a: dict) -> str:
    q = a.get("p_adjusted")
    return ctx.p(q, prefix=False) if q is not None else ""


def _method_note(b: dict) -> str:
    k = b.get("n_tests", 0)
    return (f"Adjusted P: {b.get('adjustment_method', 'none')} over the {k} tests of the biomarker table "
            f"(response, PFS and OS for every marker).")


def odds_ratio_table(ctx: ReportContext) -> ReportTable | None:
    b = ctx.data.get("biomarkers")
    if not b or not any("odds_ratio" in (m.get("response") or {}) for m in b["markers"]):
        return None
    t = ReportTable("biomarker_odds_ratios", "Odds ratios of response by marker (logistic regression)",
                    "biomarkers", ["Marker", "Comparison", "Patients (responders)", "OR (95% CI)", "P",
                                   "Adjusted P"])
    firth = False
    for m in b["markers"]:
        a = m.get("response") or {}
        o = a.get("odds_ratio")
        if not o:
            continue
        if "skipped" in o:
            t.add([marker_label(m), f"not estimable ({o['skipped']})", "", "", "", ""])
            continue
        mark = FIRTH if o["method"] == "firth" else ""
        firth |= bool(mark)
        first = True
        for term in o["terms"]:
            comp = (f"{marker_level(m, term['term'])} vs {marker_level(m, o['reference'])}"
                    if "reference" in o else term["term"] + (f" ({nb.format_num(term['iqr'])})" if "iqr" in term
                                                             else ""))
            t.add([marker_label(m) if first else "", comp, f"{o['n']} ({o['responders']})" if first else "",
                   ctx.hr_ci(term["odds_ratio"], term["lower"], term["upper"]) + mark,
                   ctx.p(term["p"], prefix=False), _adj(ctx, a) if first else ""])
            first = False
    t.notes.append("Odds ratio of response (CR or PR) from a univariable logistic regression (R glm); categorical "
                   "markers per level against the reference level, numeric markers per unit and per "
                   "interquartile range (IQR). P: Wald test (ML) or penalised likelihood-ratio test (Firth). "
                   "Adjusted P belongs to the marker's response test in the biomarker table.")
    if firth:
        t.notes.append(f"{FIRTH} Firth's penalised logistic regression with profile penalised-likelihood 95% CI "
                       "(Heinze & Schemper 2002; R logistf): used when the responders are separated by the marker "
                       "or a level has fewer than 5 responders.")
    t.notes.append(_method_note(b))
    return t


def remark_table(ctx: ReportContext) -> ReportTable | None:
    b = ctx.data.get("biomarkers")
    if not b or not any(m.get("remark") for m in b["markers"]):
        return None
    t = ReportTable("biomarker_remark", "Markers and survival (REMARK): univariable hazard ratios", "biomarkers",
                    ["Marker", "Endpoint", "Patients", "Events", "HR (95% CI)", "P", "Adjusted P"])
    firth = False
    for m in b["markers"]:
        for r in m.get("remark") or []:
            name = r["endpoint"]                        # PFS, OS: the table stays narrow (DOCX portrait)
            p = ctx.p(r["p"], prefix=False) if r.get("p") is not None else r.get("skipped", "")
            if not r["hr"]:
                t.add([marker_label(m), name, r.get("n", ""), r.get("events", ""), "not estimable", p,
                       _adj(ctx, r)])
                continue
            for i, h in enumerate(r["hr"]):
                mark = FIRTH if h.get("method") == "firth" else ""
                firth |= bool(mark)
                term = (f"{marker_level(m, h['term'])} vs {marker_level(m, r['reference'])}" if r.get("reference")
                        else h["term"])
                t.add([f"{marker_label(m)}, {term}", name if i == 0 else "",
                       r["n"] if i == 0 else "", r["events"] if i == 0 else "",
                       ctx.hr_ci(h["hr"], h["lower"], h["upper"]) + mark, p if i == 0 else "",
                       _adj(ctx, r) if i == 0 else ""])
    t.notes.append("Hazard ratios from univariable Cox models (R coxph, Efron ties, Wald 95% CI); numeric markers "
                   "per unit and per interquartile range. P: the marker's test in the biomarker table (log-rank for "
                   "categorical markers, Cox Wald for numeric ones).")
    if firth:
        t.notes.append(f"{FIRTH} Firth-penalised Cox regression (separation): profile-likelihood CI.")
    t.notes.append(_method_note(b))
    return t


def cutpoint_table(ctx: ReportContext) -> ReportTable | None:
    b = ctx.data.get("biomarkers")
    cuts = [m for m in (b or {}).get("markers", []) if m.get("cutpoint")]
    if not cuts:
        return None
    t = ReportTable("biomarker_cutpoints", "Cut-points of numeric markers", "biomarkers",
                    ["Marker", "Endpoint", "Cut-point", "Low / high, n", f"Median, {ctx.unit}, low / high",
                     "P"])
    driven = False
    for m in cuts:
        c = m["cutpoint"]
        given = c["source"] == "study.yaml"
        for ep in ("PFS", "OS"):
            r = c.get(ep)
            if not r:
                continue
            if "skipped" in r:
                t.add([marker_label(m), ep, "", "", "", r["skipped"]])
                continue
            groups = {g["level"]: g for g in r.get("groups") or []}
            lo, hi = groups.get("low"), groups.get("high")
            val = c["value"] if given else r["cutpoint"]
            cut = (f"\u2265 {nb.format_num(val)} (study.yaml)" if given else
                   f"> {nb.format_num(val)} (data-driven){DATA_DRIVEN}")
            driven |= not given
            med = (f"{ctx.time(lo['median'])} / {ctx.time(hi['median'])}" if lo and hi else "")
            p = r.get("p") if given else r.get("p_corrected")
            t.add([marker_label(m), ep, cut, f"{lo['n'] if lo else 0} / {hi['n'] if hi else 0}", med,
                   (ctx.p(p, prefix=False) + ("" if given else " (corrected)")) if p is not None else ""])
    if driven:
        t.notes.append(f"{DATA_DRIVEN} Data-driven cut-point: chosen in these data as the one maximising the "
                       "standardised log-rank statistic (maximally selected rank statistics, Lausen & Schumacher "
                       "1992; R maxstat), among cut-points leaving at least "
                       f"{nb.fixed(100 * cuts[0]['cutpoint'].get('minprop', 0.1), 0)}% "
                       "of the patients in each group. P is Lausen & Schumacher's corrected P for the search; the "
                       "split is exploratory and needs validation in other patients.")
    if any(m["cutpoint"]["source"] == "study.yaml" for m in cuts):
        t.notes.append("Cut-points from study.yaml: high = value \u2265 cut-point; P: log-rank test.")
    return t
