"""Journal text and Word layout (issue 11): Methods in prose with period, cut-off, centres, ethics and
references; Methods before Results; no sentence opening with a numeral; no-break spaces in "P < 0.001" and
"95% CI"; Word captions with SEQ fields kept with their tables and figures; fitted column widths."""

from __future__ import annotations

import re
import zipfile

import docx
import pandas as pd
import pytest

from oncoseries.analysis import analyze
from oncoseries.examples import example_study_path
from oncoseries.report import write_report
from oncoseries.report.document import build_document
from oncoseries.report.docx import _widths
from oncoseries.report.narrative import Num, plain
from oncoseries.report.tables import ReportTable
from oncoseries.report.words import keep_together, number_words

NBSP = "\u00a0"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def hdifo(tmp_path_factory):
    out = tmp_path_factory.mktemp("hdifo_report")
    res = analyze(example_study_path("hdifo"))
    write_report(res, out)
    return res, out


@pytest.fixture(scope="module")
def no_centre(rich_study):
    return analyze(rich_study)


def _methods_text(doc) -> str:
    return " ".join(plain(p) for _, p in doc.methods)


def _sentences(text: str) -> list[str]:
    """Sentences: split after . ! ? followed by a space and a capital letter or digit (not inside "vs." etc.)."""
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\u00b1])", text.strip()) if s]


# --------------------------------------------------------------------------------------------- Methods

def test_methods_prose_has_period_cutoff_centres_and_no_file_or_column_names(hdifo):
    res, _ = hdifo
    doc = build_document(res)
    text = _methods_text(doc)
    pts = res.study.patients
    first, last = pts["start_date"].min(), pts["start_date"].max()
    cutoff = max(pts["last_contact_date"].max(), pts["death_date"].max())
    assert f"between {first:%B %Y} and {last:%B %Y}" in text
    assert f"up to {cutoff.day} {cutoff:%B %Y}" in text
    centres = sorted(pts["centre"].dropna().unique())
    assert f"at {len(centres)} centres ({', '.join(centres[:-1])} and {centres[-1]})" in text
    assert "[Ethics:" in text
    # no file, column or library names
    columns = set(pts.columns) | {c for t in res.study.tables.values() for c in t.columns}
    for name in sorted(columns - {"age", "sex", "date", "cycle", "grade", "term", "drug", "state", "role",
                                   "organ", "nodal", "variant", "gene"}):
        assert not re.search(rf"\b{re.escape(name)}\b", text), name
    for word in (".csv", "study.yaml", "numpy", "scipy", "pandas", "matplotlib", "lifelines", "print.survfit",
                 "cox.zph", "derived/", "results.json"):
        assert word not in text, word
    # methods with their references
    for cite in ("Kaplan & Meier, 1958", "Brookmeyer and Crowley (1982)", "Cox, 1972", "Efron, 1977",
                 "Clopper & Pearson, 1934", "Eisenhauer et al., 2009", "Schemper & Smith, 1996"):
        assert cite in text, cite
    refs = " ".join(doc.references)
    for ref in ("Kaplan EL, Meier P", "Brookmeyer R, Crowley J", "Cox DR", "Efron B", "Clopper CJ",
                "Eisenhauer EA", "1958", "1972", "2009"):
        assert ref in refs
    assert len(doc.references) == len(set(doc.references))
    # the figures' axis rule is stated as configured
    assert "fewer than 10% of the patients or fewer than 5 patients remained at risk" in text


def test_every_citation_in_methods_has_its_reference(hdifo):
    """Each (author, year) cited in the Methods text, e.g. "(Lan & DeMets, 1983)" or "Lachin and Foulkes
    (1986)", has a full reference in the list with that first author and year."""
    res, _ = hdifo
    doc = build_document(res)
    text = _methods_text(doc)
    found = re.findall(r"([A-Z][A-Za-z'\-]+)(?: et al\.| (?:&|and) [A-Z][A-Za-z'\-]+)?"
                       r"(?:, ((?:19|20)\d\d)\b| \(((?:19|20)\d\d)\))", text)
    cites = {(a, y1 or y2) for a, y1, y2 in found}
    assert {("Lachin", "1986"), ("Lan", "1983"), ("Wu", "2015"), ("Simon", "1989"), ("A'Hern", "2001")} <= cites
    for author, year in cites:
        assert any(r.startswith(author) and year in r for r in doc.references), (author, year)


def test_methods_without_centre_column_has_a_placeholder(no_centre):
    doc = build_document(no_centre)
    text = _methods_text(doc)
    assert "at [centre(s)]" in text
    assert no_centre.to_dict()["study"]["accrual"]["centres"] is None
    nums = [p for _, ps in doc.methods for p in ps if isinstance(p, Num)]
    assert any(n.path == "study.accrual.data_cutoff" for n in nums)


# --------------------------------------------------------------------------------------------- Results

