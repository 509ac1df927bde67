"""The analysis plan: study.yaml (StudyConfig) mapped onto each stage's settings, plus the defaults
used when study.yaml is silent (INTERFACE §2; issue 6: with no plan, a complete default report)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..config import StudyConfig
from ..endpoints import EndpointSettings
from ..recist import RecistSettings

ENDPOINTS = ("PFS", "OS", "DOR", "TTP", "IPFS")
ENDPOINT_NAMES = {"OS": "Overall survival", "PFS": "Progression-free survival", "DOR": "Duration of response",
                  "TTP": "Time to progression", "IPFS": "iRECIST progression-free survival"}
#: Minimum data for a covariate to enter a default univariable Cox model.
MIN_EVENTS_PER_MODEL = 5
MIN_LEVEL_SIZE = 3


@dataclass
class Plan:
    config: StudyConfig
    recist: RecistSettings
    endpoints: EndpointSettings
    landmarks: dict[str, list[float]]
    cox: dict[str, list[str]] = field(default_factory=dict)
    cox_is_default: bool = True
    multivariable: bool = False

    @property
    def days_per_unit(self) -> float:
        return self.config.days_per_unit


def make_plan(config: StudyConfig, covariates: list[str]) -> Plan:
    recist = RecistSettings(
        baseline_window_days=config.baseline_window_days,
        confirmation_days=config.response.confirmation_days,
        sd_min_days=config.response.sd_min_days,
        max_ne_between=config.response.max_ne_between,
        confirmation=config.response.confirmation,
        allow_sd_between=config.response.allow_sd_between,
        clinical_benefit_days=config.response.clinical_benefit_days,
        population=config.response.population,
        criteria=config.response.criteria,
    )
    missed = config.pfs.missed_assessments
    endpoints = EndpointSettings(
        censor_at_new_therapy=config.pfs.censor_at_new_therapy,
        missed_assessments=None if missed is None else (missed.interval_days, missed.max_missed),
    )
    landmarks = {e: list(config.landmarks.get(e, [])) for e in ENDPOINTS if e in config.landmarks}
    if config.cox:
        cox, default = {e: list(v) for e, v in config.cox.items()}, False
    else:
        cox, default = {e: list(covariates) for e in ("PFS", "OS")}, True
    return Plan(config=config, recist=recist, endpoints=endpoints, landmarks=landmarks, cox=cox,
                cox_is_default=default, multivariable=config.multivariable or not default)


def usable_covariate(values: pd.Series) -> str | None:
    """Why a covariate cannot enter a default Cox model, or None when it can (one factorisation: the
    distinct values and their counts; a category column keeps pandas' counts, which list unused levels)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return _usable_per_row(values)
    codes, uniques = values.factorize()                # missing: -1
    if len(uniques) < 2:
        return "fewer than two distinct values"
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    if not pd.api.types.is_numeric_dtype(values) and counts.min() < MIN_LEVEL_SIZE:
        if len(uniques) > 6:
            return "too many categories"
        return f"a category with fewer than {MIN_LEVEL_SIZE} patients"
    if int(counts.sum()) < values.size * 0.5:
        return "more than half missing"
    return None


def _usable_per_row(values: pd.Series) -> str | None:
    present = values.dropna()
    if present.nunique() < 2:
        return "fewer than two distinct values"
    if not pd.api.types.is_numeric_dtype(present) and present.value_counts().min() < MIN_LEVEL_SIZE:
        if present.nunique() > 6:
            return "too many categories"
        return f"a category with fewer than {MIN_LEVEL_SIZE} patients"
    if present.size < values.size * 0.5:
        return "more than half missing"
    return None
