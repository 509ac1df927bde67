"""The files of a REDCap export, recognised by their headers whatever their names, and the data dictionary.

- data dictionary: first column ``Variable / Field Name`` (file download) or ``field_name`` (API);
- records export: the CSV whose first column is the record id field (by name, or by its label in a label
  export), preferring the one holding the most dictionary fields;
- events (Project Setup > Define My Events, or the API): ``event_name``, ``arm_num``, ``unique_event_name``;
- arms: ``arm_num`` and ``name`` (or ``arm_name``); instrument-event mapping: ``arm_num``,
  ``unique_event_name``, ``form``.

REDCap names checkbox columns ``<field>___<code>`` with the code lower-cased and every character other
than a letter or digit written as ``_`` (code ``-99`` -> ``race____99``, code ``ABC`` -> ``x___abc``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..problems import ProblemLog
from .readers import RawTable, UnreadableFile, normalise_name, read_csv_table

_DICT_COLUMNS = {  # data dictionary column -> short name (file download and API spellings)
    "variable_/_field_name": "field", "field_name": "field", "form_name": "form", "field_type": "type",
    "field_label": "label", "choices,_calculations,_or_slider_labels": "choices",
    "select_choices_or_calculations": "choices",
    "text_validation_type_or_show_slider_number": "validation",
}


def checkbox_column(field_name: str, code: str) -> str:
    """The export column of one checkbox choice (REDCap: code lower-cased, non-alphanumerics as ``_``)."""
    return f"{field_name}___{re.sub(r'[^a-z0-9]', '_', str(code).strip().lower())}"


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
    """The data dictionary: per field its form, type, label, choices and text validation."""

    def __init__(self, raw: RawTable, log: ProblemLog):
        df = raw.df.rename(columns={c: _DICT_COLUMNS[c] for c in raw.df.columns if c in _DICT_COLUMNS})
        missing = [c for c in ("field", "form", "type") if c not in df.columns]
        if missing:
            log.error(raw.file, 1, None, f"not a REDCap data dictionary (no {', '.join(missing)} column)",
                      "the data dictionary CSV downloaded from REDCap", rule="missing-column")
            raise UnreadableFile(raw.file)
        for c in ("label", "choices", "validation"):
            if c not in df.columns:
                df[c] = None
        df = df[df["field"].notna()].copy()
        df["field"] = df["field"].str.strip().str.lower()
        df["type"] = df["type"].fillna("text").str.strip().str.lower()
        self.file = raw.file
        self.df = df.set_index("field", drop=False)
        self.fields = list(df["field"])
        self.choices = {f: parse_choices(c, t) for f, c, t in zip(df["field"], df["choices"], df["type"])}
        self.type = dict(zip(df["field"], df["type"]))
        self.form = dict(zip(df["field"], df["form"]))
        self.label = {f: (str(v).strip() if isinstance(v, str) and v.strip() else f)
                      for f, v in zip(df["field"], df["label"])}
        self.validation = {f: (str(v).strip().lower() if isinstance(v, str) else "")
                           for f, v in zip(df["field"], df["validation"])}
        self.forms = list(dict.fromkeys(self.form[f] for f in self.fields))
        # checkbox export column -> (field, code as written in the dictionary)
        self.checkbox = {checkbox_column(f, code): (f, code) for f in self.fields if self.type[f] == "checkbox"
                         for code in self.choices[f]}

    def export_order(self) -> list[str]:
        """The columns REDCap writes, in order: fields (checkboxes expanded per choice, descriptive fields
        skipped) with ``<form>_complete`` after each form."""
        out: list[str] = []
        for form in self.forms:
            for f in (f for f in self.fields if self.form[f] == form):
                if self.type[f] == "descriptive":
                    continue
                if self.type[f] == "checkbox":
                    out.extend(checkbox_column(f, code) for code in self.choices[f])
                else:
                    out.append(f)
            out.append(f"{form}_complete")
        return out


STRUCTURAL = {
    "redcap_event_name": "event_name", "redcap_repeat_instrument": "repeat_instrument",
    "redcap_repeat_instance": "repeat_instance", "redcap_data_access_group": "data_access_group",
    "redcap_survey_identifier": "survey_identifier",
}
_STRUCTURAL_LABELS = {"event_name": "redcap_event_name", "repeat_instrument": "redcap_repeat_instrument",
                      "repeat_instance": "redcap_repeat_instance", "data_access_group": "redcap_data_access_group",
                      "survey_identifier": "redcap_survey_identifier"}


def is_known_column(name: str, dic: Dictionary) -> bool:
    return (name in dic.type or name in STRUCTURAL or name in dic.checkbox or name.endswith("_complete")
            or name.endswith("_timestamp"))


def map_headers(headers: list[str], dic: Dictionary) -> list[str]:
    """Records columns -> REDCap field names, for raw headers (field names) or label headers.

    Label headers are mapped by position onto the dictionary's export order when the counts agree
    (labels may repeat, e.g. every form's "Complete?"), else by matching field labels.
    """
    norm = [normalise_name(h) for h in headers]
    if sum(is_known_column(n, dic) or "___" in n for n in norm) >= len(norm) / 2:
        return norm
    out = [_STRUCTURAL_LABELS.get(n, "") for n in norm]
    rest = [i for i, name in enumerate(out) if not name]
    order = dic.export_order()
    if len(rest) == len(order):
        for i, name in zip(rest, order):
            out[i] = name
        return out
    by_label = {dic.label[f]: f for f in reversed(dic.fields)}
    for i in rest:
        h = str(headers[i]).strip()
        m = re.match(r"^(.*?)\s*\(choice=(.*)\)$", h)
        if m and m.group(1).strip() in by_label:
            name = by_label[m.group(1).strip()]
            code = next((c for c, lab in dic.choices.get(name, {}).items() if lab == m.group(2).strip()), None)
            out[i] = checkbox_column(name, code) if code is not None else norm[i]
        else:
            out[i] = by_label.get(h, norm[i])
    return out


@dataclass
class RedcapFiles:
    """The files chosen in the folder, and how each was recognised (stated in the validation output)."""

    records: Path | None = None
    dictionary: Path | None = None
    events: Path | None = None
    arms: Path | None = None
    notes: list[str] = field(default_factory=list)


def _header(path: Path) -> list[str]:
    try:
        head = path.read_bytes()[:65536]
    except OSError:
        return []
    for enc in ("utf-8-sig", "utf-16", "cp1252"):
        try:
            text = head.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly everything
        return []
    first = text.splitlines()[0] if text else ""
    sep = max((",", ";", "\t"), key=first.count)
    return [normalise_name(h.strip().strip('"')) for h in first.split(sep)]


def _kind(header: list[str]) -> str | None:
    cols = set(header)
    if header and header[0] in ("variable_/_field_name", "field_name") and "form_name" in cols:
        return "dictionary"
    if {"arm_num", "unique_event_name", "form"} <= cols:
        return "mapping"
    if {"event_name", "arm_num", "unique_event_name"} <= cols:
        return "events"
    if "arm_num" in cols and ({"name", "arm_name"} & cols) and len(cols) <= 3:
        return "arms"
    return None


def find_files(folder: Path, records: str | None, dictionary: str | None, events: str | None,
               arms: str | None, pid_hint: str | None, log: ProblemLog) -> RedcapFiles:
    """Pick the dictionary, records export, events and arms files; names given in study.yaml win."""
    csvs = sorted(f for f in folder.iterdir() if f.is_file() and f.suffix.lower() == ".csv"
                  and not f.name.startswith((".", "~$")))
    kinds = {f: _kind(_header(f)) for f in csvs}
    out = RedcapFiles()
    named = {"dictionary": dictionary, "events": events, "arms": arms}
    for what, name in named.items():
        if name:
            setattr(out, what, folder / name)
            out.notes.append(f"REDCap {what}: {name} (named in study.yaml)")
            continue
        found = [f for f in csvs if kinds[f] == what]
        if found:
            setattr(out, what, found[0])
            extra = f"; also seen: {', '.join(f.name for f in found[1:])}" if len(found) > 1 else ""
            out.notes.append(f"REDCap {what}: {found[0].name} (recognised by its header{extra})")
    if records:
        out.records = folder / records
        out.notes.append(f"REDCap records export: {records} (named in study.yaml)")
        return out
    candidates = [f for f in csvs if kinds[f] is None and f not in (out.dictionary, out.events, out.arms)]
    if not candidates:
        return out
    pid_names = set()
    if out.dictionary is not None and out.dictionary.exists():
        pid_names = _record_id_names(out.dictionary, pid_hint)
    elif pid_hint:
        pid_names = {normalise_name(pid_hint)}
    scored = []
    for f in candidates:
        header = _header(f)
        first = header[0] if header else ""
        score = (first in pid_names, len(set(header) & pid_names), "redcap_event_name" in header
                 or "redcap_repeat_instrument" in header or "event_name" in header)
        scored.append((score, f))
    best = max(scored, key=lambda x: x[0])
    if not best[0][0] and len(candidates) > 1:
        log.error(folder.name, None, None,
                  f"cannot tell which CSV is the REDCap records export ({', '.join(f.name for f in candidates)}); "
                  "none starts with the record id field",
                  "the records export named in study.yaml (redcap: records: <file>)", rule="missing-file")
        return out
    out.records = best[1]
    rivals = [f.name for s, f in scored if s[0] and f != best[1]]
    if rivals:
        log.warning(best[1].name, None, None,
                    f"{len(rivals) + 1} CSVs look like records exports ({best[1].name}, {', '.join(rivals)}); "
                    f"{best[1].name} is used", "one records export in the folder, or its name in study.yaml "
                    "(redcap: records: <file>)", rule="which-file")
    how = "its first column is the record id" if best[0][0] else "the only CSV left"
    others = [f.name for s, f in scored if f != best[1]]
    note = f"; not used: {', '.join(others)}" if others else ""
    out.notes.append(f"REDCap records export: {best[1].name} ({how}{note})")
    return out


def _record_id_names(dict_path: Path, pid_hint: str | None) -> set[str]:
    """The record id field and its label, normalised as headers are (raw and label exports)."""
    try:
        df = pd.read_csv(dict_path, dtype=str, nrows=5, keep_default_na=False, encoding="utf-8-sig")
    except Exception:  # an unreadable dictionary is reported when it is read
        return {normalise_name(pid_hint)} if pid_hint else set()
    if df.empty:
        return set()
    cols = [normalise_name(c) for c in df.columns]
    df.columns = cols
    fcol = "variable_/_field_name" if "variable_/_field_name" in cols else cols[0]
    row = df.iloc[0]
    if pid_hint:
        match = df[df[fcol].str.strip().str.lower() == pid_hint.strip().lower()]
        row = match.iloc[0] if len(match) else row
    names = {normalise_name(row[fcol])}
    if "field_label" in cols and row["field_label"]:
        names.add(normalise_name(row["field_label"]))
    return names


def read_dictionary(path: Path, log: ProblemLog) -> Dictionary:
    return Dictionary(read_csv_table(path, "redcap_dictionary", log), log)
