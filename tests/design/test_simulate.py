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


def test_count_right_is_searchsorted():
    """survival._count_right (draws in a few pieces) is np.searchsorted(side="right"): edges that tie
    (zero-rate pieces), draws on an edge, NaN and infinities, arrays and scalars."""
    import numpy as np

    from oncoseries.design.survival import _count_right

    rng = np.random.default_rng(5)
    edges = np.array([0.0, 0.5, 0.5, 1.25, 3.0])
    x = np.concatenate([rng.uniform(-1, 4, 5000), edges, [np.nan, np.inf, -np.inf, -0.0]])
    want = np.searchsorted(edges, x, side="right")
    got = _count_right(edges, x)
    assert got.dtype == want.dtype and np.array_equal(got, want)
    assert np.array_equal(_count_right(edges, x[:4900].reshape(700, 7)), want[:4900].reshape(700, 7))
    for v in (0.5, 2.0, np.nan):
        assert _count_right(edges, v) == np.searchsorted(edges, v, side="right")


def test_entry_and_event_times_as_searchsorted_gives_them():
    """Accrual.sample and PiecewiseExponential.inverse_cumhaz give the values of the searchsorted
    formulas to the last bit (one period, several, a zero-rate period, a zero-rate hazard piece)."""
    import numpy as np

    from oncoseries.design.survival import Accrual, PiecewiseExponential

    rng = np.random.default_rng(9)
    u = np.concatenate([rng.random(4000), [0.0, 0.25, 0.5, 0.75, 1.0]])
    for acc in (Accrual((24.0,)), Accrual((5.0, 10.0), (0.5, 1.5)), Accrual((6.0, 12.0, 6.0), (1.0, 0.0, 2.0))):
        s, e, dens = acc.pieces()
        cum = np.concatenate([[0.0], np.cumsum((e - s) * dens)])
        j = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, len(s) - 1)
        j = np.where(dens[j] > 0, j, np.searchsorted(cum, u, side="left") - 1)
        assert acc.sample(u).tobytes() == (s[j] + (u - cum[j]) / dens[j]).tobytes()
    h = np.concatenate([rng.exponential(1.0, 4000), [0.0, np.inf]])
    for pe in (PiecewiseExponential.exponential(7.0), PiecewiseExponential((0.0, 3.0, 6.0), (0.1, 0.0, 0.05))):
        s, r = np.asarray(pe.starts), np.asarray(pe.rates)
        at = pe.cumhaz(s)
        j = np.minimum(np.searchsorted(at, h, side="right") - 1, len(s) - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            assert pe.inverse_cumhaz(h).tobytes() == (s[j] + (h - at[j]) / r[j]).tobytes()


def test_blocks_of_trials_do_not_change_a_chunk(monkeypatch):
    """_chunk computes its trials in blocks of rows: any block size gives the same arrays, bit for bit
    (two looks, a cut that some trials never reach, dropout)."""
    import numpy as np

    from oncoseries.design import simulate
    from oncoseries.design.survival import Accrual, PiecewiseExponential

    args = (np.random.SeedSequence(21), 230, 30, 45, 0.7, PiecewiseExponential((0.0, 4.0), (0.15, 0.05)),
            Accrual((6.0, 12.0), (1.0, 2.0)), 0.02, [20, 55])
    outs = []
    for rows in (1000, 100, 7):
        monkeypatch.setattr(simulate, "_ROWS", rows)
        outs.append(simulate._chunk(*args))
    for other in outs[1:]:
        assert all(a.tobytes() == b.tobytes() for a, b in zip(outs[0], other))
    assert 0.2 < outs[0][2].mean() < 0.9    # some trials reach 55 events, some do not
