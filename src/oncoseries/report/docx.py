"""report.docx: the report as Word tables, embedded figures and Heading 1/2 styles (Word's navigation pane).

Tables are three-line (journal) tables with a repeating header row. The file is made byte-identical on rerun:
the core properties carry a fixed date (the latest analysis date in the data, ``adt`` in derived/adtte.csv)
and the zip members are rewritten with a fixed timestamp (python-docx stamps them with the current time).
"""

from __future__ import annotations

import datetime as dt
import re
import struct
import zipfile
from copy import deepcopy
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor

from .document import ReportDocument
from .docx_captions import KEEP_FIRST, caption
from .narrative import plain
from .words import keep_together as _nb

PAGE_W, PAGE_H, MARGIN = 21.0, 29.7, 2.0           # A4, cm
TEXT_W = PAGE_W - 2 * MARGIN
FIG_MAX_W, FIG_MAX_H = 15.0, 19.0                  # cm
PAD_CM = 0.45                                      # cell margins
MIN_CM = 1.5
NUMERIC = re.compile(r"^[<>]?[0-9.]")             # numbers, n (%), HR (CI): kept on one line
NO_WRAP = 18                                       # cells this short are never wrapped (10 (20%))
KEEP_ROWS = 24                                     # tables up to this many rows are kept on one page
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
GREY = RGBColor(0x5F, 0x63, 0x68)
ORANGE = RGBColor(0x9A, 0x5B, 0x00)
DARK = RGBColor(0x1D, 0x1D, 0x1F)
BLUE = RGBColor(0x1F, 0x4E, 0x79)


def _words(text: str) -> list[str]:
    """The pieces a line may not break inside (split at spaces, hyphens, slashes and soft hyphens)."""
    return [w for w in re.split(r"[\s\-/\u00ad]+", text) if w]


#: Long words that may break at a soft hyphen (so that a "P" column is not as wide as "Multivariable")
HYPHENS = {"Univariable": "Uni\u00advariable", "Multivariable": "Multi\u00advariable",
           "Characteristic": "Characte\u00adristic", "immunohistochemistry": "immuno\u00adhisto\u00adchemistry",
           "Immunohistochemistry": "Immuno\u00adhisto\u00adchemistry"}


def _hyphenate(text: str) -> str:
    """Table text (headers and cells) with soft hyphens in its long words (HYPHENS)."""
    return re.sub(r"[A-Za-z]+", lambda m: HYPHENS.get(m.group(0), m.group(0)), text)


#: Approximate advance widths in em by character class (Calibri digits are 0.507 em; 0.55 leaves room).
#: Margin for a substitute font (LibreOffice without Calibri or Carlito uses a wider sans-serif).
SAFETY = 1.2
_EM = {"digit": 0.55, "upper": 0.58, "lower": 0.47, "space": 0.226, "narrow": 0.27, "other": 0.5}


def _char_em(ch: str) -> float:
    """Advance width (em) of one character's class."""
    if ch.isdigit():
        return _EM["digit"]
    if ch.isupper():
        return _EM["upper"]
    if ch.islower():
        return _EM["lower"]
    if ch.isspace():
        return _EM["space"]
    if ch in ".,;:()[]|'!-\u2013/":
        return _EM["narrow"]
    return _EM["other"]


class _EmOf(dict):
    def __missing__(self, ch: str) -> float:
        self[ch] = w = _char_em(ch)
        return w


_EM_OF = _EmOf()


def _text_cm(text: str, size: float) -> float:
    """Printed width (cm) of ``text`` at ``size`` pt in Calibri, from per-class advance widths (summed
    from the left, as one loop would)."""
    return sum(map(_EM_OF.__getitem__, text), 0.0) * size / 72 * 2.54 * SAFETY


