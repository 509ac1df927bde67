"""The written Results paragraph (abstract style) and the Methods paragraphs.

Each paragraph is a list of pieces: plain text, or a :class:`Num` that carries the results.json path it was
read from (``survival.PFS.median.value``) and how it was formatted. The HTML shows the path on hover;
the tests check that every path resolves to the value shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import numbers as nb
from . import time_dependent as td
from . import trial_design as tdz
from .context import ReportContext, label, resolve
from .tables import PH_ALPHA, marker_label, marker_level, response_columns

ALPHA = 0.05


@dataclass(frozen=True)
class Num:
    """A number in the text: what is shown, where it comes from and how it was formatted."""

    text: str
    path: str
    value: object
    kind: str


def format_value(ctx: ReportContext, kind: str, value) -> str:
    """Format a results.json value the way the narrative does (``kind`` as stored in :class:`Num`)."""
    if kind == "int":
        return str(int(value))
    if kind.startswith("pct"):        # pct0, pct1 (with %), pctbare0 (without)
        return nb.format_pct(value, int(kind[-1]), sign="bare" not in kind)
    if kind == "time":
        return nb.format_time(value, ctx.unit)
    if kind == "median":
        return nb.format_time(value, ctx.unit) if nb.is_number(value) else nb.NOT_REACHED
    if kind == "hr":
        return nb.format_hr(value)
    if kind == "p":
        return ctx.p(value)
    if kind == "num":
        return nb.format_num(value)
    raise ValueError(f"unknown number kind {kind!r}")


def plain(pieces) -> str:
    """The paragraph as plain text."""
    return "".join(p.text if isinstance(p, Num) else p for p in pieces)


def _firth_index(model: dict, term: dict) -> int | None:
    """Index of the Firth estimate of a separated coefficient in ``model["firth"]["terms"]``."""
    terms = (model.get("firth") or {}).get("terms", [])
    return next((i for i, x in enumerate(terms) if x["coefficient"] == term["coefficient"]), None)


class _Writer:
    def __init__(self, ctx: ReportContext):
        self.ctx = ctx
        self.data = ctx.data

    def num(self, path: str, kind: str) -> Num:
        value = resolve(self.data, path)
        return Num(format_value(self.ctx, kind, value), path, value, kind)

    def pct_kind(self, n_total, sign: bool = True) -> str:
        return f"pct{'' if sign else 'bare'}{self.ctx.decimals(n_total)}"

    def ci(self, path: str, kind: str, suffix: str = "") -> list:
        """``95% CI a-b`` with both limits traced; an unreached limit prints NR."""
        return ["95% CI ", self.num(f"{path}.lower", kind), nb.DASH, self.num(f"{path}.upper", kind), suffix]

    def flow_index(self, population: str) -> int | None:
        flow = self.data.get("patient_flow", [])
        return next((i for i, r in enumerate(flow) if r["population"] == population), None)

    # --- Results -------------------------------------------------------------------------------------------
    def patients(self) -> list:
        i_all, i_treated = self.flow_index("entered"), self.flow_index("all_treated")
        if i_all is None:
            return [self.num("study.n_patients", "int"), " patients were included."]
        flow = self.data["patient_flow"]
        if i_treated is None or flow[i_treated]["included"] == flow[i_all]["included"]:
            return [self.num(f"patient_flow[{i_all}].included", "int"), " patients were included."]
        return ["Of ", self.num(f"patient_flow[{i_all}].included", "int"), " patients in the study file, ",
                self.num(f"patient_flow[{i_treated}].included", "int"), " were treated and included."]

    def exposure(self) -> list:
        e = self.data.get("exposure")
        if not e or not nb.is_number(e["cycles_per_patient"]["median"]):
            return []
        return [" Patients received a median of ", self.num("exposure.cycles_per_patient.median", "num"),
                " cycles (range ", self.num("exposure.cycles_per_patient.min", "num"), nb.DASH,
                self.num("exposure.cycles_per_patient.max", "num"), ")."]

    def response(self) -> list:
        resp = self.data.get("response") or {}
        n = resp.get("population_n") or 0
        if not n:
            extra = resp.get("any_disease")
            if not extra or not extra.get("n"):
                return [" No patient was evaluable for response."]
            idx = {r["category"]: i for i, r in enumerate(extra["unconfirmed"])}
            dcr = f"response.any_disease.unconfirmed[{idx['DCR']}]"
            m = extra["n"]
            return [" No patient had measurable disease at baseline (needed for the objective response rate, "
                    "RECIST 1.1); in the ", self.num("response.any_disease.n", "int"),
                    " patients with non-measurable disease only, the disease control rate was ",
                    self.num(f"{dcr}.proportion", self.pct_kind(m)), " (",
                    *self.ci(dcr, self.pct_kind(m, sign=False), "%"), ")."]
        col = response_columns(self.ctx)[0]
        idx = {r["category"]: i for i, r in enumerate(resp[col])}
        base = f"response.{col}"
        pk, bk = self.pct_kind(n), self.pct_kind(n, sign=False)
        treated = self.flow_index("all_treated")
        out = [" "]
        if treated is None or self.data["patient_flow"][treated]["included"] != n:
            out += ["Of the ", self.num("response.population_n", "int"),
                    " patients evaluable for response, the "]
        else:
            out += ["The "]
        orr, dcr = f"{base}[{idx['ORR']}]", f"{base}[{idx['DCR']}]"
        out += ["confirmed " if col == "confirmed" else "", "objective response rate (ORR) was ",
                self.num(f"{orr}.proportion", pk), " (", self.num(f"{base}[{idx['CR']}].n", "int"), " CR + ",
                self.num(f"{base}[{idx['PR']}].n", "int"), " PR; ", *self.ci(orr, bk, "%"),
                ") and the disease control rate ", self.num(f"{dcr}.proportion", pk), " (",
                *self.ci(dcr, bk, "%"), ")."]
        ir = resp.get("irecist")
        if ir and ir.get("n"):
            j = {r["category"]: i for i, r in enumerate(ir["ibor"])}
            iorr, idcr = f"response.irecist.ibor[{j['ORR']}]", f"response.irecist.ibor[{j['DCR']}]"
            out += [" By iRECIST, the objective response rate was ", self.num(f"{iorr}.proportion", pk), " (",
                    *self.ci(iorr, bk, "%"), ") and the disease control rate ", self.num(f"{idcr}.proportion", pk),
                    " (", *self.ci(idcr, bk, "%"), "); ", self.num(f"response.irecist.ibor[{j['iUPD']}].n", "int"),
                    " patient(s) had unconfirmed progression (iUPD) as best response."]
        return out

    def endpoint(self, ep: str) -> list:
        s = (self.data.get("survival") or {}).get(ep)
        if not s:
            return []
        p = f"survival.{ep}"
        name = {"DOR": "duration of response", "TTP": "time to progression",
                "IPFS": "progression-free survival by iRECIST (iPFS)"}.get(ep, ep)
        m = s["median"]
        ci = [] if m["value"] is None and m["lower"] is None else [*self.ci(f"{p}.median", "time"), "; "]
        who = "responders" if ep == "DOR" else "patients"
        out = [f" Median {name} was ", self.num(f"{p}.median.value", "median"),
               f" {self.ctx.unit}" if m["value"] is not None else "", " (", *ci,
               self.num(f"{p}.events", "int"), " events in ", self.num(f"{p}.n", "int"), f" {who})"]
        unit1 = self.ctx.unit[:-1] if self.ctx.unit.endswith("s") else self.ctx.unit
        for i, lm in enumerate(s.get("landmarks", [])):
            if not nb.is_number(lm["survival"]):
                continue
            out += ["; ", f"{nb.format_num(lm['time'], 2)}-{unit1} {ep} was ",
                    self.num(f"{p}.landmarks[{i}].survival", self.pct_kind(s["n"])), " (",
                    *self.ci(f"{p}.landmarks[{i}]", self.pct_kind(s["n"], sign=False), "%"), ")"]
        return out + ["."]

    def followup(self) -> list:
        f = ((self.data.get("survival") or {}).get("OS") or {}).get("followup")
        if not f or not (nb.is_number(f["median"]) or nb.is_number(f["lower"])):
            return []
        return [" Median follow-up was ", self.num("survival.OS.followup.median", "median"),
                f" {self.ctx.unit}" if nb.is_number(f["median"]) else "", " (",
                *self.ci("survival.OS.followup", "time"), "; reverse Kaplan-Meier)."]

    def _term_text(self, mi: int, m: dict, ti: int, term: dict) -> list:
        base = f"cox[{mi}]"
        firth = None
        if term["coefficient"] in m.get("separation", []):
            fi = _firth_index(m, term)
            if fi is None:
                return []
            firth = f"{base}.firth.terms[{fi}]"
        src = firth or f"{base}.terms[{ti}]"
        return ["(", "Firth-penalised " if firth else "", "HR ", self.num(f"{src}.hr", "hr"), ", ",
                *self.ci(src, "hr"), ", ", self.num(f"{src}.p", "p"), ")"]

    def _term_p(self, m: dict, term: dict):
        if term["coefficient"] in m.get("separation", []):
            fi = _firth_index(m, term)
            return None if fi is None else m["firth"]["terms"][fi]["p"]
        return term["p"]

    def _subject(self, term: dict) -> str:
        name = label(term["term"], capital=False)
        if term.get("level") is None:
            return f"a higher {name} (per 1 unit)"
        return f"{name} {term['level']} (vs {term['reference']})"

    def _shown_hr(self, m: dict, term: dict):
        if term["coefficient"] in m.get("separation", []):
            return m["firth"]["terms"][_firth_index(m, term)]["hr"]
        return term["hr"]

    def cox(self, kind: str) -> list:
        """Terms with P < 0.05; with a planned model (study.yaml cox:) every planned term."""
        models = [(i, m) for i, m in enumerate(self.data.get("cox") or [])
                  if m["model"] == kind and not m.get("skipped")]
        planned = bool(self.data.get("plan", {}).get("cox"))
        out = []
        for ep in ("PFS", "OS"):
            hits, quiet = [], 0
            for mi, m in models:
                if m["endpoint"] != ep:
                    continue
                ph = (m.get("ph_test") or {}).get("terms", {})
                for ti, term in enumerate(m["terms"]):
                    p = self._term_p(m, term)
                    if not nb.is_number(p):
                        continue
                    if p >= ALPHA and (kind == "multivariable" or not planned):
                        quiet += 1
                        continue
                    if p < ALPHA:
                        shorter = self._shown_hr(m, term) > 1
                        verb = f"was associated with {'shorter' if shorter else 'longer'} {ep}"
                    else:
                        verb = f"was not significantly associated with {ep}"
                    ph_p = (ph.get(term["term"]) or {}).get("p")
                    flag = " (proportional hazards questionable)" if nb.is_number(ph_p) and ph_p < PH_ALPHA \
                        else ""
                    hits.append([self._subject(term), f" {verb} ", *self._term_text(mi, m, ti, term), flag])
            lead = "In univariable analysis, " if kind == "univariable" else "In multivariable analysis, "
            if hits:
                body = []
                for k, h in enumerate(hits):
                    body += (["; "] if k else []) + h
                out += [" ", lead, *body, "."]
            elif quiet and kind == "univariable":
                what = "the covariate tested was" if quiet == 1 else \
                    f"none of the {quiet} covariates tested was"
                out += [f" {lead}{what} {'not ' if quiet == 1 else ''}associated with {ep} (P \u2265 0.05)."]
        return out

    # --- biomarkers and mutations ------------------------------------------------------------------------
    def _marker_hit(self, i: int, m: dict, what: str) -> list:
        """``with shorter PFS (median ... vs ...; log-rank P = ...)`` for a test with P < ALPHA."""
        base = f"biomarkers.markers[{i}].{what}"
        a = m[what]
        p = self.num(f"{base}.p", "p")
        if what == "response":
            if m["type"] == "numeric":
                return ["with response (median ", self.num(f"{base}.groups.responders.median", "num"),
                        " in responders vs ", self.num(f"{base}.groups.non_responders.median", "num"),
                        " in non-responders; Wilcoxon rank-sum ", p, ")"]
            test = "Fisher's exact " if a["test"] == "fisher" else "chi-square "
            out = ["with response (ORR "]
            order = list(range(len(a["groups"])))
            if m.get("gene") and a["groups"][-1]["level"] == "yes":
                order.reverse()
            for k, j in enumerate(order):
                g = a["groups"][j]
                out += [" vs " if k else "", self.num(f"{base}.groups[{j}].proportion", self.pct_kind(g["n"])),
                        f" ({marker_level(m, g['level'])})"]
            return out + ["; ", test, p, ")"]
        if m["type"] == "numeric":
            shorter = "shorter" if a["hr"] > 1 else "longer"
            return [f"with {shorter} {what} at higher values (HR ", self.num(f"{base}.hr_iqr", "hr"),
                    " per interquartile range of ", self.num(f"{base}.iqr", "num"), ", 95% CI ",
                    self.num(f"{base}.lower_iqr", "hr"), nb.DASH, self.num(f"{base}.upper_iqr", "hr"),
                    ", ", p, ")"]
        groups = a["groups"]
        if len(groups) != 2:
            return [f"with {what} (log-rank ", p, ")"]
        # direction: the level with the larger observed/expected events ratio has the shorter survival
        ratio = [g["events"] / g["expected"] if g["expected"] > 0 else float("inf") for g in groups]
        worse = int(ratio[1] > ratio[0])
        if m.get("gene"):       # "MYC mutation was associated with shorter PFS (median mutated vs not)"
            mutated = next((j for j, g in enumerate(groups) if g["level"] == "yes"), 1)
            order = [mutated, 1 - mutated]
            out = [f"with {'shorter' if worse == mutated else 'longer'} {what} (median "]
        else:                   # "... with shorter PFS for high vs low (median ...)"
            order = [worse, 1 - worse]
            out = [f"with shorter {what} for {groups[worse]['level']} vs {groups[1 - worse]['level']} (median "]
        for k, j in enumerate(order):
            g = groups[j]
            unit = f" {self.ctx.unit}" if nb.is_number(g["median"]) else ""
            out += [" vs " if k else "", self.num(f"{base}.groups[{j}].median", "median"), unit,
                    f" ({marker_level(m, g['level'])})"]
        return out + ["; log-rank ", p, ")"]

    def biomarkers(self) -> list:
        """One sentence: no association (all P >= 0.05, the smallest P, the number of tests), or the tests
        with P < 0.05 with their effect and P, and the number of tests (never adjusted for multiplicity)."""
        b = self.data.get("biomarkers")
        if not b or not b.get("n_tests"):
            return []
        markers = b["markers"]
        tested = [k for k in ("response", "PFS", "OS") if any("p" in (m.get(k) or {}) for m in markers)]
        what = ", ".join(tested[:-1]) + (" or " if len(tested) > 1 else "") + tested[-1]
        hits = [(i, k) for i, m in enumerate(markers) for k in ("response", "PFS", "OS")
                if nb.is_number((m.get(k) or {}).get("p")) and m[k]["p"] < ALPHA]
        if not hits:
            bio = [marker_label(m, False) for m in markers if not m.get("gene")]
            genes = [m["gene"] for m in markers if m.get("gene")]
            kinds = " or ".join((["biomarker"] if bio else []) + (["mutation"] if genes else []))
            names = "; ".join(([", ".join(bio)] if bio else [])
                              + ([", ".join(genes) + (" mutations" if len(genes) > 1 else " mutation")]
                                 if genes else []))
            return [f" No {kinds} tested ({names}) was associated with {what} (all P \u2265 0.05; smallest ",
                    self.num("biomarkers.smallest_p.p", "p"), "; ", self.num("biomarkers.n_tests", "int"),
                    " tests, not adjusted for multiple comparisons)."]
        out = [" Of ", self.num("biomarkers.n_tests", "int"), " biomarker and mutation tests (not adjusted for "
               "multiple comparisons), ", self.num("biomarkers.n_p_below_alpha", "int"), " had P < 0.05: "]
        first = True
        for i in dict.fromkeys(i for i, _ in hits):
            m = markers[i]
            out += ["" if first else "; ", marker_label(m, True), " was associated "]
            for j, (_, k) in enumerate(h for h in hits if h[0] == i):
                out += [" and " if j else "", *self._marker_hit(i, m, k)]
            first = False
        return out + ["."]

    def adverse_events(self) -> list:
        aes = self.data.get("adverse_events") or []
        top = [(i, r) for i, r in enumerate(aes) if r["grade_3_4"] > 0][:3]
        if not top:
            return []
        out = [" The most frequent grade 3\u20134 adverse events (worst grade per patient) were "]
        for k, (i, r) in enumerate(top):
            sep = "" if k == 0 else (" and " if k == len(top) - 1 else ", ")
            term = r["term"][:1].lower() + r["term"][1:] if r["term"][1:2].islower() else r["term"]
            out += [sep, f"{term} (", self.num(f"adverse_events[{i}].grade_3_4", "int"), " of ",
                    self.num(f"adverse_events[{i}].N", "int"), " patients)"]
        return out + ["."]

    def results(self) -> list:
        parts = self.patients() + self.exposure() + self.response()
        for ep in ("PFS", "IPFS", "OS"):     # iPFS beside PFS when iRECIST was derived
            parts += self.endpoint(ep)
        parts += self.followup()
        if "DOR" in (self.data.get("survival") or {}):
            parts += self.endpoint("DOR")
        parts += self.cox("univariable") + self.cox("multivariable") + td.results_pieces(self)
        parts += self.biomarkers() + self.adverse_events() + tdz.results_pieces(self)
        return _merge(parts)


def _merge(parts: list) -> list:
    """Join neighbouring text pieces (a cleaner DOM and simpler tests)."""
    out: list = []
    for p in parts:
        if isinstance(p, str):
            if not p:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += p
                continue
        out.append(p)
    return out


def results_paragraph(ctx: ReportContext) -> list:
    """The abstract-style Results paragraph as pieces (text and traced numbers)."""
    return _Writer(ctx).results()


# --- Methods ----------------------------------------------------------------------------------------------

def _methods_design(w: _Writer) -> list:
    d = w.data
    tables = d["study"].get("tables", {})
    out = ["This retrospective case series analysed ", w.num("study.n_patients", "int"),
           f" patients ({d['study'].get('source') or 'study files'}: {', '.join(sorted(tables))}). "
           "Time zero was each patient's start date (start_date, e.g. the first treatment cycle). Times were "
           "counted in days as end date \u2212 start date + 1 (the ADaM convention) and reported in ",
           d["study"]["time_unit"]]
    out.append(" (1 month = 30.4375 days)." if d["study"]["time_unit"] == "months" else
               " (1 year = 365.25 days)." if d["study"]["time_unit"] == "years" else ".")
    return out


RECIST_TEXT = (
    "Responses were derived from the lesion measurements by RECIST 1.1: the sum of target-lesion diameters "
    "(short axis for lymph nodes, normal below 10 mm), partial response at a decrease of at least 30% from "
    "baseline, progression at an increase of at least 20% and 5 mm over the nadir or at a new lesion "
    "(boundaries inclusive; an equivocal new lesion is not progression until confirmed). The baseline scan "
    "was the last one on or before the start date and at most ")
OS_PFS_TEXT = (
    "Overall survival (OS) ran from the start date to death from any cause; patients alive were censored at "
    "the latest date known alive. Progression-free survival (PFS) ran to the earliest of the first scan "
    "showing progression, clinical progression (progression_date) and death; patients without an event were "
    "censored at their last adequate scan (overall response other than NE), or at the start date when they "
    "had none.")
KM_TEXT = (
    "Survival was estimated by the Kaplan-Meier method with Greenwood variances and log-transformed "
    "pointwise 95% confidence intervals; medians and their CIs follow R's print.survfit, and an unreached "
    "median or limit is reported as not reached (NR). Event-free rates are given at the planned landmark "
    "times with the number of patients still at risk. Median follow-up was estimated by the reverse "
    "Kaplan-Meier method (Schemper & Smith 1996).")
COX_TEXT = (
    " Hazard ratios (HR) were estimated by Cox proportional hazards regression with Efron's method for ties "
    "and Wald 95% CIs; patients with a missing covariate value were left out of that model (complete-case "
    "analysis, listed in the table). Proportional hazards were checked with scaled Schoenfeld residuals "
    "(R cox.zph, Kaplan-Meier time transform; P < 0.05 flagged).")
FIRTH_TEXT = (
    " Where a covariate separated the events (monotone likelihood, an infinite HR), Firth's penalised "
    "partial likelihood (Heinze & Schemper 2001; Breslow ties) gave a finite HR with profile-likelihood CI "
    "and penalised likelihood-ratio P.")
DEFAULT_COX_TEXT = (
    " With no covariates planned, every patient covariate with at least two values, at least three patients "
    "per category and at most half missing was tested in a univariable model")
DESCRIPTIVE_TEXT = (
    " Patient characteristics are median (range) or n (%), with missing values counted in their own row; "
    "adverse events are counted once per patient and term at the worst CTCAE grade. P values are two-sided, "
    "with no adjustment for multiple comparisons, and descriptive in a series of this size.")


def _methods_response(w: _Writer) -> list:
    tables = w.data["study"].get("tables", {})
    resp = w.data.get("plan", {}).get("response", {})
    if "lesions" in tables:
        out = [RECIST_TEXT, w.num("plan.baseline_window_days", "int"), " days before it."]
        if "assessments" in tables:
            out.append(" The investigators' recorded responses (assessments) were compared with the derived "
                       "ones (agreement and Cohen's kappa), not used.")
    elif "assessments" in tables:
        out = ["Time-point responses were taken as recorded by the investigators (no lesion measurements "
               "were available); best overall response was derived from them by the RECIST 1.1 rules."]
    else:
        return ["Tumour response could not be assessed: the study has no lesion or response data."]
    out += [" Best overall response used the scans up to the first progression and before any new "
            "anticancer therapy; stable disease counted only from day ",
            w.num("plan.response.sd_min_days", "int"), " after the start."]
    if resp.get("confirmation"):
        out += [" Complete and partial responses required confirmation by a later scan at least ",
                w.num("plan.response.confirmation_days", "int"), " days after the first, with at most ",
                w.num("plan.response.max_ne_between", "int"), " non-evaluable scan(s) between; the headline "
                "response rate and the duration of response use the confirmed best response."]
    else:
        out += [" The headline response rate uses the unconfirmed best response (as planned); the confirmed "
                "best response (confirmation at least ", w.num("plan.response.confirmation_days", "int"),
                " days later) is given in derived/best_response.csv."]
    days = w.ctx.clinical_benefit_days
    cbr = f"; clinical benefit, CR or PR or no progression for at least {days} days" if days else ""
    out += [" A patient without any post-baseline scan is 'not assessed' (MISSING); one whose scans never "
            "qualify is NE. The objective response rate (ORR) is CR + PR, the disease control rate CR + PR + "
            f"SD + non-CR/non-PD{cbr}; their 95% CIs are exact (Clopper-Pearson)."]
    return out


def _methods_endpoints(w: _Writer) -> list:
    pfs = w.data.get("plan", {}).get("pfs", {})
    out = [OS_PFS_TEXT]
    if pfs.get("censor_at_new_therapy"):
        out.append(" Patients who started a new anticancer therapy before any event were censored at the "
                   "last adequate scan before it.")
    else:
        out.append(" A new anticancer therapy did not censor PFS (as planned).")
    if pfs.get("missed_assessments"):
        out += [" An event more than ", w.num("plan.pfs.missed_assessments.max_missed", "int"), " \u00d7 ",
                w.num("plan.pfs.missed_assessments.interval_days", "int"),
                " days after the last adequate scan was censored at that scan."]
    surv = w.data.get("survival") or {}
    if "DOR" in surv:
        out.append(" Duration of response (DOR) ran from the first CR or PR to progression or death, in "
                   "responders, censored as PFS.")
    if "TTP" in surv:
        out.append(" Time to progression (TTP) was defined as PFS, with deaths without progression censored.")
    if "IPFS" in surv:
        out.append(" Responses were also assessed by iRECIST (Seymour et al., Lancet Oncol 2017): the first "
                   "RECIST 1.1 progression is unconfirmed (iUPD) and is confirmed (iCPD) by further growth at a "
                   "later assessment at least 4 weeks after it, or reset when the next assessment shows iSD, iPR "
                   "or iCR; iPFS counts the date of an iUPD that was confirmed or never reset, otherwise "
                   "censored as PFS.")
    return out


def _methods_statistics(w: _Writer) -> list:
    d = w.data
    fitted = [m for m in (d.get("cox") or []) if not m.get("skipped")]
    out = [KM_TEXT]
    if d.get("logrank"):
        out.append(" Kaplan-Meier curves of categorical covariates were compared by the log-rank test.")
    if fitted:
        out.append(COX_TEXT)
        if any(m.get("firth") for m in fitted):
            out.append(FIRTH_TEXT)
        if d.get("plan", {}).get("cox"):
            multi = any(m["model"] == "multivariable" for m in fitted)
            out.append(" Covariates were those planned in study.yaml, each in a univariable model"
                       + ("; the planned covariates were also fitted together in a multivariable model."
                          if multi else "."))
        else:
            out.append(DEFAULT_COX_TEXT + ("; those with a likelihood-ratio P < 0.10 entered a multivariable "
                                           "model." if d.get("plan", {}).get("multivariable") else "."))
    out += td.methods_pieces(w) + tdz.methods_pieces(w)
    b = d.get("biomarkers") or {}
    if b.get("markers"):
        genes = bool(b.get("genes_tested"))
        seq = (b.get("sequenced") or {}).get("column")
        out += [" Each biomarker (biomarkers.csv)"]
        if genes:
            out += [" and each gene mutated in at least ", w.num("biomarkers.min_mutation_carriers", "int"),
                    " patients (mutations.csv"
                    + ("; patients whose tumour was not sequenced were excluded" if seq else
                       "; every patient taken as sequenced") + ")"]
        out += [" was compared with response by Fisher's exact test (categorical markers) or the Wilcoxon "
                "rank-sum test (numeric markers), and with PFS and OS by the log-rank test or a univariable "
                "Cox model (HR per unit and per interquartile range); patients without a value were excluded "
                "from that marker's tests and counted. The ", w.num("biomarkers.n_tests", "int"),
                " tests were not adjusted for multiple comparisons (REMARK: univariable associations with the "
                "numbers of patients and events)."]
    out.append(DESCRIPTIVE_TEXT)
    return out


def _methods_software(w: _Writer) -> list:
    v = {k: w.ctx.versions.get(k, "") for k in ("oncoseries", "Python", "numpy", "scipy", "pandas",
                                                  "matplotlib")}
    return [f"Analyses were run with oncoseries {v['oncoseries']} (Python {v['Python']}; numpy {v['numpy']}, "
            f"scipy {v['scipy']}, pandas {v['pandas']}, matplotlib {v['matplotlib']}), whose survival "
            "statistics are tested against R's survival package (version 3.5-3) to a relative difference of "
            "1e-6."]


def methods_paragraphs(ctx: ReportContext) -> list[tuple[str, list]]:
    """The Methods section: (subheading, pieces) per paragraph."""
    w = _Writer(ctx)
    return [(title, _merge(make(w))) for title, make in (
        ("Patients and data", _methods_design), ("Response assessment", _methods_response),
        ("Endpoints", _methods_endpoints), ("Statistical analysis", _methods_statistics),
        ("Software", _methods_software))]
