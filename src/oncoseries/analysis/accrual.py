"""Study period facts for the Methods (results.json ``study.accrual``): first and last start of treatment,
the data cut-off (the latest date at which any patient was known alive or dead) and the centres."""

from __future__ import annotations

import pandas as pd

#: patients columns read as the treating centre, first found
CENTRE_COLUMNS = ("centre", "center", "institution", "hospital")
CUTOFF_COLUMNS = ("last_contact_date", "death_date")


def _iso(x) -> str | None:
    return None if pd.isna(x) else pd.Timestamp(x).date().isoformat()


def accrual(patients: pd.DataFrame) -> dict:
    """``{"first_start", "last_start", "data_cutoff", "centre_column", "centres"}`` (dates ISO; centres
    sorted, None without a centre column)."""
    out: dict = {}
    if "start_date" in patients.columns:
        start = pd.to_datetime(patients["start_date"], errors="coerce")
        out["first_start"], out["last_start"] = _iso(start.min()), _iso(start.max())
    ends = [pd.to_datetime(patients[c], errors="coerce").max() for c in CUTOFF_COLUMNS if c in patients.columns]
    ends = [e for e in ends if not pd.isna(e)]
    out["data_cutoff"] = _iso(max(ends)) if ends else None
    col = next((c for c in CENTRE_COLUMNS if c in patients.columns), None)
    out["centre_column"] = col
    out["centres"] = (sorted({str(v).strip() for v in pd.unique(patients[col].dropna()) if str(v).strip()})
                      if col is not None else None)    # per distinct value: a registry has 10^6 rows
    return out
