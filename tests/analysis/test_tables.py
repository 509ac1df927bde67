"""Issue 11, tables and honest response claims: Table 1 by group with gtsummary add_p P values, the side-by-side
Cox table (type III P, scaled HRs, events per variable, screening), both ORRs and a CBR consistent with PFS.
Goldens: tests/golden/tables.R -> tables.json (R stats and survival 3.5-3)."""

from __future__ import annotations

import html
import json
import re
import shutil

import numpy as np
import pytest
from tests.stats._km_helpers import assert_close, load_golden

from oncoseries.analysis import analyze, write_outputs
from oncoseries.analysis.labels import apply_labels
from oncoseries.analysis.run import analysis_covariates
from oncoseries.analysis.table1_by import table1_by
from oncoseries.examples import example_study_path
from oncoseries.report import build_report_document
from oncoseries.report.context import resolve
from oncoseries.stats.group_compare import kruskal_wallis, pwilcox_counts, wilcoxon_test
from oncoseries.stats.kaplan_meier import kaplan_meier
from oncoseries.study import read_study

G = load_golden("tables")


@pytest.fixture(scope="module")
def example():
    return analyze(example_study_path())


@pytest.fixture(scope="module")
def tables(example):
    return {t.name: t for t in build_report_document(example).tables}


# --- group comparisons equal to R ------------------------------------------------------------------------
@pytest.mark.parametrize("case", G["wilcox"], ids=lambda c: f"{len(c['x'])}x{len(c['y'])}")
def test_wilcoxon_equals_r_defaults(case):
    res = wilcoxon_test(case["x"], case["y"])
    assert_close(res.statistic, case["statistic"], "W")
    assert_close(res.p_value, case["p"], "p")


def test_exact_wilcoxon_distribution_counts_every_arrangement():
    from math import comb
    for m, n in ((3, 4), (7, 5), (25, 26)):
        counts = pwilcox_counts(m, n)
        assert counts.sum() == comb(m + n, m) and list(counts) == list(counts[::-1])


@pytest.mark.parametrize("case", G["kruskal"], ids=lambda c: str(len(c["x"])))
def test_kruskal_equals_r(case):
    res = kruskal_wallis(case["x"], case["g"])
    assert_close(res.statistic, case["statistic"], "H")
    assert res.df == case["df"]
    assert_close(res.p_value, case["p"], "p")


def _check_table1(section: dict, golden: dict) -> None:
    got = {v["variable"]: v for v in section["variables"]}
    assert set(got) == set(golden)
    for name, g in golden.items():
        v = got[name]
        assert v["test"] == g["test"], name
        assert_close(v["p"], g["p"], name)
        if "statistic" in g:
            assert_close(v["statistic"], g["statistic"], f"{name} statistic")


def test_table1_by_prior_ifosfamide_equals_r(example):
    tb = example.sections["table1_by"]
    assert tb["by"] == "prior_ifosfamide" and [g["level"] for g in tb["groups"]] == ["No", "Yes"]
    assert [g["n"] for g in tb["groups"]] == [23, 28]
    _check_table1(tb, G["table1_prior_ifosfamide"])


def test_table1_by_three_groups_uses_kruskal_wallis_equal_to_r():
    study = read_study(example_study_path())
    frame, covariates = analysis_covariates(study)
    apply_labels(frame, study.config.labels)
    tb = table1_by(frame, covariates, "centre")
    assert any(v["test"] == "kruskal" for v in tb["variables"])
    _check_table1(tb, G["table1_centre"])


def test_table1_by_group_in_the_report(tables):
    t = tables["table1_characteristics"]
    assert t.columns == ["Characteristic", "Overall (N = 51)", "Prior ifosfamide: No (N = 23)",
                         "Prior ifosfamide: Yes (N = 28)", "P"]
    rows = {r[0]: r for r in t.rows}
    assert rows["Line of therapy, n (%)"][4].startswith("<0.001")
    assert rows["PARP1 immunohistochemistry (H-score), median (range)"][4] == "0.94\u00b2"
    missing = [r for r in t.rows if r[0] == "Missing"]
    assert missing and all(r[1] for r in missing)
    assert any("Fisher's exact test" in n for n in t.notes) and any("Wilcoxon" in n for n in t.notes)


# --- Cox table -----------------------------------------------------------------------------------------------
def _model(example, ep, kind, first):
    return next(m for m in example.sections["cox"] if m["endpoint"] == ep and m["model"] == kind
                and m["covariates"][0] == first)


