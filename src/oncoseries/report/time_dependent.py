"""Report pieces for covariates that happen during follow-up (results.json ``time_dependent``): a table of
the naive, time-dependent and landmark hazard ratios side by side, the Results sentence saying why they
differ (immortal time), and the Methods sentence."""

from __future__ import annotations

from . import numbers as nb
from .context import ReportContext, label

TD_TEXT = (" Covariates that occur during follow-up ({names}) were analysed as time-dependent covariates in "
           "Cox models on counting-process data (each patient contributes time without the covariate until "
           "its date and with it afterwards), which avoids immortal-time bias; a landmark analysis (patients "
           "still followed at the landmark, grouped by their status then, time from the landmark) and "
           "Simon-Makuch curves are shown beside them. The naive comparison, as if the status were known at "
           "the start of treatment, is reported for reference only.")


def _names(items: list[dict]) -> str:
    return ", ".join(dict.fromkeys(label(r["covariate"], False) for r in items))


def time_dependent_table(ctx: ReportContext):
    from .tables import ReportTable

    items = ctx.data.get("time_dependent") or []
    if not items:
        return None
    t = ReportTable("time_dependent", "Covariates that happen during follow-up: naive, time-dependent and "
                    "landmark analyses", "cox",
                    ["Endpoint", "Covariate", "Analysis", "Patients (events)", "HR (95% CI)", "P", "Notes"])
    for r in items:
        first = True
        rows = [("Naive (as if known at start)", r.get("naive"), f"{r['n']} ({r['events']})",
                 "biased: time before the change counts in its favour"),
                ("Time-dependent Cox", r.get("time_dependent"), f"{r['n']} ({r['events']})",
                 f"{r['n_switched_in_follow_up']} changed during follow-up")]
        lm = r.get("landmark")
        if lm:
            excluded = sum(lm["excluded"].values())
            rows.append((f"Landmark at {nb.fixed(lm['time'], 0 if float(lm['time']).is_integer() else 1)} "
                         f"{ctx.unit}", lm if "hr" in lm else None, f"{lm['n']}",
                         f"{lm['n_switched']} changed by the landmark; {excluded} with an event or censored "
                         "before it left out" + ("" if "hr" in lm else f"; {lm.get('message', '')}")))
        for name, res, n, note in rows:
            hr = ctx.hr_ci(res["hr"], res["lower"], res["upper"]) if res else "not estimable"
            t.add([r["endpoint"] if first else "", label(r["covariate"]) if first else "", name, n, hr,
                   ctx.p(res["p"], prefix=False) if res else "", note])
            first = False
        if r.get("left_out"):
            t.notes.append(f"{r['endpoint']}, {label(r['covariate'], False)}: {len(r['left_out'])} patient(s) "
                           "left out (" + "; ".join(sorted({x['reason'] for x in r['left_out']})) + ").")
        for msg in r.get("messages") or []:
            t.notes.append(f"{r['endpoint']}, {label(r['covariate'], False)}: {msg}.")
    t.notes.append("HR of patients after the change vs before it (time-dependent), or changed vs not changed "
                   "(naive; landmark: by the landmark). Cox regression, Efron ties, Wald 95% CI and P. The "
                   "landmark time defaults to the median time of the change, rounded up.")
    return t


def results_pieces(w) -> list:
    """'Analysed as it happened, CR2 ... (HR, CI, P); counted from the start (naive) HR ...'."""
    items = w.data.get("time_dependent") or []
    out: list = []
    for i, r in enumerate(items):
        if not r.get("time_dependent") or not r.get("naive"):
            continue
        base = f"time_dependent[{i}]"
        name = label(r["covariate"], False)
        out += [f" Analysed as a time-dependent covariate, {name} had a hazard ratio for "
                f"{'overall survival' if r['endpoint'] == 'OS' else 'progression-free survival'} of ",
                w.num(f"{base}.time_dependent.hr", "hr"), " (", *w.ci(f"{base}.time_dependent", "hr"), ", ",
                w.num(f"{base}.time_dependent.p", "p"), "), against ", w.num(f"{base}.naive.hr", "hr"),
                " when compared from the start of treatment as if known then (immortal-time bias: patients "
                "who died or progressed before they could reach it count against it)"]
        lm = r.get("landmark") or {}
        if "hr" in lm:
            out += ["; in a landmark analysis at ", w.num(f"{base}.landmark.time", "time"), f" {w.ctx.unit}, HR ",
                    w.num(f"{base}.landmark.hr", "hr"), " (", *w.ci(f"{base}.landmark", "hr"), ", ",
                    w.num(f"{base}.landmark.p", "p"), ")"]
        out.append(".")
    return out


def methods_pieces(w) -> list:
    items = w.data.get("time_dependent") or []
    return [TD_TEXT.format(names=_names(items))] if items else []
