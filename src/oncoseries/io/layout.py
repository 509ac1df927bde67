"""The native study layout (INTERFACE.md §1): which tables exist, their columns, types and codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["id", "date", "number", "int", "text", "code", "bool", "new_flag"]

ROLES = ("target", "non_target", "new")
STATES = ("present", "absent", "too_small", "not_evaluated", "unequivocal_progression", "equivocal")
RESPONSES = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")
TARGET_RESPONSES = ("CR", "PR", "SD", "PD", "NE")
NON_TARGET_RESPONSES = ("CR", "NON-CR/NON-PD", "PD", "NE")


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    codes: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    integer: bool = False
    allow_empty: bool = False      # a required column whose cells may be blank (checked elsewhere)
    doc: str = ""


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    one_per_patient: bool = False
    extra_columns: str = "keep"          # patients: extra columns are covariates
    doc: str = ""
    by_name: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


PID = Column("patient_id", "id", required=True)

TABLES: dict[str, TableSpec] = {
    "patients": TableSpec("patients", (
        PID,
        Column("start_date", "date", required=True, doc="time origin, e.g. first cycle"),
        Column("last_contact_date", "date", required=True, allow_empty=True,
               doc="blank allowed when death_date is given"),
        Column("death_date", "date"),
        Column("progression_date", "date", doc="progression known outside the scans"),
        Column("new_therapy_date", "date", doc="next anticancer therapy"),
        Column("height_cm", "number", min_value=30, max_value=250, doc="for the BSA when treatments lack it"),
        Column("weight_kg", "number", min_value=1, max_value=400, doc="for the BSA when treatments lack it"),
        Column("stop_reason", "text", doc="why treatment stopped (e.g. completed, progression, toxicity)"),
    ), one_per_patient=True, doc="one row per patient; extra columns are covariates"),
    "lesions": TableSpec("lesions", (
        PID,
        Column("date", "date", required=True),
        Column("lesion_id", "text", required=True),
        Column("role", "code", required=True, codes=ROLES),
        Column("organ", "text"),
        Column("nodal", "bool"),
        Column("diameter_mm", "number", min_value=0, max_value=1000,
               doc="longest diameter; short axis for nodes"),
        Column("state", "code", codes=STATES),
    ), doc="one row per lesion per scan"),
    "assessments": TableSpec("assessments", (
        PID,
        Column("date", "date", required=True),
        Column("response", "code", required=True, codes=RESPONSES),
        Column("target", "code", codes=TARGET_RESPONSES),
        Column("non_target", "code", codes=NON_TARGET_RESPONSES),
        Column("new_lesions", "new_flag", codes=("yes", "no", "equivocal")),
    ), doc="one row per scan (investigator responses)"),
    "biomarkers": TableSpec("biomarkers", (PID,), one_per_patient=True, doc="one row per patient"),
    "mutations": TableSpec("mutations", (
        PID, Column("gene", "text", required=True), Column("variant", "text"), Column("classification", "text"),
    ), doc="one row per patient per variant"),
    "treatments": TableSpec("treatments", (
        PID,
        Column("cycle", "int", required=True, min_value=1, max_value=1000, integer=True),
        Column("date", "date", required=True),
        Column("drug", "text"),
        Column("dose_mg_m2", "number", min_value=0, max_value=1e6),
        Column("bsa_m2", "number", min_value=0.1, max_value=5),
        Column("planned_dose_mg_m2", "number", min_value=0, max_value=1e6),
        Column("dose_mg", "number", min_value=0, max_value=1e7, doc="absolute dose; mg/m2 = dose_mg / BSA"),
        Column("height_cm", "number", min_value=30, max_value=250),
        Column("weight_kg", "number", min_value=1, max_value=400),
        Column("stop_reason", "text", doc="on the last cycle: why treatment stopped"),
        Column("modification_reason", "text", doc="why this cycle was delayed or reduced (e.g. toxicity)"),
    ), doc="one row per cycle"),
    "adverse_events": TableSpec("adverse_events", (
        PID,
        Column("term", "text", required=True),
        Column("grade", "int", required=True, min_value=1, max_value=5, integer=True),
        Column("date", "date"),
        Column("cycle", "int", min_value=1, max_value=1000, integer=True),
        Column("soc", "text", doc="CTCAE v5 / MedDRA system organ class"),
    ), doc="one row per adverse event (CTCAE grade 1-5)"),
}

#: Tables a study may hold; only `patients` is required.
TABLE_NAMES = tuple(TABLES)
CHILD_TABLES = tuple(t for t in TABLES if t != "patients")
