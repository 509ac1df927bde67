"""Report tables for dose and toxicity (results.json ``dosing`` and ``toxicity``; issue 14): dose and dose
intensity, cycles one by one, adverse events in the layout of published chemotherapy series (term, any
grade n (%), grade 3, grade 4, grade 5; by group, by frequency), and per-cycle incidence."""

from __future__ import annotations

from . import numbers as nb
from .context import ReportContext
from .tables import ReportTable

DASH = nb.DASH


def _med_iqr(s: dict | None, decimals: int = 1, scale: float = 1.0) -> str:
    if not s:
        return ""
    f = nb.fixed
    return (f"{f(s['median'] * scale, decimals)} ({f(s['q1'] * scale, decimals)}{DASH}{f(s['q3'] * scale, decimals)}"
            f"; range {f(s['min'] * scale, decimals)}{DASH}{f(s['max'] * scale, decimals)})")


def dosing_table(ctx: ReportContext) -> ReportTable | None:
    d = ctx.data.get("dosing")
    if not d:
        return None
    n = d["patients_treated"]
    t = ReportTable("dosing", f"Dose, dose intensity, delays and reductions (N = {n} treated patients, "
                              f"{d['cycles_total']} cycles)", "exposure", ["Item", "Value"])
    c = (ctx.data.get("exposure") or {}).get("cycles_per_patient")
    if c and nb.is_number(c.get("median")):
        t.add(["Cycles per patient, median (range)",
               f"{nb.format_num(c['median'])} ({nb.fixed(c['min'], 0)}{DASH}{nb.fixed(c['max'], 0)})"])
    b = d["bsa"]
    if b["per_cycle"]:
        t.add(["Body surface area per cycle, m\u00b2, median (IQR; range)", _med_iqr(b["per_cycle"], 2)])
    if d["cumulative_dose_g_m2"]:
        t.add(["Cumulative dose, g/m\u00b2 per patient, median (IQR; range)", _med_iqr(d["cumulative_dose_g_m2"], 1)])
    di = d["dose_intensity_mg_m2_week"]
    if di["delivered"]:
        t.add(["Delivered dose intensity, mg/m\u00b2/week, median (IQR; range)", _med_iqr(di["delivered"], 0)])
    if di.get("planned"):
        t.add(["Planned dose intensity, mg/m\u00b2/week, median", nb.fixed(di["planned"]["median"], 0)])
    rdi = d.get("relative_dose_intensity")
    if rdi and d.get("rdi_at_least_85") is not None:
        t.add(["Relative dose intensity, %, median (IQR; range)", _med_iqr(rdi, 0, 100.0)])
        t.add(["Patients with relative dose intensity \u2265 85%, n (%)",
               ctx.n_pct(d["rdi_at_least_85"], d["rdi_at_least_85"] / n if n else None, n)])
    dl, rd, tx = d["delays"], d["reductions"], d["toxicity"]
    t.add([f"Delayed cycles (> {d['delay_threshold_days']} days beyond the planned interval), n of "
           f"{d['cycles_total']}", dl["cycles"]], "")
    t.add(["Patients with a delay, n (%)", ctx.n_pct(dl["patients"], dl["patients"] / n if n else None, n)], "indent")
    if dl.get("days"):
        t.add(["Days of delay, median (range)", f"{nb.fixed(dl['days']['median'], 1)} "
               f"({nb.fixed(dl['days']['min'], 0)}{DASH}{nb.fixed(dl['days']['max'], 0)})"], "indent")
    t.add(["Delays attributed to toxicity, n", tx["delayed_cycles"]], "indent")
    t.add([f"Cycles at a reduced dose (< {nb.fixed(100 * d['reduction_threshold'], 0)}% of planned), n of "
           f"{d['cycles_total']}", rd["cycles"]])
    t.add(["Patients with a dose reduction, n (%)", ctx.n_pct(rd["patients"], rd["patients"] / n if n else None, n)],
          "indent")
    t.add(["Dose reductions attributed to toxicity, n of reductions", f"{tx['reductions']} of {rd['events']}"],
          "indent")
    t.add(["Reason for stopping treatment, n (%)", ""], "group")
    for s in d["stop_reasons"]:
        t.add([s["reason"].capitalize(), ctx.n_pct(s["n"], s["n"] / n if n else None, n)], "indent")
    t.add(["Discontinuations attributed to toxicity, n", tx["discontinuations"]], "indent")
    src = ("given (bsa_m2)" if not b["cycles_computed"] else f"{b['formula_text']} for {b['cycles_computed']} "
           f"cycle(s) without bsa_m2")
    t.notes.append(f"Body surface area: {src}" + (f"; {b['cycles_missing']} cycle(s) without height or weight"
                                                  if b["cycles_missing"] else "") + ".")
    length = f"{nb.fixed(d['cycle_days'], 0)} days" if d["cycle_days"] is not None else "unknown"
    t.notes.append(f"Planned cycle length {length} ({d['cycle_days_source']}). "
                   f"Relative dose intensity = {d['rdi_definition']}.")
    t.notes.append(f"Attribution to toxicity: {tx['attribution']}; a dose reduction is the first cycle at a "
                   "reduced dose.")
    return t


