"""Simulation of a designed two-arm time-to-event trial (seeded, vectorised numpy).

Each simulated trial: ``n_control`` + ``n_experimental`` patients enter over the accrual periods (inverse
of the piecewise-uniform entry distribution), event times are drawn by inverting the piecewise-exponential
cumulative hazard (experimental: control hazard x HR), dropout is exponential. The analysis is event-driven:
the data are cut when the ``events``-th event has happened (calendar time), as a trial's final analysis is
planned; with ``looks`` the data are also cut at each interim event count. The log-rank z statistic
(experimental vs control, negative when the experimental arm does better) is computed for all trials at once
from the sorted times. Trials run in chunks with independent streams from ``numpy.random.SeedSequence(seed)``,
so the result depends only on ``seed`` and ``n_sim`` (not on the chunk count, nor on Dask).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from ._dists import norm

from ._common import DesignError, check_positive, check_prob, check_sides
from .survival import SurvivalDesign, _setup

__all__ = ["SimulationResult", "simulate_trials", "simulate_design"]

_CHUNK = 1000
_ROWS = 100          # trials computed together within a chunk (_chunk)


def _logrank_z(time: np.ndarray, event: np.ndarray, arm: np.ndarray, included: np.ndarray) -> np.ndarray:
    """Log-rank z per row (rows are trials); excluded patients (not yet entered) carry no weight.

    The three flags (event, experimental arm, included) travel as the bits of one uint8 code, so one gather
    puts them in time order; the numbers at risk (all, experimental) are whole-number counts, taken from an
    integer cumulative sum (the reversed float cumulative sum of 0/1 gives the same whole numbers), and
    ``ne / max(n, 1)`` is the share at risk in the experimental arm (0 where no one is at risk, as then
    ne = 0). The sums run over the same full rows as before, so z is the same to the last bit
    (tests/design/test_simulate.py compares with the plain formulas)."""
    keyed = np.where(included, time, np.inf)
    rows, n_cols = keyed.shape
    start = np.arange(0, rows * n_cols, n_cols)[:, None]           # = take_along_axis(a, order, 1), as a
    order = np.argsort(keyed, axis=1)                              # flat take (no index broadcasting)
    ranked = keyed.ravel().take(order + start)                     # introsort: ~3x a stable sort's speed
    if np.any((ranked[:, 1:] == ranked[:, :-1]) & np.isfinite(ranked[:, 1:])):
        order = np.argsort(keyed, axis=1, kind="stable")           # tied times: their order as entered
    inc8 = included.view(np.uint8)
    code = ((inc8 << 2) | ((arm & included).view(np.uint8) << 1) | (event & included).view(np.uint8)).ravel() \
        .take(order + start)
    ev = (code & 1).view(bool)
    ai = (code >> 1) & 1
    ii = code >> 2
    cn = np.cumsum(ii, axis=1, dtype=np.int32)
    ca = np.cumsum(ai, axis=1, dtype=np.int32)
    n = cn[:, -1:] - cn + ii                                       # at risk: included with time >= t
    ne = ca[:, -1:] - ca + ai
    a = ai.astype(float)
    frac = ne / np.maximum(n, 1)
    o_e = np.sum(ev * (a - frac), axis=1)
    v = np.sum(ev * frac * (1 - frac), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(v > 0, o_e / np.sqrt(np.where(v > 0, v, 1)), 0.0)


def _chunk(seed_seq, m, n_c, n_e, hr, control, accrual, eta, cuts):
    """``m`` trials from one seed stream: the draws for all of them first (uniform entries, event and
    dropout exponentials, in this order), then the trials in blocks of ``_ROWS`` rows. Every step works
    row by row (a trial is a row), so the blocks give the values of the whole chunk at once; a block's
    arrays stay in the CPU cache (a whole chunk's are ~2 MB each, paged in afresh for every step)."""
    rng = np.random.default_rng(seed_seq)
    n = n_c + n_e
    uniform = rng.random((m, n))
    expo = rng.standard_exponential((m, n))
    drop = rng.standard_exponential((m, n)) if eta > 0 else None
    rows = min(_ROWS, m)
    arm = np.zeros((rows, n), bool)
    arm[:, n_c:] = True
    scale = np.where(arm, hr, 1.0)
    last = min(cuts[-1], n) - 1
    kth = sorted({min(d, n) - 1 for d in cuts})
    z = np.empty((m, len(cuts)))
    when = np.empty((m, len(cuts)))
    reached = np.empty(m, bool)
    for r0 in range(0, m, rows):
        r1 = min(r0 + rows, m)
        b = r1 - r0
        entry = accrual.sample(uniform[r0:r1])
        t_event = control.inverse_cumhaz(expo[r0:r1] / scale[:b])
        t_drop = drop[r0:r1] / eta if drop is not None else np.full((b, n), np.inf)
        observed = t_event <= t_drop
        t_out = np.minimum(t_event, t_drop)                        # time to event or dropout
        cal = np.where(observed, entry + t_event, np.inf)          # calendar time of each observed event
        ordered = np.partition(cal, kth, axis=1)                   # the order statistics used
        for j, d in enumerate(cuts):
            c = ordered[:, d - 1] if d <= n else np.full(b, np.inf)
            finite = np.isfinite(c)
            if not finite.all():          # fewer events than planned: cut when the last patient leaves
                c = np.where(finite, c, np.max(entry + t_out, axis=1))
            when[r0:r1, j] = c
            follow = c[:, None] - entry
            z[r0:r1, j] = _logrank_z(np.minimum(t_out, follow), observed & (t_event <= follow), arm[:b],
                                     follow > 0)
        reached[r0:r1] = np.isfinite(ordered[:, last])
    return z, when, reached


@dataclass
class SimulationResult:
    n_sim: int
    seed: int
    hr: float
    n_control: int
    n_experimental: int
    events: list                         # event count at each analysis (the last is the final one)
    bounds: list                         # |z| boundary at each analysis
    rejection_rate: float                # P(stop for a benefit at any analysis): power, or type I error at HR 1
    rejection_se: float                  # Monte Carlo standard error
    rejection_by_look: list
    rejection_either_side: float         # P(|z| crosses a bound at any analysis): the two-sided type I error
    time_quantiles: dict                 # calendar time of the final analysis: 5, 25, 50, 75, 95 %
    time_mean: float
    reached: float                       # share of trials that reached the planned events

    def to_dict(self) -> dict:
        return asdict(self)


def simulate_trials(n_control: int, n_experimental: int, events, hr: float, control, accrual,
                    dropout_rate: float = 0.0, alpha: float = 0.05, sides: int = 2, bounds=None,
                    n_sim: int = 10000, seed: int = 20240501, use_dask: bool = False) -> SimulationResult:
    """Simulate ``n_sim`` trials; ``events`` an int (fixed design) or the event counts of each look with
    their z ``bounds`` (default the fixed-design critical value). Rejection = the log-rank z crosses a bound
    in the experimental arm's favour (for a two-sided alpha, the other tail is not counted)."""
    check_sides(sides)
    for name, v in (("n_control", n_control), ("n_experimental", n_experimental), ("n_sim", n_sim)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise DesignError(f"{name} = {v!r}: expected a whole number >= 1")
    hr = check_positive("hr", hr)
    cuts = [int(events)] if np.isscalar(events) else [int(x) for x in events]
    if not cuts or cuts[0] < 1 or any(b <= a for a, b in zip(cuts, cuts[1:])):
        raise DesignError(f"events = {events!r}: expected a whole number >= 1 or increasing counts per look")
    if bounds is None:
        bounds = [float(norm.isf(check_prob("alpha", alpha) / sides))] * len(cuts)
    if len(bounds) != len(cuts):
        raise DesignError("bounds: expected one boundary per analysis")
    c, acc, _, eta = _setup(control, accrual, 0.0, dropout_rate)
    sizes = [min(_CHUNK, n_sim - i) for i in range(0, n_sim, _CHUNK)]
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    args = [(s, m, n_control, n_experimental, hr, c, acc, eta, cuts) for s, m in zip(seeds, sizes)]
    if use_dask:
        try:
            import dask
        except ImportError:
            raise DesignError("use_dask=True needs Dask: pip install 'oncoseries[scale]'") from None

        parts = dask.compute(*[dask.delayed(_chunk)(*a) for a in args])
    else:
        parts = [_chunk(*a) for a in args]
    z = np.concatenate([p[0] for p in parts])
    when = np.concatenate([p[1] for p in parts])
    reached = np.concatenate([p[2] for p in parts])
    crossed = z <= -np.asarray(bounds)[None, :]
    first = np.where(crossed.any(axis=1), np.argmax(crossed, axis=1), -1)
    rate = float(np.mean(first >= 0))
    either = float(np.mean((np.abs(z) >= np.asarray(bounds)[None, :]).any(axis=1)))
    by_look = [float(np.mean(first == j)) for j in range(len(cuts))]
    final = when[:, -1]
    q = np.quantile(final, [0.05, 0.25, 0.5, 0.75, 0.95])
    return SimulationResult(int(n_sim), int(seed), hr, int(n_control), int(n_experimental), cuts,
                            [float(b) for b in bounds], rate, math.sqrt(rate * (1 - rate) / n_sim), by_look, either,
                            {k: float(v) for k, v in zip(("5%", "25%", "50%", "75%", "95%"), q)},
                            float(final.mean()), float(reached.mean()))


def simulate_design(design: SurvivalDesign, control, accrual, n_sim: int = 10000, seed: int = 20240501,
                    sequential=None, use_dask: bool = False) -> dict:
    """Simulate a ``design_survival`` result under its HR (power) and under HR 1 (type I error); with
    ``sequential`` the group-sequential trial (inflated patients and events, a look at each event count)."""
    from .text import seq_events, seq_patients

    events, bounds, (n_c, n_e) = design.events_planned, None, (design.n_control, design.n_experimental)
    if sequential is not None:       # the group-sequential trial: events and patients inflated
        events, bounds, (n_c, n_e) = seq_events(design, sequential), sequential.bounds, seq_patients(design, sequential)
    out = {}
    for key, hr in (("h1", design.hr), ("h0", 1.0)):
        out[key] = simulate_trials(n_c, n_e, events, hr, control, accrual,
                                   design.dropout_rate, design.alpha, design.sides, bounds, n_sim, seed, use_dask)
    return out
