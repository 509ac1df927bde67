"""The validated Study: read a study folder, workbook or REDCap export, type it, check it.

``validate_study(path)`` never raises for bad data: every problem is reported with file, row and column.
``read_study(path)`` returns the Study, or raises ``StudyError`` (listing the problems) when it has errors.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import StudyConfig, check_names, load_config
from .flow import PatientFlow, initial_flow
from .io.layout import TABLE_NAMES, TABLES
from .io.parquet import has_parquet_patients, parquet_tables, read_parquet_table
from .io.readers import RawTable, UnreadableFile, normalise_name, read_csv_table, read_xlsx_tables
from .io.typing import parse_dates, type_table
from .memory import trim
from .problems import HasProblems, Problem, ProblemLog
from .timings import lap
from .validation import validate_tables


class StudyError(Exception):
    """The study has errors that block analysis; ``.problems`` lists them all."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        lines = "\n".join(f"  {p}" for p in errors[:50])
        more = f"\n  ... and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"the study has {len(errors)} error(s):\n{lines}{more}")


@dataclass
class Study(HasProblems):
    """A typed study. Tables are pandas DataFrames with typed columns and a ``_row`` column (source row)."""

    path: Path
    source: str
    config: StudyConfig
    tables: dict[str, pd.DataFrame]
    files: dict[str, str]
    problems: list[Problem] = field(default_factory=list)
    flow: PatientFlow | None = None
    notes: list[str] = field(default_factory=list)        # how the input was read (e.g. which file is which)
    labels: dict[str, str] = field(default_factory=dict)  # column -> label for the report (REDCap dictionary)
    transient: bool = False   # the command line owns this Study: tables are released once used (release)

    def _table(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    @property
    def patients(self) -> pd.DataFrame:
        return self.tables["patients"]

    @property
    def lesions(self) -> pd.DataFrame | None:
        return self._table("lesions")

    @property
    def assessments(self) -> pd.DataFrame | None:
        return self._table("assessments")

    @property
    def biomarkers(self) -> pd.DataFrame | None:
        return self._table("biomarkers")

    @property
    def mutations(self) -> pd.DataFrame | None:
        return self._table("mutations")

    @property
    def treatments(self) -> pd.DataFrame | None:
        return self._table("treatments")

    @property
    def adverse_events(self) -> pd.DataFrame | None:
        return self._table("adverse_events")

    @property
    def covariates(self) -> list[str]:
        """Extra columns of patients (INTERFACE §1: unknown columns in patients are covariates)."""
        known = set(TABLES["patients"].by_name)
        return [c for c in self.patients.columns if c not in known and not c.startswith("_")
                and not pd.api.types.is_datetime64_any_dtype(self.patients[c])]  # dates: time_dependent

    def release(self, name: str) -> None:
        """Free the cells of a typed table the analysis no longer needs (the typed lesions after RECIST:
        10^7 rows in a registry), only when ``transient`` (``oncoseries analyze`` owns the Study; the
        Python API keeps every table). The table keeps its row count (results.json counts rows) and no
        columns; the memory goes back to the system (memory.trim)."""
        if self.transient and name in self.tables and len(self.tables[name].columns):   # once
            self.tables[name] = pd.DataFrame(index=pd.RangeIndex(len(self.tables[name])))
            trim()

    @property
    def is_usable(self) -> bool:
        return not self.errors

    def describe(self) -> str:
        parts = [f"{len(self.patients)} patients"]
        for name in TABLE_NAMES[1:]:
            if name in self.tables:
                parts.append(f"{len(self.tables[name])} {name.replace('_', ' ')} rows")
        return ", ".join(parts)


@dataclass
class ValidationReport(HasProblems):
    path: Path
    problems: list[Problem]
    study: Study | None
    notes: list[str] = field(default_factory=list)
    explained: list[Problem] = field(default_factory=list)  # not shown: another error on their cell explains them

    @property
    def usable(self) -> bool:
        return self.study is not None and not self.errors


def _find_files(folder: Path) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for f in sorted(folder.iterdir()):
        if f.is_file() and not f.name.startswith((".", "~$")):
            found.setdefault(f.suffix.lower(), []).append(f)
    return found


def _read_raw(path: Path, config: StudyConfig, log: ProblemLog,
              notes: list[str]) -> tuple[dict[str, RawTable], str]:
    """Raw tables from a folder of CSVs, one workbook, or a REDCap export (by study.yaml `redcap:`)."""
    if path.is_file():
        if path.suffix.lower() != ".xlsx":
            log.error(path.name, None, None, "a study is a folder of CSV files or one .xlsx workbook",
                      "a folder or a .xlsx file", rule="missing-file")
            return {}, "unknown"
        return read_xlsx_tables(path, TABLE_NAMES, log), "xlsx workbook"
    if config.redcap is not None:
        from .io.redcap import read_redcap
        return read_redcap(path, config.redcap, log, notes), "REDCap export"
    files = _find_files(path)
    csvs = {normalise_name(f.stem): f for f in files.get(".csv", [])}
    if "patients" not in csvs and not has_parquet_patients(path):
        books = files.get(".xlsx", [])
        if len(books) == 1:
            return read_xlsx_tables(books[0], TABLE_NAMES, log), "xlsx workbook"
        if len(books) > 1:
            log.error(path.name, None, None, f"{len(books)} workbooks found ({', '.join(b.name for b in books)}); "
                      "the study must be one workbook", "one .xlsx file or CSV files", rule="missing-file")
            return {}, "unknown"
        from .io import cdisc_intake
        if cdisc_intake.looks_like_cdisc(path):
            return cdisc_intake.read_cdisc_study(path, log), "CDISC"
    parquets = parquet_tables(path, csvs, log)
    tables = {}
    for name in TABLE_NAMES:
        if name in csvs or name in parquets:
            try:
                tables[name] = read_csv_table(csvs[name], name, log, categorical=True) if name in csvs \
                    else read_parquet_table(parquets[name], name, log, categorical=True)
            except UnreadableFile:
                pass
    return tables, "CSV folder" if not parquets else "Parquet folder" if not csvs else "CSV and Parquet folder"


def load_study(path: str | Path, today: dt.date | None = None) -> ValidationReport:
    """Read, type and check a study. Never raises for problems in the data."""
    path = Path(path)
    log = ProblemLog()
    today = today or dt.date.today()
    if not path.exists():
        log.error(str(path), None, None, "no such file or folder", "a study folder or .xlsx workbook",
                  rule="missing-file")
        return ValidationReport(path, log.problems, None, notes)
    folder = path if path.is_dir() else path.parent
    config = load_config(folder / "study.yaml", log)
    notes: list[str] = []
    try:
        raw, source = _read_raw(path, config, log, notes)
    except UnreadableFile:
        raw, source = {}, "unknown"
    if "patients" not in raw:
        if not log.has_errors():
            where = path.name
            log.error(where, None, None, "the patients table is missing",
                      "patients.csv (or a sheet named patients) with patient_id, start_date, last_contact_date",
                      rule="missing-file")
        return ValidationReport(path, log.problems, None, notes)
    typed: dict[str, pd.DataFrame] = {}
    for name, table in raw.items():
        df = type_table(table, TABLES[name], log)
        if df is not None:
            typed[name] = df
        if name != "patients":   # the cells are typed: free them (a registry's lesions are 10^7 rows)
            table.df = table.df.iloc[:0]
    trim()   # the raw cells and the readers' work arrays: back to the system (memory.py)
    lap("read")
    if "patients" not in typed:
        return ValidationReport(path, log.problems, None, notes)
    if typed["patients"].empty:
        log.error(raw["patients"].file, 2, None, "the patients table has no rows", "one row per patient",
                  rule="no-patients")
        return ValidationReport(path, log.problems, None, notes)
    _apply_defaults(typed)
    _time_dependent_dates(folder / "study.yaml", config, raw["patients"], typed["patients"], log)
    files = {name: raw[name].file for name in typed}
    labels = {name: raw[name].label for name in typed}
    validate_tables(typed, files, labels, log, config.baseline_window_days, today)
    check_names(folder / "study.yaml", config, _known_covariates(typed), log)
    found = list(dict.fromkeys(log.problems))  # one cell read twice: one message
    log.problems = _without_cascades(found)
    kept = {id(p) for p in log.problems}
    study = Study(path=path, source=source, config=config, tables=typed, files=files, problems=log.problems,
                  notes=notes, labels={k: v for t in raw.values() for k, v in t.display.items()})
    if not study.errors:
        study.flow = initial_flow(typed, config.baseline_window_days, raw["patients"].excluded)
    trim()
    lap("validate")
    return ValidationReport(path, log.problems, study, notes, [p for p in found if id(p) not in kept])


def _time_dependent_dates(path: Path, config: StudyConfig, raw: RawTable, patients: pd.DataFrame,
                          log: ProblemLog) -> None:
    """study.yaml ``time_dependent:`` date columns, and ``<x>_date`` for a covariate ``x`` planned in
    ``cox:``: read as dates (bad cells reported); unknown declared ones are errors at their line."""
    planned = {c for names in config.cox.values() for c in names}
    for col in sorted(f"{c}_date" for c in planned if f"{c}_date" in patients.columns):
        if not pd.api.types.is_datetime64_any_dtype(patients[col]):
            patients[col] = parse_dates(raw, col, log)
    for cov, spec in config.time_dependent.items():
        col = normalise_name(spec.date)
        if col not in patients.columns:
            log.error(path.name, None, f"time_dependent.{cov}.date",
                      f"'{spec.date}' is not a column of the patients table",
                      "the date column of the change (e.g. cr2_date, new_therapy_date)", rule="config")
        elif not pd.api.types.is_datetime64_any_dtype(patients[col]):
            patients[col] = parse_dates(raw, col, log)


def _known_covariates(tables: dict[str, pd.DataFrame]) -> set[str]:
    """Names the plan may use: patient and biomarker columns, and <GENE>_mutated per mutated gene."""
    names = {c for c in tables["patients"].columns if not c.startswith("_")}
    if "biomarkers" in tables:
        names |= {c for c in tables["biomarkers"].columns if not c.startswith("_")}
    if "mutations" in tables:
        names |= {f"{g}_mutated" for g in tables["mutations"]["gene"].dropna().unique()}
    return names - {"patient_id"}


CELL_RULES = {"unparseable-date", "not-a-number", "negative-value", "out-of-range", "not-integer",
              "unknown-code", "not-boolean", "empty-required"}


def _without_cascades(problems: list[Problem]) -> list[Problem]:
    """Drop a problem only when another error on the same cell (file, row, column) explains it: a cross-table
    problem on a cell already reported as unreadable, or an 'empty' cell that was emptied by an unreadable
    value (one cause, one message). In a converted CDISC table a column is not a source cell: there an
    'empty' cell is explained by the converter's error on the same source row. Nothing else is dropped."""
    by_row: dict[tuple, list[Problem]] = {}
    for q in problems:
        if q.row is not None and q.severity == "error" and (q.rule in CELL_RULES or q.rule.startswith("cdisc")):
            by_row.setdefault((q.file, q.row), []).append(q)
    return [p for p in problems if not explained(p, by_row.get((p.file, p.row), []))]


def explained(p: Problem, row_errors: list[Problem]) -> bool:
    """True when a cell error of `row_errors` (errors on p's file and row) explains p (then p is not shown)."""
    if p.row is None:
        return False
    on_cell = {q.rule for q in row_errors
               if q.column == p.column or (p.rule == "empty-required" and q.rule.startswith("cdisc"))}
    if p.rule == "empty-required":
        return bool(on_cell - {"empty-required"})
    return bool(on_cell) and p.rule not in CELL_RULES and not p.rule.startswith("cdisc")


def _apply_defaults(tables: dict[str, pd.DataFrame]) -> None:
    """INTERFACE §1 defaults: optional date columns exist (NaT); lesion state `present`, or
    `not_evaluated` for a target row with neither diameter nor state; `nodal` false."""
    p = tables["patients"]
    for col in ("death_date", "progression_date", "new_therapy_date"):
        if col not in p.columns:
            p[col] = pd.Series(pd.NaT, index=p.index, dtype="datetime64[ns]")
    les = tables.get("lesions")
    if les is not None:
        if "diameter_mm" not in les.columns:
            les["diameter_mm"] = np.nan
        if "nodal" not in les.columns:
            les["nodal"] = False
        if les["nodal"].dtype != bool:   # missing: False (no copy of a column already bool)
            les["nodal"] = les["nodal"].to_numpy(dtype=bool, na_value=False)
        if "organ" not in les.columns:
            les["organ"] = None
        if "state" in les.columns and isinstance(les["state"].dtype, pd.CategoricalDtype):
            les["state"] = _state_defaults_coded(les)   # typed from Categorical cells (io.typing.COMPACT)
        else:
            state = (les["state"].to_numpy(dtype=object) if "state" in les.columns
                     else np.full(len(les), None, dtype=object))
            missing = np.flatnonzero(pd.isna(state))
            if len(missing):   # one shared string per default (a text array would copy 10^7 cells)
                if "state" in les.columns:
                    state = state.copy()
                unmeasured = ((les["role"].to_numpy(dtype=object)[missing] == "target")
                              & pd.isna(les["diameter_mm"].to_numpy()[missing]))
                state[missing] = np.array(["present", "not_evaluated"], dtype=object)[unmeasured.astype(np.int8)]
            les["state"] = state
        for col in ("role", "state", "organ", "lesion_id"):   # repeated texts: 1-2 byte codes, not pointers
            les[col] = compact_text(les[col])


def _state_defaults_coded(les: pd.DataFrame) -> pd.Series:
    """The lesion state defaults of ``_apply_defaults`` on a categorical state column: the same categorical
    ``compact_text`` makes of the filled text (no pass over 10^7 text cells)."""
    from .io.typing import compact_codes

    cat = les["state"].array
    codes = cat.codes.astype(np.int32)
    names = list(cat.categories)
    missing = np.flatnonzero(codes < 0)
    if len(missing):
        for text in ("present", "not_evaluated"):
            if text not in names:
                names.append(text)
        role = les["role"]
        if isinstance(role.dtype, pd.CategoricalDtype):
            cats = list(role.cat.categories)
            role_target = (role.cat.codes.to_numpy() == cats.index("target")) if "target" in cats \
                else np.zeros(len(role), dtype=bool)
        else:
            role_target = role.to_numpy(dtype=object) == "target"
        unmeasured = role_target[missing] & pd.isna(les["diameter_mm"].to_numpy()[missing])
        codes[missing] = np.where(unmeasured, names.index("not_evaluated"), names.index("present"))
    return compact_codes(codes, names, les.index)


def compact_text(s: pd.Series) -> pd.Series:
    """A text column as a categorical (codes of 1-2 bytes instead of 8-byte pointers: a registry's lesions
    are 10^7 rows); the values, missing cells and the text's order of first appearance are kept. Columns
    holding anything but text (1 and 1.0 would be one category) or many distinct values stay as they are."""
    if isinstance(s.dtype, pd.CategoricalDtype) or s.dtype != object:
        return s
    codes, uniq = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=True)
    if len(uniq) > 2 ** 15 or pd.api.types.infer_dtype(uniq, skipna=False) not in ("string", "empty"):
        return s
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(uniq, dtype=object)), index=s.index)


def validate_study(path: str | Path, today: dt.date | None = None) -> ValidationReport:
    """The checks `oncoseries validate` runs: a report of every problem; never raises for bad data."""
    return load_study(path, today=today)


def read_study(path: str | Path, today: dt.date | None = None) -> Study:
    """The validated Study; raises StudyError listing every error when the study is not usable."""
    report = load_study(path, today=today)
    if not report.usable:
        raise StudyError(report.problems)
    return report.study
