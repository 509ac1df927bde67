"""The written Results paragraph (abstract style) and the Methods paragraphs.

Each paragraph is a list of pieces: plain text, or a :class:`Num` that carries the results.json path it was
read from (``survival.PFS.median.value``) and how it was formatted. The HTML shows the path on hover;
the tests check that every path resolves to the value shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import numbers as nb
from . import historical
from . import words
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
    if kind.startswith("hr") and kind[2:].isdigit():   # hr2: an HR or CI limit with the HR's decimals
        return nb.format_hr(value, decimals=int(kind[2:]))
    if kind == "words":                                  # a count opening a sentence: "Fifty-one"
        return words.number_words(value, capital=True)
    if kind in ("month", "date"):
        return words.format_date(value, kind)
    if kind == "count":                                  # the number of items of a list (centres)
        return str(len(value))
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
        if kind == "hr":   # an HR and its CI limits print with the same decimals, set by the HR
            kind = f"hr{nb.hr_decimals(self._sibling_hr(path))}"
        return Num(format_value(self.ctx, kind, value), path, value, kind)

    def _sibling_hr(self, path: str):
        """The HR a CI limit belongs to (``x.lower`` -> ``x.hr``, ``x.upper_iqr`` -> ``x.hr_iqr``)."""
        base, _, leaf = path.rpartition(".")
        try:
            return resolve(self.data, f"{base}.{'hr_iqr' if leaf.endswith('_iqr') else 'hr'}")
        except (KeyError, IndexError, TypeError):
            return resolve(self.data, path)

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
        out += ["objective response rate (ORR), by the ", col, " best overall response as planned, was ",
                self.num(f"{orr}.proportion", pk), " (", self.num(f"{base}[{idx['CR']}].n", "int"), " CR + ",
                self.num(f"{base}[{idx['PR']}].n", "int"), " PR; ", *self.ci(orr, bk, "%"), ")"]
        out += self._other_orr(resp, col, pk, bk)
        out += ["; the disease control rate was ", self.num(f"{dcr}.proportion", pk), " (",
                *self.ci(dcr, bk, "%"), ")"]
        out += self._cbr(resp, col, idx, base, pk, bk) + ["."]
        ir = resp.get("irecist")
        if ir and ir.get("n"):
            j = {r["category"]: i for i, r in enumerate(ir["ibor"])}
            iorr, idcr = f"response.irecist.ibor[{j['ORR']}]", f"response.irecist.ibor[{j['DCR']}]"
            out += [" By iRECIST, the objective response rate was ", self.num(f"{iorr}.proportion", pk), " (",
                    *self.ci(iorr, bk, "%"), ") and the disease control rate ", self.num(f"{idcr}.proportion", pk),
                    " (", *self.ci(idcr, bk, "%"), "); ", self.num(f"response.irecist.ibor[{j['iUPD']}].n", "int"),
                    " patient(s) had unconfirmed progression (iUPD) as best response."]
        return out

    def _other_orr(self, resp: dict, col: str, pk: str, bk: str) -> list:
        """``, and 4% (95% CI ...) with confirmation`` (the other best overall response), when known."""
        other = "unconfirmed" if col == "confirmed" else "confirmed"
        rows = resp.get(other) or []
        j = next((i for i, r in enumerate(rows) if r["category"] == "ORR"), None)
        if j is None:
            return []
        path = f"response.{other}[{j}]"
        how = "with confirmation" if other == "confirmed" else "without confirmation"
        return [" and ", self.num(f"{path}.proportion", pk), " (", *self.ci(path, bk, "%"), f") {how}"]

    def _cbr(self, resp: dict, col: str, idx: dict, base: str, pk: str, bk: str) -> list:
        """The clinical benefit rate with its definition (by the PFS rule), when it differs from the DCR."""
        cb = resp.get("clinical_benefit")
        if not cb or "CBR" not in idx:
            return []
        row = resp[col][idx["CBR"]]
        if row["n"] == resp[col][idx["DCR"]]["n"]:
            return []
        span = f"{nb.format_num(cb['weeks'])} weeks" if cb["days"] % 7 == 0 else f"{cb['days']} days"
        path = f"{base}[{idx['CBR']}]"
        return [f"; the clinical benefit rate (CR or PR, or no progression or death for at least {span}) was ",
                self.num(f"{path}.proportion", pk), " (", *self.ci(path, bk, "%"), ")"]

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
        """Per endpoint (report/cox_text.py): planned terms always, screened ones with P < 0.05."""
        from .cox_text import cox_pieces
        return cox_pieces(self, kind)

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
                    " tests" + (", not adjusted for multiple comparisons)." if b.get("adjustment", "none") == "none"
                                else "; unadjusted P).")]
        out = [" Of ", self.num("biomarkers.n_tests", "int"), " biomarker and mutation tests (not adjusted for "
               "multiple comparisons), " if b.get("adjustment", "none") == "none" else " biomarker and mutation "
               "tests (unadjusted P), ", self.num("biomarkers.n_p_below_alpha", "int"), " had P < 0.05: "]
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
        from .table1_by import results_pieces as table1_by_pieces
        parts = self.patients() + table1_by_pieces(self) + self.exposure() + self.response()
        for ep in ("PFS", "IPFS", "OS"):     # iPFS beside PFS when iRECIST was derived
            parts += self.endpoint(ep)
        parts += self.followup()
        if "DOR" in (self.data.get("survival") or {}):
            parts += self.endpoint("DOR")
        parts += self.cox("univariable") + self.cox("multivariable") + td.results_pieces(self)
        parts += historical.results_pieces(self)
        from . import narrative_extra as nx   # issue 14: multiplicity, dose, toxicity
        parts += self.biomarkers() + nx.adjustment_results(self) + nx.dosing_results(self) + self.adverse_events()
        parts += nx.toxicity_results(self) + tdz.results_pieces(self)
        return words.no_numeral_openings(_merge(parts), Num, format_value, self.ctx)


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


# --- Methods (report/methods.py) ------------------------------------------------------------------------

def methods_paragraphs(ctx: ReportContext) -> list[tuple[str, list]]:
    """The Methods section: (subheading, pieces) per paragraph (journal prose, report/methods.py)."""
    return methods_and_references(ctx)[0]


def methods_and_references(ctx: ReportContext) -> tuple[list[tuple[str, list]], list[str]]:
    """Methods paragraphs and the full references they cite."""
    from .methods import methods

    paragraphs, refs = methods(_Writer(ctx))
    return [(title, _merge(pieces)) for title, pieces in paragraphs], refs
