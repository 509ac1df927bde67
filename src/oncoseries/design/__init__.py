"""Designing the next trial from the series (docs/trial-design.md): events and patients for a randomised
trial (Schoenfeld, Freedman, Lachin-Foulkes), Lan-DeMets group-sequential boundaries, single-arm designs
(Simon two-stage, A'Hern, one-sample log-rank) and a seeded simulation of the designed trial.

Names resolve lazily (the `oncoseries design` commands and study.yaml parsing do not pay for scipy)."""

from __future__ import annotations

import importlib

_WHERE = {
    "DesignError": "_common",
    "events_schoenfeld": "events", "events_freedman": "events", "events_needed": "events",
    "power_events": "events",
    "SequentialDesign": "sequential", "group_sequential": "sequential", "spending": "sequential",
    "SimonDesign": "single_arm", "AHernDesign": "single_arm", "OneSampleDesign": "single_arm",
    "simon_two_stage": "single_arm", "ahern": "single_arm", "one_sample_logrank_n": "single_arm",
    "Accrual": "survival", "PiecewiseExponential": "survival", "SurvivalDesign": "survival",
    "control_from_km": "survival", "design_survival": "survival", "dropout_hazard": "survival",
    "event_probability": "survival", "expected_events": "survival", "power_survival": "survival", "time_to_events": "survival",
    "simulate_trials": "simulate", "simulate_design": "simulate", "SimulationResult": "simulate",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    try:
        module = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module 'oncoseries.design' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
