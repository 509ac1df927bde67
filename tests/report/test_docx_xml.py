"""report/docx.py writes each table's XML as text: it must be, element for element and attribute for
attribute, the table python-docx's API makes (the reference below is the former implementation, cell by
cell through python-docx), for the bundled study's 21 tables and for the cases the study does not have
(tabs and line breaks, leading spaces, XML special characters, a shaded total row that is also the last
row, a long table, a table without rows). The style-id memo and the width table change nothing either."""

from __future__ import annotations

import re

import pytest
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm
from lxml import etree

from oncoseries.report import docx as D
from oncoseries.report.docx_captions import keep_first_rows
from oncoseries.report.tables import ReportTable


def _border(cell, edge, size):
    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        shd = tc_pr.find(qn("w:shd"))
        if shd is not None:
            shd.addprevious(borders)
        else:
            tc_pr.append(borders)
    el = OxmlElement(f"w:{edge}")
    for k, v in (("val", "single"), ("sz", str(size)), ("space", "0"), ("color", "000000")):
        el.set(qn(f"w:{k}"), v)
    borders.append(el)


def _shade(cell, fill):
    shd = OxmlElement("w:shd")
    for k, v in (("val", "clear"), ("color", "auto"), ("fill", fill)):
        shd.set(qn(f"w:{k}"), v)
    cell._tc.get_or_add_tcPr().append(shd)


def _row_flag(row, flag):
    el = OxmlElement(f"w:{flag}")
    el.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(el)


def _reference_xml(t, widths, size, keep) -> bytes:
    """The table as python-docx's API builds it (the implementation before the XML text)."""
    document = Document()
    table = document.add_table(rows=1 + len(t.rows), cols=len(t.columns))
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    rows = list(table.rows)
    cells = [r.cells for r in rows]
    for j, col in enumerate(t.columns):
        D._cell_text(cells[0][j], D._hyphenate(col), bold=True, size=size, keep=True)
        _border(cells[0][j], "top", 12)
        _border(cells[0][j], "bottom", 6)
    _row_flag(rows[0], "cantSplit")
    _row_flag(rows[0], "tblHeader")
    for i, (row, style) in enumerate(zip(t.rows, t.styles), 1):
        _row_flag(rows[i], "cantSplit")
        for j, text in enumerate(row):
            cell = cells[i][j]
            D._cell_text(cell, D._hyphenate(text), bold=style in ("group", "total"), size=size,
                         indent=style == "indent" and j == 0, keep=keep and (i < len(t.rows) or bool(t.notes)))
            if style == "total":
                _shade(cell, "EEF3F8")
            if i == len(t.rows):
                _border(cell, "bottom", 12)
    for j, col in enumerate(table.columns):
        col.width = Cm(widths[j])
    for row_cells in cells:
        for j, cell in enumerate(row_cells):
            cell.width = Cm(widths[j])
    tbl_pr = table._tbl.tblPr
    layout = tbl_pr.find(qn("w:tblLayout"))
    if layout is None:
        layout = OxmlElement("w:tblLayout")
        layout.set(qn("w:type"), "fixed")
        tbl_pr.append(layout)
    tbl_w = tbl_pr.find(qn("w:tblW"))
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(int(round(sum(widths) / 2.54 * 1440))))
    if not keep:
        keep_first_rows(table)
    return _no_ns(etree.tostring(table._tbl))


def _ours(t, widths, size, keep) -> bytes:
    return _no_ns(etree.tostring(parse_xml(D.table_xml(t, widths, size, keep))))


def _no_ns(xml: bytes) -> bytes:
    """Without the namespace declarations (a table inside a document inherits its root's)."""
    out = re.sub(rb' xmlns:\w+="[^"]*"', b"", xml)
    assert b"<w:tc>" in out or b"<w:tr>" in out
    return out


def _table(rows, styles=None, notes=(), columns=("Characteristic", "n (%)", "P")):
    t = ReportTable("t", "T", "s", list(columns), notes=list(notes))
    for r, s in zip(rows, styles or [""] * len(rows)):
        t.add(r, s)
    return t


