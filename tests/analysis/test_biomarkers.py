"""The ``biomarkers`` section (oncoseries.analysis.biomarkers): every biomarker and recurrent mutation versus
response, PFS and OS. On the bundled hdifo study the numbers equal R (tests/golden/association.R: fisher.test,
wilcox.test, survdiff, survfit, coxph on the example's own biomarkers.csv and mutations.csv); small studies
cover the rules (missing values counted, skipped markers with a reason, no ngs_tested column) and the report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tests.analysis._hdifo_outcomes import CSV, hdifo_outcomes
from tests.report.conftest import assessments_study
from tests.stats._km_helpers import assert_close, load_golden

from oncoseries.analysis import analyze, write_outputs
from oncoseries.analysis.run import analysis_covariates
from oncoseries.examples import example_study_path
from oncoseries.report import build_report_document
from oncoseries.report.context import ReportContext, resolve
from oncoseries.report.narrative import Num, format_value, plain
from oncoseries.stats import association

G = load_golden("association")["hdifo"]
MONTH = 30.4375


@pytest.fixture(scope="module")
def hdifo():
    res = analyze(example_study_path("hdifo"))
    return res, json.loads(json.dumps(res.to_dict()))["biomarkers"]


def test_hdifo_outcomes_csv_is_current(hdifo):
    """The outcomes R reads are the ones oncoseries derives now (regenerate with _hdifo_outcomes.py)."""
    res, _ = hdifo
    got = hdifo_outcomes(res)
    want = pd.read_csv(CSV, dtype={"responder": "Int64"})
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_hdifo_markers_and_counts(hdifo):
    _, b = hdifo
    names = [m["marker"] for m in b["markers"]]
    assert names == ["parp1_ihc", "parp1_category"] + [f"{g}_mutated" for g in
                                                       ("ATRX", "CDKN2A", "PTEN", "RB1", "TP53")]
    assert names[2:] == list(G)[2:] and b["genes_tested"] == [n[:-8] for n in names[2:]]
    assert [s["marker"] for s in b["skipped"]] == ["ngs_tested"]
    assert b["sequenced"] == {"column": "ngs_tested", "n": 34}
    assert b["n_tests"] == 3 * len(names) == 21
    ps = [m[k]["p"] for m in b["markers"] for k in ("response", "PFS", "OS")]
    assert b["n_p_below_alpha"] == sum(p < 0.05 for p in ps)
    assert b["smallest_p"]["p"] == min(ps)
    i, k = b["smallest_p"]["marker_index"], b["smallest_p"]["analysis"]
    assert b["markers"][i][k]["p"] == min(ps)
    for m in b["markers"]:
        g = G[m["marker"]]
        assert (m["type"], m["n"], m["n_missing"]) == (g["type"], g["n"], g["n_missing"])
        assert m["n"] + m["n_missing"] == b["survival_population_n"] == 51


@pytest.mark.parametrize("name", list(G))
def test_hdifo_response_equals_r(hdifo, name):
    _, b = hdifo
    m = next(x for x in b["markers"] if x["marker"] == name)
    a, g = m["response"], G[name]["response"]
    assert a["n"] == g["n"]
    assert_close(a["p"], g["p"], f"{name} response p")
    if m["type"] == "numeric":
        assert a["test"] == "wilcoxon"
        assert_close(a["statistic"], g["statistic"], "W")
        for key in ("responders", "non_responders"):
            q = a["groups"][key]
            assert_close([q["q1"], q["median"], q["q3"]], g[key], key)
    else:
        assert a["test"] == "fisher"
        assert [x["level"] for x in a["groups"]] == g["levels"]
        assert [x["n"] for x in a["groups"]] == g["n_level"]
        assert [x["responders"] for x in a["groups"]] == g["responders"]


@pytest.mark.parametrize("ep", ["PFS", "OS"])
@pytest.mark.parametrize("name", list(G))
def test_hdifo_survival_equals_r(hdifo, name, ep):
    _, b = hdifo
    m = next(x for x in b["markers"] if x["marker"] == name)
    a, g = m[ep], G[name][ep]
    assert a["n"] == g["n"]
    assert_close(a["p"], g["p"], f"{name} {ep} p")
    if m["type"] == "numeric":
        assert a["test"] == "cox" and a["events"] == g["events"]
        for key in ("coef", "se", "hr", "lower", "upper", "iqr", "hr_iqr", "lower_iqr", "upper_iqr"):
            assert_close(a[key], g[key], f"{name} {ep} {key}")
    else:
        assert a["test"] == "logrank"
        assert_close(a["statistic"], g["statistic"], "chisq")
        assert a["df"] == g["df"]
        groups = a["groups"]
        assert [x["level"] for x in groups] == g["level"]
        assert [x["n"] for x in groups] == g["n_level"] and [x["events"] for x in groups] == g["events"]
        assert_close([x["expected"] for x in groups], g["expected"], "expected")
        for key in ("median", "lower", "upper"):
            got = [np.nan if x[key] is None else x[key] * MONTH for x in groups]
            assert_close(got, g[f"{key}_days"], f"{name} {ep} {key}")


def test_mutation_flags_are_missing_for_unsequenced_patients(hdifo):
    res, _ = hdifo
    frame, covariates = analysis_covariates(res.study)
    b = res.study.biomarkers.set_index("patient_id")
    unsequenced = b.index[b["ngs_tested"] == "no"]
    assert "TP53_mutated" in covariates and len(unsequenced) == 17
    flags = frame.set_index("patient_id").loc[unsequenced, "TP53_mutated"]
    assert flags.isna().all()
    t1 = next(r for r in res.sections["table1"] if r["variable"] == "TP53_mutated")
    assert t1["missing"] == 17 and sum(lev["n"] for lev in t1["levels"]) == 34


def test_hdifo_report_table_and_sentence(hdifo, tmp_path):
    res, b = hdifo
    write_outputs(res, tmp_path)
    csv = pd.read_csv(tmp_path / "tables" / "biomarkers.csv", dtype=str, keep_default_na=False)
    assert list(csv.columns) == ["Marker and level", "Patients", "Responders, n/N (%)",
                                 "PFS, median months (95% CI)", "OS, median months (95% CI)"]
    rows = {r["Marker and level"]: r for r in csv.to_dict("records")
            if r["Marker and level"].endswith("mutation")}
    assert list(rows) == [f"{g} mutation" for g in ("ATRX", "CDKN2A", "PTEN", "RB1", "TP53")]
    assert rows["RB1 mutation"]["PFS, median months (95% CI)"] == "P = 0.40 (adj. 0.87)"   # BH, 21 tests
    block = csv.iloc[list(csv["Marker and level"]).index("RB1 mutation"):][:4]
    assert list(block["Marker and level"]) == ["RB1 mutation", "not mutated", "mutated", "Not sequenced"]
    assert list(block["Patients"]) == ["34", "28", "6", "17"]
    assert block.iloc[2]["Responders, n/N (%)"] == "1/6 (17%)"
    assert block.iloc[2]["PFS, median months (95% CI)"] == "5.6 (2.1\u2013NR)"
    parp = csv.iloc[:6]
    assert list(parp["Marker and level"]) == ["PARP1 immunohistochemistry (H-score)", "Median (IQR) in responders",
                                              "Median (IQR) in non-responders", "HR per 1 unit",
                                              "HR per IQR (125)", "Missing (not tested)"]
    assert parp.iloc[4]["PFS, median months (95% CI)"] == "0.78 (0.39\u20131.56)"
    doc = build_report_document(res)
    t = next(x for x in doc.tables if x.name == "biomarkers")
    assert ("21 tests; adj.: P adjusted over all of them (Benjamini-Hochberg false discovery rate "
            "(R p.adjust 'BH')).") in t.notes
    assert any("not sequenced (tumour sequenced (NGS))" in n for n in t.notes)   # study.yaml label
    text = plain(doc.results_text)
    assert b["n_p_below_alpha"] == 0       # the example has no association (Palmerini et al. 2020)
    assert ("No biomarker or mutation tested (PARP1 immunohistochemistry (H-score), PARP1 expression; ATRX, CDKN2A, PTEN, RB1, TP53 "
            "mutations) was associated with response, PFS or OS (all P \u2265 0.05; smallest P = 0.25; "
            "21 tests; unadjusted P). After Benjamini-Hochberg adjustment for the 21 tests, none remained below "
            "0.05 (smallest adjusted P = 0.87).") in text
    nums = [p for p in doc.results_text if isinstance(p, Num) and p.path.startswith("biomarkers")]
    ctx = ReportContext.from_results(res)
    assert {"biomarkers.smallest_p.p", "biomarkers.n_tests"} <= {n.path for n in nums}
    for n in nums:
        assert resolve(ctx.data, n.path) == n.value and format_value(ctx, n.kind, n.value) == n.text
    methods = plain(dict(doc.methods)["Statistical analysis"])
    assert "gene mutated in at least 3 patients" in methods and "The 21 tests are reported with raw and adjusted P" \
        in methods and "Benjamini-Hochberg method (Benjamini & Hochberg, 1995)" in methods


def _study_with_markers(folder, mutations: bool = True, yaml: str | None = None):
    """The assessments-only report study (24 patients, best response cycling PR PR SD SD PD CR SD PD) with
    markers built from the outcomes: ``resp_marker`` (pos in responders), ``followup`` (days of follow-up
    plus 0, 150 or 300: higher means longer OS, without separating the deaths), ``block`` (balanced over
    the response cycle), ``score`` (one missing), a constant, a code with 8 levels and ``age`` (clashes
    with the patients column); mutations: KRAS in the responders, no ngs_tested column."""
    assessments_study(folder, n=24, seed=7, yaml=yaml)
    pat = pd.read_csv(folder / "patients.csv", parse_dates=["start_date", "last_contact_date"])
    ids = [f"S{i + 1:02d}" for i in range(24)]
    responder = [i % 8 in (0, 1, 5) for i in range(24)]
    pd.DataFrame({
        "patient_id": ids, "resp_marker": ["pos" if r else "neg" for r in responder],
        "followup": (pat["last_contact_date"] - pat["start_date"]).dt.days + 150 * (np.arange(24) * 5 % 3),
        "block": ["a" if (i // 8) % 2 == 0 else "b" for i in range(24)],
        "score": [None if i == 5 else float((i * 37) % 50) for i in range(24)],
        "constant": ["x"] * 24, "site_code": [f"C{i % 8}" for i in range(24)], "age": [1] * 24,
    }).to_csv(folder / "biomarkers.csv", index=False)
    if mutations:
        pd.DataFrame({"patient_id": [p for p, r in zip(ids, responder) if r], "gene": "KRAS"}) \
            .to_csv(folder / "mutations.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    res = analyze(_study_with_markers(tmp_path_factory.mktemp("bm") / "study"))
    return res, json.loads(json.dumps(res.to_dict()))["biomarkers"]


def test_skipped_markers_missing_values_and_no_ngs_column(small):
    res, b = small
    by = {m["marker"]: m for m in b["markers"]}
    assert list(by) == ["resp_marker", "followup", "block", "score", "KRAS_mutated"]
    assert {s["marker"]: s["reason"] for s in b["skipped"]} == {
        "constant": "fewer than two distinct values", "site_code": "more than 6 categories",
        "biomarker_age": "fewer than two distinct values"}
    assert b["sequenced"] == {"column": None, "n": 24}          # no ngs_tested: everyone sequenced
    assert by["KRAS_mutated"]["n"] == 24 and by["KRAS_mutated"]["n_missing"] == 0
    assert (by["score"]["n"], by["score"]["n_missing"]) == (23, 1)
    assert by["score"]["response"]["n_missing"] == 1 and by["score"]["OS"]["n_missing"] == 1
    assert by["score"]["type"] == "numeric" and by["resp_marker"]["type"] == "categorical"
    assert by["resp_marker"]["response"]["p"] < 1e-4          # the marker is the response
    assert [g["responders"] for g in by["resp_marker"]["response"]["groups"]] == [0, 9]
    assert by["followup"]["OS"]["hr"] < 1 and by["followup"]["OS"]["p"] < 0.05
    assert b["n_tests"] == 15


def test_small_study_sentence_reports_each_hit_with_traced_numbers(small, tmp_path):
    res, b = small
    doc = build_report_document(res)
    text = plain(doc.results_text)
    assert f"Of {b['n_tests']} biomarker and mutation tests" in text
    assert "Resp marker was associated with response (ORR " in text
    assert "KRAS mutation was associated with response (ORR 100% (mutated) vs 0% (not mutated); Fisher's " \
        "exact P < 0.001)" in text
    i = [m["marker"] for m in b["markers"]].index("followup")
    os_ = b["markers"][i]["OS"]
    assert (f"Followup was associated with longer PFS at higher values (HR " in text
            and f"and with longer OS at higher values (HR {os_['hr_iqr']:.2f} per interquartile range of "
            f"{os_['iqr']:.1f}, 95% CI {os_['lower_iqr']:.2f}\u2013{os_['upper_iqr']:.2f}, P = 0.02)" in text)
    ctx = ReportContext.from_results(res)
    for n in (p for p in doc.results_text if isinstance(p, Num)):
        assert resolve(ctx.data, n.path) == n.value and format_value(ctx, n.kind, n.value) == n.text
    t = next(x for x in doc.tables if x.name == "biomarkers")
    assert any("every patient is taken as sequenced" in n for n in t.notes)
    assert any(n.startswith("Not analysed: constant (fewer than two distinct values)") for n in t.notes)
    write_outputs(res, tmp_path)                                 # the whole report is written
    assert (tmp_path / "tables" / "biomarkers.csv").exists()


def test_no_association_sentence(tmp_path):
    folder = _study_with_markers(tmp_path / "study", mutations=False)
    bm = pd.read_csv(folder / "biomarkers.csv")
    bm[["patient_id", "block", "score"]].to_csv(folder / "biomarkers.csv", index=False)
    res = analyze(folder)
    b = res.to_dict()["biomarkers"]
    assert b["n_p_below_alpha"] == 0 and b["n_tests"] == 6
    text = plain(build_report_document(res).results_text)
    smallest = format_value(ReportContext.from_results(res), "p", b["smallest_p"]["p"])
    assert (f"No biomarker tested (block, score) was associated with response, PFS or OS (all P \u2265 0.05; "
            f"smallest {smallest}; 6 tests; unadjusted P).") in text


def test_confirmed_headline_response(tmp_path):
    """With response.confirmation: true, responders are those with a confirmed CR or PR (as the ORR)."""
    folder = _study_with_markers(tmp_path / "study", mutations=False,
                                 yaml="title: t\nresponse:\n  confirmation: true\n")
    res = analyze(folder)
    b = res.sections["biomarkers"]
    assert b["headline"] == "confirmed_bor"
    best = res.derived["best_response"]
    confirmed = int(best["confirmed_bor"].isin(["CR", "PR"]).sum())
    assert confirmed < int(best["bor"].isin(["CR", "PR"]).sum())       # confirmation matters here
    m = next(x for x in b["markers"] if x["marker"] == "block")
    assert m["response"]["responders"] == confirmed
    orr = next(r for r in res.sections["response"]["confirmed"] if r["category"] == "ORR")
    assert orr["n"] == confirmed
    t = next(x for x in build_report_document(res).tables if x.name == "biomarkers")
    assert "best overall response of CR or PR" in t.notes[0] and "confirmed best" in t.notes[0]


def test_chi_square_when_the_exact_table_is_too_large(small, monkeypatch):
    res, _ = small
    monkeypatch.setattr(association, "MAX_TABLES", 1)
    again = analyze(res.study)
    m = next(x for x in again.sections["biomarkers"]["markers"] if x["marker"] == "resp_marker")
    assert m["response"]["test"] == "chisq" and m["response"]["df"] == 1
    assert m["response"]["p"] == association.chisq_test([[0, 15], [9, 0]]).p_value
    t = next(x for x in build_report_document(again).tables if x.name == "biomarkers")
    assert any(n.startswith("\u2021 Pearson's chi-square") for n in t.notes)
    assert "\u2021" in t.rows[0][2] and t.rows[0][2].endswith("(adj. <0.001)")


def test_study_without_biomarkers(tmp_path):
    res = analyze(example_study_path("mini"))
    assert res.sections["biomarkers"] is None and res.to_dict()["biomarkers"] is None
    doc = build_report_document(res)
    sec = next(s for s in doc.sections if s.id == "biomarkers")
    assert not sec.tables and sec.empty == ["No biomarker or mutation data (the study folder has no "
                                            "biomarkers or mutations file)."]
    assert "biomarker" not in plain(doc.results_text)
    assert "biomarker" not in plain(dict(doc.methods)["Statistical analysis"]).lower()
    write_outputs(res, tmp_path)
    assert not (tmp_path / "tables" / "biomarkers.csv").exists()
    assert "No biomarker or mutation data" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_study_whose_markers_are_all_skipped(tmp_path):
    folder = assessments_study(tmp_path / "study", n=12, seed=1, treatments=False)
    pd.DataFrame({"patient_id": [f"S{i + 1:02d}" for i in range(12)], "lab": ["x"] * 12}) \
        .to_csv(folder / "biomarkers.csv", index=False)
    res = analyze(folder)
    b = res.sections["biomarkers"]
    assert b["markers"] == [] and b["n_tests"] == 0 and b["smallest_p"] is None
    doc = build_report_document(res)
    t = next(x for x in doc.tables if x.name == "biomarkers")
    assert t.rows == [["Lab: not analysed (fewer than two distinct values)", "12", "", "", ""]]
    assert "biomarker" not in plain(doc.results_text)


def test_marker_analyses_use_a_narrow_copy():
    """Each marker's analyses get patient, response/time/event and the converted marker only (a wide
    registry frame is not copied per marker and endpoint); the caller's frame is left as it was."""
    import pandas as pd

    from oncoseries.analysis.biomarkers import narrow
    from oncoseries.analysis.survival import EVENT, TIME

    wide = pd.DataFrame({"patient_id": ["a", "b", "c"], TIME: [1.0, 2.0, 3.0], EVENT: [1, 0, 1],
                         "parp1": ["1", None, "3"], "other": [9, 9, 9], "more": ["x", "y", "z"]})
    d = narrow(wide, "parp1", lambda s: s.astype(float))
    assert list(d.columns) == ["patient_id", TIME, EVENT, "parp1"]
    assert d["parp1"].tolist()[0] == 1.0 and pd.isna(d["parp1"].iloc[1])
    assert wide["parp1"].tolist() == ["1", None, "3"]
    resp = pd.DataFrame({"patient_id": ["a"], "_resp": [True], "parp1": ["2"], "other": [1]})
    assert list(narrow(resp, "parp1", lambda s: s.astype(float)).columns) == ["patient_id", "_resp", "parp1"]


def test_levels_by_response_as_crosstab():
    """_by_level counts responders per level as pd.crosstab (sorted levels, columns True then False, a level
    without responders or without non-responders kept); non-string levels take the crosstab itself."""
    import numpy as np
    import pandas as pd

    from oncoseries.analysis.biomarkers import _by_level

    rng = np.random.default_rng(4)
    values = pd.Series(rng.choice(["wild type", "mutated", "VUS", "10", "9"], 200), dtype=object)
    resp = pd.Series(rng.random(200) < 0.3)
    resp[values == "VUS"] = False
    resp[values == "9"] = True
    for v, r in ((values, resp), (values[resp], resp[resp]), (pd.Series([True, False, True] * 5), resp[:15])):
        want = pd.crosstab(v, r).reindex(columns=[True, False], fill_value=0).sort_index()
        levels, tab = _by_level(v, r)
        assert levels == list(want.index)
        assert tab.dtype == np.int64 and np.array_equal(tab, want.to_numpy())
    assert _by_level(values, resp)[0] == ["10", "9", "VUS", "mutated", "wild type"]
