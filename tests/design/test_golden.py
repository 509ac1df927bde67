"""oncoseries.design against R: rpact (tests/golden/design_rpact.R) and independent base-R implementations
(tests/golden/design_formulas.R); relative tolerance 1e-6."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from oncoseries.design import (Accrual, PiecewiseExponential, ahern, design_survival, events_needed,
                               group_sequential, one_sample_logrank_n, simon_two_stage)

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
RPACT = json.loads((GOLDEN / "design_rpact.json").read_text())
FORM = json.loads((GOLDEN / "design_formulas.json").read_text())
RTOL = 1e-6


def test_events_match_rpact():
    ev = pd.DataFrame(RPACT["events"])
    assert len(ev) == 160
    for r in ev.itertuples():
        got = events_needed(r.hr, r.alpha, r.power, r.ratio, int(r.sides), r.method.lower())
        assert got == pytest.approx(r.events, rel=RTOL), r


@pytest.mark.parametrize("s", RPACT["patients"], ids=lambda s: s["name"])
def test_events_driven_patients_match_rpact(s):
    from oncoseries.design import dropout_hazard

    d = design_survival(s["hr"], PiecewiseExponential(tuple(s["starts"]), tuple(s["rates"])),
                        Accrual(tuple(s["acc_dur"]), tuple(s["acc_rate"])), s["fu"], alpha=s["alpha"],
                        power=s["power"], ratio=s["ratio"], sides=int(s["sides"]),
                        dropout_rate=dropout_hazard(s["drop"], s["drop_time"]), method="schoenfeld")
    assert d.events == pytest.approx(s["events"], rel=RTOL)
    assert d.patients == pytest.approx(s["patients"], rel=RTOL)


@pytest.mark.parametrize("g", RPACT["sequential"], ids=lambda g: f"{g['type']}-k{g['k']}")
def test_lan_demets_match_rpact(g):
    d = group_sequential(int(g["k"]), g["alpha"], g["power"], sides=1,
                         spending_function={"asOF": "obf", "asP": "pocock"}[g["type"]], timing=g["timing"])
    assert d.bounds == pytest.approx(g["bounds"], rel=RTOL)
    assert d.alpha_spent == pytest.approx(g["alpha_spent"], rel=RTOL)
    assert d.inflation == pytest.approx(g["inflation"], rel=RTOL)


@pytest.mark.parametrize("s", FORM["lachin_foulkes"], ids=lambda s: f"hr{s['hr']}")
def test_lachin_foulkes_matches_independent_r(s):
    d = design_survival(s["hr"], PiecewiseExponential(tuple(s["starts"]), tuple(s["rates"])),
                        Accrual(tuple(s["dur"]), tuple(s["rate"])), s["fu"], alpha=s["alpha"], power=s["power"],
                        ratio=s["ratio"], sides=int(s["sides"]), dropout_rate=s["eta"])
    assert d.prob_event_control == pytest.approx(s["p_control"], rel=RTOL)
    assert d.prob_event_experimental == pytest.approx(s["p_experimental"], rel=RTOL)
    assert d.patients == pytest.approx(s["patients"], rel=RTOL)
    assert d.events == pytest.approx(s["events"], rel=RTOL)


@pytest.mark.parametrize("s", FORM["simon"], ids=lambda s: f"{s['p0']}-{s['p1']}-{s['alpha']}-{s['beta']}")
def test_simon_matches_r_enumeration(s):
    for kind in ("optimal", "minimax"):
        d = simon_two_stage(s["p0"], s["p1"], s["alpha"], 1 - s["beta"], kind, nmax=int(s["nmax"]))
        ref = s[kind]
        assert (d.r1, d.n1, d.r, d.n) == (ref["r1"], ref["n1"], ref["r"], ref["n"]), kind
        assert d.en0 == pytest.approx(ref["en0"], rel=RTOL)
        assert d.pet0 == pytest.approx(ref["pet0"], rel=RTOL)


def test_ahern_matches_r():
    a = pd.DataFrame(FORM["ahern"])
    for r in a.itertuples():
        d = ahern(r.p0, r.p1, r.alpha, r.power)
        assert (d.n, d.r) == (r.n, r.r), r


@pytest.mark.parametrize("s", FORM["one_sample"], ids=lambda s: f"hr{s['hr']}")
def test_one_sample_logrank_matches_independent_r(s):
    d = one_sample_logrank_n(s["hr"], PiecewiseExponential(tuple(s["starts"]), tuple(s["rates"])),
                             Accrual(tuple(s["dur"]), tuple(s["rate"])), s["fu"], s["alpha"], s["power"],
                             s["eta"])
    assert d.n == pytest.approx(s["n"], rel=RTOL)
    assert d.prob_event_h1 == pytest.approx(s["q1"], rel=RTOL)


def test_lachin_foulkes_matches_gsdesign_documented_output():
    """gsDesign's own printed example (tests/testthat/_snaps/independent-test-print.nSurv.md, "checking for
    Censoring Rates"): nSurv(lambdaC = log(2)/6, hr = 0.6, gamma = 1, R = 12, T = NULL, minfup = 0.2,
    alpha = 0.025, beta = 0.1, sided = 1) solves the accrual duration at 1 patient per month: 171.997 months,
    N = 172.0, D = 160.7. At that accrual, our Lachin-Foulkes N must equal the accrual duration."""
    d = design_survival(0.6, 6, 171.997, 0.2, alpha=0.025, sides=1, power=0.9)
    assert d.patients == pytest.approx(171.997, abs=5e-4)
    assert round(d.patients, 1) == 172.0 and round(d.events, 1) == 160.7
