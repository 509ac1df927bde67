"""Odds ratios, REMARK hazard ratios, cut-points and adjusted P of the ``biomarkers`` section on the bundled
hdifo study, against R (tests/golden/markers.R, ``hdifo``: glm, the independent Firth script, coxph,
maxstat.test Lau92, p.adjust), and the rules on small cases."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tests.stats._km_helpers import assert_close, load_golden

from oncoseries.analysis import analyze
from oncoseries.analysis.marker_effects import odds_ratios
from oncoseries.examples import example_study_path

G = load_golden("markers")["hdifo"]


@pytest.fixture(scope="module")
def b():
    return json.loads(json.dumps(analyze(example_study_path("hdifo")).to_dict()))["biomarkers"]


def test_adjusted_p_equal_p_adjust(b):
    keys = [(m, k) for m in b["markers"] for k in ("response", "PFS", "OS")]
    assert_close([m[k]["p"] for m, k in keys], G["p"], "raw P in R's order")
    assert_close([m[k]["p_adjusted"] for m, k in keys], G["bh"], "BH")
    assert b["adjustment"] == "BH" and b["n_tests"] == 21
    assert b["n_adjusted_below_alpha"] == sum(q < 0.05 for q in G["bh"]) == len(b["significant_after_adjustment"])


def test_odds_ratios_equal_r(b):
    for m in b["markers"]:
        g = G["markers"][m["marker"]]["or"]
        o = m["response"]["odds_ratio"]
        assert o["method"] == g["method"], m["marker"]
        if m["type"] == "numeric":
            unit, iqr = o["terms"]
            assert_close(unit["coef"], g["coef"], "coef")
            assert_close([unit["lower"], unit["upper"], unit["p"]], [g["lower"][0], g["upper"][0], g["p"][0]])
            assert_close([iqr["iqr"], iqr["odds_ratio"]], [g["iqr"], g["or_iqr"][0]], "per IQR")
        else:
            assert o["reference"] == g["reference"]
            assert_close([t["coef"] for t in o["terms"]], g["coef"], m["marker"])
            assert_close([t["lower"] for t in o["terms"]], g["lower"])
            assert_close([t["upper"] for t in o["terms"]], g["upper"])
            assert_close([t["p"] for t in o["terms"]], g["p"])


def test_remark_hazard_ratios_and_maxstat_equal_r(b):
    for m in b["markers"]:
        for row in m["remark"]:
            g = G["markers"][m["marker"]][row["endpoint"]]
            hr = row["hr"][:1] if m["type"] == "numeric" else row["hr"]
            assert_close([h["hr"] for h in hr], g["hr"], f"{m['marker']} {row['endpoint']}")
            assert_close([h["lower"] for h in hr], g["lower"])
            assert_close([h["upper"] for h in hr], g["upper"])
            assert_close([h["p"] for h in hr], g["p_wald"])
            if m["type"] == "numeric":
                c = m["cutpoint"][row["endpoint"]]
                assert_close([c["cutpoint"], c["statistic"], c["p_corrected"]],
                             [g["cutpoint"], g["statistic"], g["p_lau92"]], "maxstat")
                assert m["cutpoint"]["source"].startswith("data-driven")


def test_firth_binary_marker_is_half_added_odds_ratio():
    """One binary marker: Firth's OR is (a+.5)(d+.5) / ((b+.5)(c+.5)) (Firth 1993), written out here."""
    sub = pd.DataFrame({"_resp": [True] * 2 + [False] * 10 + [True] * 4 + [False] * 6,
                        "g": ["yes"] * 12 + ["no"] * 10})
    o = odds_ratios(sub, "g", numeric=False)
    assert o["method"] == "firth" and o["reference"] == "no"
    assert o["terms"][0]["odds_ratio"] == pytest.approx((2.5 * 6.5) / (10.5 * 4.5), rel=1e-9)


def test_ml_when_enough_responders_and_no_separation():
    rng = np.random.default_rng(1)
    x = rng.normal(size=80)
    sub = pd.DataFrame({"_resp": x + rng.normal(size=80) > 0, "x": x})
    assert odds_ratios(sub, "x", numeric=True)["method"] == "ml"
    sub2 = pd.DataFrame({"_resp": x > 0, "x": x})
    o = odds_ratios(sub2, "x", numeric=True)
    assert o["method"] == "firth" and o["firth_reason"] == "separation" and np.isfinite(o["terms"][0]["upper"])
    assert odds_ratios(sub2.assign(_resp=False), "x", numeric=True) == {"skipped": "no responders"}


def test_holm_and_given_cutpoint(tmp_path):
    """study.yaml ``biomarkers: {adjust: holm, cutpoints: {parp1_ihc: 150}}`` on a copy of the example."""
    import shutil

    folder = tmp_path / "hdifo"
    shutil.copytree(example_study_path("hdifo"), folder)
    with open(folder / "study.yaml", "a", encoding="utf-8") as f:
        f.write("biomarkers:\n  adjust: holm\n  cutpoints: {parp1_ihc: 150}\n")
    b = json.loads(json.dumps(analyze(folder).to_dict()))["biomarkers"]
    keys = [(m, k) for m in b["markers"] for k in ("response", "PFS", "OS")]
    assert_close([m[k]["p_adjusted"] for m, k in keys], G["holm"], "Holm")
    assert b["adjustment"] == "holm"
    c = next(m for m in b["markers"] if m["marker"] == "parp1_ihc")["cutpoint"]
    assert c["source"] == "study.yaml" and c["value"] == 150.0 and c["rule"] == "high = value >= cut-point"
    h = pd.read_csv(folder / "biomarkers.csv")["parp1_ihc"]
    h = h[h >= 0]                                        # -1 = no tissue (blank in the CSV)
    assert c["PFS"]["n"] == len(h)
    assert {g["level"]: g["n"] for g in c["PFS"]["groups"]} == {"high": int((h >= 150).sum()),
                                                               "low": int((h < 150).sum())}
    assert "p" in c["PFS"] and "p" in c["response"]