CASES = {
    "specials": _table([["a & b < c > d", "  lead", "trail "], ["tab\there", "line\nbreak", "cr\rx"]],
                       ["group", "indent"]),
    "total last": _table([["Univariable", "1 (2%)", "0.04"], ["Total", "3 (6%)", ""]], ["", "total"]),
    "total last, notes": _table([["x", "1", "2"], ["Total", "3", "4"]], ["indent", "total"], notes=["n."]),
    "long": _table([[f"row {i}", f"{i} ({i}%)", "<0.001"] for i in range(40)]),
    "long, 2 rows kept": _table([[f"r{i}", "1", "2"] for i in range(2)]),
    "no rows": _table([]),
    "wide": _table([[str(k) * 9 for k in range(8)]], columns=[f"Column {k}" for k in range(8)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_table_xml_is_python_docx_s(name):
    t = CASES[name]
    for keep in (True, False):
        size = 8 if len(t.columns) >= 7 else 9
        widths = D._widths(t, size)
        assert _ours(t, widths, size, keep) == _reference_xml(t, widths, size, keep)


@pytest.fixture(scope="module")
def example_document():
    from oncoseries.analysis import analyze
    from oncoseries.examples import example_study_path
    from oncoseries.report.document import build_document
    from oncoseries.study import read_study

    return build_document(analyze(read_study(example_study_path("hdifo"))), [], "no figures")


def test_bundled_study_tables_equal_the_reference(example_document):
    doc = example_document
    assert len(doc.tables) >= 15
    for t in doc.tables:
        keep = len(t.rows) <= D.KEEP_ROWS
        size = 8 if len(t.columns) >= 7 else 8.5 if len(t.columns) >= 5 else 9
        widths = D._widths(t, size)
        assert _ours(t, widths, size, keep) == _reference_xml(t, widths, size, keep), t.name


def test_text_width_is_the_per_character_loop():
    for text in ("HR 0.52 (0.31-0.88)", "Characte\u00adristic", "\u2013 n (%) [x]", "", "Ünïcode 42 ≥ 3"):
        em = 0.0
        for ch in text:
            em += D._char_em(ch)
        assert D._text_cm(text, 9) == em * 9 / 72 * 2.54 * D.SAFETY
    assert D._text_cm("10", 9) == pytest.approx(2 * 0.55 * 9 / 72 * 2.54 * 1.2)


def test_style_id_memo_gives_python_docx_s_ids():
    document = Document()
    plain = {name: document.part.get_style_id(name, WD_STYLE_TYPE.PARAGRAPH)
             for name in ("Caption", "Heading 1", "Title", "Normal")}
    D._memo_style_ids(document)
    for _ in range(2):
        assert {n: document.part.get_style_id(n, WD_STYLE_TYPE.PARAGRAPH) for n in plain} == plain
    assert plain["Caption"] == "Caption" and plain["Normal"] is None   # the default style: no id written


def _png(path, width, height):
    """A tiny valid PNG of ``width`` x ``height`` pixels (grey), for python-docx's image header reader."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


def test_figures_are_python_docx_s_add_picture(tmp_path):
    """_figures numbers the pictures' drawing ids itself (python-docx searches the whole document for
    the largest id at every picture): the document XML is the one ``add_picture`` makes, ids and all,
    with a picture already in the document before the figures."""
    from types import SimpleNamespace

    pngs = [_png(tmp_path / f"f{k}.png", 30 + 7 * k, 20 + 3 * k) for k in range(4)]
    figs = [SimpleNamespace(png=p, title=f"Figure title {k}", caption=f"Legend {k}.") for k, p in enumerate(pngs)]
    doc = SimpleNamespace(figure_groups=lambda: [("Group A", figs[:3]), ("Group B", figs[3:])], figures_note=None)

    def reference(document):     # the former code: add_picture, then the last paragraph kept with the caption
        number = 0
        for title, group in doc.figure_groups():
            D._heading(document, title, 2)
            for f in group:
                number += 1
                w_px, h_px = D._png_size(f.png)
                w = min(D.FIG_MAX_W, w_px / 300 * 2.54)
                h = w * h_px / w_px
                if h > D.FIG_MAX_H:
                    w, h = w * D.FIG_MAX_H / h, D.FIG_MAX_H
                document.add_picture(str(f.png), width=Cm(w))
                document.paragraphs[-1].paragraph_format.keep_with_next = True
                D.caption(document, "Figure", number, D._nb(f.title), D._nb(f.caption), keep_with_next=False)

    xml = []
    for build in (reference, lambda document: D._figures(document, doc)):
        document = Document()
        document.add_picture(str(pngs[0]))          # an id before the figures: they count on from it
        build(document)
        xml.append(etree.tostring(document.element))
    assert xml[0] == xml[1]
    ids = re.findall(rb'<wp:docPr id="(\d+)"', xml[1])
    assert ids == [b"1", b"2", b"3", b"4", b"5"]


def test_package_stores_pictures_and_deflates_xml(tmp_path):
    """report.docx's zip: each picture stored as its PNG's bytes (PNG is deflated already), each XML part
    deflated, every member with the fixed time stamp; two figures with the same bytes share one picture part
    (python-docx's rule, kept by _image's hashes)."""
    import zipfile
    from types import SimpleNamespace

    pngs = [_png(tmp_path / f"f{k}.png", 40 + 5 * k, 30) for k in range(3)]
    same = tmp_path / "same.png"
    same.write_bytes(pngs[1].read_bytes())
    figs = [SimpleNamespace(png=p, title="T", caption="C") for p in [*pngs, same]]
    doc = SimpleNamespace(figure_groups=lambda: [("Group", figs)], figures_note=None)
    document = Document()
    D._figures(document, doc)
    D._save(document, tmp_path / "r.docx")
    with zipfile.ZipFile(tmp_path / "r.docx") as z:
        infos = z.infolist()
        media = [i for i in infos if i.filename.startswith("word/media/")]
        assert [z.read(i) for i in media] == [p.read_bytes() for p in pngs]
        assert {i.compress_type for i in media} == {zipfile.ZIP_STORED}
        xml = [i for i in infos if i.filename.endswith(".xml") or i.filename.endswith(".rels")]
        assert xml and {i.compress_type for i in xml} == {zipfile.ZIP_DEFLATED}
        assert {i.date_time for i in infos} == {D.ZIP_TIME}
        body = z.read("word/document.xml").decode()
    embeds = re.findall(r'r:embed="(rId\d+)"', body)
    assert len(embeds) == 4 and embeds[1] == embeds[3] and len(set(embeds)) == 3


@pytest.mark.parametrize("text", ["Overall survival was estimated. " * 5, " leading and trailing ", "a\tb", "line\nbreak",
                                  "cr\rhere", "", "x", "<&> \u00a0no-break\u00a0space"])
def test_paragraph_is_python_docx_s_add_paragraph(text):
    """_paragraph/_add_run write a text without tabs or line breaks as one w:t directly: the same XML as
    python-docx's add_paragraph(text) and add_run(text)."""
    a, b = Document(), Document()
    a.add_paragraph(text)
    a.add_paragraph().add_run(text)
    D._paragraph(b, text)
    D._add_run(b.add_paragraph(), text)
    assert [etree.tostring(e) for e in a.element.body] == [etree.tostring(e) for e in b.element.body]
