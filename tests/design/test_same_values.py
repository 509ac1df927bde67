"""The faster forms of the design computations give the plain formulas' doubles, bit for bit: Simon's
rejection tables (a strided window instead of a gathered index), A'Hern's search in blocks of sizes, the
cut points of the expected-events integral and the arrays kept on a curve or an accrual."""

from __future__ import annotations

import numpy as np
import pytest

from oncoseries.design import single_arm, survival
from oncoseries.design.survival import Accrual, PiecewiseExponential


def _reject_plain(t, n1, n):
    x1 = np.arange(n1 + 1)[:, None]
    k = np.clip(np.arange(n)[None, :] - x1, -1, None) + 1
    m = t.pmf[n1, : n1 + 1, None] * t.sf[n - n1][k]
    return np.cumsum(m[::-1], axis=0)[::-1][1:]


@pytest.mark.parametrize("p", [0.05, 0.3, 0.62])
def test_simon_rejection_table_as_the_gathered_formula(p):
    t = single_arm._Tables(70, p)
    for n1 in range(1, 40, 3):
        for n in range(n1 + 1, 71, 5):
            got = t.reject(n1, n)
            want = _reject_plain(t, n1, n)
            assert got.shape == want.shape == (n1, n) and got.tobytes() == want.tobytes()


def test_ahern_blocks_change_nothing(monkeypatch):
    cases = [(0.2, 0.4, 0.05, 0.8, 1000), (0.05, 0.1, 0.05, 0.9, 1000), (0.5, 0.55, 0.1, 0.8, 1000),
             (0.3, 0.35, 0.05, 0.8, 150), (0.1, 0.3, 0.025, 0.95, 37)]
    results = []
    for block in (1000, 100, 7):
        monkeypatch.setattr(single_arm, "_AHERN_BLOCK", block)
        row = []
        for c in cases:
            try:
                row.append(single_arm.ahern(*c).to_dict())
            except single_arm.DesignError as exc:
                row.append(str(exc))
        results.append(row)
    assert results[0] == results[1] == results[2]
    assert results[0][0]["n"] == 35 and results[0][0]["r"] == 12          # A'Hern's table: 35 patients, 12
    assert isinstance(results[0][3], str) and "at most 150 patients" in results[0][3]


def test_cut_points_as_unique():
    pe = PiecewiseExponential((0.0, 2.5, 6.0, 11.0), (0.1, 0.2, 0.0, 0.05))
    rng = np.random.default_rng(2)
    for _ in range(300):
        lo, hi = np.sort(rng.uniform(0, 30, 2))
        T = float(rng.uniform(0, 40))
        want = np.unique(np.concatenate([[lo, hi], (T - np.asarray(pe.starts[1:]))[
            ((T - np.asarray(pe.starts[1:])) > lo) & ((T - np.asarray(pe.starts[1:])) < hi)]]))
        assert survival._cut_points(lo, hi, T, pe).tobytes() == want.tobytes()
    assert survival._cut_points(1.0, 20.0, 13.5, pe).tolist() == [1.0, 2.5, 7.5, 11.0, 20.0]


def test_arrays_kept_on_a_curve_and_an_accrual_are_its_own_and_read_only():
    pe = PiecewiseExponential((0.0, 3.0), (0.2, 0.1))
    s, r, ends, at = survival._curve_arrays(pe)
    assert survival._curve_arrays(pe)[0] is s                      # made once
    assert s.tolist() == [0.0, 3.0] and ends.tolist() == [3.0, np.inf] and at.tolist() == pe.cumhaz(s).tolist()
    acc = Accrual((6.0, 12.0), (1.0, 2.0))
    starts, ends_a, dens = acc.pieces()
    assert acc.pieces()[2] is dens and starts.tolist() == [0.0, 6.0]
    with pytest.raises(ValueError):
        dens[0] = 1.0
    with pytest.raises(ValueError):
        at[0] = 1.0
    assert pe == PiecewiseExponential((0.0, 3.0), (0.2, 0.1)) and acc == Accrual((6.0, 12.0), (1.0, 2.0))