def _widths(t, size: float = 9) -> list[float]:
    """Column widths (cm) fitted to the content (text measured with Calibri's advance widths). Each column
    needs its longest word (a number or "n (%)" cell unbroken; a header word bold, 10% wider) and wants its
    longest cell unwrapped (at most 60 characters). When the wants exceed the text width, the room left
    after the needs goes to the columns by how much text they would wrap (the sum over their cells of the
    width beyond the need), never past a column's want: a column of long notes gets more room than a
    column with one long label."""
    need, want, volume = [], [], []
    for j, col in enumerate(t.columns):
        cells = [r[j] for r in t.rows]
        longest_word = max([_text_cm(w, size) for c in cells for w in _words(_hyphenate(c))]
                           + [_text_cm(w, size) * 1.15 for w in _words(_hyphenate(col))]
                           + [_text_cm(c, size) for c in cells if len(c) <= NO_WRAP and NUMERIC.match(c)],
                           default=1.0)
        longest = max([_text_cm(c[:60], size) for c in cells] + [_text_cm(col, size) * 1.15])
        need.append(max(MIN_CM, longest_word + PAD_CM))
        want.append(max(longest_word + PAD_CM, longest + PAD_CM, need[-1]))
        volume.append(sum(max(0.0, _text_cm(c, size) + PAD_CM - need[-1]) for c in cells))
    if sum(want) <= TEXT_W:
        return want
    if sum(need) >= TEXT_W:
        # numbers (HR (95% CI), n (%), P) keep their width; the text columns, which wrap between
        # words, share what is left
        numeric = [j for j, col in enumerate(t.columns)
                   if (filled := [r[j] for r in t.rows if r[j]]) and
                   sum(bool(NUMERIC.match(c)) for c in filled) >= 0.5 * len(filled)]
        fixed = sum(need[j] for j in numeric)
        text = sum(need) - fixed
        if numeric and text > 0 and fixed < TEXT_W:
            k = (TEXT_W - fixed) / text
            return [w if j in numeric else w * k for j, w in enumerate(need)]
        return [w * TEXT_W / sum(need) for w in need]
    widths, open_ = list(need), [j for j in range(len(need)) if want[j] > need[j]]
    spare = TEXT_W - sum(need)
    while spare > 1e-9 and open_:       # water-filling by text volume, capped at the wants
        weight = sum(volume[j] for j in open_) or len(open_)
        give = {j: spare * ((volume[j] if sum(volume[k] for k in open_) else 1.0) / weight) for j in open_}
        spare = 0.0
        for j, g in give.items():
            room = want[j] - widths[j]
            widths[j] += min(g, room)
            spare += max(0.0, g - room)
        open_ = [j for j in open_ if want[j] - widths[j] > 1e-9]
    return widths


def _add_run(paragraph, text: str):
    """``paragraph.add_run(text)``: the same run, its text in one ``w:t`` made directly when it holds no tab or
    line break (python-docx walks the text character by character for those: most of a long paragraph's time)."""
    if not text or "\t" in text or "\n" in text or "\r" in text:
        return paragraph.add_run(text)
    run = paragraph.add_run()
    run._r.add_t(text)          # what run.text = text makes of such a text (as _cell_text)
    return run


def _paragraph(document, text: str):
    """``document.add_paragraph(text)`` through :func:`_add_run`."""
    p = document.add_paragraph()
    if text:
        _add_run(p, text)
    return p


def _heading(document, text: str, level: int):
    h = document.add_heading(text, level=level)
    h.paragraph_format.keep_with_next = True
    return h


def _cell_format(bold: bool, size: float, indent: bool, keep: bool):
    """The paragraph and run properties (w:pPr, w:rPr) of a table cell, made once per combination by
    python-docx on a scratch paragraph; cells get copies (setting them through python-docx cell by cell
    was most of the DOCX time: every property walks the element's children)."""
    key = (bold, size, indent, keep)
    if key not in _CELL_FORMATS:
        from docx.text.paragraph import Paragraph

        p = Paragraph(OxmlElement("w:p"), None)
        p.paragraph_format.keep_with_next = keep
        p.paragraph_format.space_before = Pt(1)
        p.paragraph_format.space_after = Pt(1)
        if indent:
            p.paragraph_format.left_indent = Cm(0.4)
        run = p.add_run("")
        run.font.size = Pt(size)
        run.bold = bold
        _CELL_FORMATS[key] = (p._p.pPr, run._r.rPr)
    return _CELL_FORMATS[key]


_CELL_FORMATS: dict = {}


def _cell_text(cell, text: str, bold: bool = False, size: float = 9, indent: bool = False,
               keep: bool = False) -> None:
    """One run of ``text`` in the cell's (empty) paragraph: keep-with-next ``keep``, 1 pt before and
    after, indented 0.4 cm on request; ``size`` pt, bold on request."""
    ppr, rpr = _cell_format(bool(bold), float(size), bool(indent), bool(keep))
    p = cell._tc.p_lst[0]
    p.insert(0, deepcopy(ppr))
    r = p.add_r()
    text = _nb(text)
    if "\t" in text or "\n" in text or "\r" in text:
        r.text = text                  # tabs and line breaks become w:tab / w:br
    elif text:
        r.add_t(text)                  # what r.text makes of it, without its character-by-character walk
    r.insert(0, deepcopy(rpr))