def test_type3_and_scaled_hr_equal_r(example):
    g = G["cox"]
    multi = _model(example, "PFS", "multivariable", "prior_ifosfamide")
    assert [t["term"] for t in multi["type3"]] == g["pfs_multi_type3"]["terms"]
    assert [t["df"] for t in multi["type3"]] == g["pfs_multi_type3"]["df"]
    assert_close([t["statistic"] for t in multi["type3"]], g["pfs_multi_type3"]["statistic"], "LR")
    assert_close([t["p"] for t in multi["type3"]], g["pfs_multi_type3"]["p"], "type III P")
    age = next(t for t in multi["terms"] if t["term"] == "age")["per"]
    assert age["text"] == "per 10 years"
    assert_close([age["hr"], age["lower"], age["upper"]], [g["pfs_multi_age10"][k] for k in ("hr", "lower", "upper")])
    ecog = _model(example, "OS", "univariable", "ecog")
    assert_close(ecog["type3"][0]["p"], g["os_uni_ecog_lr_p"], "univariable LR")
    rfi = _model(example, "OS", "univariable", "relapse_free_interval_months")["terms"][0]["per"]
    assert rfi["iqr"] and rfi["text"].startswith("per IQR (")
    assert_close([rfi["amount"], rfi["hr"], rfi["lower"], rfi["upper"]],
                 [g["os_uni_rfi_iqr"][k] for k in ("iqr", "hr", "lower", "upper")])
    age1 = _model(example, "OS", "univariable", "age")["terms"][0]["per"]
    assert_close([age1["hr"], age1["lower"], age1["upper"]], [g["os_uni_age10"][k] for k in ("hr", "lower", "upper")])


def test_every_table1_variable_screened_and_multivariable_keeps_the_plan(example):
    uni = {m["covariates"][0] for m in example.sections["cox"] if m["endpoint"] == "OS" and m["model"] == "univariable"}
    assert uni == {v["variable"] for v in example.sections["table1"]}
    multi = [m for m in example.sections["cox"] if m["model"] == "multivariable"]
    assert [m["covariates"] for m in multi] == [["prior_ifosfamide", "ecog", "age"]]
    assert multi[0]["events_per_variable"] == pytest.approx(47 / 4) and not multi[0]["epv_low"]
    assert example.sections["regression"]["epv_warnings"] == []


def test_side_by_side_cox_table(tables):
    t = tables["cox_models"]
    assert t.columns[:6] == ["Characteristic", "Patients (events)", "Univariable HR (95% CI)", "Univariable P",
                             "Multivariable HR (95% CI)", "Multivariable P"]
    rows = [r for r in t.rows]
    i = next(k for k, r in enumerate(rows) if r[0] == "ECOG performance status")
    head, ref, one, two = rows[i:i + 4]
    assert head[3] and head[5] and not one[3] and not one[5]           # one global P per variable
    assert (ref[0], ref[2], ref[4]) == ("0", "1 (reference)", "1 (reference)")
    assert one[0] == "1" and one[2] and one[4]
    age = next(r for r in rows if r[0].startswith("Age (years), per 10 years"))
    assert age[2] and age[4]
    assert any(r[0].startswith("Relapse-free interval (months), per IQR (") for r in rows)
    centre = next(r for r in rows if r[0] == "Centre")
    assert centre[3] and not centre[4]                                 # screened only: no multivariable HR
    assert any("likelihood-ratio test of the model with and without it" in n for n in t.notes)


def test_events_per_variable_warning(tmp_path):
    folder = tmp_path / "hdifo"
    shutil.copytree(example_study_path(), folder)
    text = (folder / "study.yaml").read_text().replace("  screen: all\n", "  screen: all\n  min_events_per_variable: 20\n")
    (folder / "study.yaml").write_text(text)
    res = analyze(folder)
    warn = res.sections["regression"]["epv_warnings"]
    assert [(w["endpoint"], w["model"]) for w in warn if w["model"] == "multivariable"] == [("PFS", "multivariable")]
    assert warn[0]["events_per_variable"] < 20
    t = {x.name: x for x in build_report_document(res).tables}["cox_models"]
    assert any(n.startswith("\u00a7 PFS multivariable model") and "below 20" in n for n in t.notes)


