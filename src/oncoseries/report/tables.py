"""The report's tables, built once from results.json content and shared by the HTML, the DOCX and the CSVs.

Every cell is a display string (the CSV is what the reader sees in the report); the unrounded numbers are in
results.json. Row styles: ``group`` (a heading row, e.g. a Table 1 variable), ``indent`` (a level under it),
``total`` (a summary row such as ORR), ``""`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import historical
from . import numbers as nb
from .context import BOR_LABELS, ReportContext, label
from .words import id_list

RATE_ROWS = ("ORR", "DCR", "CBR")
CATEGORY_ROWS = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING")
PH_ALPHA = 0.05
FIRTH_MARK = "\u2020"     # dagger: a Firth estimate in a Cox table


@dataclass
class ReportTable:
    """One table of the report: ``name`` is the CSV stem (tables/<name>.csv)."""

    name: str
    title: str
    section: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    number: int = 0

    def add(self, cells, style: str = "") -> None:
        cells = ["" if c is None else str(c) for c in cells]
        if len(cells) != len(self.columns):
            raise ValueError(f"table {self.name}: row has {len(cells)} cells, expected {len(self.columns)}")
        self.rows.append(cells)
        self.styles.append(style)

    def drop_if_empty(self, column: str) -> None:
        """Remove a column that has no content in any row (e.g. Notes when nothing needs a note)."""
        j = self.columns.index(column)
        if all(not r[j] for r in self.rows):
            del self.columns[j]
            for r in self.rows:
                del r[j]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=self.columns, dtype=object)


def _reasons(reasons: dict) -> str:
    return "; ".join(f"{k} ({v})" for k, v in reasons.items())


def flow_table(ctx: ReportContext) -> ReportTable | None:
    if not ctx.data.get("patient_flow"):
        return None
    t = ReportTable("flow_summary", "Patient flow", "flow",
                    ["Population", "Included", "Excluded", "Reasons for exclusion (n)"])
    for r in ctx.data.get("patient_flow", []):
        t.add([r["label"], r["included"], r["excluded"], _reasons(r["reasons"])])
    return t


def _d(x, decimals: int) -> str:
    return nb.fixed(x, decimals) if nb.is_number(x) else nb.MISSING


def _range(lo, hi, decimals: int) -> str:
    return f"{_d(lo, decimals)}{nb.DASH}{_d(hi, decimals)}"


def table1(ctx: ReportContext) -> ReportTable | None:
    from .table1_by import table1_by_group
    grouped = table1_by_group(ctx)       # study.yaml table1: by (overall and per group, with P values)
    if grouped is not None:
        return grouped
    rows = ctx.data.get("table1") or []
    if not rows:
        return None
    n = rows[0]["N"]
    t = ReportTable("table1_characteristics", "Patient characteristics", "table1",
                    ["Characteristic", f"Patients (N = {n})"])
    for r in rows:
        name = label(r["variable"])
        if r["type"] == "continuous":
            whole = [nb.is_number(v) and float(v).is_integer() for v in (r["min"], r["max"])]
            d = 0 if all(whole) else 1
            dm = 0 if nb.is_number(r["median"]) and float(r["median"]).is_integer() else 1
            t.add([f"{name}, median (range)", f"{_d(r['median'], dm)} ({_range(r['min'], r['max'], d)})"])
        else:
            t.add([f"{name}, n (%)", ""], "group")
            for lev in r["levels"]:
                t.add([lev["level"], ctx.n_pct(lev["n"], lev["percent"] / 100.0, r["N"])], "indent")
        if r["missing"]:
            t.add(["Missing", ctx.n_pct(r["missing"], r["missing"] / r["N"], r["N"])], "indent")
    t.notes.append("Treated patients. Continuous characteristics: median (range); categorical: n (%); "
                   "missing values are counted in their own row and included in the denominator.")
    skipped = (ctx.data.get("table1_by") or {}).get("skipped")
    if skipped:
        t.notes.append(f"Not shown by {label(ctx.data['table1_by']['by'], False)}: {skipped}.")
    return t


def exposure_table(ctx: ReportContext) -> ReportTable | None:
    """Cycles and dose intensity when no dosing data (the fuller dosing table replaces it)."""
    e = ctx.data.get("exposure")
    if not e or ctx.data.get("dosing"):
        return None
    t = ReportTable("exposure", "Treatment exposure", "exposure", ["Item", "Value"])
    n = e["patients_treated"]
    c = e["cycles_per_patient"]
    t.add(["Patients treated", n])
    t.add(["Cycles delivered, total", e["cycles_total"]])
    t.add(["Cycles per patient, median (range)",
           f"{nb.format_num(c['median'])} ({_range(c['min'], c['max'], 0)})"])
    gap = e.get("cycle_interval_days") or {}
    if nb.is_number(gap.get("median")):
        t.add(["Interval between cycles, days, median", nb.format_num(gap["median"])])
        t.add(["Cycles given more than 3 days later than the median interval", gap.get("delayed_cycles", 0)])
    if "reduced_cycles" in e:
        t.add(["Cycles with a dose reduction (< 95% of planned dose)", e["reduced_cycles"]])
        t.add(["Patients with at least one dose reduction, n (%)",
               ctx.n_pct(e["patients_with_reduction"], e["patients_with_reduction"] / n if n else None, n)])
    rdi = e.get("relative_dose_intensity")
    if rdi:
        t.add(["Relative dose intensity, median (range)",
               f"{nb.format_pct(rdi['median'])} ({nb.format_pct(rdi['min'], sign=False)}{nb.DASH}"
               f"{nb.format_pct(rdi['max'])})"])
    t.notes.append("Relative dose intensity: delivered dose per week (first cycle to one cycle length after "
                   "the last) divided by the planned dose per week.")
    return t


def _response_label(cat: str, ctx: ReportContext) -> str:
    if cat == "ORR":
        return "Objective response rate (CR + PR)"
    if cat == "DCR":
        return "Disease control rate (CR + PR + SD + non-CR/non-PD)"
    if cat == "CBR":
        days = ctx.clinical_benefit_days
        span = f"{days // 7} weeks" if days and days % 7 == 0 else f"{days} days" if days else "the set time"
        return f"Clinical benefit rate (CR + PR, or no progression or death for at least {span})"
    return BOR_LABELS.get(cat, cat)


def response_columns(ctx: ReportContext) -> list[str]:
    """Which BOR columns the report shows: both, the headline first (confirmed when the plan asks for
    confirmation, else unconfirmed); one when the other is not in results.json."""
    resp = ctx.data.get("response") or {}
    confirmed = bool((ctx.data.get("plan", {}).get("response", {}) or {}).get("confirmation"))
    order = ["confirmed", "unconfirmed"] if confirmed else ["unconfirmed", "confirmed"]
    have = [c for c in order if resp.get(c)]
    return have or ["unconfirmed"]


def cbr_note(ctx: ReportContext) -> str | None:
    """The clinical benefit definition (results.json ``response.clinical_benefit``), for the table footnote."""
    cb = (ctx.data.get("response") or {}).get("clinical_benefit")
    if not cb:
        return None
    return (f"Clinical benefit: {cb['definition']}. The progression-free part uses the same events and dates as "
            "PFS, so it agrees with the PFS curve at that time.")


def population_note(sizes: dict | None) -> str | None:
    """Both response populations' sizes (RECIST 1.1 §3.1.2: ORR needs measurable disease)."""
    if not sizes or sizes.get("measurable_n") is None:
        return None
    m, nm, nd = sizes["measurable_n"], sizes["non_measurable_n"], sizes.get("no_disease_n") or 0
    if sizes["population"] == "all":
        text = (f"Response population: every patient with disease at baseline ({m} with measurable disease "
                f"+ {nm} with non-measurable disease only; the latter are assessed by RECIST 1.1 Table 2: CR, "
                "NON-CR/NON-PD, PD or NE).")
    else:
        text = f"Response population: the {m} patients with measurable disease at baseline."
        if nm:
            text += (f" {nm} patient(s) with non-measurable disease only are outside it (response.population: "
                     "measurable); their best response (RECIST 1.1 Table 2) is in derived/best_response.csv "
                     "and they are in PFS and OS.")
    if nd:
        text += f" {nd} treated patient(s) had no lesion at baseline (see the patient flow)."
    return text


