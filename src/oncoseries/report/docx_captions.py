"""Word captions and pagination: numbered captions Word can renumber and list, kept with what they label.

A caption is a paragraph in Word's built-in "Caption" style whose number is a ``SEQ Table`` or
``SEQ Figure`` field (a complex field: ``w:fldChar`` and ``w:instrText``), as Insert > Caption makes: Word renumbers them (F9), lists them
(References > Insert Table of Figures) and cross-references them. The number already in the field is the
right one, so the document reads correctly before any update. Tables: the caption is kept with the
table's first rows, no row splits across pages, and the header plus the first ``KEEP_FIRST`` body rows
stay together, so no table starts at a page foot with fewer than three rows.
"""

from __future__ import annotations

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

KEEP_FIRST = 3   # body rows kept with the header (and the caption)


def _run(paragraph, child=None, bold: bool = True):
    run = OxmlElement("w:r")
    if bold:
        rpr = OxmlElement("w:rPr")
        rpr.append(OxmlElement("w:b"))
        run.append(rpr)
    if child is not None:
        run.append(child)
    paragraph._p.append(run)
    return run


def seq_field(paragraph, kind: str, number: int) -> None:
    """A ``SEQ {kind} \\* ARABIC`` field showing ``number``, as a complex field (fldChar begin, instrText,
    separate, the result run, end), the form Word writes for Insert > Caption."""
    def fld(kind_: str):
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind_)
        return el

    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" SEQ {kind} \\* ARABIC "
    result = OxmlElement("w:t")
    result.text = str(number)
    for child in (fld("begin"), instr, fld("separate"), result, fld("end")):
        _run(paragraph, child)


def caption(document, kind: str, number: int, title: str, text: str = "", keep_with_next: bool = True):
    """"Table 1. Title." (bold, with a SEQ field) and an optional legend, in the Caption style."""
    p = document.add_paragraph(style="Caption")
    p.paragraph_format.keep_with_next = keep_with_next
    p.paragraph_format.keep_together = True
    p.paragraph_format.space_before = Pt(6)
    p.add_run(f"{kind} ").bold = True
    seq_field(p, kind, number)
    p.add_run(f". {title}" + ("" if title.endswith(".") or not text else ".")).bold = True
    if text:
        p.add_run(f" {text}")
    return p


def keep_first_rows(table, n_body: int = KEEP_FIRST) -> None:
    """Keep the header and the first ``n_body`` body rows on one page (keep-with-next on their paragraphs)."""
    rows = list(table.rows)
    for row in rows[: min(len(rows) - 1, 1 + n_body)]:
        for cell in row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.keep_with_next = True
