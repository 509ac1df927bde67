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
from ..timings import lap
from .write_early import FLOW   # the name ``skip`` gives tables/patient_flow.csv
from ..io.fast_csv import write_csv
from ..io.fast_json import dumps_indent2
from .accrual import accrual

SCHEMA_VERSION = 1


_AS_IS = {str, int, bool, type(None)}


def _clean(value):
    """JSON-safe values: NaN/inf -> None, numpy scalars -> Python, dates -> ISO."""
    t = type(value)
    if t is str or t is int or t is bool or value is None:     # most values: one type test (10^6 ids)
        return value
    if t is float:
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if set(map(type, value)) <= _AS_IS:     # e.g. 10^6 patient ids left out of a model: one C pass
            return list(value)
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
    """Everything the report shows. ``sections`` is what results.json holds beside the study facts;
    ``derived`` the derived tables; ``curves`` the Kaplan-Meier fits behind the figures."""

    study: Study
    plan: object = None
    sections: dict = field(default_factory=dict)
    derived: dict = field(default_factory=dict)
    curves: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)

    def to_dict(self) -> dict:
        s = self.study
        flow = s.flow.summary().to_dict(orient="records") if s.flow is not None else []
        return _clean({
            "schema_version": SCHEMA_VERSION,
            "software": {"name": "oncoseries", "version": __version__},
            "study": {"title": s.config.title, "source": s.source, "time_unit": s.config.time_unit,
                      "n_patients": len(s.patients), "tables": {k: len(v) for k, v in s.tables.items()},
                      "covariates": s.covariates, "accrual": accrual(s.patients),
                      **({"labels": dict(sorted(s.labels.items()))} if getattr(s, "labels", None) else {})},
            "patient_flow": flow,
            "data_problems": [p.to_dict() for p in self.problems],
            **self.sections,
        })

    def summary_text(self) -> str:
        s = self.study
        lines = [f"{s.config.title}: {s.describe()}."]
        if s.flow is not None:
            for row in s.flow.summary().itertuples():
                lines.append(f"  {row.label}: {row.included} of {row.n}")
        resp = self.sections.get("response")
        if resp and resp.get("unconfirmed"):
            head = "confirmed" if resp.get("headline") == "confirmed_bor" else "unconfirmed"
            other = "unconfirmed" if head == "confirmed" else "confirmed"
            orr = next(r for r in resp[head] if r["category"] == "ORR")
            line = f"  ORR {orr['n']}/{orr['N']} ({100 * orr['proportion']:.0f}%, {head} best response)"
            alt = next((r for r in resp.get(other) or [] if r["category"] == "ORR"), None)
            if alt:
                line += f"; {other} {alt['n']}/{alt['N']} ({100 * alt['proportion']:.0f}%)"
            lines.append(line)
        for ep, s_ in self.sections.get("survival", {}).items():
            m = s_["median"]
            med = "not reached" if m["value"] is None else f"{m['value']:.1f} {self.study.config.time_unit}"
            lines.append(f"  {ep}: {s_['events']} events in {s_['n']} patients; median {med}")
        n_warn = sum(p.severity == "warning" for p in self.problems)
        if n_warn:
            lines.append(f"  {n_warn} data warning(s) listed in results.json")
        return "\n".join(lines)


def analyze(study) -> Results:
    """Analyse a study (a path or a Study). Raises StudyError when the study has errors."""
    from .run import run_analysis

    if not isinstance(study, Study):
        study = read_study(study)
    return run_analysis(study)


DERIVED_COLUMNS = {
    "timepoints": ["patient_id", "date", "target", "non_target", "new_lesions", "overall"],
    "best_response": ["patient_id", "bor", "bor_date", "confirmed_bor", "confirmed_bor_date"],
    "adtte": ["patient_id", "paramcd", "startdt", "adt", "aval", "cnsr", "evntdesc"],
}