#: iRECIST best responses shown on the rows of their RECIST 1.1 counterparts (Seymour 2017), iUPD on its own row
IRECIST_ROW = {"iCR": "CR", "iPR": "PR", "iSD": "SD", "NON-iCR/NON-iUPD": "NON-CR/NON-PD", "iCPD": "PD",
               "iUPD": "iUPD", "NE": "NE", "MISSING": "MISSING"}


def _response_blocks(ctx: ReportContext, resp: dict) -> list[tuple[str, dict, int]]:
    """Column blocks of the response table: (heading prefix, rows by category, denominator)."""
    blocks = []
    n = resp.get("population_n") or 0
    cols = response_columns(ctx)
    if n:
        for c in cols:
            blocks.append(("" if len(cols) == 1 else f"{c.capitalize()}, ",
                           {r["category"]: r for r in resp[c]}, n))
    extra = resp.get("any_disease")
    if extra and extra.get("n"):
        blocks.append(("All with disease, ", {r["category"]: r for r in extra[cols[0]]}, extra["n"]))
    ir = resp.get("irecist")
    if ir and ir.get("n"):
        blocks.append(("iRECIST, ", {IRECIST_ROW.get(r["category"], r["category"]): r for r in ir["ibor"]},
                       ir["n"]))
    if ir and ir.get("n") and len(blocks) >= 2 and blocks[0][0] == "":
        blocks[0] = ("RECIST 1.1, ",) + blocks[0][1:]
    return blocks


