"""A REDCap records export read against its dictionary: field-named columns, decoded values, and per row
the record, event (unique event name) and repeat instrument (form name).

Checks that nothing is silently lost (docs/redcap.md):
- a column that is not in the data dictionary (nor a checkbox choice of it) is reported (its values cannot
  be decoded); a dictionary that does not describe the export is what this usually means;
- a record appearing twice for the same event and repeat instance (e.g. two exports pasted together) is an
  error naming both rows;
- events written as labels (``Baseline (Arm 1: Drug A)``) are resolved to unique event names with the
  events file when given, else by REDCap's own rule (label lower-cased, non-alphanumerics as ``_``,
  ``_arm_<n>``); repeat instruments written as labels are resolved to the form whose fields they hold;
- values of text fields validated as ``number_*_comma_decimal`` are read with a decimal comma.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..problems import ProblemLog
from .readers import RawTable, read_csv_table
from .redcap_files import STRUCTURAL, Dictionary, is_known_column, map_headers
from .typing import code_key

_ARM_LABEL = re.compile(r"^(.*?)\s*\(arm\s*(\d+)\s*:.*\)\s*$", re.IGNORECASE)


def _event_key(text: str) -> str:
    """REDCap's unique-event-name stem of a label: lower case, non-alphanumerics as ``_``."""
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]", "_", text.strip().lower())).strip("_")


