"""study.yaml, the analysis plan (INTERFACE.md §2). Every key is optional; unknown keys are errors.

Errors name the file, the line and the key, with what was expected.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .compare.settings import HistoricalControl
from .design.settings import DesignConfig
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
    population: Literal["measurable", "all"] = "measurable"  # ORR denominator (docs/recist.md)
    criteria: Literal["recist1.1", "irecist"] = "recist1.1"   # irecist: iRECIST beside RECIST 1.1


class MissedAssessments(_Strict):
    interval_days: int = Field(..., gt=0)
    max_missed: int = Field(..., ge=1)


class PfsConfig(_Strict):
    censor_at_new_therapy: bool = True
    missed_assessments: MissedAssessments | None = None


def _text(value) -> str:
    """A YAML scalar as text (YAML reads Yes/No as booleans and 1 as a number)."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _texts(value) -> list[str] | None:
    if value is None:
        return None
    return [_text(v) for v in (value if isinstance(value, list) else [value])]


Scalar = str | int | float | bool


class RedcapCondition(_Strict):
    """A test on one REDCap field (``field`` or ``field@event``): ``is`` / ``is_not`` a value (or list of
    values; choice codes or labels, case-insensitive), or ``empty: true/false``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    field: str
    is_: Scalar | list[Scalar] | None = Field(None, alias="is")
    is_not: Scalar | list[Scalar] | None = None
    empty: bool | None = None

    @model_validator(mode="after")
    def _one_test(self):
        given = [k for k in ("is_", "is_not", "empty") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'is', 'is_not' or 'empty'")
        return self

    @property
    def values(self) -> list[str] | None:
        return _texts(self.is_ if self.is_ is not None else self.is_not)

    @field_validator("field")
    @classmethod
    def _lower(cls, value: str) -> str:
        name, _, event = value.strip().partition("@")
        return f"{name.lower()}@{event}" if event else name.lower()

    @model_validator(mode="before")
    @classmethod
    def _from_logic(cls, value):
        if isinstance(value, str):
            conds = parse_logic(value)
            if len(conds) != 1:
                raise ValueError("a 'when:' condition is one clause ([field] = 'value')")
            return conds[0]
        return value

    def describe(self) -> str:
        if self.empty is not None:
            return f"{self.field} is {'empty' if self.empty else 'not empty'}"
        word = "is" if self.is_ is not None else "is not"
        return f"{self.field} {word} {' or '.join(self.values)}"


class RedcapField(_Strict):
    """Where a value comes from: one ``field`` (``field@event`` for one event), or the ``latest`` /
    ``earliest`` date over several fields (each over every event and repeat); optionally used only
    ``when`` a condition holds (e.g. a death date when vital status says dead)."""

    field: str | None = None
    latest: list[str] | None = None
    earliest: list[str] | None = None
    when: RedcapCondition | None = None

    @model_validator(mode="after")
    def _one_source(self):
        given = [k for k in ("field", "latest", "earliest") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of 'field', 'latest' or 'earliest'")
        return self

    @property
    def refs(self) -> list[str]:
        return [self.field] if self.field else list(self.latest or self.earliest)


_LOGIC = re.compile(r"^\s*(?:\[([A-Za-z0-9_]+)\])?\[([A-Za-z0-9_]+)(?:\((\w+)\))?\]\s*(=|<>|!=)\s*"
                    r"(?:'([^']*)'|\"([^\"]*)\"|([^\s'\"]+))\s*$")


def parse_logic(text: str) -> list[dict]:
    """REDCap logic as conditions: ``[screen_fail] <> '1' and [enrollment_arm_1][consent] = '1'`` ->
    ``[{field: screen_fail, is_not: '1'}, {field: consent@enrollment_arm_1, is: '1'}]``; ``= ''`` tests
    for an empty field; ``[sites(2)] = '1'`` is the checkbox choice 2. Only ``and`` joins clauses."""
    out = []
    for clause in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        m = _LOGIC.match(clause)
        if not m or re.search(r"\s+or\s+", clause, flags=re.IGNORECASE):
            raise ValueError(f"cannot read the condition '{clause}'; expected [field] = 'value', [field] <> 'value' "
                             "or [event][field] = 'value', joined by 'and'")
        event, name, choice, op, *vals = m.groups()
        value = next((v for v in vals if v is not None), "")
        name = f"{name}___{choice}" if choice else name
        ref = f"{name}@{event}" if event else name
        if value == "":
            out.append({"field": ref, "empty": op == "="})
        else:
            out.append({"field": ref, "is" if op == "=" else "is_not": value})
    return out


def _as_field(value):
    return {"field": value} if isinstance(value, str) else value


ValueMap = dict[str, dict[str, str]]


def _value_map(value):
    if not isinstance(value, dict):
        return value
    return {str(col): ({_text(k): _text(v) for k, v in m.items()} if isinstance(m, dict) else m)
            for col, m in value.items()}


class RedcapTable(_Strict):
    instrument: str | None = None          # repeating instrument holding this table's rows
    events: list[str] | None = None        # or: longitudinal events holding them
    columns: dict[str, str] = Field(default_factory=dict)   # layout column -> REDCap field
    values: ValueMap = Field(default_factory=dict)          # column -> {code or label: value}

    @field_validator("values", mode="before")
    @classmethod
    def _values(cls, value):
        return _value_map(value)


class RedcapConfig(_Strict):
    records: str | None = None             # records CSV export (default: found by its header)
    dictionary: str | None = None          # data dictionary CSV (default: found by its header)
    events_file: str | None = None         # events CSV (Define My Events; default: found by its header)
    arms_file: str | None = None           # arms CSV (default: found by its header)
    patient_id: str | None = None          # default: the first field of the dictionary
    date_format: Literal["YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY"] = "YYYY-MM-DD"  # as chosen at export
    patients: dict[str, RedcapField] = Field(default_factory=dict)  # layout column -> field spec
    covariates: list[str | dict[str, str]] | None = None  # fields (or field@event) kept; default: all
    where: list[RedcapCondition] | None = None   # keep only the records meeting every condition
    lesions: RedcapTable | None = None
    assessments: RedcapTable | None = None
    biomarkers: RedcapTable | None = None
    mutations: RedcapTable | None = None
    treatments: RedcapTable | None = None
    adverse_events: RedcapTable | None = None
    values: ValueMap = Field(default_factory=dict)  # column of any table -> {code or label: value}

    @field_validator("patients", mode="before")
    @classmethod
    def _fields(cls, value):
        return {k: _as_field(v) for k, v in value.items()} if isinstance(value, dict) else value

    @field_validator("values", mode="before")
    @classmethod
    def _values(cls, value):
        return _value_map(value)

    @field_validator("where", mode="before")
    @classmethod
    def _where_list(cls, value):
        items = [value] if isinstance(value, (dict, str)) else value
        if not isinstance(items, list):
            return items
        return [c for item in items for c in (parse_logic(item) if isinstance(item, str) else [item])]

    def covariate_refs(self) -> list[tuple[str | None, str]] | None:
        """(name, field reference) pairs: ``age`` -> (None, age), named by the reader; ``{ecog_bl:
        ecog@baseline_arm_1}`` as named."""
        if self.covariates is None:
            return None
        out: list[tuple[str | None, str]] = []
        for item in self.covariates:
            if isinstance(item, dict):
                out.extend((str(k).strip().lower(), str(v).strip().lower()) for k, v in item.items())
            else:
                out.append((None, str(item).strip().lower()))
        return out


class AxisCutConfig(_Strict):
    """Where the Kaplan-Meier and swimmer time axes stop: where fewer than ``fraction`` of the patients or
    fewer than ``min_patients`` remain at risk, whichever comes first (null: that part of the rule off)."""

    fraction: float | None = Field(0.10, ge=0, lt=1)
    min_patients: int | None = Field(5, ge=0)


class FigureConfig(_Strict):
    """Report figures (docs/figures.md): time-axis cut, risk-table style, print width, extra formats."""

    axis_cut: AxisCutConfig | None = AxisCutConfig()     # null: the whole follow-up
    risk_table: Literal["simple", "events", "kmunicate"] = "simple"
    size: Literal["double", "single"] = "double"
    formats: list[Literal["pdf", "tiff"]] = Field(default_factory=list)  # beside PNG and SVG


class ReportConfig(_Strict):
    """How the report prints numbers (docs/report.md). Only the presentation changes, never results.json."""

    p_style: Literal["default", "nejm", "jama"] = "default"
    percent_decimals: int | None = Field(None, ge=0, le=3, description="None: 0 when N < 100, else 1")
    risk_times: dict[str, list[float]] = Field(default_factory=dict, description="numbers at risk, per endpoint")
    figures: FigureConfig = FigureConfig()

    @field_validator("risk_times")
    @classmethod
    def _known_endpoints(cls, value: dict) -> dict:
        bad = [k for k in value if k not in ("OS", "PFS", "DOR", "TTP")]
        if bad:
            raise ValueError(f"unknown endpoint {bad[0]!r}; expected one of OS, PFS, DOR, TTP")
        return _check_times(value, "risk time")


class TimeDependent(_Strict):
    """A covariate that happens during follow-up (e.g. surgical CR2): its date column in patients, the
    landmark time (in time_unit; default: the median time of the change, rounded up to a whole unit), and
    which values of the covariate's own column mean the change happened (default yes/true/1)."""

    date: str
    landmark: float | None = Field(None, gt=0, allow_inf_nan=False)
    values: list[str] = Field(default_factory=lambda: ["yes", "true", "1", "y"])