def response_table(ctx: ReportContext) -> ReportTable | None:
    resp = ctx.data.get("response")
    if not resp:
        return None
    blocks = _response_blocks(ctx, resp)
    if not blocks:
        return None
    n = resp.get("population_n") or 0
    cols = response_columns(ctx)
    heads = ["Best overall response"]
    for prefix, _, _ in blocks:
        heads += [f"{prefix}n (%)", f"{prefix}95% CI"]     # unique names: the CSV header
    irecist = any(p.startswith("iRECIST") for p, _, _ in blocks)
    crit = "RECIST 1.1 and iRECIST" if irecist else "RECIST 1.1"
    title = (f"Best overall response ({crit}), N = {n} evaluable patients" if n else
             f"Best overall response ({crit}), patients with disease at baseline")
    t = ReportTable("response", title, "response", heads)
    rows_order = CATEGORY_ROWS[:5] + (("iUPD",) if irecist else ()) + CATEGORY_ROWS[5:] + RATE_ROWS
    for cat in rows_order:
        rows = [b.get(cat) for _, b, _ in blocks]
        if all(r is None for r in rows):
            continue
        if cat == "NON-CR/NON-PD" and all(r is None or r["n"] == 0 for r in rows):
            continue
        if cat == "CBR" and all(r is None or r["n"] == b["DCR"]["n"] for r, (_, b, _) in zip(rows, blocks)):
            continue
        label = "Unconfirmed progression (iUPD, iRECIST)" if cat == "iUPD" else _response_label(cat, ctx)
        cells = [label]
        for r, (_, _, nn) in zip(rows, blocks):
            if r is None:
                cells += ["", ""]
                continue
            cells += [ctx.n_pct(r["n"], r["proportion"], nn),
                      ctx.pct_ci(r["lower"], r["upper"], nn) if cat in RATE_ROWS else ""]
        t.add(cells, "total" if cat in RATE_ROWS else "")
    if n:
        t.notes.append(f"Percentages of the {n} patients evaluable for response; exact (Clopper-Pearson) "
                       "95% CIs.")
    note = population_note(resp.get("populations"))
    if note:
        t.notes.append(note)
    if resp.get("any_disease"):
        t.notes.append(f"All with disease: the {resp['any_disease']['n']} patients with measurable or "
                       "non-measurable disease at baseline (non-target disease only: RECIST 1.1 Table 2).")
    if len(cols) == 2 and n:
        t.notes.append("Unconfirmed: best overall response counting a single CR or PR scan; confirmed: CR/PR "
                       f"confirmed by a later scan at least {ctx.data['plan']['response']['confirmation_days']} "
                       f"days after the first. The headline rate (Results) is the {cols[0]} one, as planned "
                       f"(study.yaml response.confirmation: {'true' if cols[0] == 'confirmed' else 'false'}).")
    if any("CBR" in b for _, b, _ in blocks) and cbr_note(ctx) and any(r[0].startswith("Clinical benefit")
                                                                        for r in t.rows):
        t.notes.append(cbr_note(ctx))
    if irecist:
        t.notes.append("iRECIST (Seymour et al., Lancet Oncol 2017): best overall response (iBOR, confirmation "
                       "not required) up to confirmed progression (iCPD); iCR, iPR, iSD, non-iCR/non-iUPD and "
                       "iCPD are shown on the rows of CR, PR, SD, non-CR/non-PD and PD.")
    ttr = resp.get("time_to_response")
    if ttr:
        t.notes.append(f"Time to response in {ttr['n']} responders: median {ctx.time(ttr['median'])} "
                       f"{ctx.unit} (range {ctx.time(ttr['min'])}{nb.DASH}{ctx.time(ttr['max'])}).")
    return t


