"""Properties of the randomised-trial formulas and clear errors for bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncoseries.design import (Accrual, DesignError, PiecewiseExponential, control_from_km, design_survival,
                               events_schoenfeld, expected_events, group_sequential, power_events,
                               power_survival)


def test_schoenfeld_by_hand():
    z = 1.959963984540054 + 0.8416212335729143
    assert events_schoenfeld(0.67) == pytest.approx(4 * z * z / math.log(0.67) ** 2, rel=1e-12)
    assert power_events(0.67, events_schoenfeld(0.67)) == pytest.approx(0.8, rel=1e-12)


def test_power_survival_inverts_design():
    for method in ("lachin-foulkes", "schoenfeld"):
        d = design_survival(0.6, 8, 18, 12, method=method, dropout_rate=0.01)
        assert power_survival(0.6, d.patients, 8, 18, 12, method=method, dropout_rate=0.01)[0] == \
            pytest.approx(0.8, rel=1e-9)


def test_expected_events_reach_design_events_at_study_end():
    d = design_survival(0.67, 6, 24, 12)
    acc, c = Accrual((24.0,)), PiecewiseExponential.exponential(6)
    at_end = d.patients * (expected_events(36, acc, c)[0] + expected_events(36, acc, c.scaled(0.67))[0]) / 2
    assert at_end == pytest.approx(d.events, rel=1e-10)
    assert d.time_to_events_h0 < d.time_to_events_h1 <= 36 + 0.5


def test_piecewise_from_km_recovers_exponential():
    t = np.linspace(0.01, 30, 3000)
    pw = control_from_km(t, np.exp(-0.1 * t), [0, 6, 12, 18])
    assert np.allclose(pw.rates, 0.1, rtol=5e-3)   # the step grid is 0.01 wide
    assert pw.median() == pytest.approx(math.log(2) / 0.1, rel=1e-3)


@pytest.mark.parametrize("call, fragment", [
    (lambda: events_schoenfeld(1.0), "hazard ratio of 1"),
    (lambda: events_schoenfeld(0.7, power=1.2), "power = 1.2"),
    (lambda: events_schoenfeld(0.7, alpha=0), "alpha = 0"),
    (lambda: events_schoenfeld(-0.7), "hr = -0.7"),
    (lambda: events_schoenfeld(0.7, sides=3), "sides"),
    (lambda: design_survival(0.7, 6, -24, 12), "accrual = -24"),
    (lambda: design_survival(0.7, 6, 24, -1), "follow_up = -1"),
    (lambda: design_survival(0.7, -6, 24, 12), "control median"),
    (lambda: design_survival(0.7, 6, 24, 12, dropout_rate=-0.1), "dropout_rate"),
    (lambda: group_sequential(0), "looks"),
    (lambda: group_sequential(3, timing=[0.5, 0.4, 1]), "timing"),
    (lambda: group_sequential(3, spending_function="haybittle"), "spending"),
])
def test_bad_input_is_a_clear_error(call, fragment):
    with pytest.raises(DesignError, match=fragment.replace("(", r"\(")):
        call()
