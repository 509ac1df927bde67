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


def _logrank_z_stable(time, event, arm, included):
    """The log-rank z with a stable sort (tied times in the order entered): the reference for _logrank_z."""
    import numpy as np

    order = np.argsort(np.where(included, time, np.inf), axis=1, kind="stable")
    ev = np.take_along_axis(event & included, order, axis=1)
    a = np.take_along_axis(arm & included, order, axis=1).astype(float)
    inc = np.take_along_axis(included, order, axis=1).astype(float)
    n = np.cumsum(inc[:, ::-1], axis=1)[:, ::-1]
    ne = np.cumsum(a[:, ::-1], axis=1)[:, ::-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(n > 0, ne / np.where(n > 0, n, 1), 0.0)
    o_e = np.sum(ev * (a - frac), axis=1)
    v = np.sum(ev * frac * (1 - frac), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(v > 0, o_e / np.sqrt(np.where(v > 0, v, 1)), 0.0)


@pytest.mark.parametrize("tied", [False, True])
def test_logrank_z_equals_the_stable_sort_bit_for_bit(tied):
    """_logrank_z sorts with introsort and falls back to a stable sort when finite times tie, so z is the
    stable sort's to the last bit, with continuous times and with times rounded to whole months (ties)."""
    import numpy as np

    from oncoseries.design.simulate import _logrank_z

    rng = np.random.default_rng(7)
    time = rng.exponential(12.0, (300, 80))
    if tied:
        time = np.ceil(time)
    event = rng.random((300, 80)) < 0.7
    arm = np.zeros((300, 80), bool)
    arm[:, 40:] = True
    included = rng.random((300, 80)) < 0.9
    want = _logrank_z_stable(time, event, arm, included)
    got = _logrank_z(time, event, arm, included)
    assert got.tobytes() == want.tobytes()
    assert np.isfinite(want).all() and np.abs(want).max() > 0.5