def concordance_table(ctx: ReportContext) -> ReportTable | None:
    c = (ctx.data.get("response") or {}).get("concordance")
    if not c:
        return None
    tab = c.get("bor_table")
    if tab:
        t = ReportTable("response_concordance", "Best overall response: derived (RECIST 1.1, rows) versus "
                        "investigator (columns)", "response", ["Derived \\ investigator"] + tab["columns"])
        for name, counts in zip(tab["rows"], tab["counts"]):
            t.add([name] + counts)
    else:
        t = ReportTable("response_concordance", "Response concordance", "response", ["Measure", "Value"])
    if nb.is_number(c.get("agreement")):
        scans = f" ({c['scans_agree']} of {c['scans_matched']} scans)" if "scans_matched" in c else ""
        t.notes.append(f"Scan-level agreement {nb.format_pct(c['agreement'])}{scans}; Cohen's kappa "
                       f"{nb.format_num(c.get('kappa'), 2) if nb.is_number(c.get('kappa')) else nb.MISSING}.")
        if not tab:
            t.add(["Scan-level agreement", nb.format_pct(c["agreement"])])
            t.add(["Cohen's kappa", nb.fixed(c["kappa"], 2) if nb.is_number(c.get("kappa")) else nb.MISSING])
    if nb.is_number(c.get("bor_agreement")):
        t.notes.append(f"Best-response agreement {nb.format_pct(c['bor_agreement'])}.")
    return t if t.rows else None


def survival_table(ctx: ReportContext) -> ReportTable | None:
    surv = ctx.data.get("survival") or {}
    if not surv:
        return None
    t = ReportTable("survival", "Time-to-event endpoints", "survival",
                    ["Endpoint", "Patients", "Events", "Censored", f"Median, {ctx.unit} (95% CI)"])
    for ep, s in surv.items():
        m = s["median"]
        t.add([ctx.endpoint_name(ep), s["n"], s["events"], s["censored"],
               ctx.median(m["value"], m["lower"], m["upper"])])
    t.notes.append("Kaplan-Meier estimates; 95% CI of the median by the log-transformed Greenwood band "
                   "(R survfit). NR: the curve (or its confidence band) does not fall to 50% within "
                   "follow-up.")
    return t


def landmark_table(ctx: ReportContext) -> ReportTable | None:
    surv = ctx.data.get("survival") or {}
    if not any(s.get("landmarks") for s in surv.values()):
        return None
    t = ReportTable("survival_landmarks", "Event-free rates at landmark times", "survival",
                    ["Endpoint", f"Time ({ctx.unit})", "Rate (95% CI)", "Number at risk"])
    beyond = False
    for ep, s in surv.items():
        for lm in s.get("landmarks", []):
            if nb.is_number(lm["survival"]):
                rate = f"{ctx.pct(lm['survival'], s['n'])} ({ctx.pct_ci(lm['lower'], lm['upper'], s['n'])})"
            else:
                rate, beyond = "not estimable", True
            t.add([ep, nb.format_num(lm["time"], 2), rate, lm["n_risk"]])
    t.notes.append("Kaplan-Meier estimate with its log-transformed 95% CI; number at risk: patients still "
                   "followed and event-free at that time.")
    if beyond:
        t.notes.append("Not estimable: no patient was followed that long.")
    return t