@pytest.mark.parametrize("study", ["hdifo", "mini"])
def test_no_sentence_opens_with_a_numeral(study, hdifo):
    res = hdifo[0] if study == "hdifo" else analyze(example_study_path("mini"))
    doc = build_document(res)
    results = plain(doc.results_text)
    assert results.startswith(number_words(res.to_dict()["study"]["n_patients"], capital=True))
    for text in [results, _methods_text(doc)]:
        for s in _sentences(text):
            assert not s[:1].isdigit(), s


def test_number_words():
    assert [number_words(n) for n in (0, 7, 21, 51, 100, 105, 999, 1200)] == [
        "zero", "seven", "twenty-one", "fifty-one", "one hundred", "one hundred and five",
        "nine hundred and ninety-nine", "one thousand two hundred"]
    assert number_words(51, capital=True) == "Fifty-one"


def test_hr_and_ci_same_decimals_in_results(hdifo):
    text = plain(build_document(hdifo[0]).results_text)
    hits = re.findall(r"HR (\d+\.?\d*), 95% CI (<?\d+\.?\d*)\u2013(\d+\.?\d*)", text)
    hits += re.findall(r"of (\d+\.\d+) \(95% CI (\d+\.\d+)\u2013(\d+\.\d+)", text)
    assert len(hits) >= 3
    for triple in hits:
        assert len({len(x.split(".")[1]) if "." in x else 0 for x in triple}) == 1, triple


def test_keep_together():
    assert keep_together("(HR 0.13, 95% CI 0.06-0.28, P < 0.001)") == \
        f"(HR 0.13, 95%{NBSP}CI 0.06-0.28, P{NBSP}<{NBSP}0.001)"
    assert keep_together("P = .03 and P > 0.99") == f"P{NBSP}={NBSP}.03 and P{NBSP}>{NBSP}0.99"
    assert keep_together("Group P and 95% CIs") == f"Group P and 95%{NBSP}CIs"
    assert keep_together("95% CIA") == "95% CIA"


# -------------------------------------------------------------------------------------- HTML and DOCX

def test_html_methods_first_and_no_break_spaces(hdifo):
    html = (hdifo[1] / "report.html").read_text(encoding="utf-8")
    body = html.split("</style>", 1)[1]
    assert body.index('<section id="methods">') < body.index('<section id="summary">')
    assert f"P{NBSP}&lt;{NBSP}0.001" in body and f"95%{NBSP}CI" in body
    text = re.sub(r"<[^>]+>", "", body)
    assert not re.search(r"\bP [<=>] \d", text)      # never a breakable space inside a P value
    assert "95% CI" not in text


def test_docx_methods_first_no_break_spaces_and_caption_fields(hdifo):
    path = hdifo[1] / "report.docx"
    d = docx.Document(str(path))
    h1 = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert h1.index("Methods") < h1.index("Results")
    xml = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
    assert f"95%{NBSP}CI" in xml and "95% CI" not in xml
    assert not re.search(r"P [<=>] \d", xml)
    # captions: Caption style with SEQ fields numbering tables and figures in order
    seq = re.findall(r"<w:instrText[^>]*> SEQ (Table|Figure) \\\* ARABIC </w:instrText>", xml)
    n_tables = len(d.tables)
    assert seq.count("Table") == n_tables and seq.count("Figure") == len(d.inline_shapes) >= 10
    captions = [p for p in d.paragraphs if p.style.name == "Caption"]
    tables = [p.text for p in captions if p.text.startswith("Table ")]
    assert [int(re.match(r"Table (\d+)\.", t).group(1)) for t in tables] == list(range(1, n_tables + 1))
    figures = [p.text for p in captions if p.text.startswith("Figure ")]
    assert [int(re.match(r"Figure (\d+)\.", t).group(1)) for t in figures] == list(range(1, len(figures) + 1))
    # every table caption is kept with the next paragraph and sits right before its table
    body = list(d.element.body.iterchildren())
    for i, el in enumerate(body):
        if el.tag == f"{W}tbl":
            p = docx.text.paragraph.Paragraph(body[i - 1], d)
            assert p.style.name == "Caption" and p.paragraph_format.keep_with_next, p.text
    # every picture paragraph keeps with its caption, which follows it
    for i, el in enumerate(body):
        if el.tag == f"{W}p" and el.findall(f".//{W}drawing"):
            assert docx.text.paragraph.Paragraph(el, d).paragraph_format.keep_with_next
            assert docx.text.paragraph.Paragraph(body[i + 1], d).style.name == "Caption"


def test_docx_rows_do_not_split_and_long_tables_keep_their_first_rows(hdifo):
    d = docx.Document(str(hdifo[1] / "report.docx"))
    long = 0
    for t in d.tables:
        rows = t.rows
        assert all(r._tr.trPr is not None and r._tr.trPr.find(f"{W}cantSplit") is not None for r in rows)
        head = rows[: min(len(rows) - 1, 4)]      # header + 3 body rows chained by keep-with-next
        assert all(p.paragraph_format.keep_with_next for r in head for c in r.cells for p in c.paragraphs)
        long += len(rows) > 25
    assert long >= 1          # Table 1 of the example runs over a page


