"""Every name of the public API (INTERFACE §4) resolves and does real work through `oncoseries`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import oncoseries as osr

LUNG = Path(__file__).resolve().parent / "data" / "r-survival" / "lung.csv"


@pytest.mark.parametrize("name", sorted(osr._API))
def test_name_resolves(name):
    assert callable(getattr(osr, name))


def test_api_on_lung():
    lung = pd.read_csv(LUNG).assign(dead=lambda d: d["status"] == 2)
    km = osr.kaplan_meier(lung, "time", "dead", by="sex")
    assert km.medians["group"].tolist() == ["1", "2"]
    assert km.medians["median"].tolist() == [270.0, 426.0]          # survminer#828 / R print(survfit)
    assert osr.logrank(lung, "time", "dead", by="sex").df == 1
    fit = osr.cox(lung, "time", "dead", ["sex"])
    assert fit.summary.loc["sex", "coef"] == pytest.approx(-0.53102354, rel=1e-6)  # lifelines#448, R
    assert list(osr.cox_zph(fit).index) == ["sex", "GLOBAL"]
    assert list(osr.rmst(lung, "time", "dead", tau=365, by="sex").columns) == ["group", "rmst", "se", "lower",
                                                                                 "upper"]


def test_read_and_analyze():
    from oncoseries.examples import example_study_path

    study = osr.read_study(example_study_path("mini"))
    assert len(study.patients) == 8
    assert osr.analyze(study).sections["survival"]["OS"]["n"] == 8
