"""The Cox table as gtsummary's ``tbl_merge`` of univariable and multivariable ``tbl_regression`` tables:
one row per variable level, univariable and multivariable HR (95% CI) and P side by side, per endpoint.

A multi-level factor shows one global P on its heading row (likelihood-ratio, type III; results.json
``cox[].type3``), its levels the HR against the reference (``1 (reference)``). Numeric covariates show the
HR per the unit chosen in study.yaml ``regression.per`` (``per 10 years``, ``per IQR``) or per 1 unit.
"""

from __future__ import annotations

from . import numbers as nb
from .context import ReportContext, label
from .tables import FIRTH_MARK, PH_ALPHA, ReportTable, _firth_term
from .words import id_list

EPV_MARK = "\u00a7"   # section sign: a model below the events-per-variable limit
REFERENCE = "1 (reference)"


def _estimate(ctx: ReportContext, m: dict, term: dict) -> tuple[str, object, list[str], bool]:
    """(HR cell, P, notes, Firth used) of one term; scaled when study.yaml asked for it."""
    hr, lo, hi, p = term["hr"], term["lower"], term["upper"], term["p"]
    notes, firth_used = [], False
    per = term.get("per") or {}
    if term["coefficient"] in m.get("separation", []):
        firth = _firth_term(m, term["coefficient"])
        if not firth:
            return "not estimable", None, ["separation (monotone likelihood): infinite HR"], False
        hr, lo, hi, p = firth["hr"], firth["lower"], firth["upper"], firth["p"]
        notes.append(f"separation: Firth estimate shown{FIRTH_MARK}")
        firth_used = True
        if "hr" in per:
            k = per["amount"]
            hr, lo, hi = hr ** k, lo ** k, hi ** k
    elif "hr" in per:
        hr, lo, hi = per["hr"], per["lower"], per["upper"]
    text = ctx.hr_ci(hr, lo, hi) if nb.is_number(hr) else "not estimable"
    return text + (FIRTH_MARK if firth_used else ""), p, notes, firth_used


def _type3_p(m: dict | None, term: str):
    for t in (m or {}).get("type3") or []:
        if t["term"] == term:
            return t["p"]
    return None


def _terms_of(m: dict | None, term: str) -> list[dict]:
    return [t for t in (m or {}).get("terms", []) if t["term"] == term]


def _ph_flag(m: dict | None, term: str) -> bool:
    p = (((m or {}).get("ph_test") or {}).get("terms", {}).get(term) or {}).get("p")
    return nb.is_number(p) and p < PH_ALPHA


def _numeric_name(term: dict) -> str:
    per = term.get("per") or {}
    if "hr" in per:
        return per["text"]
    return term.get("unit_text") or "per 1 unit"


def _endpoint_rows(t: ReportTable, ctx: ReportContext, ep: str, uni: list[dict], multi: dict | None,
                   flags: dict) -> None:
    name = ctx.endpoint_name(ep)
    head = ""
    if multi and multi.get("epv_low"):
        head = f"multivariable: {nb.fixed(multi['events_per_variable'], 1)} events per coefficient{EPV_MARK}"
    t.add([name] + [""] * (len(t.columns) - 2) + [head], "group")
    p = (lambda v: ctx.p(v, prefix=False) if nb.is_number(v) else "")
    for m in uni:
        cov = m["covariates"][0]
        if m.get("skipped"):
            t.add([label(cov), "", "not fitted", "", "", "", m["skipped"]])
            continue
        count = f"{m['n']} ({m['events']})"
        notes = [f"{m['n_dropped']} left out (missing values)"] if m.get("n_dropped") else []
        if m.get("epv_low"):
            notes.append(f"{nb.fixed(m['events_per_variable'], 1)} events per coefficient{EPV_MARK}")
        if _ph_flag(m, cov) or _ph_flag(multi, cov):
            notes.append("proportional hazards questionable (cox.zph P < 0.05)")
            flags["ph"] = True
        terms = _terms_of(m, cov)
        mterms = {x["coefficient"]: x for x in _terms_of(multi, cov)}
        if terms and terms[0].get("level") is None:                   # numeric
            term = terms[0]
            hr, pv, more, f1 = _estimate(ctx, m, term)
            mt = mterms.get(term["coefficient"])
            mhr, mpv, more2, f2 = _estimate(ctx, multi, mt) if mt else ("", None, [], False)
            flags["firth"] |= f1 or f2
            flags["scaled"] |= "hr" in (term.get("per") or {})
            t.add([f"{label(cov)}, {_numeric_name(term)}", count, hr, p(pv), mhr, p(mpv),
                   "; ".join(notes + more + more2)])
            continue
        multi_level = len(terms) > 1
        in_multi = bool(mterms)
        flags["global"] |= multi_level
        t.add([label(cov), count, "", p(_type3_p(m, cov)) if multi_level else "", "",
               p(_type3_p(multi, cov)) if multi_level and in_multi else "", "; ".join(notes)])
        t.add([terms[0]["reference"], "", REFERENCE, "", REFERENCE if in_multi else "", "", ""],
              "indent")
        for term in terms:
            hr, pv, more, f1 = _estimate(ctx, m, term)
            mt = mterms.get(term["coefficient"])
            mhr, mpv, more2, f2 = _estimate(ctx, multi, mt) if mt else ("", None, [], False)
            flags["firth"] |= f1 or f2
            t.add([term["level"], "", hr, "" if multi_level else p(pv), mhr,
                   "" if multi_level else p(mpv), "; ".join(more + more2)], "indent")


