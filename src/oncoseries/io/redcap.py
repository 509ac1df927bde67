"""REDCap: a records CSV export plus its data dictionary, split into the native tables.

Handles raw or label exports (values and headers), checkbox columns ``field___code``, repeating
instruments (``redcap_repeat_instrument``) and longitudinal events (``redcap_event_name``). study.yaml's
``redcap:`` section maps REDCap fields onto the layout (docs/redcap.md). Row numbers are those of the
records CSV, and columns are named by their REDCap field, so problems point into the export.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import RedcapConfig, RedcapTable
from ..problems import ProblemLog
from .readers import RawTable, UnreadableFile, normalise_name, read_csv_table
from .typing import code_key

STRUCTURAL = {
    "redcap_event_name": "event_name", "redcap_repeat_instrument": "repeat_instrument",
    "redcap_repeat_instance": "repeat_instance", "redcap_data_access_group": "data_access_group",
}
_DICT_COLUMNS = {  # data dictionary column -> short name (file export and API export spellings)
    "variable_/_field_name": "field", "field_name": "field", "form_name": "form", "field_type": "type",
    "field_label": "label", "choices,_calculations,_or_slider_labels": "choices",
    "select_choices_or_calculations": "choices",
}
_SKIP_TYPES = {"descriptive", "file", "notes"}


def _is_dictionary(path: Path) -> bool:
    try:
        head = path.read_bytes()[:400].decode("utf-8-sig", errors="replace").lower()
    except OSError:
        return False
    return head.startswith(("variable / field name", '"variable / field name"', "field_name", '"field_name"'))


def parse_choices(text: str | None, field_type: str) -> dict[str, str]:
    """'1, Male | 2, Female' -> {'1': 'Male', '2': 'Female'}; yesno and truefalse are implicit."""
    if field_type == "yesno":
        return {"1": "Yes", "0": "No"}
    if field_type == "truefalse":
        return {"1": "True", "0": "False"}
    if not text or field_type not in ("radio", "dropdown", "checkbox"):
        return {}
    out = {}
    for part in str(text).split("|"):
        code, _, label = part.partition(",")
        if code.strip():
            out[code.strip()] = label.strip() or code.strip()
    return out


class Dictionary:
    def __init__(self, raw: RawTable, log: ProblemLog):
        df = raw.df.rename(columns={c: _DICT_COLUMNS[c] for c in raw.df.columns if c in _DICT_COLUMNS})
        missing = [c for c in ("field", "form", "type") if c not in df.columns]
        if missing:
            log.error(raw.file, 1, None, f"not a REDCap data dictionary (no {', '.join(missing)} column)",
                      "the data dictionary CSV downloaded from REDCap", rule="missing-column")
            raise UnreadableFile(raw.file)
        for c in ("label", "choices"):
            if c not in df.columns:
                df[c] = None
        df["field"] = df["field"].str.strip().str.lower()
        self.df = df.set_index("field", drop=False)
        self.fields = list(df["field"])
        self.choices = {f: parse_choices(c, t) for f, c, t in zip(df["field"], df["choices"], df["type"])}
        self.type = dict(zip(df["field"], df["type"]))
        self.form = dict(zip(df["field"], df["form"]))


_STRUCTURAL_LABELS = {"event_name": "redcap_event_name", "repeat_instrument": "redcap_repeat_instrument",
                      "repeat_instance": "redcap_repeat_instance", "data_access_group": "redcap_data_access_group"}


def _export_order(dic: Dictionary) -> list[str]:
    """The columns REDCap writes for the dictionary, in order: fields (checkboxes expanded per choice,
    descriptive fields skipped) with ``<form>_complete`` after each form."""
    out: list[str] = []
    forms = list(dict.fromkeys(dic.form[f] for f in dic.fields))
    for form in forms:
        for f in (f for f in dic.fields if dic.form[f] == form):
            if dic.type[f] == "descriptive":
                continue
            if dic.type[f] == "checkbox":
                out.extend(f"{f}___{code}" for code in dic.choices[f])
            else:
                out.append(f)
        out.append(f"{form}_complete")
    return out


def map_headers(headers: list[str], dic: Dictionary) -> list[str]:
    """Records columns -> REDCap field names, for raw headers (field names) or label headers.

    Label headers are mapped by position onto the dictionary's export order when the counts agree
    (labels may repeat, e.g. every form's "Complete?"), else by matching field labels.
    """
    norm = [normalise_name(h) for h in headers]
    known = set(dic.type) | set(STRUCTURAL)
    if sum(n in known or "___" in n or n.endswith("_complete") for n in norm) >= len(norm) / 2:
        return norm
    out = [_STRUCTURAL_LABELS.get(n, "") for n in norm]
    rest = [i for i, name in enumerate(out) if not name]
    order = _export_order(dic)
    if len(rest) == len(order):
        for i, field in zip(rest, order):
            out[i] = field
        return out
    by_label = {str(dic.df.at[f, "label"]).strip(): f for f in reversed(dic.fields)}
    for i in rest:
        h = str(headers[i]).strip()
        m = re.match(r"^(.*?)\s*\(choice=(.*)\)$", h)
        if m and m.group(1).strip() in by_label:
            field = by_label[m.group(1).strip()]
            code = next((c for c, lab in dic.choices.get(field, {}).items() if lab == m.group(2).strip()), None)
            out[i] = f"{field}___{code}" if code is not None else norm[i]
        else:
            out[i] = by_label.get(h, norm[i])
    return out


def _decode(values: pd.Series, choices: dict[str, str]) -> pd.Series:
    """Raw codes -> choice labels (a label export's values are already labels and stay as they are)."""
    if not choices:
        return values
    lookup = {u: choices.get(u, u) for u in values.dropna().unique()}
    return values.map(lookup).where(values.notna(), None)


def _checkbox(values: pd.Series) -> pd.Series:
    low = values.astype("string").str.lower()
    return pd.Series(np.where(low.isin(["1", "checked"]).fillna(False), "true",
                              np.where(low.isin(["0", "unchecked"]).fillna(False), "false", None)),
                     index=values.index, dtype=object)


def _recode(values: pd.Series, mapping: dict[str, str] | None) -> pd.Series:
    if not mapping:
        return values
    lookup = {code_key(str(k)): v for k, v in mapping.items()}
    mapped = values.map(lambda v: lookup.get(code_key(str(v)), v) if v is not None else None)
    return mapped.where(values.notna(), None)


def _subset(records: RawTable, mask: np.ndarray, columns: dict[str, pd.Series], name: str,
            labels: dict[str, str]) -> RawTable:
    df = pd.DataFrame({k: v[mask].to_numpy() for k, v in columns.items()})
    return RawTable(name=name, file=records.file, df=df, rows=records.rows[mask], labels=labels)


def read_redcap(folder: Path, cfg: RedcapConfig, log: ProblemLog) -> dict[str, RawTable]:
    """Split a REDCap export into native raw tables (patients plus the mapped per-scan tables)."""
    csvs = sorted(f for f in folder.iterdir() if f.suffix.lower() == ".csv")
    dict_path = folder / cfg.dictionary if cfg.dictionary else next((f for f in csvs if _is_dictionary(f)), None)
    rec_path = folder / cfg.records if cfg.records else next(
        (f for f in csvs if not _is_dictionary(f) and f != dict_path), None)
    for what, p in (("data dictionary", dict_path), ("records export", rec_path)):
        if p is None or not p.exists():
            log.error(folder.name if p is None else p.name, None, None, f"the REDCap {what} CSV is missing",
                      f"the {what} CSV named in study.yaml redcap:", rule="missing-file")
            return {}
    try:
        dic = Dictionary(read_csv_table(dict_path, "redcap_dictionary", log), log)
        records = read_csv_table(rec_path, "redcap_records", log, duplicate_columns="keep")
    except UnreadableFile:
        return {}
    fields = dict(zip(records.df.columns, map_headers([records.label(c) for c in records.df.columns], dic)))
    df = records.df.rename(columns=fields)
    field_names = {f: records.label(c) for c, f in fields.items()}
    pid_field = (cfg.patient_id or dic.fields[0]).lower()
    if pid_field not in df.columns:
        log.error(records.file, 1, pid_field, f"the record id field '{pid_field}' is not in the export",
                  "the record id as the first column", rule="missing-column")
        return {}

    def value(field: str) -> pd.Series:
        if field in df.columns:
            col = df[field]
            return _checkbox(col) if "___" in field else _decode(col, dic.choices.get(field, {}))
        return pd.Series(None, index=df.index, dtype=object)

    instrument = df.get("redcap_repeat_instrument", pd.Series(None, index=df.index, dtype=object))
    instrument_key = instrument.map(lambda v: code_key(v) if isinstance(v, str) else None)
    tables: dict[str, RawTable] = {}
    child_fields: set[str] = set()
    for name in ("lesions", "assessments", "biomarkers", "mutations", "treatments", "adverse_events"):
        spec: RedcapTable | None = getattr(cfg, name)
        if spec is None:
            continue
        missing = [f for f in spec.columns.values() if f.lower() not in df.columns]
        for f in missing:
            log.error(records.file, 1, f, f"study.yaml redcap.{name} maps a field that is not in the export",
                      "a field name from the data dictionary", rule="missing-column")
        if missing:
            continue
        mapped = {col: f.lower() for col, f in spec.columns.items()}
        child_fields.update(mapped.values())
        if spec.instrument:
            mask = (instrument_key == code_key(spec.instrument)).to_numpy()
        elif spec.events:
            events = df.get("redcap_event_name", pd.Series(None, index=df.index)).map(
                lambda v: code_key(v) if isinstance(v, str) else None)
            mask = events.isin([code_key(e) for e in spec.events]).to_numpy()
        else:
            mask = np.ones(len(df), bool)
        cols = {"patient_id": df[pid_field]}
        cols.update({col: _recode(value(f), cfg.values.get(col)) for col, f in mapped.items()})
        mask &= pd.DataFrame({k: v for k, v in cols.items() if k != "patient_id"}).notna().any(axis=1).to_numpy()
        labels = {"patient_id": field_names.get(pid_field, pid_field),
                  **{col: field_names.get(f, f) for col, f in mapped.items()}}
        tables[name] = _subset(records, mask, cols, name, labels)

    # Patients: the non-repeating rows, one per record (first non-empty value across events).
    base = instrument.isna().to_numpy()
    patient_map = {"patient_id": pid_field, **{k: v.lower() for k, v in cfg.patients.items()}}
    for col, f in patient_map.items():
        if f not in df.columns:
            log.error(records.file, 1, f, f"study.yaml redcap.patients maps '{col}' to a field not in the export",
                      "a field name from the data dictionary", rule="missing-column")
    used = set(patient_map.values()) | child_fields
    if cfg.covariates is not None:
        covs = [c.lower() for c in cfg.covariates]
    else:
        repeating = {dic.form.get(f) for f in child_fields}
        covs = [c for c in df.columns if c not in used and c not in STRUCTURAL and not c.endswith("_complete")
                and dic.type.get(c.split("___")[0]) not in _SKIP_TYPES
                and dic.form.get(c.split("___")[0]) not in repeating]
    cols = {col: value(f) for col, f in patient_map.items() if f in df.columns}
    for c in covs:
        if c in df.columns:
            name = c
            if "___" in c:
                field, code = c.split("___", 1)
                name = f"{field}_{code_key(dic.choices.get(field, {}).get(code, code))}"
            cols[name] = value(c)
    if "redcap_data_access_group" in df.columns and cfg.covariates is None:
        # the centre in a multi-centre series; unique group names (raw) and display names (label) agree
        cols["data_access_group"] = df["redcap_data_access_group"].map(
            lambda v: code_key(v) if isinstance(v, str) else None)
    frame = pd.DataFrame(cols)[base]
    frame["_first"] = np.arange(len(frame))
    rows = records.rows[base]
    grouped = frame.groupby(frame["patient_id"].to_numpy(), sort=False)
    first = grouped.first()
    order = grouped["_first"].min().to_numpy()
    first = first.drop(columns="_first")
    first["patient_id"] = first.index.to_numpy()
    labels = {col: field_names.get(f, f) for col, f in patient_map.items()}
    tables["patients"] = RawTable(name="patients", file=records.file, df=first.reset_index(drop=True),
                                  rows=rows[order], labels=labels)
    return tables
