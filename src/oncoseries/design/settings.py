"""study.yaml ``design:`` (docs/study-yaml.md, docs/trial-design.md): the next trial, with this series'
regimen as the control arm. Times are in the study's ``time_unit``. Unknown keys are errors."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class DesignConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint: Literal["PFS", "OS"] = "PFS"          # the series' curve used as the control arm
    hr: list[float] = Field(default_factory=lambda: [0.67, 0.6, 0.5])   # the first is the target
    alpha: float = Field(0.05, gt=0, lt=1)
    sides: Literal[1, 2] = 2
    power: float = Field(0.8, gt=0, lt=1)
    ratio: float = Field(1.0, gt=0)                   # experimental : control
    accrual: float = Field(..., gt=0)                 # accrual period
    follow_up: float = Field(..., ge=0)               # minimum follow-up after the last patient enters
    dropout: float = Field(0.0, ge=0, lt=1)           # proportion lost to follow-up by dropout_time
    dropout_time: float = Field(12.0, gt=0)
    control: Literal["km", "exponential"] = "km"      # piecewise exponential from the KM curve, or median
    pieces: int = Field(4, ge=1, le=12)               # pieces of the piecewise exponential
    method: Literal["lachin-foulkes", "schoenfeld", "freedman"] = "lachin-foulkes"
    looks: int = Field(1, ge=1, le=10)                # analyses in total (> 1: group-sequential)
    spending: Literal["obf", "pocock"] = "obf"
    simulate: int = Field(0, ge=0, le=1_000_000)      # trials simulated for the target HR (0: none)
    seed: int = 20240501
    single_arm: bool = True                           # one-sample log-rank and Simon/A'Hern designs too
    orr_improvement: float = Field(0.2, gt=0, lt=1)   # Simon/A'Hern: p1 = the series' ORR + this
    phase2_alpha: float = Field(0.05, gt=0, lt=1)     # one-sided alpha of the single-arm designs

    @field_validator("hr")
    @classmethod
    def _hrs(cls, value: list[float]) -> list[float]:
        if not 1 <= len(value) <= 8:
            raise ValueError("expected 1 to 8 hazard ratios, e.g. [0.67, 0.6, 0.5]")
        for h in value:
            if not math.isfinite(h) or h <= 0 or abs(h - 1) < 1e-9:
                raise ValueError(f"hazard ratio {h!r}: expected a positive number other than 1")
        return value

    @field_validator("accrual", "follow_up", "dropout_time", "alpha", "power", "ratio")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        return value
