"""report.html: one self-contained file (inline CSS, figures as data: URIs, no scripts, no external requests).

Rendered with jinja2 (autoescaped) from the templates in ``report/templates/``; the same input gives the
same bytes (no timestamps; figure files are themselves byte-identical on rerun).
"""

from __future__ import annotations

import base64
import functools
import json
from importlib import resources
from pathlib import Path

import jinja2

from .document import ReportDocument
from .narrative import Num
from .words import keep_together as _nb


@functools.lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    """One environment per process: its templates are compiled once (~0.03-0.05 s each time otherwise)."""
    return jinja2.Environment(loader=jinja2.PackageLoader("oncoseries.report", "templates"),
                              autoescape=jinja2.select_autoescape(["html"]), trim_blocks=False,
                              lstrip_blocks=False, keep_trailing_newline=True,
                              undefined=jinja2.StrictUndefined)


def template() -> jinja2.Template:
    """The report template, compiled (once per process)."""
    return _env().get_template("report.html")


def _piece(p):
    if isinstance(p, Num):
        return {"text": _nb(p.text), "path": p.path, "kind": p.kind, "json": json.dumps(p.value)}
    return _nb(p) if isinstance(p, str) else p


def _data_uri(path: Path, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def _figure(f, number: int) -> dict:
    """An <img> from the SVG (sharp at any zoom), or the PNG when there is no SVG."""
    svg, png = getattr(f, "svg", None), getattr(f, "png", None)
    if svg is not None and Path(svg).exists():
        src = _data_uri(svg, "image/svg+xml")
    else:
        src = _data_uri(png, "image/png")
    return {"name": f.name, "title": f.title, "caption": _nb(f.caption), "src": src, "number": number,
            "width": None}


def render_html(doc: ReportDocument) -> str:
    """The report as one HTML string."""
    css = resources.files("oncoseries.report").joinpath("templates/report.css").read_text(encoding="utf-8")
    number, groups = 0, []
    for title, figs in doc.figure_groups():
        items = []
        for f in figs:
            number += 1
            items.append(_figure(f, number))
        groups.append({"title": title, "figures": items})
    tables_by = {s.id: [_table(t) for t in s.tables] for s in doc.sections}
    sections = [{"id": s.id, "title": s.title, "empty": s.empty, "text": s.text} for s in doc.sections]
    flow = None
    if doc.flow_chain:
        flow = {"chain": doc.flow_chain, "branches": doc.flow_branches}
    return template().render(
        title=doc.title, meta=doc.meta, synthetic=doc.synthetic, versions=doc.ctx.versions, css=css,
        sections=sections, tables_by=tables_by, flow=flow, figure_groups=groups,
        figures_note=doc.figures_note,
        results_text=[_piece(p) for p in doc.results_text],
        methods=[(h, [_piece(p) for p in pieces]) for h, pieces in doc.methods],
        references=getattr(doc, "references", []))


def _table(t) -> dict:
    return {"name": t.name, "number": t.number, "title": t.title, "columns": [_nb(c) for c in t.columns],
            "body": [([_nb(c) for c in row], style) for row, style in zip(t.rows, t.styles)],
            "notes": [_nb(n) for n in t.notes]}


def write_html(doc: ReportDocument, path: Path) -> Path:
    path = Path(path)
    path.write_text(render_html(doc), encoding="utf-8", newline="\n")
    return path
