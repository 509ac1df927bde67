"""The inputs of the endpoints stage as narrow views, not filtered copies of whole tables (issue 17).

``derive_endpoints`` reads four columns of the time points (``patient_id``, ``date``, ``overall`` and
iRECIST's ``i_overall``), the patients' id and dates, and the treatment dates. At 10^6 patients, copying the
treated patients' rows of the whole time point table (5.6*10^6 rows, 14 columns), of the patients table and
of the treatments beside RECIST's outputs was the command's memory peak; here only the columns read are
taken, as views of the study's and RECIST's columns, and rows are filtered only when some patient is not
treated (then only those columns are copied). The values, and so every output, are the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..endpoints._inputs import PATIENT_DATES

TIMEPOINT_COLUMNS = ("patient_id", "date", "overall", "i_overall")


def columns_view(df: pd.DataFrame, columns, rows: np.ndarray | None = None) -> pd.DataFrame:
    """``df[columns]`` (those present) without copying the columns; the rows where ``rows`` is True
    (a copy of these columns only) unless every row is kept."""
    view = pd.DataFrame({c: df[c] for c in columns if c in df.columns}, index=df.index, copy=False)
    if rows is None or rows.all():
        return view
    return view[rows]


def endpoint_inputs(study, timepoints: pd.DataFrame, is_treated: np.ndarray, treated_ids: pd.Index):
    """(patients, time points) of the treated patients, as ``derive_endpoints`` reads them."""
    patients = columns_view(study.patients, ("patient_id",) + PATIENT_DATES, is_treated)
    tp_rows = None if not len(timepoints) else timepoints["patient_id"].isin(treated_ids).to_numpy()
    return patients, columns_view(timepoints, TIMEPOINT_COLUMNS, tp_rows)


def known_alive(treatments: pd.DataFrame | None) -> pd.DataFrame | None:
    """The treatment dates as dates known alive (source ``treatment``), or None without treatments."""
    if treatments is None:
        return None
    view = columns_view(treatments, ("patient_id", "date"))
    view["source"] = np.full(len(view), "treatment", dtype=object)   # a new column on the view frame only
    return view


def adverse_event_sections(study, treated: set, pc) -> dict:
    """The sections that read the adverse events (``adverse_events``, ``dosing`` with its ``cycles``
    table, ``toxicity``: issue 14), computed before the statistics so that the command line's Study frees
    the adverse events (10^7 rows in a registry) before the processes it forks at the ``derived`` event
    inherit them and before the long survival and biomarker fits; the same functions on the same tables
    as after them (nothing they read changes in between)."""
    from .descriptive import adverse_events
    from .exposure import dosing_section
    from .toxicity import toxicity_section

    out = {"adverse_events": adverse_events(study.adverse_events, len(treated), pc)}
    out["dosing"], out["cycles"] = dosing_section(study.treatments, study.patients, study.adverse_events,
                                                  study.config.exposure, pc)
    out["toxicity"] = toxicity_section(study.adverse_events, treated, study.treatments, pc)
    if study.transient and study.adverse_events is not None:
        pc.forget("adverse_events")
        study.release("adverse_events")   # the command line's Study (study.py): not read after this point
    return out
