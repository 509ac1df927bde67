"""Shared fixtures: small studies written to a temporary folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

TODAY = dt.date(2026, 11, 26)

BASE_PATIENTS = [
    {"patient_id": "P1", "start_date": "2020-01-10", "last_contact_date": "2021-06-30", "death_date": "",
     "age": "17", "sex": "male"},
    {"patient_id": "P2", "start_date": "2020-02-01", "last_contact_date": "2020-11-20", "death_date": "2020-11-20",
     "age": "24", "sex": "female"},
    {"patient_id": "P3", "start_date": "2020-03-15", "last_contact_date": "2022-01-15", "death_date": "",
     "age": "31", "sex": "male"},
]

BASE_LESIONS = [
    {"patient_id": "P1", "date": "2020-01-05", "lesion_id": "T1", "role": "target", "diameter_mm": "30"},
    {"patient_id": "P1", "date": "2020-03-01", "lesion_id": "T1", "role": "target", "diameter_mm": "20"},
    {"patient_id": "P2", "date": "2020-01-20", "lesion_id": "T1", "role": "target", "diameter_mm": "25"},
    {"patient_id": "P2", "date": "2020-03-20", "lesion_id": "T1", "role": "target", "diameter_mm": "35"},
    {"patient_id": "P3", "date": "2020-03-15", "lesion_id": "T1", "role": "target", "diameter_mm": "40"},
    {"patient_id": "P3", "date": "2020-03-15", "lesion_id": "N1", "role": "non_target", "diameter_mm": ""},
    {"patient_id": "P3", "date": "2020-05-10", "lesion_id": "T1", "role": "target", "diameter_mm": "41"},
    {"patient_id": "P3", "date": "2020-05-10", "lesion_id": "N1", "role": "non_target", "diameter_mm": ""},
]


def write_study(folder: Path, **tables) -> Path:
    """Write each table (a list of dicts or a DataFrame) as <name>.csv; a str is written verbatim."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        path = folder / (name if "." in name else f"{name}.csv")
        if isinstance(rows, str):
            path.write_text(rows, encoding="utf-8")
        else:
            pd.DataFrame(rows).to_csv(path, index=False)
    return folder


@pytest.fixture
def base_tables():
    return {"patients": [dict(r) for r in BASE_PATIENTS], "lesions": [dict(r) for r in BASE_LESIONS]}


# Property tests are derandomised so CI is reproducible; HYPOTHESIS_PROFILE=explore searches afresh.
import os as _os  # noqa: E402

from hypothesis import settings as _settings  # noqa: E402

_settings.register_profile("repro", derandomize=True)
_settings.register_profile("explore", derandomize=False, max_examples=1000)
_settings.load_profile(_os.environ.get("HYPOTHESIS_PROFILE", "repro"))
