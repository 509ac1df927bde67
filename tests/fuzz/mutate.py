"""Seeded mutations of the bundled example studies, and the checks every mutated study must pass.

A mutation plan is drawn from a ``random.Random`` (hypothesis supplies one in the property test,
``tests/fuzz/run_fuzz.py`` a seeded one for the long run), so both use the same generator:

- cell edits: empty, garbage text, swapped or impossible dates, negative, huge, NaN/inf text, unicode;
- deleted and duplicated rows and columns, renamed headers;
- re-encoded files (cp1252, latin-1, UTF-16), the whole study converted to one XLSX workbook (typed
  cells; an Excel date cell holding a negative serial);
- study.yaml edits: bad values, NaN/infinite landmarks, a covariate named ``bor``/``event``/``time``,
  a folder in place of the file, a non-UTF-8 file;
- a wide biomarker table; every event on one day; clinical progression before the first response;
  ``ngs_tested`` values that are not yes/no.

``check_study(folder)`` runs what ``oncoseries validate`` and ``oncoseries analyze`` run (in process,
figures off) and returns the list of broken invariants (empty = pass). An exception escaping the
pipeline is what the CLI guard turns into "internal error" (exit 3).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import json
import shutil
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from oncoseries.examples import example_study_path
from oncoseries.io.layout import TABLES
from oncoseries.study import CELL_RULES as CELL_RULE_IDS

TODAY = dt.date(2026, 11, 26)
BASES = ("hdifo", "mini")
DATE_COLUMNS = {"start_date", "last_contact_date", "death_date", "progression_date", "new_therapy_date", "date"}
NUMBER_COLUMNS = {"diameter_mm", "dose_mg_m2", "bsa_m2", "planned_dose_mg_m2", "cycle", "grade"}
REQUIRED = {"patients": {"patient_id", "start_date"},
            "lesions": {"patient_id", "date", "lesion_id", "role"},
            "mutations": {"patient_id", "gene"}, "treatments": {"patient_id", "cycle", "date"},
            "adverse_events": {"patient_id", "term", "grade"}, "biomarkers": {"patient_id"}}
CELL_VALUES = ["", " ", "NA", "abc", "?", "-5", "-0.0", "0", "1e400", "-1e400", "1e308", "9" * 30, "nan", "NaN",
               "inf", "-inf", "Infinity", "Ⅻ", "é", "日本", "\u200b", "😀", "12,5", "1.5", "2020-02-30",
               "2020-13-01", "01/02/2020", "1850-01-01", "2090-01-01", "1900-01-01", "2020-01-10T10:00",
               "yes", "no", "maybe", "2", "true", "target", "new", "PD", "CR", "absent", "equivocal",
               "unequivocal_progression", "HDIFO-001", "MINI-01", '"', "a,b", "a;b", "x\ny"]
HEADER_VALUES = ["", "Start Date", "START_DATE", "patient id", "bor", "event", "time", "_row", "date",
                 "x", "é", "patient_id", "death_date", "ngs_tested", "status", "Unnamed: 0"]
ENCODINGS = ("cp1252", "latin-1", "utf-16")


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]


@dataclass
class Mutated:
    """A study in memory: tables, study.yaml text, and how to write them."""

    base: str
    tables: dict[str, Table]
    yaml: str | None
    yaml_folder: bool = False
    yaml_encoding: str = "utf-8"
    encodings: dict[str, str] = field(default_factory=dict)
    xlsx: bool = False
    excel_serials: list[tuple[str, int, int, float]] = field(default_factory=list)  # table, row, col, value
    planted: list[tuple[str, int, str, str]] = field(default_factory=list)   # table, row, column, why
    log: list[str] = field(default_factory=list)                             # the mutations, readable


def load_base(name: str) -> Mutated:
    folder = example_study_path().parent / name
    tables = {}
    for f in sorted(folder.glob("*.csv")):
        with f.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        tables[f.stem] = Table(rows[0], rows[1:])
    yaml_path = folder / "study.yaml"
    return Mutated(name, tables, yaml_path.read_text(encoding="utf-8") if yaml_path.exists() else None)


# ---------------------------------------------------------------- mutations (each takes rnd, study)

def _pick_table(rnd: random.Random, m: Mutated, need_rows: bool = True) -> str | None:
    names = [n for n, t in m.tables.items() if t.header and (t.rows or not need_rows)]
    return rnd.choice(sorted(names)) if names else None


def mut_cell(rnd, m):
    name = _pick_table(rnd, m)
    if name is None:
        return
    t = m.tables[name]
    i, j = rnd.randrange(len(t.rows)), rnd.randrange(len(t.header))
    value = rnd.choice(CELL_VALUES)
    row = t.rows[i]
    row.extend([""] * (j + 1 - len(row)))
    row[j] = value
    m.log.append(f"{name} row {i + 2} col {t.header[j]!r} := {value!r}")


def mut_swap_dates(rnd, m):
    t = m.tables.get("patients")
    if not t or not t.rows:
        return
    cols = [j for j, h in enumerate(t.header) if h in DATE_COLUMNS]
    if len(cols) < 2:
        return
    a, b = rnd.sample(cols, 2)
    i = rnd.randrange(len(t.rows))
    r = t.rows[i]
    r[a], r[b] = r[b], r[a]
    m.log.append(f"patients row {i + 2}: swap {t.header[a]} and {t.header[b]}")


def mut_row(rnd, m):
    name = _pick_table(rnd, m)
    if name is None:
        return
    t = m.tables[name]
    i = rnd.randrange(len(t.rows))
    if rnd.random() < 0.5:
        del t.rows[i]
        m.log.append(f"{name}: delete row {i + 2}")
    else:
        t.rows.insert(i, list(t.rows[i]))
        m.log.append(f"{name}: duplicate row {i + 2}")


def mut_column(rnd, m):
    name = _pick_table(rnd, m, need_rows=False)
    if name is None:
        return
    t = m.tables[name]
    j = rnd.randrange(len(t.header))
    kind = rnd.choice(("delete", "duplicate", "rename"))
    if kind == "delete":
        m.log.append(f"{name}: delete column {t.header[j]!r}")
        del t.header[j]
        for r in t.rows:
            if j < len(r):
                del r[j]
    elif kind == "duplicate":
        m.log.append(f"{name}: duplicate column {t.header[j]!r}")
        t.header.append(t.header[j])
        for r in t.rows:
            r.append(r[j] if j < len(r) else "")
    else:
        new = rnd.choice(HEADER_VALUES)
        m.log.append(f"{name}: rename column {t.header[j]!r} -> {new!r}")
        t.header[j] = new


def mut_encoding(rnd, m):
    name = _pick_table(rnd, m)
    if name is None:
        return
    enc = rnd.choice(ENCODINGS)
    t = m.tables[name]
    if enc != "utf-16":  # give the 8-bit encodings a character to get wrong
        j = next((j for j, h in enumerate(t.header) if h not in REQUIRED.get(name, ()) and h != "patient_id"), None)
        if j is not None:
            t.rows[0].extend([""] * (j + 1 - len(t.rows[0])))
            t.rows[0][j] = "Müller–é"
    m.encodings[name] = enc
    m.log.append(f"{name}.csv re-encoded as {enc}")


YAML_EDITS = [
    "landmarks: {PFS: [.nan], OS: [12]}", "landmarks: {OS: [1e400]}", "landmarks: {OS: [-.inf]}",
    "landmarks: {OS: [-3]}", "landmarks: {OS: ['abc']}", "landmarks: {XYZ: [6]}", "landmarks: {OS: []}",
    "time_unit: fortnights", "time_unit: days", "time_unit: years", "response: {confirmation: true}",
    "response: {confirmation_days: -1}", "response: {sd_min_days: 1e400}", "pfs: {censor_at_new_therapy: maybe}",
    "pfs: {missed_assessments: {interval_days: 63, max_missed: 2}}", "pfs: {missed_assessments: {interval_days: 0}}",
    "baseline_window_days: 0", "baseline_window_days: .nan", "multivariable: true", "unknown_key: 1",
    "cox: {OS: [sex, age, nothere]}", "cox: {PFS: [age], OS: [sex]}", "cox: {DOR: [sex]}", "cox: {OS: 5}",
    "report: {risk_times: {OS: [.nan]}}", "report: {risk_times: {OS: [1e400]}}", "report: {percent_decimals: 9}",
    "title: Études — cp1252 ✓", "[1, 2", "- a\n- b", "landmarks: {OS: [0, 0.0001, 1e6]}",
    "time_dependent: {cr2: {date: nothere}}", "time_dependent: {cr2: {date: new_therapy_date, landmark: .nan}}",
    "time_dependent: {cr2: {date: new_therapy_date, landmark: 1e9}}", "time_dependent: {sex: death_date}",
    "time_dependent: {cr2: start_date}", "time_dependent: {cr2: {date: progression_date, values: [no]}}",
]


def mut_yaml(rnd, m):
    edit = rnd.choice(YAML_EDITS)
    m.yaml = (m.yaml or "") + "\n" + edit + "\n" if not edit.startswith(("[", "- ")) else edit
    m.log.append(f"study.yaml: {edit!r}")


def mut_yaml_file(rnd, m):
    kind = rnd.choice(("folder", "cp1252", "latin-1", "utf-16", "delete", "empty"))
    if kind == "folder":
        m.yaml_folder = True
    elif kind == "delete":
        m.yaml = None
    elif kind == "empty":
        m.yaml = ""
    else:
        m.yaml = "title: Étude Müller – ß\n" + (m.yaml or "")
        m.yaml_encoding = kind
    m.log.append(f"study.yaml: {kind}")


def mut_internal_names(rnd, m):
    """A covariate named like an internal column (bor, event, time ...), planned in cox:."""
    t = m.tables["patients"]
    name = rnd.choice(("bor", "event", "time", "aval", "cnsr", "paramcd", "group", "status", "_row"))
    src = rnd.choice([h for h in t.header if h in ("sex", "cr2", "prior_ifosfamide", "age", "ecog")] or [None])
    if src is None:
        return
    t.header[t.header.index(src)] = name
    ep = rnd.choice(("OS", "PFS"))
    m.yaml = (m.yaml or "").replace("cox:", "old_cox_removed:") if "cox:" in (m.yaml or "") else (m.yaml or "")
    m.yaml = "\n".join(ln for ln in m.yaml.splitlines() if not ln.startswith(("old_cox_removed", "  PFS:", "  OS:")))
    m.yaml += f"\ncox: {{{ep}: [{name}]}}\n"
    m.log.append(f"patients: column {src} renamed {name!r} and planned in cox.{ep}")


def mut_wide_biomarkers(rnd, m):
    t = m.tables.get("biomarkers")
    if t is None:
        return
    k = rnd.choice((5, 40, 150))
    for c in range(k):
        numeric = rnd.random() < 0.5
        t.header.append(f"m{c}")
        for r in t.rows:
            r.append(f"{rnd.gauss(0, 1):.3f}" if numeric else rnd.choice(("lo", "hi", "")))
    m.log.append(f"biomarkers: {k} more columns")


def mut_one_event_day(rnd, m):
    """Every death on the same day after start (and every patient followed at least that long)."""
    t = m.tables["patients"]
    h = t.header
    if not {"start_date", "last_contact_date", "death_date"} <= set(h):
        return
    s, lc, dd = h.index("start_date"), h.index("last_contact_date"), h.index("death_date")
    pd_ = h.index("progression_date") if "progression_date" in h else None
    for r in t.rows:
        try:
            start = dt.date.fromisoformat(r[s])
        except ValueError:
            continue
        day = (start + dt.timedelta(days=100)).isoformat()
        if r[dd]:
            r[dd] = day
            r[lc] = day
            if pd_ is not None and r[pd_] and r[pd_] > day:
                r[pd_] = day
        else:
            r[lc] = max(r[lc], (start + dt.timedelta(days=200)).isoformat())
    m.log.append("patients: every death 100 days after start")


def mut_progression_before_response(rnd, m):
    t = m.tables["patients"]
    h = t.header
    if "progression_date" not in h or "start_date" not in h:
        return
    i = rnd.randrange(len(t.rows))
    r = t.rows[i]
    try:
        start = dt.date.fromisoformat(r[h.index("start_date")])
    except ValueError:
        return
    r[h.index("progression_date")] = (start + dt.timedelta(days=rnd.choice((1, 20, 45)))).isoformat()
    m.log.append(f"patients row {i + 2}: early progression_date")


def mut_ngs(rnd, m):
    t = m.tables.get("biomarkers")
    if t is None or "ngs_tested" not in t.header or not t.rows:
        return
    i = rnd.randrange(len(t.rows))
    v = rnd.choice(("maybe", "2", "-1", "yes?", "unknown"))
    t.rows[i][t.header.index("ngs_tested")] = v
    m.planted.append(("biomarkers", i + 2, "ngs_tested", f"ngs_tested {v!r}"))
    m.log.append(f"biomarkers row {i + 2}: ngs_tested {v!r}")


def mut_plant(rnd, m):
    """A cell that must be reported: empty required cell, garbage date, garbage number."""
    name = _pick_table(rnd, m)
    if name is None:
        return
    t = m.tables[name]
    i = rnd.randrange(len(t.rows))
    known = TABLES[name].by_name if name in TABLES else {}
    choices = [(j, "") for j, h in enumerate(t.header) if h in REQUIRED.get(name, ())]
    choices += [(j, rnd.choice(("abc", "2020-02-30", "31/31/2020"))) for j, h in enumerate(t.header)
                if h in DATE_COLUMNS and h in known]
    choices += [(j, rnd.choice(("abc", "1,2,3", "--4"))) for j, h in enumerate(t.header) if h in NUMBER_COLUMNS and h in known]
    if not choices:
        return
    j, v = rnd.choice(choices)
    t.rows[i].extend([""] * (j + 1 - len(t.rows[i])))
    t.rows[i][j] = v
    m.planted.append((name, i + 2, t.header[j], f"{v!r}"))
    m.log.append(f"{name} row {i + 2} col {t.header[j]!r} := {v!r} (must be reported)")


def mut_xlsx(rnd, m):
    m.xlsx = True
    m.log.append("converted to one .xlsx workbook")


def mut_excel_negative_date(rnd, m):
    t = m.tables["patients"]
    cols = [j for j, h in enumerate(t.header) if h in ("start_date", "death_date", "last_contact_date")]
    if not cols or not t.rows:
        return
    i, j = rnd.randrange(len(t.rows)), rnd.choice(cols)
    v = rnd.choice((-5.0, -1.0, 0.0))
    m.xlsx = True
    m.excel_serials.append(("patients", i, j, v))
    m.planted.append(("patients", i + 2, t.header[j], f"Excel date serial {v}"))
    m.log.append(f"xlsx: patients row {i + 2} col {t.header[j]!r} date cell serial {v}")


MUTATIONS = [(mut_cell, 30), (mut_plant, 10), (mut_swap_dates, 6), (mut_row, 10), (mut_column, 8),
             (mut_encoding, 5), (mut_yaml, 10), (mut_yaml_file, 3), (mut_internal_names, 4),
             (mut_wide_biomarkers, 2), (mut_one_event_day, 3), (mut_progression_before_response, 3),
             (mut_ngs, 3), (mut_xlsx, 3), (mut_excel_negative_date, 2)]


def draw(rnd: random.Random) -> Mutated:
    """A mutated study: a base study and 1-4 mutations; planted cells are applied last (rows stay put)."""
    m = load_base(rnd.choice(BASES))
    funcs, weights = zip(*MUTATIONS)
    chosen = rnd.choices(funcs, weights=weights, k=rnd.randint(1, 4))
    order = {mut_plant: 1, mut_ngs: 1, mut_excel_negative_date: 2}
    for f in sorted(chosen, key=lambda f: order.get(f, 0)):
        f(rnd, m)
    return m


# ---------------------------------------------------------------- writing

def _csv_bytes(t: Table, encoding: str) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([t.header, *t.rows])
    return buf.getvalue().encode(encoding, errors="replace")


def _typed(v: str):
    if v == "":
        return None
    try:
        return dt.datetime.fromisoformat(v) if len(v) == 10 and v[4] == "-" else float(v) if v.strip() else v
    except ValueError:
        return v


def write(m: Mutated, folder: Path) -> Path:
    """Write the study; returns the path to validate (the folder, or the workbook)."""
    folder.mkdir(parents=True, exist_ok=True)
    if m.yaml_folder:
        (folder / "study.yaml").mkdir()
    elif m.yaml is not None:
        (folder / "study.yaml").write_bytes(m.yaml.encode(m.yaml_encoding, errors="replace"))
    if not m.xlsx:
        for name, t in m.tables.items():
            (folder / f"{name}.csv").write_bytes(_csv_bytes(t, m.encodings.get(name, "utf-8")))
        return folder
    wb = openpyxl.Workbook(write_only=False)
    wb.remove(wb.active)
    serials = {(n, i, j): v for n, i, j, v in m.excel_serials}
    for name, t in m.tables.items():
        ws = wb.create_sheet(name)
        ws.append(t.header)
        for i, r in enumerate(t.rows):
            ws.append([_typed(v) for v in r])
            for j in range(len(r)):
                if (name, i, j) in serials:
                    c = ws.cell(row=i + 2, column=j + 1, value=serials[(name, i, j)])
                    c.number_format = "yyyy-mm-dd"
    path = folder / "study.xlsx"
    wb.save(path)
    return path


# ---------------------------------------------------------------- checks

#: Problems about one cell: they must name the row and the column (unless the "... and N more" line).
CELL_LEVEL = {"unparseable-date", "not-a-number", "negative-value", "out-of-range", "not-integer", "unknown-code",
              "not-boolean", "empty-required", "date-order", "future-date", "unknown-patient", "after-death",
              "duplicate-patient", "no-follow-up", "duplicate-lesion", "role-change", "state-role",
              "duplicate-row", "date-before-1900"}
FILE_LEVEL = {"missing-column", "unreadable", "malformed-csv", "empty-file", "duplicate-column", "missing-file"}


def check_study(path: Path, out: Path, m: Mutated | None = None) -> list[str]:
    """Validate, analyse and write outputs like the CLI; return every invariant that is broken."""
    from oncoseries.analysis import analyze, write_outputs
    from oncoseries.cli import validation_json
    from oncoseries.study import validate_study

    broken: list[str] = []
    try:
        report = validate_study(path, today=TODAY)
        doc = json.loads(json.dumps(validation_json(report)))
        assert doc["valid"] == report.usable and len(doc["problems"]) == len(report.problems)
    except Exception:
        return ["internal error in validate: " + _where()]
    for p in report.problems:
        if not p.file:
            broken.append(f"problem without a file: {p}")
        if p.rule in CELL_LEVEL and not p.message.startswith("... and") and (p.row is None or not p.column):
            broken.append(f"cell problem without its row and column: {p}")
    broken += [f"dropped without an error on its cell: {p}" for p in report.explained
               if not _explained_by_kept(p, report.errors)]
    if m is not None:
        broken += _missing_planted(m, report)
    if not report.usable:
        if not report.errors:
            broken.append("not usable, but no error says why")
        return broken
    try:
        results = analyze(report.study)
        write_outputs(results, out, figures=False)
    except Exception:
        return broken + ["internal error in analyze: " + _where()]
    broken += _flow_balances(results)
    return broken


def _where() -> str:
    """The exception and the innermost oncoseries frame (the 'place' of an internal error)."""
    exc = sys.exc_info()[1]
    tb = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in tb if "oncoseries" in f.filename and "/tests/" not in f.filename] or tb
    f = ours[-1]
    return f"{type(exc).__name__} at {Path(f.filename).name}:{f.lineno} ({f.name}): {str(exc)[:160]}"


def _explained_by_kept(p, errors) -> bool:
    """A problem the cascade filter dropped must be explained by a *shown* cell error on its cell."""
    from oncoseries.study import explained
    same_row = [q for q in errors if q.file == p.file and q.row == p.row
                and (q.rule in CELL_RULE_IDS or q.rule.startswith("cdisc"))]
    return explained(p, same_row)


def _missing_planted(m: Mutated, report) -> list[str]:
    """Every planted bad cell is reported at its row and column (unless its whole file is unreadable)."""
    out = []
    for table, row, column, why in m.planted:
        if table not in m.tables or m.tables[table].header.count(column) != 1:
            continue
        fname = f"[sheet {table}]" if m.xlsx else f"{table}.csv"
        if any(p.rule in FILE_LEVEL and fname in p.file for p in report.problems):
            continue
        if table != "patients" and any(p.rule in FILE_LEVEL and "patients" in p.file for p in report.problems):
            continue
        hit = [p for p in report.errors if fname in p.file and p.row == row
               and (p.column or "").lower() == column.strip().lower()]
        if not hit:
            out.append(f"planted problem not reported: {table} row {row} column {column}: {why}")
    return out


def _flow_balances(results) -> list[str]:
    """Patients in = analysed + excluded, per population; the analysed counts are the flow's."""
    out = []
    flow = results.study.flow
    n = len(results.study.patients)
    for row in flow.summary().itertuples():
        if row.n != n or row.included + row.excluded != n:
            out.append(f"flow {row.population}: {row.n} rows, {row.included} + {row.excluded} != {n} patients")
    for ep, s in results.sections.get("survival", {}).items():
        if ep in flow.parts and s["n"] != len(flow.included(ep)):
            out.append(f"{ep}: {s['n']} analysed but the flow includes {len(flow.included(ep))}")
    for lr in results.sections.get("logrank", []):
        total = results.sections["survival"][lr["endpoint"]]["n"]
        if lr["n"] + lr["n_missing"] != total:
            out.append(f"log-rank {lr['endpoint']} by {lr['covariate']}: {lr['n']} + {lr['n_missing']} != {total}")
    return out


def run_one(rnd: random.Random) -> tuple[Mutated, list[str]]:
    m = draw(rnd)
    tmp = Path(tempfile.mkdtemp(prefix="oncofuzz-"))
    try:
        path = write(m, tmp / "study")
        return m, check_study(path, tmp / "out", m)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
