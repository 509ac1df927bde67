"""study.yaml, the analysis plan (INTERFACE.md §2). Every key is optional; unknown keys are errors.

Errors name the file, the line and the key, with what was expected.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .problems import ProblemLog

DAYS_PER = {"days": 1.0, "weeks": 7.0, "months": 30.4375, "years": 365.25}


def _check_times(value: dict[str, list[float]], what: str) -> dict[str, list[float]]:
    """Times in time_unit: finite numbers >= 0 (YAML's .nan, .inf and 1e400 are not times)."""
    for ep, times in value.items():
        for t in times:
            if not math.isfinite(t) or t < 0:
                raise ValueError(f"{ep}: {what} {t!r} is not a time; expected finite numbers >= 0 (in time_unit)")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ResponseConfig(_Strict):
    confirmation: bool = False
    confirmation_days: int = Field(28, ge=0)
    sd_min_days: int = Field(42, ge=0)
    max_ne_between: int = Field(1, ge=0)
    allow_sd_between: bool = False        # one SD allowed between a response and its confirmation
    clinical_benefit_days: int = Field(168, ge=0)  # CBR: CR/PR, or non-PD lasting at least this long


class MissedAssessments(_Strict):
    interval_days: int = Field(..., gt=0)
    max_missed: int = Field(..., ge=1)


class PfsConfig(_Strict):
    censor_at_new_therapy: bool = True
    missed_assessments: MissedAssessments | None = None


class RedcapTable(_Strict):
    instrument: str | None = None          # repeating instrument holding this table's rows
    events: list[str] | None = None        # or: longitudinal events holding them
    columns: dict[str, str] = Field(default_factory=dict)   # layout column -> REDCap field


class RedcapConfig(_Strict):
    records: str | None = None             # records CSV export (default: found by its header)
    dictionary: str | None = None          # data dictionary CSV (default: found by its header)
    patient_id: str | None = None          # default: the first field of the dictionary
    patients: dict[str, str] = Field(default_factory=dict)  # layout column -> REDCap field
    covariates: list[str] | None = None    # patient-level fields kept as covariates (default: all)
    lesions: RedcapTable | None = None
    assessments: RedcapTable | None = None
    biomarkers: RedcapTable | None = None
    mutations: RedcapTable | None = None
    treatments: RedcapTable | None = None
    adverse_events: RedcapTable | None = None
    values: dict[str, dict[str, str]] = Field(default_factory=dict)  # layout column -> {label/code: value}


class ReportConfig(_Strict):
    """How the report prints numbers (docs/report.md). Only the presentation changes, never results.json."""

    p_style: Literal["default", "nejm", "jama"] = "default"
    percent_decimals: int | None = Field(None, ge=0, le=3, description="None: 0 when N < 100, else 1")
    risk_times: dict[str, list[float]] = Field(default_factory=dict, description="numbers at risk, per endpoint")

    @field_validator("risk_times")
    @classmethod
    def _known_endpoints(cls, value: dict) -> dict:
        bad = [k for k in value if k not in ("OS", "PFS", "DOR", "TTP")]
        if bad:
            raise ValueError(f"unknown endpoint {bad[0]!r}; expected one of OS, PFS, DOR, TTP")
        return _check_times(value, "risk time")


class StudyConfig(_Strict):
    title: str = "Oncology case series"
    time_unit: Literal["days", "weeks", "months", "years"] = "months"
    baseline_window_days: int = Field(28, ge=0, description="baseline scans: on or before start, within this")
    response: ResponseConfig = ResponseConfig()
    pfs: PfsConfig = PfsConfig()
    landmarks: dict[str, list[float]] = Field(default_factory=lambda: {"PFS": [6, 12, 24], "OS": [6, 12, 24]})
    cox: dict[str, list[str]] = Field(default_factory=dict)
    multivariable: bool = False
    report: ReportConfig = ReportConfig()
    redcap: RedcapConfig | None = None

    @field_validator("landmarks", "cox")
    @classmethod
    def _known_endpoints(cls, value: dict) -> dict:
        bad = [k for k in value if k not in ("OS", "PFS", "DOR", "TTP")]
        if bad:
            raise ValueError(f"unknown endpoint {bad[0]!r}; expected one of OS, PFS, DOR, TTP")
        return value

    @field_validator("landmarks")
    @classmethod
    def _finite_times(cls, value: dict) -> dict:
        return _check_times(value, "landmark")

    @property
    def days_per_unit(self) -> float:
        return DAYS_PER[self.time_unit]


def _line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """Line (1-based) of the YAML node at a pydantic error location."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next(((k, v) for k, v in node.value if k.value == str(key)), None)
            if nxt is None:
                break
            line, node = nxt[0].start_mark.line + 1, nxt[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def check_names(path: Path, config: StudyConfig, known: set[str], log: ProblemLog) -> None:
    """Covariates named in the plan (``cox:``) must be columns of the study (patients, biomarkers, or
    ``<GENE>_mutated`` for a gene in mutations); an unknown name is an error at its line."""
    node = None
    text = read_yaml_text(path) if path.is_file() else None
    if text is not None:
        try:
            node = yaml.compose(text)
        except yaml.YAMLError:
            node = None  # already reported by load_config
    for endpoint, names in config.cox.items():
        for i, name in enumerate(names):
            if name not in known:
                close = sorted(k for k in known if k.lower().startswith(name.lower()[:3]))[:5]
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                log.error(path.name, _line_of(node, ("cox", endpoint, i)), f"cox.{endpoint}",
                          f"unknown covariate '{name}'{hint}",
                          "a column of patients.csv or biomarkers.csv, or <GENE>_mutated", rule="config")


def _decode_yaml(data: bytes, name: str, log: ProblemLog) -> str | None:
    """UTF-8 (with or without BOM); UTF-16 with its BOM; otherwise Windows-1252 with a warning, as CSVs."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            log.error(name, None, None, "the file starts like UTF-16 text but cannot be decoded",
                      "study.yaml saved as UTF-8", rule="config")
            return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        log.warning(name, line, None, "the file is not UTF-8; it was read as Windows-1252 (Western European)",
                    "UTF-8 text", rule="encoding")
        return data.decode("cp1252", errors="replace")