def followup_table(ctx: ReportContext) -> ReportTable | None:
    rows = [(ep, s["followup"]) for ep, s in (ctx.data.get("survival") or {}).items() if s.get("followup")]
    if not rows:
        return None
    t = ReportTable("followup", "Median follow-up", "survival",
                    ["Endpoint", "Method", f"Median, {ctx.unit} (95% CI)",
                     f"Range of follow-up times, {ctx.unit}"])
    for ep, f in rows:
        t.add([ep, f["method"], ctx.median(f["median"], f["lower"], f["upper"]),
               f"{ctx.time(f['min'])}{nb.DASH}{ctx.time(f['max'])}"])
    t.notes.append("Reverse Kaplan-Meier (Schemper & Smith 1996): death is treated as censoring and "
                   "censoring as the event. The range covers every patient's observed time.")
    return t


def _logrank_cell(ctx: ReportContext, r: dict) -> str:
    """``P (chi2 x, k df)``, or ``not estimable`` (the reason goes to the table notes)."""
    if r.get("not_estimable"):
        return "not estimable\u2020"
    return f"{ctx.p(r['p'], prefix=False)} (\u03c7\u00b2 {nb.fixed(r['statistic'], 2)}, {r['df']} df)"


def logrank_table(ctx: ReportContext) -> ReportTable | None:
    lr = ctx.data.get("logrank") or []
    if not lr:
        return None
    t = ReportTable("logrank", "Kaplan-Meier estimates by categorical covariate, with the log-rank test",
                    "survival", ["Endpoint", "Covariate", "Group", "Patients", "Events",
                                 f"Median, {ctx.unit} (95% CI)", "Log-rank P"])
    missing = []
    for r in lr:
        for i, g in enumerate(r["groups"]):
            first = i == 0
            t.add([r["endpoint"] if first else "", label(r["covariate"]) if first else "", g["group"], g["n"],
                   g["events"], ctx.median(g["median"], g["lower"], g["upper"]),
                   _logrank_cell(ctx, r) if first else ""])
        if r.get("n_missing"):
            missing.append(f"{r['endpoint']}, {label(r['covariate'], False)}: {r['n_missing']}")
    if missing:
        t.notes.append("Patients left out for a missing covariate value: " + "; ".join(missing) + ".")
    reasons = sorted({r["not_estimable"] for r in lr if r.get("not_estimable")})
    if reasons:
        t.notes.append("\u2020 Log-rank test " + "; ".join(reasons) + ".")
    return t


def _firth_term(model: dict, coefficient: str) -> dict | None:
    firth = model.get("firth") or {}
    return next((x for x in firth.get("terms", []) if x["coefficient"] == coefficient), None)


