"""The trial-design names of INTERFACE §4a work through ``import oncoseries as osr``."""

from __future__ import annotations

import oncoseries as osr


def test_interface_4a_names():
    assert round(osr.events_schoenfeld(0.67, alpha=0.05, power=0.8, ratio=1.0, sides=2), 2) == 195.75
    s = osr.simon_two_stage(0.2, 0.4, alpha=0.05, power=0.8, design="minimax")
    assert (s.r1, s.n1, s.r, s.n) == (4, 18, 10, 33) and 0 < s.pet0 < 1 and s.n1 < s.en0 < s.n
    a = osr.ahern(0.2, 0.4, alpha=0.05, power=0.8)
    assert a.n > 0 and 0 < a.r <= a.n
    d = osr.design_survival(0.67, osr.PiecewiseExponential.exponential(6), osr.Accrual((24,)), 12)
    assert d.patients_planned >= d.patients and d.events_planned >= d.events
    assert isinstance(osr.DesignError("x"), ValueError)
