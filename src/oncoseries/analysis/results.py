"""Results: what results.json holds. Built from the Study; read by every report writer."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..study import Study, read_study

SCHEMA_VERSION = 1


def _clean(value):
    """JSON-safe values: NaN/inf -> None, numpy scalars -> Python, dates -> ISO."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()
    if value is pd.NaT or value is None:
        return None
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


@dataclass
class Results:
    study: Study
    sections: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        s = self.study
        flow = s.flow.summary().to_dict(orient="records") if s.flow is not None else []
        return _clean({
            "schema_version": SCHEMA_VERSION,
            "software": {"name": "oncoseries", "version": __version__},
            "study": {"title": s.config.title, "source": s.source, "time_unit": s.config.time_unit,
                      "n_patients": len(s.patients), "tables": {k: len(v) for k, v in s.tables.items()},
                      "covariates": s.covariates},
            "patient_flow": flow,
            "data_problems": [p.to_dict() for p in s.problems],
            **self.sections,
        })

    def summary_text(self) -> str:
        s = self.study
        lines = [f"{s.config.title}: {s.describe()}."]
        if s.flow is not None:
            for row in s.flow.summary().itertuples():
                lines.append(f"  {row.label}: {row.included} of {row.n}")
        if s.warnings:
            lines.append(f"  {len(s.warnings)} data warning(s) listed in results.json")
        return "\n".join(lines)


def analyze(study) -> Results:
    """Analyse a study (a path or a Study). Raises StudyError when the study has errors."""
    if not isinstance(study, Study):
        study = read_study(study)
    return Results(study=study)


def write_outputs(results: Results, out: Path) -> list[Path]:
    """Write results.json and tables/*.csv; returns the files written."""
    out = Path(out)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    written = []
    path = out / "results.json"
    path.write_text(json.dumps(results.to_dict(), indent=2, sort_keys=False) + "\n", encoding="utf-8")
    written.append(path)
    s = results.study
    if s.flow is not None:
        p = out / "tables" / "patient_flow.csv"
        s.flow.table.to_csv(p, index=False)
        written.append(p)
    p = out / "tables" / "data_problems.csv"
    pd.DataFrame([x.to_dict() for x in s.problems],
                 columns=["severity", "file", "row", "column", "message", "expected", "rule", "patient_id"]
                 ).to_csv(p, index=False)
    written.append(p)
    return written