def _table(document, t) -> None:
    caption(document, "Table", t.number, _nb(t.title))   # Caption style + SEQ field, kept with the table
    keep = len(t.rows) <= KEEP_ROWS
    size = 8 if len(t.columns) >= 7 else 8.5 if len(t.columns) >= 5 else 9
    widths = _widths(t, size)
    document._body._element._insert_tbl(parse_xml(table_xml(t, widths, size, keep)))
    for k, note in enumerate(t.notes):
        p = document.add_paragraph()
        p.paragraph_format.space_after = Pt(1)
        p.paragraph_format.keep_with_next = keep and k < len(t.notes) - 1
        run = _add_run(p, _nb(note))
        run.font.size = Pt(8)
        run.font.color.rgb = GREY
    document.add_paragraph().paragraph_format.space_after = Pt(4)


def table_xml(t, widths: list[float], size: float, keep: bool) -> str:
    """The ``w:tbl`` of a report table as XML text: a three-line table (rule above and below the header,
    below the last row; "total" rows shaded), fixed layout at ``widths`` (cm, in the grid and in every
    cell, for LibreOffice and Word), header row repeated on each page, no row split across pages, cell
    text as :func:`_cell_text` writes it. Long tables (``keep`` False) keep their header and first
    KEEP_FIRST rows together (docx_captions.keep_first_rows). The same elements, attribute for attribute,
    as python-docx's ``add_table`` and cell API make (tests/report/test_docx_xml.py), written as text
    and parsed once: python-docx walked every element's children for each property (most of the DOCX
    time)."""
    tw = [Cm(w).twips for w in widths]
    n = len(t.rows)
    first_kept = 0 if keep else min(n, 1 + KEEP_FIRST)     # body rows before first_kept: kept with the next
    out = [f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblW w:type="dxa" w:w="{int(round(sum(widths) / 2.54 * 1440))}"/>'
           '<w:jc w:val="left"/><w:tblLayout w:type="fixed"/><w:tblLook w:firstColumn="1" w:firstRow="1" '
           'w:lastColumn="0" w:lastRow="0" w:noHBand="0" w:noVBand="1" w:val="04A0"/></w:tblPr><w:tblGrid>']
    out += [f'<w:gridCol w:w="{w}"/>' for w in tw]
    out.append(f"</w:tblGrid><w:tr><w:trPr>{_CANT_SPLIT}{_HEADER}</w:trPr>")
    for j, col in enumerate(t.columns):
        out.append(_tc_xml(tw[j], _BORDER.format(_RULE.format("top", 12) + _RULE.format("bottom", 6)),
                           _hyphenate(col), True, size, False, True))
    out.append("</w:tr>")
    for i, (row, style) in enumerate(zip(t.rows, t.styles), 1):
        out.append(f"<w:tr><w:trPr>{_CANT_SPLIT}</w:trPr>")
        props = (_BORDER.format(_RULE.format("bottom", 12)) if i == n else "") + (_SHADE if style == "total" else "")
        kept = i < first_kept or (keep and (i < n or bool(t.notes)))
        for j, text in enumerate(row):
            out.append(_tc_xml(tw[j], props, _hyphenate(text), style in ("group", "total"), size,
                               style == "indent" and j == 0, kept))
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


_CANT_SPLIT = '<w:cantSplit w:val="true"/>'
_HEADER = '<w:tblHeader w:val="true"/>'
_RULE = '<w:{} w:val="single" w:sz="{}" w:space="0" w:color="000000"/>'
_BORDER = "<w:tcBorders>{}</w:tcBorders>"
_SHADE = '<w:shd w:val="clear" w:color="auto" w:fill="EEF3F8"/>'
_BAD_CHARS = re.compile(r"[\x00-\x1f]")


