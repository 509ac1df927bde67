"""Settings of the RECIST 1.1 derivation (INTERFACE §2 `response:` plus the baseline window).

Defaults: RECIST 1.1 (Eisenhauer 2009) and admiralonco's confirmed-BOR events (28-day
confirmation, at most one NE between, SD at >= 42 days from the start date).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Comparison tolerance for sums (mm) and percentages (percentage points): boundaries are
#: inclusive (exactly -30 % is PR, exactly +20 % and +5 mm is PD) despite floating point.
TOL = 1e-6
POPULATIONS = ("measurable", "all")
CRITERIA = ("recist1.1", "irecist")


@dataclass(frozen=True)
class RecistSettings:
    """Options of the RECIST derivation.

    Parameters
    ----------
    baseline_window_days : int
        The baseline scan is the last scan on or before ``start_date`` and at most this many
        days before it (a scan on day -28 counts, day -29 does not).
    confirmation_days : int
        A CR/PR is confirmed by a later scan with ``later_date - first_date >= confirmation_days``.
    sd_min_days : int
        SD (and NON-CR/NON-PD) counts for the best response only at ``scan_date - start_date >=
        sd_min_days``; earlier it is NE.
    max_ne_between : int
        NE scans allowed between a response and its confirmation.
    confirmation : bool
        True: the headline best response (ORR, DOR) is the confirmed one.
    allow_sd_between : bool
        True: one SD scan is accepted between a PR and its confirmation (admiralonco's
        deprecated ``accept_sd``).
    clinical_benefit_days : int
        Clinical benefit = CR/PR, or a CR/PR/SD/NON-CR/NON-PD scan at or after this day
        (default 168 = 24 weeks). Set it to ``sd_min_days`` to get admiralonco's ``CB``.
    population : str
        Response population (ORR/DCR denominator): ``"measurable"`` (patients with a measurable
        target lesion at baseline, RECIST 1.1 §3.1.2) or ``"all"`` (every patient with target or
        non-target disease at baseline).
    criteria : str
        ``"recist1.1"``, or ``"irecist"`` to add the iRECIST responses (Seymour et al. 2017) beside them.
    """

    baseline_window_days: int = 28
    confirmation_days: int = 28
    sd_min_days: int = 42
    max_ne_between: int = 1
    confirmation: bool = False
    allow_sd_between: bool = False
    clinical_benefit_days: int = 168
    population: str = "measurable"
    criteria: str = "recist1.1"

    def __post_init__(self) -> None:
        for name in ("baseline_window_days", "confirmation_days", "sd_min_days", "max_ne_between",
                     "clinical_benefit_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"RecistSettings.{name} must be a non-negative integer, got {value!r}")
        if self.population not in POPULATIONS:
            raise ValueError(f"RecistSettings.population must be one of {POPULATIONS}, got {self.population!r}")
        if self.criteria not in CRITERIA:
            raise ValueError(f"RecistSettings.criteria must be one of {CRITERIA}, got {self.criteria!r}")
        for name in ("confirmation", "allow_sd_between"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"RecistSettings.{name} must be true or false, "
                                f"got {getattr(self, name)!r}")
