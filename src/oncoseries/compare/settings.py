"""study.yaml ``historical_controls:``: published results the series is compared with (docs/study-yaml.md,
docs/historical-control.md). Each entry names its endpoint and citation and gives the reference one way:
summary numbers (``median``, ``landmarks``), a digitised curve (``curve``, with ``at_risk`` / ``n_total`` /
``events_total``), patient data (``ipd``), or for ORR a benchmark ``rate`` (or ``responders`` of ``n``)."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Unit = Literal["days", "weeks", "months", "years"]


class HistoricalControl(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint: Literal["OS", "PFS", "DOR", "TTP", "ORR"]
    citation: str = Field(..., min_length=1)
    label: str | None = None                 # short name in tables and legends (default: the citation)
    median: float | None = Field(None, gt=0, allow_inf_nan=False)
    landmarks: dict[float, float] = Field(default_factory=dict)   # time -> survival (0-1, or 0-100 %)
    shape: Literal["auto", "exponential", "weibull", "piecewise"] = "auto"
    curve: str | None = None                 # digitised points CSV (time, survival), relative to the study
    at_risk: str | None = None               # published numbers at risk CSV (time, n_risk)
    n_total: int | None = Field(None, ge=1)
    events_total: int | None = Field(None, ge=0)
    ipd: str | None = None                   # patient data CSV (time, event)
    time_unit: Unit | None = None            # unit of the reference's times (default: the study's)
    horizon: float | Literal["auto", "none"] = "auto"   # compare up to this time (auto: the reference's last)
    rate: float | None = Field(None, ge=0, allow_inf_nan=False)   # ORR benchmark (0-1, or a percentage)
    responders: int | None = Field(None, ge=0)
    n: int | None = Field(None, ge=1)

    @field_validator("landmarks")
    @classmethod
    def _landmarks(cls, value: dict) -> dict:
        for t, s in value.items():
            if not math.isfinite(t) or t <= 0:
                raise ValueError(f"landmark time {t!r} must be a positive number")
            if not math.isfinite(s) or not 0 < s < 100 or s == 1:
                raise ValueError(f"survival {s!r} at {t:g} must be a proportion (0-1) or a percentage (0-100)")
        return value

    @field_validator("horizon")
    @classmethod
    def _horizon(cls, value):
        if isinstance(value, float) and (not math.isfinite(value) or value <= 0):
            raise ValueError(f"horizon {value!r} must be a positive time, 'auto' or 'none'")
        return value

    @model_validator(mode="after")
    def _one_source(self):
        if self.endpoint == "ORR":
            if self.rate is None and (self.responders is None or self.n is None):
                raise ValueError("an ORR benchmark needs 'rate' (e.g. 0.2 or 20) or 'responders' and 'n'")
            if self.responders is not None and self.n is not None and self.responders > self.n:
                raise ValueError(f"responders ({self.responders}) cannot exceed n ({self.n})")
            if self.rate is not None and self.rate > 100:
                raise ValueError(f"rate {self.rate} is above 100%")
            return self
        given = [k for k, v in (("median or landmarks", self.median is not None or bool(self.landmarks)),
                                ("curve", self.curve), ("ipd", self.ipd)) if v]
        if len(given) != 1:
            raise ValueError("give the reference one way: 'median' and/or 'landmarks', or 'curve' (with "
                             "'at_risk' or 'n_total'), or 'ipd'" + (f"; got {' and '.join(given)}" if given else ""))
        if self.curve and not (self.at_risk or self.n_total):
            raise ValueError("a digitised 'curve' needs 'at_risk' (numbers at risk) or 'n_total'")
        return self

    @property
    def benchmark(self) -> float | None:
        """The ORR benchmark as a proportion."""
        if self.rate is not None:
            return self.rate / 100 if self.rate > 1 else self.rate
        return None if self.responders is None else self.responders / self.n

    @property
    def name(self) -> str:
        return self.label or self.citation