def _tc_xml(twips: int, props: str, text: str, bold: bool, size: float, indent: bool, keep: bool) -> str:
    """One ``w:tc``: width, borders/shading ``props``, and the paragraph :func:`_cell_text` writes."""
    ppr, rpr = _cell_format_xml(bool(bold), float(size), bool(indent), bool(keep))
    text = _nb(text)
    if _BAD_CHARS.search(text):   # tabs and line breaks (w:tab, w:br), or what XML cannot hold: python-docx's way
        tc = parse_xml(f"<w:tc {nsdecls('w')}><w:p/></w:tc>")
        _cell_text(_Cell(tc), text, bold, size, indent, keep)
        body = _xml_text(tc.p_lst[0])
    else:
        t = "" if not text else (f'<w:t xml:space="preserve">{_escape(text)}</w:t>'
                                 if len(text.strip()) < len(text) else f"<w:t>{_escape(text)}</w:t>")
        body = f"<w:p>{ppr}<w:r>{rpr}{t}</w:r></w:p>"
    return f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{twips}"/>{props}</w:tcPr>{body}</w:tc>'


class _Cell:
    """What :func:`_cell_text` reads of a python-docx cell."""

    def __init__(self, tc) -> None:
        self._tc = tc


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_text(el) -> str:
    """An element's XML without the namespace declarations its own serialisation repeats."""
    from lxml import etree

    return re.sub(r' xmlns:\w+="[^"]*"', "", etree.tostring(el, encoding="unicode"))


def _cell_format_xml(bold: bool, size: float, indent: bool, keep: bool) -> tuple[str, str]:
    key = (bold, size, indent, keep)
    if key not in _CELL_FORMAT_XML:
        ppr, rpr = _cell_format(*key)
        _CELL_FORMAT_XML[key] = (_xml_text(ppr), _xml_text(rpr))
    return _CELL_FORMAT_XML[key]


_CELL_FORMAT_XML: dict = {}


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height in pixels from the PNG header."""
    with open(path, "rb") as fh:
        head = fh.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG file")
    return struct.unpack(">II", head[16:24])


def _image(document, path: str, known: dict):
    """``document.part.get_or_add_image(path)`` with one SHA-1 per picture: python-docx looks for an equal
    picture already in the package by hashing every picture added so far again for each new one (190 hashes
    of 19 figures, ~0.04 s); ``known`` keeps each added picture's part by its hash. The same parts and
    relationships as python-docx's."""
    from docx.image.image import Image
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    part = document.part
    image = Image.from_file(path)
    image_part = known.get(image.sha1)
    if image_part is None:
        image_part = known[image.sha1] = part.package.image_parts._add_image_part(image)
    return part.relate_to(image_part, RT.IMAGE), image_part.image


def _figure(document, f, number: int, shape_id: int, known: dict) -> None:
    """The picture in its own paragraph (kept with its caption), then the caption. ``shape_id`` is the
    picture's drawing id: what python-docx's ``add_picture`` takes (``StoryPart.next_id``: the largest
    ``id`` attribute in the document plus one, an XPath over the whole document for every picture, a fifth
    of the DOCX time); :func:`_figures` finds it once and counts on."""
    from docx.oxml.shape import CT_Inline

    w_px, h_px = _png_size(f.png)
    w = min(FIG_MAX_W, w_px / 300 * 2.54)
    h = w * h_px / w_px
    if h > FIG_MAX_H:
        w, h = w * FIG_MAX_H / h, FIG_MAX_H
    paragraph = document.add_paragraph()       # document.add_picture, step for step (docx/parts/story.py)
    run = paragraph.add_run()
    r_id, image = _image(document, str(f.png), known)
    cx, cy = image.scaled_dimensions(Cm(w), None)
    run._r.add_drawing(CT_Inline.new_pic_inline(shape_id, r_id, image.filename, cx, cy))
    paragraph.paragraph_format.keep_with_next = True   # the picture stays with its caption
    caption(document, "Figure", number, _nb(f.title), _nb(f.caption), keep_with_next=False)


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
    styles = document.styles
    styles["Normal"].font.name = "Calibri"
    styles["Normal"].font.size = Pt(10.5)
    for name, size, colour in (("Title", 20, DARK), ("Heading 1", 14, BLUE), ("Heading 2", 11, DARK)):
        st = styles[name]
        st.font.size = Pt(size)
        st.font.color.rgb = colour
        st.paragraph_format.keep_with_next = True
    cap = styles["Caption"]
    cap.font.size, cap.font.bold, cap.font.italic = Pt(8.5), False, False
    cap.font.color.rgb = DARK
    foot = sec.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    text = "oncoseries report \u00b7 page "
    if doc.synthetic:
        text = "SYNTHETIC data \u2014 not patients \u00b7 " + text
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


