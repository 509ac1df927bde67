"""oncoseries: a retrospective oncology case series, from spreadsheets to a publication-ready analysis.

The public Python API (see docs/api.md) is importable as ``import oncoseries as osr``. Names are
resolved lazily so that ``import oncoseries`` stays fast and pays no numba JIT or plotting cost.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> (module, attribute)
_API = {
    "kaplan_meier": ("oncoseries.stats.kaplan_meier", "kaplan_meier"),
    "logrank": ("oncoseries.stats.logrank", "logrank"),
    "logrank_trend": ("oncoseries.stats.logrank", "logrank_trend"),
    "rmst": ("oncoseries.stats.rmst", "rmst"),
    "rmst_difference": ("oncoseries.stats.rmst", "rmst_difference"),
    "median_followup": ("oncoseries.stats.kaplan_meier", "median_followup"),
    "binomial_ci": ("oncoseries.stats.binomial", "binomial_ci"),
    "cox": ("oncoseries.stats.cox", "cox"),
    "cox_zph": ("oncoseries.stats.cox_zph", "cox_zph"),
    "firth_cox": ("oncoseries.stats.firth", "firth_cox"),
    "baseline_hazard": ("oncoseries.stats.cox_baseline", "baseline_hazard"),
    "predict_survival": ("oncoseries.stats.cox_baseline", "predict_survival"),
    "split_at_switch": ("oncoseries.stats.time_dependent", "split_at_switch"),
    "landmark_frame": ("oncoseries.stats.time_dependent", "landmark_frame"),
    "read_study": ("oncoseries.study", "read_study"),
    "validate_study": ("oncoseries.study", "validate_study"),
    "analyze": ("oncoseries.analysis", "analyze"),
    "reference_curve": ("oncoseries.compare.reference", "reference_curve"),
    "one_sample_logrank": ("oncoseries.compare.one_sample", "one_sample_logrank"),
    "binomial_test": ("oncoseries.compare.one_sample", "binomial_test"),
    "reconstruct_ipd": ("oncoseries.compare.guyot", "reconstruct_ipd"),
    "digitize_km": ("oncoseries.compare.digitize", "digitize_km"),
    # trial design (docs/trial-design.md)
    **{name: ("oncoseries.design", name) for name in (
        "events_schoenfeld", "events_freedman", "power_events", "design_survival", "power_survival",
        "group_sequential", "simon_two_stage", "ahern", "one_sample_logrank_n", "PiecewiseExponential",
        "Accrual", "control_from_km", "dropout_hazard", "DesignError", "simulate_trials", "simulate_design")},
}

__all__ = sorted(_API) + ["__version__"]


def __getattr__(name: str):
    try:
        module, attr = _API[name]
    except KeyError:
        raise AttributeError(f"module 'oncoseries' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__():
    return __all__
