"""Settings of the time-to-event derivations (the ``pfs:`` block of ``study.yaml``).

Defaults follow INTERFACE §2/§5: censor at new anticancer therapy (FDA 2007/2018 PFS censoring table),
no missed-assessment rule unless asked for (admiralonco has none; FDA 2007 suggests one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class MissedAssessments:
    """Censor an event that follows ``max_missed`` or more missed scheduled assessments.

    An event dated more than ``max_missed * interval_days`` days after the last adequate assessment
    (or after the start when there is none) is censored at that assessment (FDA 2007 guidance:
    "death or progression after two or more missed visits" is censored at the last adequate visit).
    """

    interval_days: int
    max_missed: int = 2

    def __post_init__(self) -> None:
        for name in ("interval_days", "max_missed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
                raise TypeError(f"missed_assessments.{name} must be a whole number, got {value!r}")
            if value < 1:
                raise ValueError(f"missed_assessments.{name} must be >= 1, got {value!r}")
            object.__setattr__(self, name, int(value))

    @property
    def window_days(self) -> int:
        """Largest gap (days) between the last adequate assessment and an event that still counts."""
        return self.interval_days * self.max_missed


@dataclass(frozen=True)
class EndpointSettings:
    """Options of :func:`oncoseries.endpoints.derive_endpoints`.

    Parameters
    ----------
    censor_at_new_therapy : bool, default True
        A patient starting new anticancer therapy before any PFS/DOR/TTP event is censored at the last
        adequate assessment before ``new_therapy_date``.
    missed_assessments : MissedAssessments, (interval_days, max_missed) tuple, dict or None
        None (default) switches the missed-assessment rule off.
    """

    censor_at_new_therapy: bool = True
    missed_assessments: MissedAssessments | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.censor_at_new_therapy, bool):
            raise TypeError(
                f"censor_at_new_therapy must be true or false, got {self.censor_at_new_therapy!r}"
            )
        object.__setattr__(self, "missed_assessments", _as_missed(self.missed_assessments))

    @classmethod
    def from_plan(cls, pfs: Mapping[str, Any] | None) -> "EndpointSettings":
        """Build settings from the ``pfs:`` mapping of ``study.yaml`` (missing keys take defaults)."""
        if pfs is None:
            return cls()
        if not isinstance(pfs, Mapping):
            raise TypeError(f"study.yaml 'pfs' must be a mapping, got {type(pfs).__name__}")
        unknown = set(pfs) - {"censor_at_new_therapy", "missed_assessments"}
        if unknown:
            raise ValueError(f"study.yaml 'pfs' has unknown keys: {sorted(unknown)}")
        return cls(
            censor_at_new_therapy=pfs.get("censor_at_new_therapy", True),
            missed_assessments=pfs.get("missed_assessments"),
        )


def _as_missed(value: Any) -> MissedAssessments | None:
    if value is None or isinstance(value, MissedAssessments):
        return value
    if isinstance(value, Mapping):
        unknown = set(value) - {"interval_days", "max_missed"}
        if unknown or "interval_days" not in value:
            raise ValueError(
                "missed_assessments must be {interval_days: I, max_missed: M}, got " + repr(dict(value))
            )
        return MissedAssessments(value["interval_days"], value.get("max_missed", 2))
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return MissedAssessments(value[0], value[1])
    raise TypeError(
        "missed_assessments must be None, (interval_days, max_missed) or "
        f"{{interval_days: I, max_missed: M}}, got {value!r}"
    )
