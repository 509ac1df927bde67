"""The seeded simulation agrees with the formulas within Monte Carlo error, and is reproducible."""

from __future__ import annotations

import math

import pytest

from oncoseries.design import design_survival, group_sequential, power_events
from oncoseries.design.simulate import simulate_design, simulate_trials

N_SIM = 10000


@pytest.fixture(scope="module")
def fixed():
    d = design_survival(0.67, 6, 24, 12, method="schoenfeld", dropout_rate=0.005)
    return d, simulate_design(d, 6, 24, n_sim=N_SIM, seed=7)


def test_power_agrees_with_schoenfeld(fixed):
    d, sim = fixed
    expected = power_events(0.67, d.events_planned)
    assert abs(sim["h1"].rejection_rate - expected) < 3.5 * sim["h1"].rejection_se
    assert sim["h1"].reached == 1.0


def test_type_one_error_agrees_with_alpha(fixed):
    d, sim = fixed
    se = math.sqrt(0.05 * 0.95 / N_SIM)
    assert abs(sim["h0"].rejection_either_side - 0.05) < 3.5 * se
    assert abs(sim["h0"].rejection_rate - 0.025) < 3.5 * math.sqrt(0.025 * 0.975 / N_SIM)


def test_time_of_final_analysis_agrees_with_expected_events(fixed):
    d, sim = fixed
    assert sim["h1"].time_quantiles["50%"] == pytest.approx(d.time_to_events_h1, abs=0.5)
    assert sim["h0"].time_quantiles["50%"] == pytest.approx(d.time_to_events_h0, abs=0.5)


def test_group_sequential_power_and_alpha():
    d = design_survival(0.7, 8, 24, 12, alpha=0.025, sides=1, power=0.8, method="schoenfeld")
    gs = group_sequential(3, 0.025, 0.8, sides=1, spending_function="obf")
    sim = simulate_design(d, 8, 24, n_sim=N_SIM, seed=11, sequential=gs)
    assert abs(sim["h1"].rejection_rate - 0.8) < 3.5 * sim["h1"].rejection_se
    assert abs(sim["h0"].rejection_rate - 0.025) < 3.5 * math.sqrt(0.025 * 0.975 / N_SIM)
    assert sum(sim["h1"].rejection_by_look) == pytest.approx(sim["h1"].rejection_rate)
    for got, want in zip(sim["h1"].rejection_by_look, gs.prob_cross_h1):
        assert abs(got - want) < 4 * math.sqrt(want * (1 - want) / N_SIM) + 1e-3


def test_seeded_and_chunking_independent():
    a = simulate_trials(40, 40, 50, 0.6, 6, 12, n_sim=2500, seed=3)
    b = simulate_trials(40, 40, 50, 0.6, 6, 12, n_sim=2500, seed=3, use_dask=True)
    assert a == b
    assert simulate_trials(40, 40, 50, 0.6, 6, 12, n_sim=2500, seed=4) != a
