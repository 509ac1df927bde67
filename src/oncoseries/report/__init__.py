"""oncoseries.report: the publication-ready report (HTML, DOCX, CSV tables, figures), read from Results.

``write_report(results, out_dir)`` writes ``report.html``, ``report.docx``, ``tables/<name>.csv`` (every table
of the report, as shown) and ``figures/*.png|svg``. See docs/report.md.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from ..timings import lap

__all__ = ["write_report", "build_report_document"]


def build_report_document(results, figures=None, figures_note=None):
    """The report model (sections, tables, text) without writing anything."""
    from .document import build_document

    return build_document(results, figures, figures_note)


def write_report(results, out_dir, figures: bool = True, data: str | dict | None = None) -> list[Path]:
    """Write the report files for ``results`` into ``out_dir``; returns the paths written.

    Parameters
    ----------
    results : oncoseries.analysis.Results
        What ``oncoseries.analyze`` returned.
    out_dir : path
        Output folder (created if needed).
    figures : bool
        False: no figures are drawn (the report says so); the tables and text are unchanged.
    data : str, optional
        ``results.to_dict()`` (or its JSON text) when the caller has it already (results.json), so a registry's
        results are not converted twice.

    Returns
    -------
    list of Path
        report.html, report.docx, the table CSVs and the figure files.
    """
    from .figures import make_figures, report_figure_options

    out = Path(out_dir)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    note = None
    draw = figures
    early: dict = {}
    if draw:
        from . import worker

        w = worker.current()
        if w is not None:   # the document and the table files need no figure: done while the drawers draw
            w.meanwhile(lambda: early.update(_document_and_tables(results, out, data)))
    try:
        figures = make_figures(results, out / "figures", **report_figure_options(results)) if draw else []
        if not draw:
            note = "Figures were not drawn for this run (--no-figures)."
    except Exception as exc:  # a figure must never cost the user the whole report
        warnings.warn(f"figures could not be drawn: {exc}", RuntimeWarning, stacklevel=2)
        figures, note = [], f"The figures could not be drawn ({type(exc).__name__}: {exc})."
    lap("figures")
    from .docx import write_docx   # imported after the figures are handed out (report/worker.py: meanwhile)
    from .document import build_document
    from .html import write_html

    if "doc" in early:
        doc, written = early["doc"], early["tables"]
        doc.figures, doc.figures_note = list(figures), note
    else:
        doc, written = build_document(results, figures, note, data=data), None
    from ..analysis.beside import beside

    # under `oncoseries analyze` a forked child writes report.docx (~0.15 s for the bundled study) while this
    # process writes the tables and report.html; elsewhere (and if it fails) it is written here, on result()
    docx = beside(write_docx, doc, out / "report.docx", results)
    if written is None:
        written = _write_tables(doc, out)
    lap("report tables")
    written.append(write_html(doc, out / "report.html"))
    lap("HTML")
    written.append(docx.result())
    lap("DOCX")
    for f in figures:
        written += [Path(p) for p in (f.png, f.svg, *f.extra) if p is not None]
    return written


def _write_tables(doc, out: Path) -> list[Path]:
    """``tables/<name>.csv``: every table of the report, as shown."""
    written = []
    for t in doc.tables:
        path = out / "tables" / f"{t.name}.csv"
        t.frame().to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        written.append(path)
    return written


def _document_and_tables(results, out: Path, data) -> dict:
    """The report model without its figures (they are set once drawn) and the table files written: what the
    figure worker's command does while the drawers draw (report/worker.FigureWorker.meanwhile)."""
    from .document import build_document

    doc = build_document(results, None, None, data=data)
    return {"doc": doc, "tables": _write_tables(doc, out)}