class VariableLabel(_Strict):
    """How a variable is named and grouped in the report (docs/study-yaml.md ``labels:``)."""

    label: str | None = None                         # "Age at relapse"
    unit: str | None = None                          # "years" -> "Age at relapse (years)"
    levels: dict[str, str] = Field(default_factory=dict)   # value -> label ("yes" -> "CR2")
    groups: dict[str, list[str]] = Field(default_factory=dict)  # new level -> values ("≥1": [1, 2])
    order: list[str] | None = None                   # level order; the first is the reference
    reference: str | None = None                     # the reference level (default: first in order)
    categorical: bool = False                        # a number read as categories (e.g. ECOG 0, 1, 2)

    @field_validator("levels", mode="before")
    @classmethod
    def _level_text(cls, value):
        return {_text(k): _text(v) for k, v in value.items()} if isinstance(value, dict) else value

    @field_validator("groups", mode="before")
    @classmethod
    def _group_text(cls, value):
        if not isinstance(value, dict):
            return value
        return {_text(k): [_text(x) for x in (v if isinstance(v, list) else [v])] for k, v in value.items()}

    @field_validator("order", mode="before")
    @classmethod
    def _order_text(cls, value):
        return [_text(v) for v in value] if isinstance(value, list) else value

    @field_validator("reference", mode="before")
    @classmethod
    def _ref_text(cls, value):
        return None if value is None else _text(value)