def per_cycle_table(ctx: ReportContext) -> ReportTable | None:
    d = ctx.data.get("dosing")
    if not d or not d.get("per_cycle"):
        return None
    t = ReportTable("dosing_per_cycle", "Cycles one by one", "exposure",
                    ["Cycle", "Patients", "Dose, mg/m\u00b2, median (range)", "Reduced dose, n", "Delayed, n",
                     "Attributed to toxicity, n"])
    for c in d["per_cycle"]:
        s = c["dose_mg_m2"]
        t.add([c["cycle"], c["patients"], f"{nb.fixed(s['median'], 0)} ({nb.fixed(s['min'], 0)}{DASH}"
               f"{nb.fixed(s['max'], 0)})" if s else "", c["reduced"], c["delayed"], c["toxicity_attributed"]])
    t.notes.append("Attributed to toxicity: delays and dose reductions (first reduced cycle) of that cycle.")
    return t


def _cell(ctx: ReportContext, x: dict, n: int) -> str:
    return ctx.n_pct(x["n"], x["n"] / n if n else None, n) if x["n"] else "0"


def toxicity_table(ctx: ReportContext) -> ReportTable | None:
    tx = ctx.data.get("toxicity")
    if not tx or not tx.get("terms"):
        return None
    n = tx["N"]
    t = ReportTable("toxicity", f"Adverse events by term, worst grade per patient (CTCAE; N = {n} treated "
                                "patients)", "adverse_events",
                    ["Adverse event", "Any grade, n (%)", "Grade 3, n (%)", "Grade 4, n (%)", "Grade 5, n (%)",
                     "Grade \u2265 3, n (%)"])
    s = tx["summary"]
    t.add(["Any adverse event", _cell(ctx, s["any"], n), "", "", _cell(ctx, s["grade_5"], n),
           _cell(ctx, s["grade_3_plus"], n)], "total")
    by = {g["group"]: g for g in tx["by_group"]}
    for grp in tx["groups"]:
        rows = [r for r in tx["terms"] if r["group"] == grp]
        if not rows:
            continue
        g = by[grp]
        t.add([grp, _cell(ctx, g["any"], n), "", "", "", _cell(ctx, g["grade_3_plus"], n)], "group")
        for r in rows:
            t.add([r["term"], _cell(ctx, r["any"], n), _cell(ctx, r["grade_3"], n), _cell(ctx, r["grade_4"], n),
                   _cell(ctx, r["grade_5"], n), _cell(ctx, r["grade_3_plus"], n)], "indent")
    t.notes.append(f"Denominator: the {n} treated patients; each patient counted once per term at the worst "
                   "grade recorded, and once per group. Sorted by frequency (any grade, then grade \u2265 3).")
    t.notes.append("Groups: " + ("the system organ class given in adverse_events.csv (soc)." if
                                 tx["grouping"] == "soc column" else
                                 "haematological (anaemia, neutropenia, febrile neutropenia, thrombocytopenia, "
                                 "leukopenia, lymphopenia and their CTCAE v5 laboratory names) versus "
                                 "non-haematological."))
    deaths = tx["summary"]["grade_5"]["n"]
    t.notes.append(f"Grade 5 (toxic deaths): {deaths}" + (" (" + ", ".join(sorted({d['term'] for d in
                                                                                 tx['toxic_deaths']})) + ")."
                                                          if deaths else "."))
    nd = tx.get("no_dose_record")
    if nd and nd["patients"]:
        t.notes.append(f"{nd['events']} event(s) of {nd['patients']} patient(s) with no dose record in "
                       "treatments.csv are not in the table (flagged in results.json).")
    return t


def toxicity_cycle_table(ctx: ReportContext) -> ReportTable | None:
    tx = ctx.data.get("toxicity")
    pc = (tx or {}).get("per_cycle")
    if not pc or not pc["terms"]:
        return None
    c = pc["cycles"]
    t = ReportTable("toxicity_per_cycle", f"Adverse events per cycle (N = {c} cycles)", "adverse_events",
                    ["Adverse event", "Group", "Cycles with the event, n (%)", "Cycles with grade \u2265 3, n (%)"])
    for r in pc["terms"]:
        t.add([r["term"], r["group"], _cell(ctx, r["any"], c), _cell(ctx, r["grade_3_plus"], c)])
    t.notes.append("Incidence per cycle: cycles in which the event was recorded (worst grade in the cycle) out of "
                   "all cycles given; an event without a cycle number is placed in the last cycle on or before "
                   "its date." + (f" {pc['events_without_cycle']} event(s) could not be placed."
                                  if pc["events_without_cycle"] else ""))
    return t
