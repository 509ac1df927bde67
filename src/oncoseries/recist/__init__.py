"""RECIST 1.1 derivation: baseline, time-point responses, best overall response, summaries.

Entry point: :func:`derive_responses`. Rules and their sources: docs/recist.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..memory import trim
from ._encode import RecistWarning, Warnings, encode, patient_index
from .baseline import find_baseline
from .best_response import _best_response, best_response, response_summary
from .from_assessments import Concordance, concordance, timepoints_from_assessments
from .settings import RecistSettings
from .tables import overall_response
from .timepoint import TIMEPOINT_COLUMNS, derive_timepoints

__all__ = ["derive_responses", "RecistResult", "RecistSettings", "RecistWarning", "Concordance",
           "overall_response", "best_response", "response_summary", "timepoints_from_assessments",
           "concordance"]

_LESION_TABLE_COLUMNS = ["patient_id", "date", "lesion_id", "role", "organ", "nodal", "state", "diameter_mm",
                         "diameter_used", "baseline", "baseline_sum", "target_sum", "nadir",
                         "pct_from_baseline", "pct_from_nadir"]


@dataclass
class RecistResult:
    """Everything the RECIST derivation produces.

    Attributes
    ----------
    timepoints : DataFrame
        ``patient_id, date, target, non_target, new_lesions, overall`` (+ sums and % changes when
        derived from lesions), post-baseline scans of every patient (PFS uses all of them).
    lesion_table : DataFrame
        One row per lesion per baseline/post-baseline scan (derived/lesions.csv); empty without lesions.
    best_response : DataFrame
        One row per patient with disease at baseline, measurable or not (see :func:`best_response`),
        plus ``measurable`` (True/False; missing without lesion data) and ``response_population``
        (in the ORR/DCR denominator, ``settings.population``).
    population : DataFrame
        ``patient_id, evaluable, reason, measurable, baseline_disease`` for every patient;
        ``evaluable`` = in the response population.
    warnings : list of RecistWarning
    concordance : Concordance or None
        Derived vs investigator responses when both lesions and assessments are given.
    settings : RecistSettings
    """

    timepoints: pd.DataFrame
    lesion_table: pd.DataFrame
    best_response: pd.DataFrame
    population: pd.DataFrame
    warnings: list[RecistWarning] = field(default_factory=list)
    concordance: Concordance | None = None
    settings: RecistSettings = field(default_factory=RecistSettings)

    def summary(self, conf_level: float = 0.95) -> pd.DataFrame:
        """Response summary of the headline best response (confirmed when ``settings.confirmation``)
        over the response population."""
        column = "confirmed_bor" if self.settings.confirmation else "bor"
        best = self.best_response[self.best_response["response_population"].astype(bool)]
        return response_summary(best, conf_level=conf_level, column=column)


def _empty_timepoints() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "date" else object)
                         for c in TIMEPOINT_COLUMNS})


def derive_responses(patients: pd.DataFrame, lesions: pd.DataFrame | None = None,
                     assessments: pd.DataFrame | None = None,
                     settings: RecistSettings | None = None, release=None) -> RecistResult:
    """Derive RECIST 1.1 responses from lesion measurements and/or investigator assessments.

    Parameters
    ----------
    patients : pandas.DataFrame
        Typed ``patients`` (``patient_id``, ``start_date``; ``new_therapy_date`` optional).
    lesions : pandas.DataFrame, optional
        Typed ``lesions``; when given, the time-point responses are derived from it.
    assessments : pandas.DataFrame, optional
        Investigator responses: used as the time points when ``lesions`` is absent, otherwise
        compared with the derived ones (:class:`Concordance`).
    settings : RecistSettings, optional
    release : callable, optional
        Called with no argument once ``lesions`` are encoded (sorted arrays of their own): a caller that owns
        the table may free it then (``oncoseries analyze``: 10^7 rows in a registry, not held beside the
        derived lesion table).

    Returns
    -------
    RecistResult
    """
    settings = settings or RecistSettings()
    if not isinstance(settings, RecistSettings):
        raise TypeError(f"settings must be a RecistSettings, got {type(settings).__name__}")
    ids = patient_index(patients)
    warn = Warnings()
    has_lesions = lesions is not None and len(lesions) > 0
    has_assess = assessments is not None and len(assessments) > 0
    conc = None
    if has_lesions:
        enc = encode(patients, lesions, warn)
        if release is not None:
            del lesions
            release()
        base = find_baseline(enc, settings, warn)
        tp, table = derive_timepoints(enc, base, settings, warn)
        population = base.population
        del enc, base   # the sorted lesion arrays (10^7 rows in a registry) are not needed further
        trim()
        if has_assess:
            inv = timepoints_from_assessments(assessments, patients, warn)
            conc = concordance(tp, inv, patients, population.loc[population["evaluable"], "patient_id"],
                               settings)
    else:
        table = pd.DataFrame({c: pd.Series(dtype=object) for c in _LESION_TABLE_COLUMNS})
        if has_assess:
            tp = timepoints_from_assessments(assessments, patients, warn)
            population = pd.DataFrame({"patient_id": ids.to_numpy(dtype=object),
                                       "evaluable": np.ones(len(ids), dtype=bool), "reason": "",
                                       "measurable": pd.array([pd.NA] * len(ids), dtype="boolean"),
                                       "baseline_disease": np.ones(len(ids), dtype=bool)})
        else:
            tp = _empty_timepoints()
            population = pd.DataFrame({"patient_id": ids.to_numpy(dtype=object),
                                       "evaluable": np.zeros(len(ids), dtype=bool),
                                       "reason": "no lesions recorded",
                                       "measurable": np.zeros(len(ids), dtype=bool),
                                       "baseline_disease": np.zeros(len(ids), dtype=bool)})
    assessed = population.loc[population["baseline_disease"], "patient_id"]
    best = _best_response(tp, patients, assessed, settings, warn)
    flags = population.set_index("patient_id").reindex(best["patient_id"])
    best["measurable"] = flags["measurable"].to_numpy()
    best["response_population"] = flags["evaluable"].to_numpy(dtype=bool)
    if settings.criteria == "irecist":
        if "i_overall" in tp.columns:
            from .irecist import irecist_best_response

            ib = irecist_best_response(tp, patients, assessed, settings).set_index("patient_id")
            best["ibor"] = ib["ibor"].reindex(best["patient_id"]).to_numpy()
            best["ibor_date"] = ib["ibor_date"].reindex(best["patient_id"]).to_numpy()
        else:
            warn.add(["(study)"], None, "response.criteria irecist needs lesion measurements (lesions.csv); "
                     "iRECIST responses were not derived")
    return RecistResult(timepoints=tp, lesion_table=table, best_response=best, population=population,
                        warnings=warn.records(), concordance=conc, settings=settings)