def cox_table(ctx: ReportContext, kind: str) -> ReportTable | None:
    models = [m for m in (ctx.data.get("cox") or []) if m["model"] == kind]
    if not models:
        return None
    title = "Univariable Cox models" if kind == "univariable" else "Multivariable Cox models"
    t = ReportTable(f"cox_{kind}", title, "cox",
                    ["Endpoint", "Covariate", "Comparison", "Patients (events)", "HR (95% CI)", "P",
                     "PH test P", "Notes"])
    firth_used = ph_flag = False
    for m in models:
        if m.get("skipped"):
            t.add([m["endpoint"], ", ".join(label(c) for c in m["covariates"]), "", "", "not fitted", "", "",
                   m["skipped"]])
            continue
        ph = (m.get("ph_test") or {}).get("terms", {})
        model_notes = []
        if m.get("n_dropped"):
            model_notes.append(f"{m['n_dropped']} left out (missing values): "
                               + id_list(m["dropped_patients"], "results.json, cox[].dropped_patients"))
        for i, term in enumerate(m["terms"]):
            notes = list(model_notes) if i == 0 else []
            hr, lo, hi, p = term["hr"], term["lower"], term["upper"], term["p"]
            separated = term["coefficient"] in m.get("separation", [])
            firth = _firth_term(m, term["coefficient"]) if separated else None
            if separated:
                if firth:
                    hr, lo, hi, p = firth["hr"], firth["lower"], firth["upper"], firth["p"]
                    notes.append(f"separation: Firth estimate shown{FIRTH_MARK}")
                    firth_used = True
                else:
                    hr = lo = hi = p = None
                    notes.append("separation (monotone likelihood): the HR is infinite and was not estimated")
            ph_p = (ph.get(term["term"]) or {}).get("p")
            if nb.is_number(ph_p) and ph_p < PH_ALPHA:
                notes.append("proportional hazards questionable (cox.zph P < 0.05)")
                ph_flag = True
            level = term.get("level")
            comparison = "per 1 unit" if level is None else f"{level} vs {term['reference']}"
            hr_text = ctx.hr_ci(hr, lo, hi) if nb.is_number(hr) else "not estimable"
            if firth and nb.is_number(hr):
                hr_text += FIRTH_MARK
            t.add([m["endpoint"] if i == 0 else "", label(term["term"]), comparison,
                   f"{m['n']} ({m['events']})" if i == 0 else "", hr_text, ctx.p(p, prefix=False),
                   ctx.p(ph_p, prefix=False) if nb.is_number(ph_p) else "", "; ".join(notes)])
    t.drop_if_empty("Notes")
    t.drop_if_empty("PH test P")
    t.notes.append("Cox proportional hazards regression, Efron ties; HR with Wald 95% CI and Wald P. "
                   "PH test: scaled Schoenfeld residuals (cox.zph, Kaplan-Meier time transform).")
    if firth_used:
        t.notes.append(f"{FIRTH_MARK} Where a covariate separates the events (e.g. every event in one "
                       "group), the ordinary estimate is infinite; the row shows Firth's penalised-likelihood "
                       "HR, profile-likelihood 95% CI and penalised likelihood-ratio P instead.")
    if ph_flag:
        t.notes.append("A PH test P < 0.05 means the hazard ratio may change over time; read the HR as an "
                       "average.")
    if kind == "multivariable":
        for m in models:
            if not m.get("skipped"):
                names = ", ".join(label(c, False) for c in m["covariates"])
                t.notes.append(f"{m['endpoint']} model ({names}): "
                               f"likelihood-ratio test {ctx.p(m['lr_test']['p'])}; concordance "
                               f"{nb.fixed(m['concordance'], 2)}.")
    return t


CHISQ_MARK = "\u2021"     # double dagger: chi-square in place of Fisher's exact test
MUTATION_LEVELS = {"yes": "mutated", "no": "not mutated"}


def marker_label(m: dict, capital: bool = True) -> str:
    """``TP53 mutation`` for a mutation flag, the column label otherwise."""
    return f"{m['gene']} mutation" if m.get("gene") else label(m["marker"], capital)


def marker_level(m: dict, level: str) -> str:
    return MUTATION_LEVELS.get(level, level) if m.get("gene") else level


def _marker_p(ctx: ReportContext, a: dict | None, why: list, name: str) -> str:
    """``P = 0.768`` for the marker's row (the test is named in the notes), or why there is none."""
    if not a:
        return ""
    if "p" not in a:
        why.append(f"{name} ({a.get('skipped', 'not tested')})")
        return "not tested"
    if a.get("not_estimable"):
        why.append(f"{name} (log-rank test {a['not_estimable']})")
        return "not estimable"
    adj = f" (adj. {ctx.p(a['p_adjusted'], prefix=False)})" if a.get("p_adjusted") is not None else ""
    return ctx.p(a["p"]) + (CHISQ_MARK if a.get("test") == "chisq" else "") + adj


def _by_level(a: dict | None) -> dict:
    """Per-level results of a categorical marker's test, keyed by level."""
    return {g["level"]: g for g in (a or {}).get("groups") or []}


def _categorical_rows(t: ReportTable, ctx: ReportContext, m: dict, eps: list[str]) -> None:
    resp = _by_level(m.get("response"))
    surv = {ep: _by_level(m.get(ep)) for ep in eps}
    for lev in m["levels"]:
        r = resp.get(lev["level"])
        cells = [marker_level(m, lev["level"]), lev["n"],
                 f"{r['responders']}/{r['n']} ({ctx.pct(r['proportion'], r['n'])})" if r else ""]
        for ep in eps:
            g = surv[ep].get(lev["level"])
            cells.append(ctx.median(g["median"], g["lower"], g["upper"]) if g else "")
        t.add(cells, "indent")