# --- honest response claims ----------------------------------------------------------------------------
def test_both_orrs_in_results_table_and_text(example, tables, tmp_path):
    resp = example.sections["response"]
    assert resp["orr"]["headline"] == "unconfirmed"
    assert resp["orr"]["unconfirmed"]["n"] == 10 and resp["orr"]["confirmed"]["n"] == 2
    assert resp["orr"]["confirmed"]["lower"] == next(r for r in resp["confirmed"] if r["category"] == "ORR")["lower"]
    t = tables["response"]
    assert t.columns == ["Best overall response", "Unconfirmed, n (%)", "Unconfirmed, 95% CI", "Confirmed, n (%)",
                         "Confirmed, 95% CI"]
    orr = next(r for r in t.rows if r[0].startswith("Objective response rate"))
    assert orr[1].startswith("10 (") and orr[3].startswith("2 (")
    assert any("headline rate (Results) is the unconfirmed one" in n for n in t.notes)
    assert any(n.startswith("Clinical benefit: CR or PR, or no progression or death for at least 24 weeks")
               for n in t.notes)
    write_outputs(example, tmp_path / "out", figures=False)
    raw = (tmp_path / "out" / "report.html").read_text()
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    for path, value in re.findall(r'data-path="([^"]+)" data-kind="[^"]+" data-value="([^"]*)"', raw):
        if path.startswith(("table1_by", "response", "cox", "regression")):
            assert resolve(data, html.unescape(path)) == json.loads(html.unescape(value)), path
    page = html.unescape(re.sub(r"<[^>]+>", "", raw)).replace("\u00a0", " ")  # no-break spaces as spaces
    assert ("Compared by prior ifosfamide (No: 23 patients; Yes: 28), the groups differed in number of lesions at "
            "relapse (P = 0.04) and line of therapy (P < 0.001)") in page.replace("\u00a0", " ")
    assert "objective response rate (ORR), by the unconfirmed best overall response as planned, was 20%" in page
    assert re.search(r"and 4% \(95% CI [^)]*\) with confirmation", page)
    assert "clinical benefit rate (CR or PR, or no progression or death for at least 24 weeks) was 63%" in page


def test_clinical_benefit_is_consistent_with_pfs(example):
    """The progression-free part of CBR is the PFS number at risk at 24 weeks, and the Kaplan-Meier PFS at
    that time lies between it and 1 - events before it (so the two cannot contradict each other)."""
    cb = example.sections["response"]["clinical_benefit"]
    days = cb["days"]
    assert (days, cb["weeks"], cb["rule"]) == (168, 24.0, "pfs")
    adtte = example.derived["adtte"]
    pfs = adtte[adtte["paramcd"] == "PFS"]
    best = example.derived["best_response"]
    best = best[best["response_population"].astype(bool)]
    pfs = pfs[pfs["patient_id"].isin(best["patient_id"])]
    n = len(best)
    t = days + 1.0                                                   # aval = elapsed days + 1
    at_risk = int((pfs["aval"] >= t).sum())
    events_before = int(((pfs["aval"] < t) & (pfs["cnsr"] == 0)).sum())
    assert cb["progression_free_n"] == at_risk
    km = kaplan_meier(pfs.assign(event=(pfs["cnsr"] == 0).astype(int)), "aval", "event")
    s = float(km.at([t - 1e-9])["survival"].iloc[0])
    assert at_risk / n <= s + 1e-12 <= 1 - events_before / n + 2e-12
    responders = set(best.loc[best["bor"].isin(["CR", "PR"]), "patient_id"])
    free = set(pfs.loc[pfs["aval"] >= t, "patient_id"])
    assert cb["unconfirmed"]["n"] == len(responders | free)
    # the old scan-based rule gave 25% against a 6-month PFS of 49%; now CBR is at least the PFS-free share
    six = example.sections["survival"]["PFS"]["landmarks"][0]
    assert cb["confirmed"]["proportion"] >= at_risk / n and abs(cb["confirmed"]["proportion"] - six["survival"]) < 0.1
    assert np.isclose(cb["unconfirmed"]["proportion"], len(responders | free) / n)


def test_table1_by_a_continuous_variable_is_refused_with_a_note():
    study = read_study(example_study_path())
    frame, covariates = analysis_covariates(study)
    tb = table1_by(frame, covariates, "age")
    assert tb["groups"] == [] and "distinct values" in tb["skipped"]
    tb = table1_by(frame, covariates, "ecog")                 # three groups: Kruskal-Wallis for age
    assert next(v for v in tb["variables"] if v["variable"] == "age")["test"] == "kruskal"
    by_level = next(v for v in tb["variables"] if v["variable"] == "sex")["groups"]
    assert [g["level"] for g in by_level] == ["0", "1", "2"] and sum(g["N"] for g in by_level) == 51
