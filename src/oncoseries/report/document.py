"""The report as one model (sections, numbered tables, figures, text) that the HTML and DOCX writers render.

Section order (issue 6; Methods first since issue 11): Methods, Results paragraph, patient flow, Table 1, exposure, response, survival, Cox models,
biomarkers and mutations, adverse events, figures, data problems. A section with nothing to show says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import historical
from .context import ReportContext
from .narrative import methods_and_references, results_paragraph
from .tables import ReportTable, build_tables

#: (id, heading, what to say when the section has no table)
SECTIONS = [
    ("methods", "Methods", None),        # Methods before Results, as in a manuscript
    ("summary", "Results", None),
    ("flow", "Patient flow", "No patient flow was recorded."),
    ("table1", "Patient characteristics", "The study has no patient covariates."),
    ("exposure", "Treatment exposure", "No treatment data ({treatments})."),
    ("response", "Response (RECIST 1.1)", "No patient was evaluable for response."),
    ("survival", "Survival", "No time-to-event endpoint could be derived."),
    ("cox", "Prognostic factors (Cox regression)",
     "No Cox model was fitted (no covariates planned or usable)."),
    ("historical", "Comparison with published results", None),   # only with study.yaml historical_controls
    ("biomarkers", "Biomarkers and mutations",
     "No biomarker or mutation data ({biomarkers or mutations})."),
    ("adverse_events", "Adverse events", "No adverse-event data ({adverse events})."),
    ("design", "Designing a trial with this regimen as control", None),   # study.yaml design: only
    ("figures", "Figures", None),
    ("problems", "Data problems", "No data problems were found."),
]
FIGURE_GROUPS = {"survival": "Survival", "response": "Response", "regression": "Prognostic factors",
                 "cox": "Prognostic factors", "exposure": "Treatment", "adverse_events": "Adverse events",
                 "historical": "Comparison with published results",
                 "design": "Trial design"}
UPSTREAM_REASONS = {"not treated"}


def not_given(source: str, tables: str) -> str:
    """Why a section is empty, in the terms of what the user gave (``results.study.source``): a
    workbook has sheets, a folder has files, REDCap and CDISC exports have records."""
    if "workbook" in source:
        return f"the workbook has no {tables} sheet"
    if "folder" in source:
        return f"the study folder has no {tables} file"
    if "REDCap" in source:
        return f"the REDCap export has no {tables} records"
    if "CDISC" in source:
        return f"the CDISC data have no {tables} records"
    return f"no {tables} table was given"


class _NotGiven(dict):
    """``{treatments}`` in an empty-section message -> ``not_given(source, "treatments")``."""

    def __init__(self, source: str):
        super().__init__()
        self.source = source

    def __missing__(self, key: str) -> str:
        return not_given(self.source, key)


@dataclass
class Section:
    id: str
    title: str
    tables: list[ReportTable] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)    # paragraphs shown under the heading


@dataclass
class FlowBox:
    label: str
    n: int
    reasons: list[tuple[str, int]] = field(default_factory=list)
    children: list["FlowBox"] = field(default_factory=list)
    came_excluded: int = 0
    came_reasons: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class ReportDocument:
    ctx: ReportContext
    title: str
    meta: str
    synthetic: bool
    results_text: list
    methods: list
    sections: list[Section]
    tables: list[ReportTable]
    figures: list = field(default_factory=list)
    figures_note: str | None = None
    flow_chain: list[FlowBox] = field(default_factory=list)
    flow_branches: list[FlowBox] = field(default_factory=list)
    references: list[str] = field(default_factory=list)   # cited in Methods

    def figure_groups(self) -> list[tuple[str, list]]:
        """Figures grouped by their ``section``, groups in first-seen order."""
        groups: dict[str, list] = {}
        for f in self.figures:
            groups.setdefault(FIGURE_GROUPS.get(f.section, str(f.section).replace("_", " ").capitalize()),
                              []).append(f)
        return list(groups.items())


def _flow(ctx: ReportContext) -> tuple[list[FlowBox], list[FlowBox]]:
    """Main chain (entered -> treated) with exclusions beside it, then one branch per analysis population."""
    rows = {r["population"]: r for r in ctx.data.get("patient_flow", [])}
    chain = []
    for pop in ("records", "entered", "all_treated"):
        if pop in rows:
            r = rows[pop]
            came = rows["records"] if pop == "entered" and "records" in rows else r  # left out at intake
            chain.append(FlowBox(r["label"], r["included"], came_excluded=came["excluded"] if chain else 0,
                                 came_reasons=list(came["reasons"].items()) if chain else []))
    branches, children = [], {}
    order = [p for p in ("response_disease", "response_evaluable") if p in rows]
    order += [p for p in rows if p not in order]
    for pop in order:
        r = rows[pop]
        if pop in ("records", "entered", "all_treated"):
            continue
        reasons = [(k, v) for k, v in r["reasons"].items() if k not in UPSTREAM_REASONS]
        parent = {"DOR": "response_evaluable", "response_evaluable": "response_disease"}.get(pop)
        if pop == "DOR" and parent not in children:
            parent = "response_disease"
        if parent in children:
            # a chain in one branch: disease at baseline -> response population -> responders
            above = set(rows[parent]["reasons"])
            reasons = [(k, v) for k, v in reasons if k not in above]
            top = children.get("response_disease", children[parent])
            box = FlowBox(r["label"], r["included"], reasons)
            top.children.append(box)
            children[pop] = box
            continue
        box = FlowBox(r["label"], r["included"], reasons)
        children[pop] = box
        branches.append(box)
    return chain, branches


def _meta(ctx: ReportContext) -> str:
    s = ctx.data["study"]
    parts = [f"{s['n_patients']} patients", s.get("source") or "", f"times in {s['time_unit']}",
             f"oncoseries {ctx.data['software']['version']}"]
    return " \u00b7 ".join(p for p in parts if p)


def build_document(results, figures=None, figures_note: str | None = None, data: str | dict | None = None) -> ReportDocument:
    """Everything the report shows, from ``results`` and the figures ``make_figures`` returned."""
    ctx = ReportContext.from_results(results, data)
    tables = build_tables(ctx)
    for i, t in enumerate(tables, 1):
        t.number = i
    sections = []
    from .trial_design import section_text
    for sid, title, empty in SECTIONS:
        mine = [t for t in tables if t.section == sid]
        if sid == "historical" and not ctx.data.get("historical_controls"):
            continue
        if sid == "design" and not ctx.data.get("design"):
            continue
        text = historical.caveat(ctx) if sid == "historical" else section_text(ctx) if sid == "design" else []
        sec = Section(sid, title, mine, text=text)
        if not mine and empty:
            source = ctx.data["study"].get("source") or ""
            sec.empty.append(empty.format_map(_NotGiven(source)))
        sections.append(sec)
    chain, branches = _flow(ctx)
    methods, references = methods_and_references(ctx)
    return ReportDocument(ctx=ctx, title=ctx.title, meta=_meta(ctx), synthetic=ctx.synthetic,
                          results_text=results_paragraph(ctx), methods=methods, references=references,
                          sections=sections, tables=tables, figures=list(figures or []),
                          figures_note=figures_note, flow_chain=chain, flow_branches=branches)