class Table1Config(_Strict):
    """Table 1 by group (docs/study-yaml.md ``table1:``): ``by`` names the grouping variable; P values
    as gtsummary add_p (``p_values: false`` leaves them out)."""

    by: str | None = None
    p_values: bool = True


class RegressionConfig(_Strict):
    """The Cox table (docs/study-yaml.md ``regression:``): ``screen: all`` fits every Table 1 variable in a
    univariable model beside the planned ones; ``per`` scales a numeric covariate's HR (a number of units,
    or ``iqr``); models with fewer events per coefficient than ``min_events_per_variable`` are flagged."""

    screen: Literal["planned", "all"] = "planned"
    per: dict[str, float | Literal["iqr"]] = Field(default_factory=dict)
    min_events_per_variable: float = Field(10, gt=0, allow_inf_nan=False)

    @field_validator("per")
    @classmethod
    def _positive(cls, value: dict) -> dict:
        for k, v in value.items():
            if v != "iqr" and (not math.isfinite(v) or v <= 0):
                raise ValueError(f"{k}: {v!r} is not a unit; expected a number > 0 or 'iqr'")
        return value


class BiomarkerConfig(_Strict):
    """Biomarker analyses (docs/biomarkers-exposure-toxicity.md): multiplicity adjustment of the P values,
    cut-points of numeric markers (given, else data-driven by maximally selected log-rank statistics)."""

    adjust: Literal["BH", "holm", "none"] = "BH"
    cutpoints: dict[str, float] = Field(default_factory=dict)      # marker -> value; high = value >= cut
    data_driven_cutpoints: bool = True
    minprop: float = Field(0.1, gt=0, lt=0.5)


class ExposureConfig(_Strict):
    """Dose and body size (docs/biomarkers-exposure-toxicity.md)."""

    bsa_formula: Literal["mosteller", "dubois", "haycock"] = "mosteller"
    cycle_days: float | None = Field(None, gt=0, description="planned cycle length; default the median interval")
    reduction_threshold: float = Field(0.95, gt=0, le=1, description="delivered < this x planned = reduced")
    delay_days: int = Field(3, ge=0, description="a cycle later than planned by more than this is delayed")