def _numeric_rows(t: ReportTable, ctx: ReportContext, m: dict, eps: list[str]) -> None:
    groups = (m.get("response") or {}).get("groups") or {}
    for key, name in (("responders", "responders"), ("non_responders", "non-responders")):
        g = groups.get(key)
        if g:
            t.add([f"Median (IQR) in {name}", g["n"], f"{nb.format_num(g['median'])} "
                   f"({nb.format_num(g['q1'])}{nb.DASH}{nb.format_num(g['q3'])})"] + [""] * len(eps), "indent")
    fits = [m.get(ep) or {} for ep in eps]
    done = [f for f in fits if "hr" in f]
    if not done:
        return
    t.add(["HR per 1 unit", done[0]["n"], ""]
          + [ctx.hr_ci(f["hr"], f["lower"], f["upper"]) if "hr" in f else "" for f in fits], "indent")
    t.add([f"HR per IQR ({nb.format_num(done[0]['iqr'])})", "", ""]
          + [ctx.hr_ci(f["hr_iqr"], f["lower_iqr"], f["upper_iqr"]) if "hr" in f else "" for f in fits],
          "indent")


def biomarker_table(ctx: ReportContext) -> ReportTable | None:
    """Every biomarker and recurrent mutation versus response, PFS and OS (results.json ``biomarkers``).

    One bold row per marker with the patients tested and the P of each test, then its levels (categorical:
    patients, responders n/N (%), Kaplan-Meier medians) or, for a numeric marker, its median (IQR) in
    responders and non-responders and the Cox HR per unit and per IQR; last, the patients without a value.
    Five columns, so that the table fits an A4 portrait page in the DOCX."""
    b = ctx.data.get("biomarkers")
    if not b:
        return None
    eps = [ep for ep in ("PFS", "OS") if ep in (ctx.data.get("survival") or {})]
    t = ReportTable("biomarkers", "Biomarkers and mutations versus response and survival", "biomarkers",
                    ["Marker and level", "Patients", "Responders, n/N (%)"]
                    + [f"{ep}, median {ctx.unit} (95% CI)" for ep in eps])
    why: list[str] = []
    for m in b["markers"]:
        name = marker_label(m)
        t.add([name, m["n"], _marker_p(ctx, m.get("response"), why, f"{name}, response")]
              + [_marker_p(ctx, m.get(ep), why, f"{name}, {ep}") for ep in eps], "group")
        (_numeric_rows if m["type"] == "numeric" else _categorical_rows)(t, ctx, m, eps)
        if m["n_missing"]:
            t.add(["Not sequenced" if m.get("gene") else "Missing (not tested)", m["n_missing"], ""]
                  + [""] * len(eps), "indent")
    if not b["markers"]:
        for s in b["skipped"]:
            t.add([f"{marker_label(s)}: not analysed ({s['reason']})", s.get("n", ""), ""] + [""] * len(eps))
    t.notes.append(f"Response: the {b['response_population_n']} response-evaluable patients; responders had a "
                   f"{'confirmed ' if b['headline'] == 'confirmed_bor' else ''}best overall response of CR or "
                   f"PR. PFS and OS: the {b['survival_population_n']} treated patients. Patients without a "
                   "value are left out of that marker's tests (last row of each marker).")
    t.notes.append("P values, on each marker's row: categorical markers, Fisher's exact test (response) and "
                   "the log-rank test (PFS, OS), with responders n/N (%) and the Kaplan-Meier median (95% CI) "
                   "per level; numeric markers, the Wilcoxon rank-sum test (response) and the Wald test of a "
                   "univariable Cox model (PFS, OS), with the hazard ratio (95% CI) per 1 unit and per "
                   "interquartile range (IQR, in the model's patients).")
    if b.get("genes_tested"):
        seq = b["sequenced"]
        who = (f"patients whose tumour was not sequenced ({label(seq['column'], False)}) are missing; "
               "sequenced patients "
               "without a variant in the gene are not mutated" if seq.get("column") else
               "there is no ngs_tested column, so every patient is taken as sequenced and a patient without a "
               "variant in the gene as not mutated")
        t.notes.append(f"Mutations: genes mutated in at least {b['min_mutation_carriers']} patients; {who}.")
    if any((m.get("response") or {}).get("test") == "chisq" for m in b["markers"]):
        t.notes.append(f"{CHISQ_MARK} Pearson's chi-square test without continuity correction: the table "
                       "was too large for the exact test.")
    t.notes.append(f"{b['n_tests']} tests, none adjusted for multiple comparisons." if b.get("adjustment", "none")
                   == "none" else f"{b['n_tests']} tests; adj.: P adjusted over all of them "
                   f"({b.get('adjustment_method', b['adjustment'])}).")
    if why:
        t.notes.append("Not tested: " + "; ".join(why) + ".")
    if b["skipped"] and b["markers"]:
        t.notes.append("Not analysed: " + "; ".join(f"{marker_label(s, False)} ({s['reason']})"
                                                    for s in b["skipped"]) + ".")
    return t


