"""report.docx: the same report as Word tables, embedded figures and Heading 1/2 styles (Word's navigation pane).

Tables are three-line (journal) tables with a repeating header row. The file is made byte-identical on rerun:
the core properties carry a fixed date (the latest analysis date in the data, ``adt`` in derived/adtte.csv)
and the zip members are rewritten with a fixed timestamp (python-docx stamps them with the current time).
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from .document import ReportDocument
from .narrative import plain

PAGE_W, PAGE_H, MARGIN = 21.0, 29.7, 2.0           # A4, cm
TEXT_W = PAGE_W - 2 * MARGIN
FIG_MAX_W, FIG_MAX_H = 15.0, 19.0                  # cm
CHAR_CM = 0.17                                     # about one character at 9 pt
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
GREY = RGBColor(0x5F, 0x63, 0x68)
ORANGE = RGBColor(0x9A, 0x5B, 0x00)


def _border(cell, edge: str, size: int) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    el = OxmlElement(f"w:{edge}")
    el.set(qn("w:val"), "single")
    el.set(qn("w:sz"), str(size))
    el.set(qn("w:space"), "0")
    el.set(qn("w:color"), "000000")
    borders.append(el)


def _shade(cell, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _widths(t) -> list[float]:
    """Column widths (cm) from the longest word and the typical cell length, scaled to the text width."""
    want = []
    for j, col in enumerate(t.columns):
        cells = [r[j] for r in t.rows] + [col]
        longest_word = max((len(w) for c in cells for w in c.split()), default=4)
        typical = max(len(c) for c in cells)
        want.append(max(longest_word, min(typical, 48 if j == 0 else 30)) + 2)
    total = sum(want) * CHAR_CM
    scale = min(1.0, TEXT_W / total)
    return [w * CHAR_CM * scale for w in want]


def _cell_text(cell, text: str, bold: bool = False, size: float = 9, indent: bool = False) -> None:
    p = cell.paragraphs[0]
    p.paragraph_format.space_before = Pt(1)
    p.paragraph_format.space_after = Pt(1)
    if indent:
        p.paragraph_format.left_indent = Cm(0.4)
    run = p.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold


def _table(document, t) -> None:
    cap = document.add_heading(f"Table {t.number}. {t.title}", level=2)
    cap.paragraph_format.keep_with_next = True
    size = 8.5 if len(t.columns) >= 6 else 9
    table = document.add_table(rows=1 + len(t.rows), cols=len(t.columns))
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    widths = _widths(t)
    for j, col in enumerate(t.columns):
        cell = table.rows[0].cells[j]
        _cell_text(cell, col, bold=True, size=size)
        _border(cell, "top", 12)
        _border(cell, "bottom", 6)
    _repeat_header(table.rows[0])
    for i, (row, style) in enumerate(zip(t.rows, t.styles), 1):
        for j, text in enumerate(row):
            cell = table.rows[i].cells[j]
            _cell_text(cell, text, bold=style in ("group", "total"), size=size, indent=style == "indent" and j == 0)
            if style == "total":
                _shade(cell, "EEF3F8")
            if i == len(t.rows):
                _border(cell, "bottom", 12)
    for row in table.rows:
        for j, cell in enumerate(row.cells):
            cell.width = Cm(widths[j])
    for note in t.notes:
        p = document.add_paragraph()
        p.paragraph_format.space_after = Pt(1)
        run = p.add_run(note)
        run.font.size = Pt(8)
        run.font.color.rgb = GREY
    document.add_paragraph().paragraph_format.space_after = Pt(4)


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height in pixels from the PNG header."""
    with open(path, "rb") as fh:
        head = fh.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG file")
    return struct.unpack(">II", head[16:24])


def _figure(document, f, number: int) -> None:
    w_px, h_px = _png_size(f.png)
    w = min(FIG_MAX_W, w_px / 300 * 2.54)
    h = w * h_px / w_px
    if h > FIG_MAX_H:
        w, h = w * FIG_MAX_H / h, FIG_MAX_H
    document.add_picture(str(f.png), width=Cm(w))
    document.paragraphs[-1].paragraph_format.keep_with_next = True
    p = document.add_paragraph(style="Caption")
    p.add_run(f"Figure {number}. {f.title}. ").bold = True
    p.add_run(f.caption)


def _page_field(paragraph) -> None:
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


def _setup(document, doc: ReportDocument, stamp: dt.datetime) -> None:
    sec = document.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(PAGE_W), Cm(PAGE_H)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(MARGIN))
    normal = document.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    foot = sec.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    text = (("SYNTHETIC data \u2014 not patients \u00b7 " if doc.synthetic else "") + doc.title[:90]
            + " \u00b7 page ")
    run = foot.add_run(text)
    run.font.size = Pt(8)
    run.bold = doc.synthetic
    _page_field(foot)
    cp = document.core_properties
    cp.title = doc.title[:250]
    cp.author = cp.last_modified_by = "oncoseries"
    cp.comments = "Written by oncoseries; every number is in results.json."
    cp.created = cp.modified = stamp
    cp.last_printed = stamp
    cp.revision = 1


def _stamp(results) -> dt.datetime:
    """A fixed document date from the data: the latest analysis date (derived ADTTE ``adt``)."""
    adtte = getattr(results, "derived", {}).get("adtte")
    try:
        latest = adtte["adt"].max()
        return dt.datetime(latest.year, latest.month, latest.day)
    except (TypeError, KeyError, AttributeError, ValueError):
        return dt.datetime(2000, 1, 1)


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite the package with fixed member timestamps, same order, deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


def write_docx(doc: ReportDocument, path: Path, results=None) -> Path:
    """Write report.docx; ``results`` gives the fixed document date."""
    document = Document()
    _setup(document, doc, _stamp(results))
    if doc.synthetic:
        p = document.add_paragraph()
        run = p.add_run("SYNTHETIC data \u2014 not patients")
        run.bold = True
        run.font.size = Pt(13)
        run.font.color.rgb = ORANGE
    document.add_heading(doc.title, level=0)
    meta = document.add_paragraph()
    meta.add_run(doc.meta).font.color.rgb = GREY
    for sec in doc.sections:
        document.add_heading(sec.title, level=1)
        if sec.id == "summary":
            document.add_paragraph(plain(doc.results_text))
        elif sec.id == "figures":
            _figures(document, doc)
        elif sec.id == "methods":
            for heading, pieces in doc.methods:
                document.add_heading(heading, level=2)
                document.add_paragraph(plain(pieces))
        for t in sec.tables:
            _table(document, t)
        for line in sec.empty:
            document.add_paragraph(line).runs[0].italic = True
    buf = io.BytesIO()
    document.save(buf)
    path = Path(path)
    path.write_bytes(_normalise_zip(buf.getvalue()))
    return path


def _figures(document, doc: ReportDocument) -> None:
    number = 0
    groups = doc.figure_groups()
    if not groups:
        document.add_paragraph(doc.figures_note or "No figures.").runs[0].italic = True
    for title, figs in groups:
        document.add_heading(title, level=2)
        for f in figs:
            number += 1
            _figure(document, f, number)
