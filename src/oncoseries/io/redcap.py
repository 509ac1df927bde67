"""REDCap: a records CSV export plus its data dictionary, split into the native tables.

Handles raw or label exports (values and headers), checkbox columns ``field___code``, repeating
instruments (``redcap_repeat_instrument``) and longitudinal events (``redcap_event_name``). study.yaml's
``redcap:`` section maps REDCap fields onto the layout (docs/redcap.md): a patient column from one field,
a field at one event (``field@event``), the ``latest``/``earliest`` date over several fields, or a field
used only ``when`` a condition holds; ``where:`` keeps only the records meeting conditions (the others are
listed in the patient flow with the reason); ``values:`` recodes any column of any table.
Row numbers are those of the records CSV, and columns are named by their REDCap field, so problems point
into the export, at the row holding the value.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..config import RedcapConfig, RedcapField, RedcapTable
from ..problems import ProblemLog
from .readers import RawTable, UnreadableFile, read_csv_table
from .redcap_export import Export
from .redcap_fields import Picked, Resolver
from .redcap_files import STRUCTURAL, find_files, read_dictionary
from .typing import code_key

_SKIP_TYPES = {"descriptive", "file", "notes"}
CHILD_TABLES = ("lesions", "assessments", "biomarkers", "mutations", "treatments", "adverse_events")


def _recode(values: pd.Series, mapping: dict[str, str] | None) -> pd.Series:
    """study.yaml ``values:`` (keys matched case-insensitively to the label or the code)."""
    if not mapping:
        return values
    lookup = {code_key(str(k)): v for k, v in mapping.items()}
    mapped = values.map(lambda v: lookup.get(code_key(str(v)), v) if v is not None else None)
    return mapped.where(values.notna(), None)


def read_redcap(folder: Path, cfg: RedcapConfig, log: ProblemLog,
                notes: list[str] | None = None) -> dict[str, RawTable]:
    """Split a REDCap export into native raw tables (patients plus the mapped per-scan tables)."""
    files = find_files(folder, cfg.records, cfg.dictionary, cfg.events_file, cfg.arms_file, cfg.patient_id, log)
    if notes is not None:
        notes.extend(files.notes)
    for what, p in (("data dictionary", files.dictionary), ("records export", files.records)):
        if p is None or not p.exists():
            if not log.has_errors():
                log.error(folder.name if p is None else p.name, None, None, f"the REDCap {what} CSV is missing",
                          f"the {what} CSV (or its name in study.yaml redcap:)", rule="missing-file")
            return {}
    try:
        dic = read_dictionary(files.dictionary, log)
        records = read_csv_table(files.records, "redcap_records", log, duplicate_columns="keep")
    except UnreadableFile:
        return {}
    if not dic.fields:
        log.error(dic.file, 2, None, "the data dictionary lists no fields", "one row per field", rule="empty-file")
        return {}
    pid = (cfg.patient_id or dic.fields[0]).strip().lower()
    export = Export(records, dic, pid, log, files.events, cfg.date_format)
    if not export.ok:
        log.error(records.file, 1, pid, f"the record id field '{pid}' is not in the export",
                  "the record id as the first column", rule="missing-column")
        return {}
    no_id = export.record.isna().to_numpy()
    if no_id.any():
        log.add_rows("error", records.file, records.rows[no_id], export.label_of(pid), "the record id is empty",
                     "a record id on every row", "empty-required")
    keep, excluded = _where(export, cfg, log, ~no_id)
    tables: dict[str, RawTable] = {}
    child_fields: set[str] = set()
    for name in CHILD_TABLES:
        spec: RedcapTable | None = getattr(cfg, name)
        if spec is not None:
            table = _child(export, name, spec, cfg, keep, log)
            child_fields.update(f.lower() for f in spec.columns.values())
            if table is not None:
                tables[name] = table
    tables["patients"] = _patients(export, cfg, keep, child_fields, log)
    tables["patients"].excluded = excluded
    return tables


def _where(export: Export, cfg: RedcapConfig, log: ProblemLog, keep: np.ndarray):
    """Rows of the records meeting every ``where:`` condition, and the records left out with the reason."""
    if not cfg.where:
        return keep, None
    records = pd.Index(pd.unique(export.record[keep]))
    res = Resolver(export, records, keep, log)
    ok = pd.Series(True, index=records)
    reason = pd.Series(None, index=records, dtype=object)
    for cond in cfg.where:
        if not res.exists(cond.field, "redcap.where"):
            continue
        holds, _ = res.test(cond)
        newly = ok & ~holds
        reason[newly] = f"left out by study.yaml redcap.where: {cond.describe()} does not hold"
        ok &= holds
    out = reason[~ok]
    excluded = pd.DataFrame({"patient_id": out.index.astype(str), "reason": out.to_numpy()})
    return keep & export.record.isin(ok.index[ok.to_numpy()]).to_numpy(), excluded


def _child(export: Export, name: str, spec: RedcapTable, cfg: RedcapConfig, keep: np.ndarray,
           log: ProblemLog) -> RawTable | None:
    """A per-scan (or per-event) table from a repeating instrument or from events."""
    missing = [f for f in spec.columns.values() if not export.has(f.lower())]
    for f in missing:
        log.error(export.file, 1, f, f"study.yaml redcap.{name} maps a field that is not in the export",
                  "a field name from the data dictionary", rule="missing-column")
    if missing:
        return None
    mapped = {col: f.lower() for col, f in spec.columns.items()}
    mask = keep.copy()
    if spec.instrument:
        form = code_key(spec.instrument)
        hit = (export.instrument.map(lambda v: code_key(v) if isinstance(v, str) else None) == form).to_numpy()
        if not hit.any():
            present = ", ".join(export.instruments_present()) or "none: no row has a repeat instrument"
            log.error(export.file, 1, "redcap_repeat_instrument",
                      f"study.yaml redcap.{name}.instrument '{spec.instrument}' matches no row of the export "
                      f"(repeating instruments in the export: {present})", "the form name of a repeating instrument",
                      rule="unknown-instrument")
            return None
        mask &= hit
    elif spec.events:
        hit, unmatched = export.event_mask(spec.events)
        if unmatched:
            present = ", ".join(export.events_present()) or "none: the export has no redcap_event_name column"
            log.error(export.file, 1, "redcap_event_name",
                      f"study.yaml redcap.{name}.events: {', '.join(unmatched)} match no row of the export "
                      f"(events in the export: {present})", "unique event names (or event labels)",
                      rule="unknown-event")
            return None
        mask &= hit
    values = {**cfg.values, **spec.values}
    cols = {"patient_id": export.record}
    cols.update({col: _recode(export.value(f), values.get(col)) for col, f in mapped.items()})
    mask &= pd.DataFrame({k: v for k, v in cols.items() if k != "patient_id"}).notna().any(axis=1).to_numpy()
    df = pd.DataFrame({k: v[mask].to_numpy() for k, v in cols.items()})
    labels = {"patient_id": export.label_of(export.pid_field), **{col: export.label_of(f) for col, f in mapped.items()}}
    return RawTable(name=name, file=export.file, df=df, rows=export.rows[mask], labels=labels)


def _default_covariates(export: Export, used: set[str], child_fields: set[str]) -> list[tuple[str, str]]:
    """Every patient-level field not mapped elsewhere: not descriptive/file/notes, not ``*_complete``, not
    in a repeating instrument or a form mapped to a child table."""
    dic = export.dic
    repeating = {f for f in export.instruments_present()} | {dic.form[f] for f in child_fields if f in dic.form}
    out = []
    for c in export.df.columns:
        field = dic.checkbox.get(c, (c.split("___", 1)[0] if "___" in c else c, None))[0]
        if (c in used or c in STRUCTURAL or c.endswith("_complete") or c.endswith("_timestamp")
                or dic.type.get(field) in _SKIP_TYPES or dic.form.get(field) in repeating):
            continue
        out.append((_covariate_name(export, c), c))
    return out


def _covariate_name(export: Export, column: str) -> str:
    """``relapse_sites___1`` -> ``relapse_sites_lung`` (the choice label); other fields keep their name."""
    if column in export.dic.checkbox:
        field, code = export.dic.checkbox[column]
        return f"{field}_{code_key(export.dic.choices[field].get(code, code))}"
    if "___" in column:
        field, code = column.split("___", 1)
        return f"{field}_{code}"
    return column


def _patients(export: Export, cfg: RedcapConfig, keep: np.ndarray, child_fields: set[str],
              log: ProblemLog) -> RawTable:
    """One row per record: mapped columns and covariates, each cell with the export row holding it."""
    records = pd.Index(pd.unique(export.record[keep]))
    res = Resolver(export, records, keep, log)
    picked: dict[str, Picked] = {"patient_id": Picked(pd.Series(records, index=records, dtype=object),
                                                      res.base_rows)}
    labels = {"patient_id": export.label_of(export.pid_field)}
    display = {}
    for col, spec in cfg.patients.items():
        col = col.strip().lower()
        spec: RedcapField
        refs = [r.lower() for r in spec.refs]
        if not all([res.exists(r, f"redcap.patients.{col}") for r in refs]):
            continue
        if spec.when is not None and not res.exists(spec.when.field.lower(), f"redcap.patients.{col}.when"):
            continue
        picked[col] = res.field(spec.model_copy(update={
            "field": spec.field.lower() if spec.field else None,
            "latest": refs if spec.latest else None, "earliest": refs if spec.earliest else None}), col)
        names = [export.label_of(r.partition("@")[0]) for r in refs]
        labels[col] = names[0] if len(names) == 1 else f"{'latest' if spec.latest else 'earliest'}({', '.join(names)})"
    used = {r.partition("@")[0].lower() for s in cfg.patients.values() for r in s.refs} | {export.pid_field}
    refs = cfg.covariate_refs()
    covs = _default_covariates(export, used, child_fields) if refs is None else refs
    for name, ref in covs:
        if refs is not None and not res.exists(ref, "redcap.covariates"):
            continue
        if name is None:  # ecog@baseline_arm_1 -> ecog_baseline_arm_1; sites___lung -> sites_lung
            field_name, _, event = ref.partition("@")
            name = _covariate_name(export, field_name) + (f"_{code_key(event)}" if event else "")
        picked[name] = res.first(ref, warn=refs is not None)
        field_name = ref.partition("@")[0]
        labels[name] = export.label_of(field_name)
        base = export.dic.checkbox.get(field_name, (field_name, None))
        text = export.dic.label.get(base[0])
        if text:
            choice = export.dic.choices.get(base[0], {}).get(base[1]) if base[1] is not None else None
            event = ref.partition("@")[2]
            display[name] = (f"{text}: {choice}" if choice else
                             f"{text} ({export.event_label(event)})" if event else text)
    if refs is None:
        res.warn_differing_many([ref for _, ref in covs])
    if "redcap_data_access_group" in export.df.columns and refs is None:
        # the centre in a multi-centre series; unique group names (raw) and display names (label) agree
        dag = export.df["redcap_data_access_group"].map(lambda v: code_key(v) if isinstance(v, str) else None)
        export.df["_dag"] = dag
        picked["data_access_group"] = res.first("_dag", warn=False)
        labels["data_access_group"] = "redcap_data_access_group"
        display["data_access_group"] = "Centre"
    df = pd.DataFrame({col: _recode(p.values, cfg.values.get(col)).to_numpy() for col, p in picked.items()})
    base = res.base_rows.to_numpy().astype(np.int64)
    cell_rows = {col: p.rows.fillna(res.base_rows).to_numpy().astype(np.int64) for col, p in picked.items()
                 if col != "patient_id"}
    cell_rows = {col: rows for col, rows in cell_rows.items() if not np.array_equal(rows, base)}
    return RawTable(name="patients", file=export.file, df=df, rows=base, labels=labels, cell_rows=cell_rows,
                    display=display)