class StudyConfig(_Strict):
    title: str = "Oncology case series"
    time_unit: Literal["days", "weeks", "months", "years"] = "months"
    baseline_window_days: int = Field(28, ge=0, description="baseline scans: on or before start, within this")
    response: ResponseConfig = ResponseConfig()
    pfs: PfsConfig = PfsConfig()
    landmarks: dict[str, list[float]] = Field(default_factory=lambda: {"PFS": [6, 12, 24], "OS": [6, 12, 24]})
    cox: dict[str, list[str]] = Field(default_factory=dict)
    multivariable: bool = False
    time_dependent: dict[str, TimeDependent] = Field(default_factory=dict)  # covariate -> its date
    labels: dict[str, VariableLabel] = Field(default_factory=dict)   # variable -> label, unit, levels
    table1: Table1Config = Table1Config()
    regression: RegressionConfig = RegressionConfig()
    report: ReportConfig = ReportConfig()
    redcap: RedcapConfig | None = None
    historical_controls: list[HistoricalControl] = Field(default_factory=list)  # published results to compare with
    biomarkers: BiomarkerConfig = BiomarkerConfig()
    exposure: ExposureConfig = ExposureConfig()
    design: DesignConfig | None = None    # the next trial, this regimen as control (docs/trial-design.md)

    @field_validator("landmarks", "cox")
    @classmethod
    def _known_endpoints(cls, value: dict) -> dict:
        bad = [k for k in value if k not in ("OS", "PFS", "DOR", "TTP")]
        if bad:
            raise ValueError(f"unknown endpoint {bad[0]!r}; expected one of OS, PFS, DOR, TTP")
        return value

    @field_validator("labels", mode="before")
    @classmethod
    def _label_shorthand(cls, value):
        return {str(k): ({"label": v} if isinstance(v, str) else v) for k, v in value.items()} \
            if isinstance(value, dict) else value

    @field_validator("landmarks")
    @classmethod
    def _finite_times(cls, value: dict) -> dict:
        return _check_times(value, "landmark")

    @field_validator("time_dependent", mode="before")
    @classmethod
    def _td_shorthand(cls, value):
        return {k: ({"date": v} if isinstance(v, str) else v) for k, v in value.items()} \
            if isinstance(value, dict) else value

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
    node = ...   # study.yaml's nodes, parsed when a problem first needs a line (a valid plan: never parsed)

    def line(loc: tuple) -> int | None:
        nonlocal node
        if node is ...:
            text = read_yaml_text(path) if path.is_file() else None
            try:
                node = yaml.compose(text) if text is not None else None
            except yaml.YAMLError:
                node = None  # already reported by load_config
        return _line_of(node, loc)

    for name in config.labels:
        if name not in known:
            log.warning(path.name, line(("labels", name)), f"labels.{name}",
                        f"labels: '{name}' is not a variable of the study; the label is not used",
                        "a column of patients.csv or biomarkers.csv", rule="config")
    if config.table1.by is not None and config.table1.by not in known:
        log.error(path.name, line(("table1", "by")), "table1.by",
                  f"table1: by '{config.table1.by}' is not a variable of the study",
                  "a column of patients.csv or biomarkers.csv", rule="config")
    for name in config.regression.per:
        if name not in known:
            log.warning(path.name, line(("regression", "per", name)), f"regression.per.{name}",
                        f"regression: per '{name}' is not a variable of the study; not used",
                        "a numeric column of patients.csv or biomarkers.csv", rule="config")
    for endpoint, names in config.cox.items():
        for i, name in enumerate(names):
            if name not in known:
                close = sorted(k for k in known if k.lower().startswith(name.lower()[:3]))[:5]
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                log.error(path.name, line(("cox", endpoint, i)), f"cox.{endpoint}",
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
    from .io.readers import utf8_or_cp1252  # the CSV reader's rule, shared

    return utf8_or_cp1252(data, name, log)


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
        data = yaml.safe_load(text)   # the node tree (line numbers) is parsed only for a plan with errors
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
        node = yaml.compose(text)     # parsed above without error (safe_load): the lines of the problems
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