def ae_table(ctx: ReportContext) -> ReportTable | None:
    """Worst grade per patient and term, when the CTCAE toxicity table (which replaces it) is absent."""
    aes = ctx.data.get("adverse_events")
    if not aes or (ctx.data.get("toxicity") or {}).get("terms"):
        return None
    n = aes[0]["N"]
    grade5 = any(r["grade_5"] for r in aes)
    cols = ["Adverse event", "Any grade", "Grade 1\u20132", "Grade 3", "Grade 4", "Grade 3\u20134"]
    t = ReportTable("adverse_events", f"Adverse events, worst grade per patient (N = {n} treated patients)",
                    "adverse_events", cols + (["Grade 5"] if grade5 else []))
    keys = ["any", "grade_1_2", "grade_3", "grade_4", "grade_3_4"] + (["grade_5"] if grade5 else [])
    for r in aes:
        t.add([r["term"]] + [ctx.n_pct(r[k], r[k] / n if n else None, n) for k in keys])
    t.notes.append("Each patient is counted once per event term, at the worst grade recorded (CTCAE). "
                   "Sorted by grade 3\u20134 frequency.")
    return t


def problems_table(ctx: ReportContext) -> ReportTable | None:
    probs = ctx.data.get("data_problems") or []
    if not probs:
        return None
    t = ReportTable("data_warnings", "Data problems (warnings)", "problems",
                    ["Severity", "File", "Row", "Column", "Patient", "Message"])
    for p in probs:
        t.add([p.get("severity"), p.get("file"), p.get("row"), p.get("column"), p.get("patient_id"),
               p.get("message") + (f" (expected {p['expected']})" if p.get("expected") else "")])
    t.notes.append("Row: the row in the source file (spreadsheet numbering, header = 1). None of these "
                   "stopped the analysis; each is described in docs/validation.md.")
    return t


def cox_models_table(ctx: ReportContext) -> ReportTable | None:
    from .cox_table import cox_side_by_side
    return cox_side_by_side(ctx)


def time_dependent_table(ctx: ReportContext) -> ReportTable | None:
    from .time_dependent import time_dependent_table as make
    return make(ctx)


def _design_table(which: int):
    def make(ctx: ReportContext):
        from . import trial_design as tdz
        return (tdz.design_table, tdz.single_arm_table)[which](ctx)
    return make


design_tables = (_design_table(0), _design_table(1))


def build_tables(ctx: ReportContext) -> list[ReportTable]:
    """Every table of the report, in report order (the order of tables/*.csv too)."""
    from . import marker_tables as mt, treatment_tables as tt   # issue 14
    makers = [flow_table, table1, exposure_table, tt.dosing_table, tt.per_cycle_table, response_table,
              concordance_table, survival_table, landmark_table, followup_table, logrank_table,
              cox_models_table, time_dependent_table, historical.survival_table, historical.two_sample_table,
              historical.orr_table, biomarker_table, mt.odds_ratio_table, mt.remark_table, mt.cutpoint_table,
              ae_table, tt.toxicity_table, tt.toxicity_cycle_table, problems_table,
              design_tables[0], design_tables[1]]
    return [t for t in (make(ctx) for make in makers) if t is not None]
