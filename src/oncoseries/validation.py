"""Cross-table checks on a typed study (vectorised; one problem per offending row, capped per rule).

Rules (docs/validation.md): duplicate patients; orphan child rows; impossible date orders (death or last
contact before start: error; scan or treatment after death: error; death after last contact: warning,
the death date wins); dates in the future; lesion role changing between scans; lesion states that do
not fit the role; a patient with lesions but no baseline scan within the window (warning).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .problems import ProblemLog


def _rows(log: ProblemLog, severity: str, file: str, df: pd.DataFrame, mask, column: str | None,
          message, expected: str | None, rule: str) -> None:
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return
    sub = df.loc[mask]
    cats = [c for c in sub.columns if isinstance(sub[c].dtype, pd.CategoricalDtype)]
    if cats:   # compact lesion texts (study.compact_text): the cells as text, None where missing
        sub = sub.assign(**{c: sub[c].astype(object).where(sub[c].notna(), None) for c in cats})
    msgs = pd.Series(list(message(sub)) if callable(message) else [message] * len(sub), index=sub.index)
    # tables converted from CDISC hold rows of several source files (`_file`)
    rows = f"_row@{column}" if f"_row@{column}" in sub.columns else "_row"  # a cell's own row (REDCap events)
    for src, part in (sub.groupby("_file", sort=False) if "_file" in sub.columns else [(file, sub)]):
        log.add_rows(severity, src, part[rows].to_numpy(), column, list(msgs.loc[part.index]), expected,
                     rule, list(part["patient_id"]) if "patient_id" in part.columns else None)


def _fmt(d: pd.Series) -> pd.Series:
    return d.dt.strftime("%Y-%m-%d")


def check_patients(p: pd.DataFrame, file: str, labels, log: ProblemLog, today: dt.date) -> None:
    dup = p["patient_id"].notna() & p["patient_id"].duplicated(keep=False)
    if dup.any():
        first_row = p.loc[dup].groupby("patient_id")["_row"].transform("min")
        _rows(log, "error", file, p, dup, labels("patient_id"),
              lambda s: [f"patient_id '{pid}' appears more than once (first at row {r})"
                         for pid, r in zip(s["patient_id"], first_row.loc[s.index])],
              "each patient once", "duplicate-patient")
    start = p["start_date"]
    no_follow = p["last_contact_date"].isna() & p.get("death_date", pd.Series(pd.NaT, index=p.index)).isna()
    _rows(log, "error", file, p, no_follow & p["patient_id"].notna(), labels("last_contact_date"),
          "no last contact date and no death date", "the date the patient was last known alive",
          "no-follow-up")
    filled = p["last_contact_date"].isna() & p["death_date"].notna()
    _rows(log, "warning", file, p, filled, labels("last_contact_date"),
          "last_contact_date is empty; the death date is used as the last contact",
          "the date the patient was last known alive", "death-as-contact")
    p.loc[filled, "last_contact_date"] = p.loc[filled, "death_date"]
    for col, sev in (("death_date", "error"), ("last_contact_date", "error"), ("progression_date", "error"),
                     ("new_therapy_date", "error")):
        if col in p.columns:
            bad = (p[col] < start).to_numpy()
            _rows(log, sev, file, p, bad, labels(col),
                  lambda s, col=col: [f"{col} {a} is before start_date {b}"
                                      for a, b in zip(_fmt(s[col]), _fmt(s["start_date"]))],
                  f"{col} on or after start_date", "date-order")
    if "death_date" in p.columns:
        late = (p["death_date"] > p["last_contact_date"]).to_numpy()
        _rows(log, "warning", file, p, late, labels("death_date"),
              lambda s: [f"death_date {a} is after last_contact_date {b}; the death date is used"
                         for a, b in zip(_fmt(s["death_date"]), _fmt(s["last_contact_date"]))],
              "last_contact_date on or after death_date", "death-after-contact")
        if "progression_date" in p.columns:
            bad = (p["progression_date"] > p["death_date"]).to_numpy()
            _rows(log, "error", file, p, bad, labels("progression_date"), "progression_date is after death_date",
                  "progression on or before death", "date-order")


def check_future(df: pd.DataFrame, file: str, labels, log: ProblemLog, today: dt.date) -> None:
    limit = pd.Timestamp(today)
    for col in df.columns:
        if col.startswith("_") or not pd.api.types.is_datetime64_any_dtype(df[col]):
            continue
        bad = (df[col] > limit).to_numpy()
        _rows(log, "error", file, df, bad, labels(col),
              lambda s, col=col: [f"{d} is in the future" for d in _fmt(s[col])],
              f"a date on or before today ({today.isoformat()})", "future-date")


def indexer(keys: pd.Index, values: pd.Series) -> np.ndarray:
    """``keys.get_indexer(values)``; for categorical values (a registry's lesion patient ids, io.typing)
    through the distinct values only, a missing cell matched like None (pandas' own shortcut for a
    categorical fails when ``keys`` holds a missing id)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        table = np.append(keys.get_indexer(values.cat.categories), keys.get_indexer(pd.Index([None], dtype=object)))
        return table[values.cat.codes.to_numpy()]
    return keys.get_indexer(values)


def patient_positions(child: pd.DataFrame, keys: pd.Index) -> np.ndarray:
    """Position of each row's patient_id in ``keys`` (the patients' ids, first occurrences, a missing id
    once), -1 where not there: one hash pass per table, shared by the cross-table checks (a registry's
    lesions are 10^7 rows; each ``isin`` or ``map`` on the id strings was a pass of its own)."""
    pos = indexer(keys, child["patient_id"])
    return pos.astype(np.int32) if len(keys) < 2 ** 31 else pos


def check_orphans(child: pd.DataFrame, ids: pd.Index, file: str, labels, log: ProblemLog,
                  pos: np.ndarray | None = None) -> None:
    """Rows whose patient_id is not in patients (``pos``: patient_positions, when already known)."""
    if pos is None:
        orphan = child["patient_id"].notna() & ~child["patient_id"].isin(ids)
    else:
        orphan = child["patient_id"].notna().to_numpy() & (pos < 0)
    _rows(log, "error", file, child, orphan, labels("patient_id"),
          lambda s: [f"patient_id '{pid}' is not in patients" for pid in s["patient_id"]],
          "a patient_id listed in patients", "unknown-patient")


def _patient_value(child: pd.DataFrame, patients: pd.DataFrame, column: str, pos: np.ndarray | None) -> pd.Series:
    """The patient's ``column`` on each child row (``map`` on the ids; by ``pos`` when given)."""
    if pos is None:
        return child["patient_id"].map(patients.drop_duplicates("patient_id").set_index("patient_id")[column])
    first = patients.drop_duplicates("patient_id")[column].to_numpy(dtype="datetime64[ns]")
    return pd.Series(np.append(first, np.datetime64("NaT"))[pos], index=child.index)   # -1: the NaT


def check_after_death(child: pd.DataFrame, patients: pd.DataFrame, file: str, what: str, labels,
                      log: ProblemLog, pos: np.ndarray | None = None) -> None:
    if "death_date" not in patients.columns or "date" not in child.columns:
        return
    death = _patient_value(child, patients, "death_date", pos)
    bad = (child["date"] > death).to_numpy()
    _rows(log, "error", file, child, bad, labels("date"),
          lambda s: [f"{what} on {d} is after the death date {x}" for d, x in zip(_fmt(s["date"]),
                                                                                   _fmt(death.loc[s.index]))],
          f"{what}s on or before the death date", "after-death")


def check_before_start(child: pd.DataFrame, patients: pd.DataFrame, file: str, labels, log: ProblemLog,
                       pos: np.ndarray | None = None) -> None:
    """A treatment cycle dated before the patient's start_date (the time origin, e.g. the first cycle)."""
    if "start_date" not in patients.columns or "date" not in child.columns:
        return
    start = _patient_value(child, patients, "start_date", pos)
    bad = (child["date"] < start).to_numpy()
    _rows(log, "error", file, child, bad, labels("date"),
          lambda s: [f"cycle {c} on {d} is before start_date {x}" for c, d, x in
                     zip(s["cycle"] if "cycle" in s.columns else [""] * len(s), _fmt(s["date"]),
                         _fmt(start.loc[s.index]))],
          "cycles on or after start_date", "cycle-before-start")


def _sortable_days(dates: pd.Series) -> np.ndarray:
    """datetime64 as int64 with NaT last (the order of ``sort_values``, na_position='last')."""
    v = dates.to_numpy(dtype="datetime64[ns]").view("int64").copy()
    v[v == np.iinfo(np.int64).min] = np.iinfo(np.int64).max
    return v


def _patient_codes(les: pd.DataFrame, pos: np.ndarray | None, n_keys: int):
    """(code of each row's patient, number of codes, the ids of the codes or None): a code per distinct
    id, -1 where missing; the patients' positions (``pos``) where given, ids not in patients after them."""
    if pos is None:
        pcode, puniq = pd.factorize(les["patient_id"])
        return pcode, len(puniq), puniq
    pcode = pos.astype(np.int64)
    missing = les["patient_id"].isna().to_numpy()
    pcode[missing] = -1
    unknown = np.flatnonzero((pcode < 0) & ~missing)
    n = n_keys
    if len(unknown):
        uc, uu = pd.factorize(les["patient_id"].to_numpy()[unknown])
        pcode[unknown] = n_keys + uc
        n += len(uu)
    return pcode, n, None


def check_lesions(les: pd.DataFrame, patients: pd.DataFrame, file: str, labels, log: ProblemLog,
                  window_days: int, pos: np.ndarray | None = None) -> None:
    """Duplicated lesion measurements, role changes, states that do not fit the role, no baseline scan.

    Patient and lesion ids are factorised once and every check works on the integer codes (a registry's
    lesions table is 10^7 rows: grouping and sorting on the id strings was most of validation); ``pos``
    (patient_positions) gives the patient codes without another pass over the id strings."""
    first_pat = patients.drop_duplicates("patient_id")
    pcode, n_codes, puniq = _patient_codes(les, pos, len(first_pat))
    pcode = pcode.astype(np.int32) if n_codes < 2 ** 31 else pcode     # 10^7 rows: 4 bytes a code
    lcode, _ = pd.factorize(les["lesion_id"])
    pl = np.where((pcode >= 0) & (lcode >= 0), pcode.astype(np.int64) * (int(lcode.max(initial=0)) + 1) + lcode,
                  -1)
    del lcode
    known = pl >= 0
    gid, _ = pd.factorize(pl)            # one code per (patient, lesion); -1 (unknown) is a code too
    del pl
    gid = gid.astype(np.int32) if len(gid) < 2 ** 31 else gid
    day = _sortable_days(les["date"])
    dcode, duniq = pd.factorize(day)
    # (patient, lesion, date) seen before: one int64 key per row instead of a two-column DataFrame
    key = gid.astype(np.int64) * (len(duniq) + 1) + dcode
    del dcode
    dup = known & (day != np.iinfo(np.int64).max) & pd.Series(key, copy=False).duplicated(keep="first").to_numpy()
    del key
    _rows(log, "error", file, les, dup, labels("lesion_id"),
          lambda s: [f"lesion '{lid}' of patient '{pid}' is measured twice on {d}"
                     for lid, pid, d in zip(s["lesion_id"], s["patient_id"], _fmt(s["date"]))],
          "one row per lesion per scan", "duplicate-lesion")
    # A lesion keeps its role (RECIST 1.1 §3: targets and non-targets are fixed at baseline): the role of
    # its earliest row (by date, then row) is the expected one.
    rcode, runiq = pd.factorize(les["role"])
    rcode = rcode.astype(np.int8) if len(runiq) < 127 else rcode
    valid = known & (rcode >= 0)
    del known
    idx = np.flatnonzero(valid)
    rows = les["_row"].to_numpy()
    idx = idx[np.lexsort((rows[idx], day[idx]))]               # stable: ties keep the table order
    del day
    firsts = np.unique(gid[idx], return_index=True)[1]
    expected = np.full(int(gid.max(initial=-1)) + 1, -1, dtype=rcode.dtype)
    expected[gid[idx[firsts]]] = rcode[idx[firsts]]
    del idx, firsts
    exp_row = np.where(valid, expected[gid], -1).astype(rcode.dtype)
    changed = valid & (rcode != exp_row)
    ch = np.flatnonzero(changed)
    expected_role = pd.Series(np.asarray(runiq, dtype=object)[exp_row[ch]], index=les.index[ch])
    _rows(log, "error", file, les, changed, labels("role"),
          lambda s: [f"lesion '{lid}' was '{r0}' on an earlier scan and is '{r}' here"
                     for lid, r0, r in zip(s["lesion_id"], expected_role.loc[s.index], s["role"])],
          "the same role at every scan", "role-change")
    del gid, exp_row
    if "state" in les.columns:
        scode, suniq = pd.factorize(les["state"])
        suniq = np.asarray(suniq, dtype=object)
        runiq = np.asarray(runiq, dtype=object)

        def is_code(codes, uniq, value):
            hit = np.flatnonzero(uniq == value)
            return codes == hit[0] if len(hit) else np.zeros(len(codes), dtype=bool)
        wrong = (is_code(scode, suniq, "unequivocal_progression") & ~is_code(rcode, runiq, "non_target")) | (
            is_code(scode, suniq, "equivocal") & ~is_code(rcode, runiq, "new"))
        _rows(log, "error", file, les, wrong, labels("state"),
              lambda s: [f"state '{st}' does not apply to a {r} lesion" for st, r in zip(s["state"], s["role"])],
              "unequivocal_progression for non-target lesions, equivocal for new lesions", "state-role")
    # Baseline: a scan on or before start_date, at most `window_days` before it.
    if pos is None:
        pstart = first_pat.set_index("patient_id")["start_date"]
        start = pstart.reindex(pd.Index(puniq)).to_numpy(dtype="datetime64[ns]")
    else:   # codes are positions in the patients' first rows; ids not in patients have no start
        start = np.full(n_codes, np.datetime64("NaT"), dtype="datetime64[ns]")
        start[:len(first_pat)] = first_pat["start_date"].to_numpy(dtype="datetime64[ns]")
    start = np.append(start, np.datetime64("NaT"))[pcode]     # code -1 (missing id): last element, NaT
    days = (les["date"].to_numpy(dtype="datetime64[ns]") - start).astype("timedelta64[D]")
    del start
    ok = ~np.isnat(days)
    d = days.astype(np.int64)
    in_window = ok & (d <= 0) & (d >= -window_days)
    has_baseline = np.bincount(pcode[in_window], minlength=n_codes) > 0
    lacking = (pcode >= 0) & ~has_baseline[np.maximum(pcode, 0)]
    first_pos = np.sort(np.unique(pcode[lacking], return_index=True)[1]) if lacking.any() else np.zeros(0, int)
    first = les.iloc[np.flatnonzero(lacking)[first_pos]]
    _rows(log, "warning", file, first, np.ones(len(first), bool), labels("date"),
          lambda s: [f"patient '{pid}' has lesion measurements but no baseline scan within {window_days} days "
                     f"before start_date; not evaluable for response" for pid in s["patient_id"]],
          f"a scan on or up to {window_days} days before start_date", "no-baseline")


def check_unique_per_patient(df: pd.DataFrame, keys: list[str], file: str, labels, log: ProblemLog,
                             what: str, severity: str = "error") -> None:
    dup = df[keys].notna().all(axis=1) & df.duplicated(keys, keep="first")
    _rows(log, severity, file, df, dup, labels(keys[-1]),
          lambda s: [f"{what} repeated for patient '{pid}'" for pid in s["patient_id"]],
          f"one row per {' and '.join(keys)}", "duplicate-row")


def validate_tables(tables: dict[str, pd.DataFrame], files: dict[str, str], labels: dict, log: ProblemLog,
                    window_days: int, today: dt.date) -> None:
    """Run every cross-table rule. `labels[name](column)` gives the column as the user wrote it."""
    p = tables["patients"]
    check_patients(p, files["patients"], labels["patients"], log, today)
    ids = pd.Index(p["patient_id"].dropna().unique())
    keys = pd.Index(p["patient_id"].drop_duplicates())     # the rows `map` on the ids would use
    pos = {}   # patient positions of the tables checked again below (one hash pass per table)
    for name, df in tables.items():
        check_future(df, files[name], labels[name], log, today)
        if name == "patients":
            continue
        at = patient_positions(df, keys)
        check_orphans(df, ids, files[name], labels[name], log, at)
        if name in ("lesions", "assessments", "treatments"):
            pos[name] = at
        del at
    if "lesions" in tables:
        check_lesions(tables["lesions"], p, files["lesions"], labels["lesions"], log, window_days, pos["lesions"])
        check_after_death(tables["lesions"], p, files["lesions"], "scan", labels["lesions"], log,
                          pos.pop("lesions"))
    if "assessments" in tables:
        check_unique_per_patient(tables["assessments"], ["patient_id", "date"], files["assessments"],
                                 labels["assessments"], log, "an assessment date")
        check_after_death(tables["assessments"], p, files["assessments"], "scan", labels["assessments"], log,
                          pos.pop("assessments"))
    if "treatments" in tables:
        check_unique_per_patient(tables["treatments"], ["patient_id", "cycle"], files["treatments"],
                                 labels["treatments"], log, "a cycle number")
        check_after_death(tables["treatments"], p, files["treatments"], "treatment", labels["treatments"], log,
                          pos["treatments"])
        check_before_start(tables["treatments"], p, files["treatments"], labels["treatments"], log,
                           pos.pop("treatments"))
    if "biomarkers" in tables:
        check_unique_per_patient(tables["biomarkers"], ["patient_id"], files["biomarkers"],
                                 labels["biomarkers"], log, "a biomarker row")
        check_sequenced_flag(tables["biomarkers"], files["biomarkers"], labels["biomarkers"], log)


#: ``ngs_tested`` in biomarkers.csv (who was sequenced): yes/no words as the boolean columns; empty = unknown.
SEQUENCED_YES = frozenset({"true", "t", "yes", "y", "1", "1.0", "checked"})
SEQUENCED_NO = frozenset({"false", "f", "no", "n", "0", "0.0", "unchecked"})


def check_sequenced_flag(b: pd.DataFrame, file: str, labels, log: ProblemLog) -> None:
    """``ngs_tested`` must say yes or no: 'maybe' or '2' is an error, not silently 'not sequenced'."""
    if "ngs_tested" not in b.columns:
        return
    text = b["ngs_tested"].astype("string").str.strip().str.lower()
    bad = (b["ngs_tested"].notna() & ~text.isin(SEQUENCED_YES | SEQUENCED_NO)).to_numpy(bool)
    _rows(log, "error", file, b, bad, labels("ngs_tested"),
          lambda s: [f"'{v}' is not yes/no" for v in s["ngs_tested"]],
          "yes or no (true/false, 1/0); empty when not known", "not-boolean")

