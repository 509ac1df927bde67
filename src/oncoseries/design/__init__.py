"""Designing the next trial from the series (docs/trial-design.md): events and patients for a randomised
trial (Schoenfeld, Freedman, Lachin-Foulkes), Lan-DeMets group-sequential boundaries, single-arm designs
(Simon two-stage, A'Hern, one-sample log-rank) and a seeded simulation of the designed trial."""

from ._common import DesignError
from .events import events_freedman, events_needed, events_schoenfeld, power_events
from .sequential import SequentialDesign, group_sequential, spending
from .single_arm import (AHernDesign, OneSampleDesign, SimonDesign, ahern, one_sample_logrank_n,
                         simon_two_stage)
from .survival import (Accrual, PiecewiseExponential, SurvivalDesign, control_from_km, design_survival,
                       dropout_hazard, event_probability, expected_events, power_survival)

__all__ = ["DesignError", "events_schoenfeld", "events_freedman", "events_needed", "power_events",
           "SequentialDesign", "group_sequential", "spending", "SimonDesign", "AHernDesign", "OneSampleDesign",
           "simon_two_stage", "ahern", "one_sample_logrank_n", "Accrual", "PiecewiseExponential",
           "SurvivalDesign", "control_from_km", "design_survival", "dropout_hazard", "event_probability",
           "expected_events", "power_survival"]
