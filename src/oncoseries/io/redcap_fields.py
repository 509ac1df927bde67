"""Patient-level values from a REDCap export: one value per record from a field reference.

- ``field``: the first non-empty value in the export's row order, over every event and repeat instance
  (a warning when a record holds different values at different events: write ``field@event``, or
  ``latest:``/``earliest:`` for dates, to choose);
- ``field@event``: the value at that event (unique event name, or the event label);
- ``latest: [a, b@event, ...]`` / ``earliest:``: the latest / earliest date over the fields, every event
  and every repeat instance (e.g. the last contact as the latest visit, follow-up or treatment date);
- ``when: {field: vital_status, is: Dead}``: the value is used only for records meeting the condition.

Every value keeps the row of the export that holds it, so a problem points at the cell at fault.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import RedcapCondition, RedcapField
from ..problems import ProblemLog
from .redcap_export import Export
from .typing import ISO_DATE, code_key

_TRUE = {"true", "yes", "checked", "1"}
_FALSE = {"false", "no", "unchecked", "0"}


class Picked:
    """One value per record (``values``) and the export row holding it (``rows``; NaN when empty)."""

    def __init__(self, values: pd.Series, rows: pd.Series):
        self.values = values
        self.rows = rows


class Resolver:
    """Resolves field references to one value per record of ``records`` (an Index of record ids)."""

    def __init__(self, export: Export, records: pd.Index, keep: np.ndarray, log: ProblemLog):
        self.x = export
        self.records = records
        self.keep = keep        # rows of records kept by the `where:` filters
        self.log = log
        self.missing: list[str] = []
        first = pd.Series(export.rows[keep], index=export.record[keep].to_numpy())
        self.base_rows = first[~first.index.duplicated()].reindex(records)   # each record's first row

    def exists(self, ref: str, where: str) -> bool:
        name, _, event = ref.partition("@")
        if not self.x.has(name):
            self.log.error(self.x.file, 1, name, f"study.yaml {where} names '{name}', which is not in the export",
                           "a field name from the data dictionary", rule="missing-column")
            self.missing.append(name)
            return False
        if event:
            _, unmatched = self.x.event_mask([event])
            if unmatched:
                present = ", ".join(self.x.events_present()) or "none: the export has no events column"
                self.log.error(self.x.file, 1, "redcap_event_name",
                               f"study.yaml {where} names event '{event}', which no row of the export holds "
                               f"(events in the export: {present})", "a unique event name or event label",
                               rule="unknown-event")
                return False
        return True

    def _rows_of(self, ref: str) -> tuple[str, np.ndarray]:
        name, _, event = ref.partition("@")
        mask = self.keep.copy()
        if event:
            mask &= self.x.event_mask([event])[0]
        return name, mask

    def _frame(self, ref: str, decoded: bool = True) -> pd.DataFrame:
        name, mask = self._rows_of(ref)
        vals = self.x.value(name) if decoded else self.x.raw_codes(name)
        ok = mask & vals.notna().to_numpy() & self.x.record.notna().to_numpy()
        return pd.DataFrame({"record": self.x.record[ok].to_numpy(), "value": vals[ok].to_numpy(),
                             "row": self.x.rows[ok]})

    def first(self, ref: str, warn: bool = True) -> Picked:
        """The first non-empty value per record (export row order)."""
        f = self._frame(ref)
        if warn and "@" not in ref and len(f):
            self._warn_differing(ref, f)
        g = f.groupby("record", sort=False).first()
        return Picked(g["value"].reindex(self.records), g["row"].reindex(self.records))

    def _warn_differing(self, ref: str, f: pd.DataFrame) -> None:
        found = _differing(f)
        if found is None:
            return
        n, rec, rows = found
        self.log.warning(self.x.file, rows[0], self.x.label_of(ref),
                         f"'{ref}' has different values at different events or repeats for {n} record(s) "
                         f"(e.g. record '{rec}', rows {', '.join(map(str, rows[:4]))}); the first is used",
                         f"one value per record, or '{ref}@<event>' / latest: / earliest: in study.yaml",
                         rule="differing-values", patient_id=str(rec))

    def warn_differing_many(self, refs: list[str]) -> None:
        """One warning for every default covariate holding different values at different events."""
        hits = [(ref, found) for ref in refs if "@" not in ref
                for found in [_differing(self._frame(ref))] if found is not None]
        if not hits:
            return
        ref, (n, rec, rows) = hits[0]
        names = ", ".join(r for r, _ in hits[:12]) + (f" and {len(hits) - 12} more" if len(hits) > 12 else "")
        self.log.warning(self.x.file, rows[0], self.x.label_of(ref),
                         f"{len(hits)} field(s) kept as covariates have different values at different events or "
                         f"repeats ({names}; e.g. '{ref}' for record '{rec}', rows {', '.join(map(str, rows[:4]))}); "
                         "the first value of each record is used",
                         "covariates: listing field@event (one covariate per event) in study.yaml",
                         rule="differing-values", patient_id=str(rec))

    def extreme(self, refs: list[str], latest: bool) -> Picked:
        """The latest (or earliest) ISO date per record over several fields, events and repeats."""
        parts = []
        for ref in refs:
            f = self._frame(ref)
            f["column"] = self.x.label_of(ref.partition("@")[0])
            parts.append(f)
        f = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["record", "value", "row", "column"])
        text = f["value"].astype(str).str.extract(ISO_DATE, expand=False)
        date = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        bad = date.isna().to_numpy()
        for col, part in f[bad].groupby("column", sort=False):
            self.log.add_rows("error", self.x.file, part["row"].to_numpy(), col,
                              [f"'{v}' is not a date" for v in part["value"]], "a date as YYYY-MM-DD",
                              "unparseable-date", list(part["record"]))
        f = f.assign(date=date)[~bad]
        if not len(f):
            empty = pd.Series(None, index=self.records, dtype=object)
            return Picked(empty, pd.Series(np.nan, index=self.records))
        order = f.sort_values(["record", "date", "row"], ascending=[True, not latest, True], kind="mergesort")
        pick = order.drop_duplicates("record", keep="first").set_index("record")
        return Picked(pick["date"].dt.strftime("%Y-%m-%d").reindex(self.records), pick["row"].reindex(self.records))

    def test(self, cond: RedcapCondition) -> tuple[pd.Series, Picked]:
        """Per record: does the condition hold? ``is``: some row of the record (at the event, with
        ``field@event``) holds one of the values, as code or label; ``is_not``: the field is filled and no
        row holds them; ``empty``: no row holds a value. Also the row that decided it."""
        name = cond.field.partition("@")[0]
        picked = self.first(cond.field, warn=False)
        if cond.empty is not None:
            ok = picked.values.isna() == cond.empty
            return ok.fillna(False).astype(bool), picked
        wanted = {_norm(v, name, self.x) for v in cond.values}
        decoded, raw = self._frame(cond.field), self._frame(cond.field, decoded=False)
        hit_rows = (decoded["value"].map(lambda v: _norm(v, name, self.x) in wanted).to_numpy()
                    | raw["value"].map(lambda v: _norm(v, name, self.x) in wanted).to_numpy())
        hits = decoded[hit_rows].drop_duplicates("record").set_index("record")["row"]
        hit = pd.Series(self.records.isin(hits.index), index=self.records)
        if cond.is_not is not None:
            return ~hit & picked.values.notna(), picked
        return hit, Picked(picked.values, hits.reindex(self.records).fillna(picked.rows))

    def first_raw(self, ref: str) -> pd.Series:
        f = self._frame(ref, decoded=False)
        return f.groupby("record", sort=False)["value"].first().reindex(self.records)

    def field(self, spec: RedcapField, column: str) -> Picked:
        """The value of a patients: mapping (``field``, ``latest``, ``earliest``, with ``when``)."""
        if spec.field:
            picked = self.first(spec.field)
        else:
            picked = self.extreme(spec.refs, latest=bool(spec.latest))
        if spec.when is None:
            return picked
        holds, status = self.test(spec.when)
        unused = ~holds & picked.values.notna()
        self._note(unused, picked, spec.refs[0],
                   lambda r: f"{column} is filled but {spec.when.describe()} does not hold for record '{r}'; "
                             "the value is not used", "a value only where the condition holds")
        lacking = holds & picked.values.isna()
        self._note(lacking, status, spec.when.field,
                   lambda r: f"{spec.when.describe()} for record '{r}' but {column} ({spec.refs[0]}) is empty",
                   f"{column} filled where {spec.when.describe()}")
        values = picked.values.where(holds, None)
        rows = picked.rows.where(holds, status.rows)
        return Picked(values, rows)

    def _note(self, mask: pd.Series, picked: Picked, ref: str, message, expected: str) -> None:
        idx = mask[mask].index
        if not len(idx):
            return
        rows = picked.rows.reindex(idx).fillna(self.base_rows.reindex(idx)).astype(int).to_numpy()
        self.log.add_rows("warning", self.x.file, rows, self.x.label_of(ref.partition("@")[0]),
                          [message(r) for r in idx], expected, "conditional-field", [str(r) for r in idx])


def _differing(f: pd.DataFrame):
    """(records with more than one distinct value, the first such record, its rows) or None."""
    if not len(f):
        return None
    n = f.groupby("record", sort=False)["value"].nunique()
    many = n.index[n.to_numpy() > 1]
    if not len(many):
        return None
    rec = many[0]
    return len(many), rec, f.loc[f["record"] == rec, "row"].tolist()


def _norm(value: str, name: str, export: Export) -> str:
    key = code_key(str(value))
    if name in export.dic.checkbox or export.dic.type.get(name) in ("yesno", "truefalse"):
        if key in _TRUE:
            return "true"
        if key in _FALSE:
            return "false"
    return key