class Export:
    """The records export with REDCap field names as columns (values still text, None when missing)."""

    def __init__(self, records: RawTable, dic: Dictionary, pid_field: str, log: ProblemLog,
                 events_file: Path | None = None, date_format: str = "YYYY-MM-DD"):
        self.file = records.file
        self.dic = dic
        self.log = log
        names = map_headers([records.label(c) for c in records.df.columns], dic)
        self.written = {}   # field name -> header as written in the export
        keep = {}
        for col, name in zip(records.df.columns, names):
            if name in keep:  # a label mapped twice (e.g. a report with repeated labels): keep the first
                continue
            keep[name] = records.df[col]
            self.written[name] = records.label(col)
        self.df = pd.DataFrame(keep, index=records.df.index)
        self.rows = records.rows
        self.pid_field = pid_field
        self.ok = pid_field in self.df.columns
        if not self.ok:
            return
        self.record = self.df[pid_field]
        self.event = self._events(events_file)
        self.instrument = self._instruments()
        instance = self.df.get("redcap_repeat_instance")
        self.instance = instance if instance is not None else pd.Series(None, index=self.df.index, dtype=object)
        self._comma_decimals()
        if date_format != "YYYY-MM-DD":
            self._dates_to_iso(date_format)
        self._unknown_columns()
        self._duplicates()

    # -- structure ---------------------------------------------------------------------------------
    def _events(self, events_file: Path | None) -> pd.Series | None:
        if "redcap_event_name" not in self.df.columns:
            return None
        raw = self.df["redcap_event_name"]
        by_label: dict[str, str] = {}
        self.event_names: set[str] = set()
        self.event_labels: dict[str, str] = {}   # unique event name -> label (events file or label export)
        if events_file is not None and events_file.exists():
            ev = read_csv_table(events_file, "redcap_events", self.log).df
            for name, arm, unique in zip(ev.get("event_name", []), ev.get("arm_num", []),
                                         ev.get("unique_event_name", [])):
                if unique:
                    self.event_names.add(unique.strip().lower())
                    self.event_labels[unique.strip().lower()] = (name or unique).strip()
                    if name:
                        by_label[f"{name.strip().lower()}|{arm}"] = unique.strip().lower()
                        by_label.setdefault(name.strip().lower(), unique.strip().lower())

        def resolve(value: str) -> str:
            text = value.strip()
            low = text.lower()
            if low in self.event_names or re.fullmatch(r"[a-z0-9_]+_arm_\d+", low):
                return low
            m = _ARM_LABEL.match(text)
            if m:
                label, arm = m.group(1).strip().lower(), m.group(2)
                return by_label.get(f"{label}|{arm}") or f"{_event_key(label)}_arm_{arm}"
            return by_label.get(low) or _event_key(text)

        lookup = {u: resolve(u) for u in raw.dropna().unique()}
        for text, unique in lookup.items():
            m = _ARM_LABEL.match(text)
            if m:
                self.event_labels.setdefault(unique, m.group(1).strip())
        return raw.map(lookup).where(raw.notna(), None)

    def _instruments(self) -> pd.Series:
        """The repeat instrument of every row as a form name (labels resolved), None when not repeating."""
        if "redcap_repeat_instrument" not in self.df.columns:
            return pd.Series(None, index=self.df.index, dtype=object)
        raw = self.df["redcap_repeat_instrument"]
        forms = {code_key(f): f for f in self.dic.forms if isinstance(f, str)}
        lookup = {}
        for value in raw.dropna().unique():
            key = code_key(value)
            if key in forms:
                lookup[value] = forms[key]
                continue
            # a label export writes the instrument's display name: the form whose fields these rows hold
            rows = (raw == value).to_numpy()
            counts: dict[str, int] = {}
            for col in self.df.columns:
                f = self.dic.checkbox.get(col, (col, None))[0]
                form = self.dic.form.get(f)
                if form is not None and f != self.pid_field:
                    counts[form] = counts.get(form, 0) + int(self.df[col][rows].notna().sum())
            lookup[value] = max(counts, key=counts.get) if counts and max(counts.values()) > 0 else key
        return raw.map(lookup).where(raw.notna(), None)

    def _comma_decimals(self) -> None:
        for f, rule in self.dic.validation.items():
            if "comma_decimal" in rule and f in self.df.columns:
                col = self.df[f]
                self.df[f] = col.where(col.isna(), col.astype(str).str.replace(",", ".", regex=False))

    def _dates_to_iso(self, date_format: str) -> None:
        """Exports made with REDCap's D/M/Y or M/D/Y date option: date and datetime fields back to ISO."""
        day_first = date_format.startswith("DD")
        pattern = r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(.*)$"
        for f, rule in self.dic.validation.items():
            if not rule.startswith(("date", "datetime")) or f not in self.df.columns:
                continue
            col = self.df[f]
            parts = col.astype("string").str.extract(pattern)
            ok = parts[0].notna().to_numpy()
            if not ok.any():
                continue
            day, month = (parts[0], parts[1]) if day_first else (parts[1], parts[0])
            iso = parts[2] + "-" + month.str.zfill(2) + "-" + day.str.zfill(2) + parts[3].fillna("")
            self.df[f] = col.where(~ok, iso)

    def _unknown_columns(self) -> None:
        unknown = [c for c in self.df.columns if not is_known_column(c, self.dic) and self.df[c].notna().any()]
        for c in unknown:
            base = c.split("___", 1)[0] if "___" in c else None
            if base in self.dic.type:
                message = (f"checkbox column '{self.written[c]}' is not a choice of '{base}' in the data "
                           "dictionary; its values cannot be labelled")
            else:
                message = (f"'{self.written[c]}' is not a field of the data dictionary ({self.dic.file}); its values "
                           "are kept as written, not decoded (is the dictionary from the same project and date?)")
            self.log.warning(self.file, 1, self.written[c], message, "every exported field in the data dictionary",
                             rule="unknown-field")

    def _duplicates(self) -> None:
        key = pd.DataFrame({"record": self.record, "event": self.event if self.event is not None else "",
                            "instrument": self.instrument, "instance": self.instance}).fillna("")
        dup = key.duplicated(keep=False) & self.record.notna()
        if not dup.any():
            return
        first = pd.Series(self.rows, index=key.index)[dup].groupby(
            [key.loc[dup, c] for c in key.columns]).transform("min")
        later = dup & key.duplicated(keep="first")
        idx = np.flatnonzero(later.to_numpy())
        where = "for the same event and repeat instance " if (self.event is not None or self.instrument.notna().any()) \
            else ""
        self.log.add_rows("error", self.file, self.rows[idx], self.written[self.pid_field],
                          [f"record '{r}' appears again {where}(first at row {first.loc[i]})"
                           for r, i in zip(self.record.iloc[idx], key.index[idx])],
                          "each record once (per event and repeat instance)", "duplicate-record",
                          list(self.record.iloc[idx]))

    # -- values ------------------------------------------------------------------------------------
    def has(self, name: str) -> bool:
        return name in self.df.columns

    def label_of(self, name: str) -> str:
        return self.written.get(name, name)

    def value(self, name: str) -> pd.Series:
        """Decoded values: choice codes -> labels, checkboxes -> true/false (label exports stay as written)."""
        if name not in self.df.columns:
            return pd.Series(None, index=self.df.index, dtype=object)
        col = self.df[name]
        if name in self.dic.checkbox or ("___" in name and name.split("___")[0] in self.dic.type):
            low = col.astype("string").str.lower()
            return pd.Series(np.where(low.isin(["1", "checked"]).fillna(False), "true",
                                      np.where(low.isin(["0", "unchecked"]).fillna(False), "false", None)),
                             index=col.index, dtype=object).where(col.notna(), None)
        choices = self.dic.choices.get(name, {})
        if not choices:
            return col
        lookup = {u: choices.get(u, u) for u in col.dropna().unique()}
        return col.map(lookup).where(col.notna(), None)

    def raw_codes(self, name: str) -> pd.Series:
        return self.df[name] if name in self.df.columns else pd.Series(None, index=self.df.index, dtype=object)

    def events_present(self) -> list[str]:
        return [] if self.event is None else sorted(self.event.dropna().unique())

    def instruments_present(self) -> list[str]:
        return sorted(self.instrument.dropna().unique())

    def event_label(self, event: str) -> str:
        mask, _ = self.event_mask([event])
        unique = next(iter(self.event[mask].unique()), event) if self.event is not None and mask.any() else event
        return self.event_labels.get(unique, event)

    def event_mask(self, events: list[str]) -> tuple[np.ndarray, list[str]]:
        """Rows of the given events (unique names or labels); also the events that matched no row."""
        if self.event is None:
            return np.zeros(len(self.df), bool), list(events)
        wanted = {}
        for e in events:
            m = _ARM_LABEL.match(e)
            wanted[e] = (f"{_event_key(m.group(1))}_arm_{m.group(2)}" if m else e.strip().lower())
        squash = lambda v: re.sub(r"[^a-z0-9]", "", str(v).lower())  # noqa: E731 'follow_up' ~ 'followup'
        present = {squash(e) for e in self.event.dropna().unique()}
        unmatched = [e for e, w in wanted.items() if squash(w) not in present]
        keys = {squash(w) for w in wanted.values()}
        return self.event.map(lambda v: isinstance(v, str) and squash(v) in keys).to_numpy(dtype=bool), unmatched
