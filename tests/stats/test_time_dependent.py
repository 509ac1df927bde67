"""Time-dependent covariates without immortal-time bias, against R survival 3.5-3 on the Stanford heart
transplant data (tests/golden/time_dependent.R: tmerge + coxph + survfit, and a landmark analysis)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncoseries.stats.cox import cox
from oncoseries.stats.kaplan_meier import kaplan_meier
from oncoseries.stats.logrank import logrank
from oncoseries.stats.time_dependent import landmark_frame, split_at_switch

ROOT = Path(__file__).resolve().parents[1]
GOLD = json.loads((ROOT / "golden" / "time_dependent.json").read_text())
JASA = pd.read_csv(ROOT / "data" / "time_dependent" / "jasa.csv")
REL = 1e-6


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=REL, atol=1e-12)


@pytest.fixture(scope="module")
def split():
    return split_at_switch(JASA, "futime", "fustat", "txtime", covariate="trt")


def test_split_equals_tmerge(split):
    g = GOLD["split"]
    assert split["subject"].tolist() == g["subject"]
    _close(split["tstart"], g["tstart"])
    _close(split["tstop"], g["tstop"])
    assert split["fustat"].astype(int).tolist() == g["death"]
    assert split["trt"].tolist() == g["trt"]


def test_time_dependent_cox_equals_coxph(split):
    fit = cox(split, "tstop", "fustat", ["age", "trt"], entry="tstart")
    g = GOLD["cox_age_trt"]
    _close(fit.summary["coef"], g["coef"])
    _close(fit.summary["se"], g["se"])
    fit1 = cox(split, "tstop", "fustat", ["trt"], entry="tstart")
    _close(fit1.summary["coef"], [GOLD["cox_trt"]["coef"]])
    _close([fit1.lr_test.statistic], [GOLD["cox_trt"]["lr"]])


def test_naive_analysis_differs():
    """Transplant as if known at acceptance (the immortal-time error) gives R's naive coefficient."""
    d = JASA.assign(ever=JASA["txtime"].notna().astype(int))
    fit = cox(d, "futime", "fustat", ["ever"])
    _close(fit.summary["coef"], [GOLD["naive"]["coef"]])
    assert fit.summary["coef"].iloc[0] < GOLD["cox_trt"]["coef"]


def test_simon_makuch_equals_survfit(split):
    km = kaplan_meier(split, "tstop", "fustat", by="trt", entry="tstart")
    g = GOLD["simon_makuch"]
    at = km.at(g["times"])
    # R's summary(extend=TRUE) lists every requested time per stratum; ours too (NaN past the last time)
    got = at[at["survival"].notna()]
    want = pd.DataFrame({"group": [s.split("=")[1] for s in g["strata"]], "time": g["time"],
                         "n_risk": g["n_risk"], "survival": g["surv"], "lower": g["lower"], "upper": g["upper"]})
    want = want[want["n_risk"] > 0]
    merged = got.merge(want, on=["group", "time"], suffixes=("", "_r"))
    assert len(merged) == len(want)
    for c in ("survival", "lower", "upper"):
        _close(merged[c], merged[f"{c}_r"])
    # n_risk at t itself (entry < t <= time; R's summary gives the next step's: docs/statistics-km.md)
    risk = [int(((split["trt"].astype(str) == g) & (split["tstart"] < t) & (split["tstop"] >= t)).sum())
            for g, t in zip(merged["group"], merged["time"])]
    assert merged["n_risk"].tolist() == risk


def test_landmark_equals_r():
    g = GOLD["landmark"]
    d, out = landmark_frame(JASA, "futime", "fustat", "txtime", g["landmark"], covariate="trt")
    assert len(d) == g["n"] and int(d["trt"].sum()) == g["n_switched"]
    assert len(d) + len(out) == len(JASA)
    assert set(out["reason"]) <= {"event before the landmark", "censored before the landmark"}
    fit = cox(d, "futime", "fustat", ["trt"])
    _close(fit.summary["coef"], [g["coef"]])
    _close(fit.summary["se"], [g["se"]])
    lr = logrank(d, "futime", "fustat", by="trt")
    _close([lr.statistic], [g["logrank_chisq"]])


def test_switch_rules():
    """tmerge's rules: a switch at the end of follow-up never happens; at or before 0 it applies from 0."""
    d = pd.DataFrame({"t": [10.0, 10.0, 10.0, 10.0, 10.0], "e": [1, 1, 0, 1, 1], "s": [4.0, 10.0, np.nan, 0.0, 12.0]})
    out = split_at_switch(d, "t", "e", "s")
    assert out[["row", "tstart", "tstop", "e", "switched"]].values.tolist() == [
        [0, 0, 4, 0, 0], [0, 4, 10, 1, 1], [1, 0, 10, 1, 0], [2, 0, 10, 0, 0], [3, 0, 10, 1, 1], [4, 0, 10, 1, 0]]
