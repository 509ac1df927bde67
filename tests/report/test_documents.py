"""report.html, report.docx, tables/*.csv: complete, self-contained, matching results.json, deterministic."""

from __future__ import annotations

import json
import re
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path

import docx
import pandas as pd
import pytest

from oncoseries.analysis import analyze, write_outputs
from oncoseries.examples import example_study_path
from oncoseries.report import build_report_document, write_report
from oncoseries.report.context import ReportContext, resolve
from oncoseries.report.narrative import format_value
from oncoseries.report.words import keep_together, number_words

SECTION_IDS = ["methods", "summary", "flow", "table1", "exposure", "response", "survival", "cox", "biomarkers",
               "adverse_events", "figures", "problems"]
DASH = "\u2013"


def r(x, places: int) -> str:
    """Independent half-up rounding for the expected cells."""
    return str(Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


class Page(HTMLParser):
    """Collects tags with attributes, section ids, traced numbers and all text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.sections, self.nums, self.text = [], [], [], []
        self._num = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "section":
            self.sections.append(a.get("id"))
        if tag == "span" and "num" in (a.get("class") or ""):
            self._num = {**a, "text": ""}

    def handle_endtag(self, tag):
        if tag == "span" and self._num is not None:
            self.nums.append(self._num)
            self._num = None

    def handle_data(self, data):
        self.text.append(data)
        if self._num is not None:
            self._num["text"] += data


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def docx_tables(path: Path) -> dict[str, list[list[str]]]:
    """Word tables keyed by the caption (the Caption paragraph just before each table)."""
    d = docx.Document(str(path))
    out, caption = {}, None
    for block in d.element.body.iterchildren():
        tag = block.tag.split("}")[1]
        if tag == "p":
            p = docx.text.paragraph.Paragraph(block, d)
            if p.style.name == "Caption":
                caption = p.text
        elif tag == "tbl":
            t = docx.table.Table(block, d)
            # no-break spaces (words.keep_together) read as spaces here; test_journal_text checks them
            out[caption] = [[c.text.replace("\u00a0", " ").replace("\u00ad", "") for c in row.cells] for row in t.rows]
    return out


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    out = tmp_path_factory.mktemp("mini")
    res = analyze(example_study_path("mini"))
    write_outputs(res, out)
    return res, out, json.loads((out / "results.json").read_text())


@pytest.fixture(scope="module")
def rich(rich_study, tmp_path_factory):
    out = tmp_path_factory.mktemp("rich_out")
    res = analyze(rich_study)
    write_outputs(res, out)
    return res, out, json.loads((out / "results.json").read_text())


def test_html_complete_and_self_contained(mini):
    res, out, data = mini
    page = parse(out / "report.html")
    assert page.sections == SECTION_IDS
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed")
        for key in ("src", "href"):
            if key in attrs:
                assert attrs[key].startswith("data:" if key == "src" else "#"), (tag, attrs[key][:60])
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    assert "@import" not in html and "url(" not in html
    imgs = [a for t, a in page.tags if t == "img"]
    figs = sorted((out / "figures").glob("*.svg"))
    assert len(imgs) == len(figs) >= 2
    assert all(a["src"].startswith("data:image/svg+xml;base64,") for a in imgs)
    text = "".join(page.text)
    assert text.count("SYNTHETIC data \u2014 not patients") == 2          # banner and footer
    assert "Table 1. Patient flow" in text and "Figure 1." in text


def test_narrative_numbers_resolve_in_results_json(mini, rich):
    for res, out, data in (mini, rich):
        page = parse(out / "report.html")
        ctx = ReportContext.from_results(res)
        assert len(page.nums) >= 20
        for n in page.nums:
            assert n["title"] == n["data-path"]
            value = resolve(data, n["data-path"])
            assert value == json.loads(n["data-value"]), n["data-path"]
            # as formatted, with no-break spaces inside "P = 0.03" (words.keep_together)
            assert keep_together(format_value(ctx, n["data-kind"], value)) == n["text"], n["data-path"]
        paths = {n["data-path"] for n in page.nums}
        assert "survival.PFS.median.value" in paths and "survival.OS.followup.median" in paths


def test_results_paragraph_reads_like_an_abstract(mini):
    res, out, data = mini
    doc = build_report_document(res)
    text = "".join(p if isinstance(p, str) else p.text for p in doc.results_text)
    orr = next(x for x in data["response"]["unconfirmed"] if x["category"] == "ORR")
    assert text.startswith(f"{number_words(data['study']['n_patients'], capital=True)} patients were included.")
    assert f"(ORR), by the unconfirmed best overall response as planned, was {r(100 * orr['proportion'], 0)}% " \
           f"(1 CR + 1 PR; 95% CI {r(100 * orr['lower'], 0)}" \
           f"{DASH}{r(100 * orr['upper'], 0)}%)" in text
    pfs = data["survival"]["PFS"]["median"]
    assert f"Median PFS was {r(pfs['value'], 1)} months (95% CI {r(pfs['lower'], 1)}{DASH}NR;" in text
    assert "Median duration of response was not reached" in text
    assert "Firth-penalised HR" in text and "; reverse Kaplan-Meier)." in text


def test_docx_cells_match_results_json(mini):
    res, out, data = mini
    tables = docx_tables(out / "report.docx")
    resp = next(v for k, v in tables.items() if "Best overall response" in k)
    assert resp[0][:3] == ["Best overall response", "Unconfirmed, n (%)", "Unconfirmed, 95% CI"]  # the headline
    orr = next(x for x in data["response"]["unconfirmed"] if x["category"] == "ORR")
    row = next(x for x in resp if x[0].startswith("Objective response rate"))
    assert row[1:3] == [f"{orr['n']} ({r(100 * orr['proportion'], 0)}%)",
                       f"{r(100 * orr['lower'], 0)}{DASH}{r(100 * orr['upper'], 0)}%"]
    surv = next(v for k, v in tables.items() if "Time-to-event" in k)
    pfs = data["survival"]["PFS"]
    row = next(x for x in surv if x[0].startswith("Progression-free"))
    assert row[1:] == [str(pfs["n"]), str(pfs["events"]), str(pfs["censored"]),
                       f"{r(pfs['median']['value'], 1)} ({r(pfs['median']['lower'], 1)}{DASH}NR)"]
    dor = next(x for x in surv if x[0].startswith("Duration of response"))
    assert dor[-1] == f"not reached (NR{DASH}NR)"
    cox = next(v for k, v in tables.items() if "Cox proportional hazards models" in k)
    firth = data["cox"][0]["firth"]["terms"][0]          # separation: the Firth estimate is shown
    row = next(x for x in cox if x[0] == "yes")          # PFS, prior ifosfamide yes vs no (reference row above)
    assert cox[cox.index(row) - 1][:3] == ["no", "", "1 (reference)"]
    assert row[2] == f"{r(firth['hr'], 1)} ({r(firth['lower'], 1)}{DASH}{r(firth['upper'], 1)})\u2020"
    assert row[-1] == "separation: Firth estimate shown\u2020"


def test_docx_cox_cells_and_styles(rich):
    res, out, data = rich
    tables = docx_tables(out / "report.docx")
    cox = next(v for k, v in tables.items() if "Cox proportional hazards models" in k)
    hr_j, p_j = cox[0].index("Univariable HR (95% CI)"), cox[0].index("Univariable P")
    for model in [m for m in data["cox"] if m["model"] == "univariable"]:
        for term in model["terms"]:
            cell = f"{r(term['hr'], 2)} ({r(term['lower'], 2)}{DASH}{r(term['upper'], 2)})"
            row = next(x for x in cox if x[hr_j] == cell)
            if len(model["terms"]) == 1:
                p = r(term["p"], 2 if term["p"] >= 0.01 else 3)
                assert row[p_j] == p[1:]                                # JAMA style: no leading zero
    stage = next(x for x in cox if x[0] == "Stage")
    assert "left out" in stage[-1]
    notes = next(t for t in build_report_document(res).tables if t.name == "cox_models").notes
    assert any("S04, S11" in n for n in notes)                           # who was left out
    d = docx.Document(str(out / "report.docx"))
    h1 = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert h1 == ["Methods", "Results", "Patient flow", "Patient characteristics", "Treatment exposure",
                  "Response (RECIST 1.1)", "Survival", "Prognostic factors (Cox regression)",
                  "Biomarkers and mutations", "Adverse events", "Figures", "Data problems"]
    assert any(p.style.name == "Caption" and p.text.startswith("Table ") for p in d.paragraphs)
    assert len(d.inline_shapes) == len(list((out / "figures").glob("*.png")))
    resp = next(v for k, v in tables.items() if "Best overall response" in k)
    assert resp[0][1:] == ["Confirmed, n (%)", "Confirmed, 95% CI", "Unconfirmed, n (%)",
                          "Unconfirmed, 95% CI"]


def test_csv_tables_match_report(mini, rich):
    for res, out, data in (mini, rich):
        doc = build_report_document(res)
        words = docx_tables(out / "report.docx")
        for t in doc.tables:
            csv = pd.read_csv(out / "tables" / f"{t.name}.csv", dtype=str, keep_default_na=False)
            assert list(csv.columns) == t.columns
            assert csv.to_numpy().tolist() == t.rows
            assert words[f"Table {t.number}. {t.title}"] == [t.columns] + t.rows
        assert (out / "tables" / "patient_flow.csv").exists()                # per patient, from write_outputs


def test_not_reached_rendering(mini):
    res, out, data = mini
    assert data["survival"]["DOR"]["median"]["value"] is None
    surv = pd.read_csv(out / "tables" / "survival.csv", dtype=str)
    assert surv.loc[surv["Endpoint"].str.startswith("Duration"), "Median, months (95% CI)"].item() == \
        f"not reached (NR{DASH}NR)"
    lr = pd.read_csv(out / "tables" / "logrank.csv", dtype=str, keep_default_na=False)
    assert lr.loc[(lr["Group"] == "yes") & (lr["Events"] == "0"), "Median, months (95% CI)"].item() == \
        f"not reached (NR{DASH}NR)"
    assert f"9.5 (8.2{DASH}NR)" in (out / "report.html").read_text(encoding="utf-8")


def test_rerun_is_byte_identical(mini, tmp_path):
    res, out, data = mini
    write_report(analyze(example_study_path("mini")), tmp_path)
    for name in ("report.html", "report.docx"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name
    for csv in (tmp_path / "tables").glob("*.csv"):
        assert csv.read_bytes() == (out / "tables" / csv.name).read_bytes()


def test_assessments_only_study_is_complete(rich):
    res, out, data = rich
    assert "lesions" not in data["study"]["tables"]
    page = parse(out / "report.html")
    assert page.sections == SECTION_IDS
    text = "".join(page.text)
    assert "Adverse events, worst grade per patient" not in text     # the CTCAE table replaces the old one
    for title in ("Treatment exposure", "Adverse events by term, worst grade per patient",
                  "univariable and multivariable hazard ratios",
                  "Best overall response", "Median follow-up", "Event-free rates at landmark times"):
        assert title in text, title
    assert "Time-point responses were those recorded by the investigators" in text
    assert "likelihood-ratio test P\u00a0=\u00a0." in text                           # JAMA style in the notes
    assert "No treatment data" not in text and "SYNTHETIC data" in text


def test_study_without_treatments_or_adverse_events(plain_study, tmp_path):
    res = analyze(plain_study)
    write_outputs(res, tmp_path)
    page = parse(tmp_path / "report.html")
    assert page.sections == SECTION_IDS
    text = "".join(page.text)
    assert "No treatment data (the study folder has no treatments file)." in text
    assert "No adverse-event data (the study folder has no adverse events file)." in text
    assert "SYNTHETIC" not in text                                       # neither title nor path says so
    d = docx.Document(str(tmp_path / "report.docx"))
    body = [p.text for p in d.paragraphs]
    assert "No adverse-event data (the study folder has no adverse events file)." in body
    assert not (tmp_path / "tables" / "exposure.csv").exists()
    assert "Every baseline variable with at least three patients per category" in text


def test_empty_sections_speak_of_what_the_user_gave():
    """A workbook has sheets, a folder files, REDCap and CDISC exports records: the reason a section
    is empty names the user's own input, never a file they did not have."""
    from oncoseries.report.document import not_given

    assert not_given("xlsx workbook", "treatments") == "the workbook has no treatments sheet"
    assert not_given("xlsx workbook", "biomarkers or mutations") == \
        "the workbook has no biomarkers or mutations sheet"
    assert not_given("Parquet folder", "adverse events") == "the study folder has no adverse events file"
    assert not_given("REDCap export", "treatments") == "the REDCap export has no treatments records"
    assert not_given("CDISC", "adverse events") == "the CDISC data have no adverse events records"
    assert not_given("unknown", "treatments") == "no treatments table was given"


def test_figure_failure_still_writes_the_report(monkeypatch, tmp_path):
    import oncoseries.report.figures as figures

    def broken(results, out_dir, **options):
        raise RuntimeError("no renderer")

    monkeypatch.setattr(figures, "make_figures", broken)
    with pytest.warns(RuntimeWarning, match="figures could not be drawn"):
        write_report(analyze(example_study_path("mini")), tmp_path)
    assert "The figures could not be drawn (RuntimeError: no renderer)." in \
        (tmp_path / "report.html").read_text(encoding="utf-8")
    assert (tmp_path / "report.docx").exists()


def test_investigator_concordance_and_data_warnings(mini, tmp_path):
    """Lesions and the investigators' responses together: concordance is reported; warnings are listed."""
    import shutil

    res, out, data = mini
    study = tmp_path / "study"
    shutil.copytree(example_study_path("mini"), study)
    tp = res.derived["timepoints"][["patient_id", "date", "overall"]].rename(columns={"overall": "response"})
    tp.loc[tp.index[:2], "response"] = "SD"                       # the investigators disagree twice
    tp.to_csv(study / "assessments.csv", index=False, date_format="%Y-%m-%d")
    pts = pd.read_csv(study / "patients.csv", dtype=str)
    pts.loc[0, "last_contact_date"] = "2019-03-01"                  # before P01's scans: a warning
    pts.to_csv(study / "patients.csv", index=False)
    res2 = analyze(study)
    write_outputs(res2, tmp_path / "out")
    doc = build_report_document(res2)
    names = {t.name: t for t in doc.tables}
    conc = names["response_concordance"]
    assert any("Cohen's kappa" in n for n in conc.notes)
    agreement = res2.to_dict()["response"]["concordance"]["agreement"]
    assert f"Scan-level agreement {r(100 * agreement, 0)}%" in " ".join(conc.notes)
    warn = names["data_warnings"]
    assert warn.columns == ["Severity", "File", "Row", "Column", "Patient", "Message"]
    assert warn.rows[0][:5] == ["warning", "patients.csv", "2", "last_contact_date", "P01"]
    text = "".join(parse(tmp_path / "out" / "report.html").text)
    assert "Data problems (warnings)" in text and "compared with the derived responses" in text
    csv = pd.read_csv(tmp_path / "out" / "tables" / "data_warnings.csv", dtype=str, keep_default_na=False)
    assert csv.to_numpy().tolist() == warn.rows


def test_concordance_crosstab_layout():
    """The richer concordance layout (scan and BOR crosstabs) renders as a derived x investigator table."""
    from oncoseries.report.tables import concordance_table

    tab = {"rows": ["PR", "SD"], "columns": ["PR", "SD"], "counts": [[3, 1], [0, 5]],
           "row_label": "derived (RECIST 1.1)", "column_label": "investigator"}
    ctx = ReportContext(data={"response": {"concordance": {
        "scans_matched": 40, "scans_agree": 37, "agreement": 0.925, "kappa": 0.8512, "scan_table": tab,
        "bor_table": tab, "bor_agreement": 8 / 9}}}, unit="months", p_style="default", pct_setting=None,
        title="t", synthetic=False)
    t = concordance_table(ctx)
    assert t.columns == ["Derived \\ investigator", "PR", "SD"]
    assert t.rows == [["PR", "3", "1"], ["SD", "0", "5"]]
    assert t.notes == ["Scan-level agreement 93% (37 of 40 scans); Cohen's kappa 0.85.",
                       "Best-response agreement 89%."]


def test_study_without_covariates(plain_study, tmp_path):
    study = tmp_path / "study"
    study.mkdir()
    pts = pd.read_csv(plain_study / "patients.csv", dtype=str, keep_default_na=False)
    pts.drop(columns=["arm", "age", "stage"]).to_csv(study / "patients.csv", index=False)
    (study / "assessments.csv").write_bytes((plain_study / "assessments.csv").read_bytes())
    write_report(analyze(study), tmp_path / "out")
    page = parse(tmp_path / "out" / "report.html")
    assert page.sections == SECTION_IDS
    text = "".join(page.text)
    assert "The study has no patient covariates." in text
    assert "No Cox model was fitted (no covariates planned or usable)." in text
    assert not (tmp_path / "out" / "tables" / "table1_characteristics.csv").exists()


def test_docx_cell_properties_in_schema_order(mini, rich):
    """Word rejects out-of-order properties ("unreadable content"): tcW, tcBorders, shd in that order."""
    order = ["tcW", "tcBorders", "shd"]
    for res, out, data in (mini, rich):
        with zipfile.ZipFile(out / "report.docx") as z:
            xml = z.read("word/document.xml").decode("utf-8")
        for tc_pr in re.findall(r"<w:tcPr>(.*?)</w:tcPr>", xml):
            tags = [t for t in re.findall(r"<w:(\w+)", tc_pr) if t in order]
            assert tags == sorted(tags, key=order.index), tags


def test_flow_diagram_shows_exclusions(tmp_path):
    """One patient never treated, one without a baseline scan: both appear, with reasons, in the diagram."""
    import shutil

    study = tmp_path / "study"
    shutil.copytree(example_study_path("mini"), study)
    pts = pd.read_csv(study / "patients.csv", dtype=str)
    les = pd.read_csv(study / "lesions.csv", dtype=str)
    les = les[les["patient_id"] != "P08"]
    first = les.loc[les["patient_id"] == "P07", "date"].min()
    les[~((les["patient_id"] == "P07") & (les["date"] == first))].to_csv(study / "lesions.csv", index=False)
    pd.DataFrame({"patient_id": pts["patient_id"], "cycle": 1, "date": pts["start_date"]}).query(
        "patient_id != 'P08'").to_csv(study / "treatments.csv", index=False)
    res = analyze(study)
    write_report(res, tmp_path / "out")
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    flow = html[html.index('<div class="flow"'):html.index("Table 1. Patient flow")]
    assert "Excluded <b>n = 1</b>" in flow and "no treatment cycle recorded in treatments (1)" in flow
    assert "no baseline scan within 28 days before start_date (1)" in flow
    assert "not treated" not in flow                                    # shown once, above the branches
    rows = {r[0]: r for r in build_report_document(res).tables[0].rows}
    assert rows["All treated patients"][1:3] == ["7", "1"]