def test_docx_column_widths_fit_content():
    t = ReportTable("x", "x", "cox", ["Endpoint", "Covariate", "HR (95% CI)", "Notes"])
    for _ in range(4):
        t.add(["OS", "Surgical second complete remission (CR2)", "0.13 (0.06\u20130.28)",
               "biased: time before the change counts in its favour; 15 changed by the landmark and more"])
    w = _widths(t, 8)
    assert w[3] == max(w) and w[0] == min(w)        # the long notes column gets the most room
    assert sum(w) <= 17.0 + 1e-9
    short = ReportTable("y", "y", "cox", ["A", "B"])
    short.add(["x", "1 (2%)"])
    assert sum(_widths(short)) < 8      # a small table stays small


def test_docx_wide_table_keeps_numbers_on_one_line():
    """When even the unbreakable pieces do not fit the page width, the HR (95% CI) and P columns keep
    their full width and the text columns give way; "Multivariable" in a header may break at its soft
    hyphen, so a P column is not as wide as that word."""
    from oncoseries.report.docx import NUMERIC, PAD_CM, _hyphenate, _text_cm

    cols = ["Characteristic", "Patients (events)", "Univariable HR (95% CI)", "Univariable P",
            "Multivariable HR (95% CI)", "Multivariable P", "Notes"]
    t = ReportTable("cox_models", "x", "cox", cols)
    for k in range(6):
        t.add([f"Histopathologicalresponsegrade group {k}", "51 (47)", "1.91 (1.06\u20133.45)",
               "<0.001", "0.92 (0.67\u20131.25)", "0.62", "proportional hazards questionable (cox.zph)"])
    w = _widths(t, 8)
    assert abs(sum(w) - 17.0) < 1e-9
    hr = _text_cm("1.91 (1.06\u20133.45)", 8) + PAD_CM
    assert w[2] >= hr - 1e-9 and w[4] >= hr - 1e-9
    assert w[3] < _text_cm("Multivariable", 8) * 1.15 + PAD_CM          # the header word may break
    assert _hyphenate("Multivariable P") == "Multi\u00advariable P" and NUMERIC.match("0.62")


def test_keep_together_in_table_cells_of_html(hdifo):
    html = (hdifo[1] / "report.html").read_text(encoding="utf-8")
    cells = re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", html)
    assert any(f"95%{NBSP}CI" in c for c in cells)
    assert not any("95% CI" in c for c in cells)


def test_p_rule_applied_in_example_text(hdifo):
    text = plain(build_document(hdifo[0]).results_text)
    for p in re.findall(r"P [=] (\d?\.\d+)", text):
        value = float(p)
        decimals = len(p.split(".")[1])
        assert decimals == (3 if value < 0.01 else 2) or (decimals > 2 and value < 0.05), p
    assert pd.notna(text)


# ------------------------------------------------------------------------------------- print and phone CSS

def _media(css: str, query: str) -> str:
    """The body of the first ``@media <query>`` block (braces balanced)."""
    start = css.index("{", css.index(f"@media {query}")) + 1
    depth, i = 1, start
    while depth:
        depth += {"{": 1, "}": -1}.get(css[i], 0)
        i += 1
    return css[start:i - 1]


def test_print_and_phone_css(hdifo):
    html = (hdifo[1] / "report.html").read_text(encoding="utf-8")
    css = html.split("<style>", 1)[1].split("</style>", 1)[0]
    pr = _media(css, "print")
    assert re.search(r"h2, h3[^{]*\{[^}]*break-after: avoid", pr)                  # headings stay with what follows
    assert re.search(r"h2 \+ \*, h3 \+ \*[^{]*\{[^}]*break-before: avoid", pr)
    assert re.search(r"\.num \{[^}]*border-bottom: none", pr)                       # no hover marks on paper
    assert re.search(r"figcaption \{[^}]*break-before: avoid", pr)
    assert re.search(r"thead \{[^}]*table-header-group", pr)
    phone = _media(css, "(max-width: 600px)")
    assert re.search(r"\.tablewrap \{[^}]*overflow-x: auto", phone)
    assert re.search(r"td:first-child \{[^}]*position: sticky; left: 0", phone)     # first column fixed
    # the long Table 1 may break across pages; short tables are kept whole
    assert 'id="table-table1_characteristics" data-csv="tables/table1_characteristics.csv" class="long"' in html


def test_long_id_lists_in_table_notes_are_cut_with_the_count():
    from oncoseries.report.words import MAX_LISTED_IDS, id_list

    few = [f"P{i}" for i in range(MAX_LISTED_IDS)]
    assert id_list(few, "results.json") == ", ".join(few)
    many = [f"P{i}" for i in range(MAX_LISTED_IDS + 12345)]
    text = id_list(many, "results.json, cox[].dropped_patients")
    assert text == ", ".join(many[:MAX_LISTED_IDS]) + " and 12,345 more (every id: results.json, cox[].dropped_patients)"