class _Package:
    """The zip writer python-docx's PackageWriter writes the parts to: members in python-docx's order with a
    fixed time stamp, so reruns are byte-identical; XML deflated, images stored as they are (PNG is deflated
    already; LibreOffice stores pictures the same way). Deflating the figures again at zlib's fastest level took
    a quarter off them (our PNGs are written for speed, report/png.py) but cost ~0.1 s of CPU at the very end
    of ``oncoseries analyze``, when nothing else runs (issue 13): the bundled study's report.docx is ~3.3 MB
    instead of ~2.5 MB. Written once (python-docx's own writer deflated every image, and the package was then
    rewritten)."""

    def __init__(self, path: Path) -> None:
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED)

    def write(self, pack_uri, blob: bytes) -> None:
        name = pack_uri.membername
        zi = zipfile.ZipInfo(name, date_time=ZIP_TIME)
        zi.compress_type = zipfile.ZIP_STORED if name.startswith("word/media/") else zipfile.ZIP_DEFLATED
        zi.external_attr = 0o644 << 16
        self._zip.writestr(zi, blob)

    def close(self) -> None:
        self._zip.close()


def _save(document, path: Path) -> None:
    """``document.save(path)`` through :class:`_Package` (python-docx's OpcPackage.save, step for step)."""
    from docx.opc.pkgwriter import PackageWriter

    package = document.part.package
    for part in package.parts:
        part.before_marshal()
    parts = package.parts
    out = _Package(path)
    try:
        PackageWriter._write_content_types_stream(out, parts)
        PackageWriter._write_pkg_rels(out, package.rels)
        PackageWriter._write_parts(out, parts)
    finally:
        out.close()


def _memo_style_ids(document) -> None:
    """Look each style name up once: python-docx scans every style of the template (and converts each
    one's type) for every paragraph given a style by name (captions, headings: most of the rest of
    the DOCX time). The styles are set up (_setup) before this; the ids it returns are the same."""
    part = document.part
    lookup, ids = part.get_style_id, {}

    def get_style_id(style_or_name, style_type):
        if not isinstance(style_or_name, str):
            return lookup(style_or_name, style_type)
        key = (style_or_name, style_type)
        if key not in ids:
            ids[key] = lookup(style_or_name, style_type)
        return ids[key]

    part.get_style_id = get_style_id


def write_docx(doc: ReportDocument, path: Path, results=None) -> Path:
    """Write report.docx; ``results`` gives the fixed document date."""
    document = Document()
    _setup(document, doc, _stamp(results))
    _memo_style_ids(document)
    if doc.synthetic:
        p = document.add_paragraph()
        run = p.add_run("SYNTHETIC data \u2014 not patients")
        run.bold = True
        run.font.size = Pt(13)
        run.font.color.rgb = ORANGE
    document.add_heading(doc.title, level=0)
    meta = document.add_paragraph()
    _add_run(meta, doc.meta).font.color.rgb = GREY
    for sec in doc.sections:
        h = _heading(document, sec.title, 1)
        h.paragraph_format.page_break_before = sec.id == "figures"
        if sec.id == "summary":
            _paragraph(document, _nb(plain(doc.results_text)))
        elif sec.id == "figures":
            _figures(document, doc)
        elif sec.id == "methods":
            for heading, pieces in doc.methods:
                _heading(document, heading, 2)
                _paragraph(document, _nb(plain(pieces)))
            if doc.references:
                _heading(document, "References", 2)
                for k, ref in enumerate(doc.references, 1):
                    p = _paragraph(document, f"{k}. {ref}")
                    p.paragraph_format.left_indent = Cm(0.6)
                    p.paragraph_format.first_line_indent = Cm(-0.6)
                    p.paragraph_format.space_after = Pt(2)
                    p.runs[0].font.size = Pt(9)
        for text in sec.text:
            _paragraph(document, _nb(text))
        for t in sec.tables:
            _table(document, t)
        for line in sec.empty:
            document.add_paragraph(line).runs[0].italic = True
    path = Path(path)
    _save(document, path)
    return path


def _figures(document, doc: ReportDocument) -> None:
    number = 0
    groups = doc.figure_groups()
    if not groups:
        document.add_paragraph(doc.figures_note or "No figures.").runs[0].italic = True
    shape_id = None
    known = {p.sha1: p for p in document.part.package.image_parts}   # none in the template
    for title, figs in groups:
        _heading(document, title, 2)
        for f in figs:
            number += 1
            if shape_id is None:        # once: the captions and headings between pictures add no ids
                shape_id = document.part.next_id
            _figure(document, f, number, shape_id, known)
            shape_id += 1