def _derived_csv(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """INTERFACE §3 columns first, then the extras, rows in a stable order."""
    first = [c for c in DERIVED_COLUMNS.get(name, []) if c in df.columns]
    cols = first + [c for c in df.columns if c not in first and not c.startswith("_")]
    # the columns reordered without copying them (derived/lesions.csv of a registry is 10^7 rows)
    return pd.DataFrame({c: df[c] for c in cols}, index=df.index, copy=False)


def write_derived(derived: dict, out: Path, on_rows=None) -> list[Path]:
    """derived/<name>.csv of each table (INTERFACE §3 columns first, ISO dates); returns the files.
    ``on_rows``: {name: callback} for ``write_csv`` (the early writer frees the rows it has written)."""
    (Path(out) / "derived").mkdir(parents=True, exist_ok=True)
    files = []
    for name, df in derived.items():
        p = Path(out) / "derived" / f"{name}.csv"
        write_csv(_derived_csv(df, name), p, date_format="%Y-%m-%d",   # = to_csv(index=False), fast
                  on_rows=(on_rows or {}).get(name))
        files.append(p)
    return files


def write_flow(flow, out: Path) -> Path:
    """tables/patient_flow.csv: one row per patient per population (= to_csv(index=False), fast)."""
    p = Path(out) / "tables" / "patient_flow.csv"
    p.parent.mkdir(parents=True, exist_ok=True)
    write_csv(flow.table, p)
    return p


def _write_tables(results: Results, out: Path, skip: set) -> list[Path]:
    """tables/patient_flow.csv (unless ``FLOW`` is in ``skip``), the derived tables not in ``skip``, the
    CDISC files (unless their three tables are in ``skip``: written already) and tables/data_problems.csv."""
    written = []
    s = results.study
    if s.flow is not None and FLOW not in skip:
        written.append(write_flow(s.flow, out))
    written += write_derived({k: v for k, v in results.derived.items() if k not in skip}, out)
    if "adtte" in results.derived and not {"timepoints", "best_response", "adtte"} <= skip:
        from ..io.cdisc_export import export_cdisc

        files = export_cdisc(out / "cdisc", timepoints=results.derived["timepoints"],
                             best_response=results.derived["best_response"], adtte=results.derived["adtte"])
        written += [f for fs in files.values() for f in fs]
    p = out / "tables" / "data_problems.csv"
    pd.DataFrame([x.to_dict() for x in results.problems],
                 columns=["severity", "file", "row", "column", "message", "expected", "rule", "patient_id"]
                 ).to_csv(p, index=False)
    written.append(p)
    return written


def _write_text(path: Path, text: str, piece: int = 1 << 24) -> None:
    """``path.write_text(text + "\n", encoding="utf-8")`` without a second copy of ``text`` nor its
    whole UTF-8 encoding (results.json of a registry is over 100 MB): written in slices."""
    with open(path, "w", encoding="utf-8") as f:
        for i in range(0, len(text), piece):
            f.write(text[i:i + piece])
        f.write("\n")


def write_outputs(results: Results, out: Path, figures: bool = True) -> list[Path]:
    """Write results.json, the derived tables and the report (report.html, report.docx, tables/*.csv,
    figures/ unless ``figures`` is False); returns the files written.

    Under ``oncoseries analyze`` (an EarlyWriter for ``out``, analysis/write_early.py) the tables known
    before the statistics were written by a forked process during them, and the other CSV files are
    written by a second one while this process writes results.json and the report: same bytes."""
    from . import write_early

    out = Path(out)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    early = write_early.current(out)
    early_files, done = early.take(results.derived) if early is not None else ([], set())
    child = write_early.fork_write(lambda: _write_tables(results, out, done), "output tables") \
        if early is not None else None
    tables = _write_tables(results, out, done) if child is None else []
    written = []
    path = out / "results.json"
    data = results.to_dict()
    _write_text(path, dumps_indent2(data))   # = json.dumps(data, indent=2) + "\n", faster
    written.append(path)
    lap("results.json, derived, CDISC")
    from ..report import write_report

    try:
        report = write_report(results, out, figures=figures, data=data)   # reads what results.json holds
    except BaseException:
        if child is not None:
            child.kill()
        raise
    if child is not None:
        try:
            tables = child.wait()
        except write_early.WriteError as exc:
            import sys

            sys.stderr.write(f"Note: {exc}; the files are written by the main process.\n")
            tables = _write_tables(results, out, done)
        lap("waiting for the writer process", progress=False)   # not one of progress.ANALYZE_STAGES
    write_early.finish(early)
    return written + early_files + tables + report
