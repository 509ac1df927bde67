"""CDISC folders (SDTM DM/TU/TR/RS, ADaM ADSL/ADRS/ADTTE) as native raw tables.

``io.cdisc`` converts the domains to the native layout; here the converted tables become raw string
tables so that they pass through exactly the same typing and validation as a CSV study. Each row keeps
its source file (``_file``) and row, so problems point into the SDTM/ADaM file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..problems import ProblemLog
from .cdisc import find_cdisc_files, read_cdisc
from .layout import TABLE_NAMES
from .readers import RawTable


def looks_like_cdisc(folder: Path) -> bool:
    found, _ = find_cdisc_files(folder)
    return bool(found)


def _as_text(s: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%d").astype(object).where(s.notna(), None)
    if pd.api.types.is_bool_dtype(s):
        return s.map({True: "true", False: "false"}).astype(object)
    if pd.api.types.is_float_dtype(s):
        return s.map(lambda v: None if pd.isna(v) else repr(float(v))).astype(object)
    return s.astype(object).where(s.notna(), None).map(lambda v: v if v is None else str(v))


def read_cdisc_study(folder: Path, log: ProblemLog) -> dict[str, RawTable]:
    """Native raw tables from a CDISC folder; the converter's problems go to the log."""
    tables, problems = read_cdisc(folder)
    for p in problems:
        log.add(p.severity if p.severity in ("error", "warning") else "warning", p.file, p.row, p.column,
                p.message, None, p.rule or "cdisc")
    out: dict[str, RawTable] = {}
    for name, df in tables.items():
        if name not in TABLE_NAMES:
            continue  # ADaM ADRS/ADTTE are kept by io.cdisc for comparison, not as input tables
        files = df["_file"] if "_file" in df.columns else pd.Series("cdisc", index=df.index)
        file = files.mode().iloc[0] if len(files) else name
        body = pd.DataFrame({c: _as_text(df[c]) for c in df.columns if c not in ("_row", "_file")})
        body["_file"] = files.to_numpy()
        rows = df["_row"].to_numpy(dtype=np.int64) if "_row" in df.columns else np.arange(2, len(df) + 2)
        out[name] = RawTable(name=name, file=str(file), df=body.reset_index(drop=True), rows=rows,
                             labels={c: c for c in body.columns})
    return out