def read_yaml_text(path: Path) -> str | None:
    """The text of study.yaml as load_config decoded it (None when it cannot be read)."""
    try:
        return _decode_yaml(path.read_bytes(), path.name, ProblemLog())
    except OSError:
        return None


def load_config(path: Path | None, log: ProblemLog) -> StudyConfig:
    """Read and validate study.yaml; with no file, the defaults. Problems go to the log."""
    if path is None or not path.exists():
        return StudyConfig()
    name = path.name
    if not path.is_file():
        log.error(name, None, None, "study.yaml is a folder (or not a regular file), not the analysis plan",
                  "a text file study.yaml (YAML, UTF-8)", rule="config")
        return StudyConfig()
    try:
        data_bytes = path.read_bytes()
    except OSError as exc:
        log.error(name, None, None, f"cannot read the file ({exc.strerror or exc})",
                  "a readable text file study.yaml (YAML, UTF-8)", rule="config")
        return StudyConfig()
    text = _decode_yaml(data_bytes, name, log)
    if text is None:
        return StudyConfig()
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        log.error(name, mark.line + 1 if mark else None, None, f"not valid YAML ({getattr(exc, 'problem', exc)})",
                  "YAML as in the documented study.yaml example", rule="config")
        return StudyConfig()
    if data is None:
        return StudyConfig()
    if not isinstance(data, dict):
        log.error(name, 1, None, "study.yaml must be a mapping of keys to values", "key: value lines",
                  rule="config")
        return StudyConfig()
    try:
        return StudyConfig.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            key = ".".join(str(k) for k in loc)
            if err["type"] == "extra_forbidden":
                message = f"unknown key '{key}'"
                expected = "only the keys documented in docs/study-yaml.md"
            else:
                message = f"'{key}': {err['msg']}"
                expected = None
            log.error(name, _line_of(node, loc), key, message, expected, rule="config")
        return StudyConfig()