def cox_side_by_side(ctx: ReportContext) -> ReportTable | None:
    """results.json ``cox[]`` as one table: univariable and multivariable side by side, per endpoint."""
    models = ctx.data.get("cox") or []
    if not models:
        return None
    eps = [ep for ep in ("PFS", "OS") if any(m["endpoint"] == ep for m in models)]
    has_multi = any(m["model"] == "multivariable" and not m.get("skipped") for m in models)
    cols = ["Characteristic", "Patients (events)", "Univariable HR (95% CI)", "Univariable P",
            "Multivariable HR (95% CI)", "Multivariable P", "Notes"]
    title = ("Cox proportional hazards models: univariable and multivariable hazard ratios" if has_multi
             else "Cox proportional hazards models (univariable)")
    t = ReportTable("cox_models", title, "cox", cols)
    flags = {"ph": False, "firth": False, "global": False, "scaled": False}
    for ep in eps:
        uni = [m for m in models if m["endpoint"] == ep and m["model"] == "univariable"]
        multi = next((m for m in models if m["endpoint"] == ep and m["model"] == "multivariable"
                      and not m.get("skipped")), None)
        _endpoint_rows(t, ctx, ep, uni, multi, flags)
    if not has_multi:
        for c in ("Multivariable HR (95% CI)", "Multivariable P"):
            j = t.columns.index(c)
            del t.columns[j]
            for r in t.rows:
                del r[j]
    t.drop_if_empty("Notes")
    _notes(t, ctx, models, flags)
    left_out: dict[tuple, list[str]] = {}
    for m in models:
        if m.get("dropped_patients") and not m.get("skipped"):
            left_out.setdefault(tuple(m["dropped_patients"]), []).append(label(m["covariates"][0], False)
                                                                         if m["model"] == "univariable"
                                                                         else f"{m['endpoint']} multivariable model")
    for ids, names in left_out.items():
        t.notes.append(f"Left out for a missing value ({', '.join(dict.fromkeys(names))}): "
                       f"{id_list(ids, 'results.json, cox[].dropped_patients')}.")
    return t


def _notes(t: ReportTable, ctx: ReportContext, models: list[dict], flags: dict) -> None:
    t.notes.append("Cox proportional hazards regression, Efron ties; HR with Wald 95% CI and Wald P. "
                   "Patients (events): those in the univariable model.")
    if flags["global"]:
        t.notes.append("Variables with more than two levels: one P for the variable, the likelihood-ratio test "
                       "of the model with and without it (type III, as R drop1).")
    if flags["scaled"]:
        t.notes.append("Numeric covariates: HR per the stated amount (per IQR: the interquartile range of the "
                       "model's patients); otherwise per 1 unit.")
    reg = ctx.data.get("regression") or {}
    if reg.get("screen") == "all":
        t.notes.append("Every patient characteristic was screened in a univariable model; the multivariable "
                       "model holds the covariates planned in advance.")
    lim = reg.get("min_events_per_variable", 10)
    for m in models:
        if m["model"] != "multivariable" or m.get("skipped"):
            continue
        names = ", ".join(label(c, False) for c in m["covariates"])
        epv = m.get("events_per_variable")
        t.notes.append(f"{m['endpoint']} multivariable model ({names}): {m['n']} patients, {m['events']} events, "
                       f"{nb.fixed(epv, 1) if nb.is_number(epv) else nb.MISSING} events per coefficient; "
                       f"likelihood-ratio test {ctx.p(m['lr_test']['p'])}; concordance "
                       f"{nb.fixed(m['concordance'], 2)}.")
    low = [m for m in models if m.get("epv_low") and not m.get("skipped")]
    for m in low:
        names = ", ".join(label(c, False) for c in m["covariates"])
        t.notes.append(f"{EPV_MARK} {m['endpoint']} {m['model']} model ({names}): "
                       f"{nb.fixed(m['events_per_variable'], 1)} events per coefficient, below "
                       f"{nb.format_num(lim)}; the estimates may be overfitted and unstable (Peduzzi et al. "
                       "1996).")
    if flags["firth"]:
        t.notes.append(f"{FIRTH_MARK} Where a covariate separates the events, the ordinary estimate is infinite; "
                       "Firth's penalised-likelihood HR, profile-likelihood 95% CI and penalised "
                       "likelihood-ratio P are shown instead.")
    if flags["ph"]:
        t.notes.append("A PH test (cox.zph) P < 0.05 means the hazard ratio may change over time; read the HR "
                       "as an average.")
