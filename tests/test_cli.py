"""The command line: exit codes (0 usable, 1 not, 2 usage), ten planted problems all reported with
file, row and column, and never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from oncoseries.examples import example_study_path
from tests.conftest import write_study

CLI = [sys.executable, "-c", "from oncoseries.cli import main; main()"]


def run(*args, cwd=None):
    env = {**os.environ, "ONCOSERIES_DEBUG": ""}
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_validate_usable_study_exit_0():
    r = run("validate", example_study_path("mini"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "8 patients" in r.stdout and "usable" in r.stdout


def test_validate_missing_path_is_usage_error(tmp_path):
    r = run("validate", tmp_path / "nope")
    assert r.returncode == 2 and "does not exist" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_unknown_option_is_usage_error():
    r = run("validate", "--bogus")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_ten_planted_problems_all_reported(tmp_path, base_tables):
    p, les = base_tables["patients"], base_tables["lesions"]
    p.append(dict(p[0]))                                   # 1 duplicate patient_id P1 (row 5)
    p[1]["start_date"] = "2020-13-01"                      # 2 unparseable date (row 3)
    p[2]["last_contact_date"] = "2019-01-01"               # 3 last contact before start (row 4)
    p[0]["death_date"] = "2030-05-05"                      # 4 death in the future (row 2)
    les[1]["diameter_mm"] = "-3"                           # 5 negative diameter (row 3)
    les[2]["role"] = "targett"                             # 6 unknown role (row 4)
    les[4]["patient_id"] = "P7"                            # 7 child row of an unknown patient (row 6)
    les[7]["role"] = "target"                              # 8 lesion role changes between scans (row 9)
    les[6]["diameter_mm"] = "big"                          # 9 non-numeric diameter (row 8)
    base_tables["adverse_events"] = [{"patient_id": "P1", "term": "Neutropenia", "grade": "7"}]  # 10 grade
    folder = write_study(tmp_path / "s", **base_tables)
    r = run("validate", folder)
    assert r.returncode == 1
    out = r.stdout
    expected = [
        "patients.csv, row 5, column patient_id: patient_id 'P1' appears more than once",
        "patients.csv, row 3, column start_date: '2020-13-01' is not a date",
        "patients.csv, row 4, column last_contact_date: last_contact_date 2019-01-01 is before start_date",
        "patients.csv, row 2, column death_date: 2030-05-05 is in the future",
        "lesions.csv, row 3, column diameter_mm: '-3' is below the allowed range",
        "lesions.csv, row 4, column role: unknown code 'targett'",
        "lesions.csv, row 6, column patient_id: patient_id 'P7' is not in patients",
        "lesions.csv, row 9, column role: lesion 'N1' was 'non_target' on an earlier scan",
        "lesions.csv, row 8, column diameter_mm: 'big' is not a number",
        "adverse_events.csv, row 2, column grade: '7' is implausibly large",
    ]
    for line in expected:
        assert line in out, f"missing: {line}\n---\n{out}"
    assert "Traceback" not in out + r.stderr


def test_analyze_writes_results(tmp_path):
    r = run("analyze", example_study_path("mini"), "--out", tmp_path / "out")
    assert r.returncode == 0, r.stdout + r.stderr
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    flow = {row["population"]: row for row in data["patient_flow"]}
    assert flow["entered"]["n"] == 8 and flow["OS"]["included"] == 8
    assert (tmp_path / "out" / "tables" / "patient_flow.csv").exists()


GC_AFTER = """
import atexit, gc, os, sys
me = os.getpid()
atexit.register(lambda: os.getpid() == me and print("gc on:", gc.isenabled(), "frozen:", gc.get_freeze_count() > 0))
sys.argv = ["oncoseries", "analyze", sys.argv[1], "--out", sys.argv[2], "--no-progress", "--no-figures"]
from oncoseries.cli import main
main()
"""


def test_analyze_collects_garbage_again_after_its_imports(tmp_path):
    """`analyze` runs its imports without garbage collection (cli._run_analysis) and freezes what they made; the
    analysis itself runs with collection on (a registry's tables must be freed)."""
    env = {**os.environ, "ONCOSERIES_DEBUG": "", "ONCOSERIES_SLOW_EXIT": "1"}
    r = subprocess.run([sys.executable, "-c", GC_AFTER, str(example_study_path("mini")), str(tmp_path / "out")],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "gc on: True frozen: True" in r.stdout


def test_analyze_refuses_study_with_errors(tmp_path, base_tables):
    base_tables["patients"][0]["start_date"] = "yesterday"
    r = run("analyze", write_study(tmp_path / "s", **base_tables), "--out", tmp_path / "out")
    assert r.returncode == 1 and "nothing was analysed" in r.stdout
    assert "patients.csv, row 2, column start_date" in r.stdout
    assert not (tmp_path / "out" / "results.json").exists()


def test_demo_runs(tmp_path):
    r = run("demo", "--out", tmp_path / "demo")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SYNTHETIC" in r.stdout
    assert (tmp_path / "demo" / "results.json").exists()


def test_internal_error_has_no_traceback(tmp_path, monkeypatch):
    """A bug inside oncoseries gives a short message and exit 3, not a traceback."""
    code = ("import oncoseries.study as s\n"
            "def boom(*a, **k):\n    raise RuntimeError('simulated bug')\n"
            "s.validate_study = boom\n"
            "from oncoseries.cli import main; main()\n")
    r = subprocess.run([sys.executable, "-c", code, "validate", str(example_study_path())],
                       capture_output=True, text=True, env={**os.environ, "ONCOSERIES_DEBUG": ""})
    assert r.returncode == 3
    assert "internal error (RuntimeError: simulated bug)" in r.stderr and "Traceback" not in r.stderr


def test_results_json_is_deterministic(tmp_path):
    a = run("analyze", example_study_path(), "--out", tmp_path / "a")
    b = run("analyze", example_study_path(), "--out", tmp_path / "b")
    assert a.returncode == b.returncode == 0
    assert (tmp_path / "a" / "results.json").read_bytes() == (tmp_path / "b" / "results.json").read_bytes()


def test_analyze_timings_go_to_stderr_not_results(tmp_path):
    """--timings prints one line per stage on stderr; results.json is the same bytes as without it."""
    plain = run("analyze", example_study_path("mini"), "--out", tmp_path / "a")
    timed = run("analyze", example_study_path("mini"), "--out", tmp_path / "b", "--timings")
    assert plain.returncode == 0 and timed.returncode == 0, timed.stdout + timed.stderr
    for stage in ("start-up (imports)", "read", "validate", "RECIST", "endpoints", "statistics", "figures",
                  "HTML", "DOCX", "total"):
        assert any(line.startswith(stage) for line in timed.stderr.splitlines()), stage
    assert "stage" not in plain.stderr
    assert (tmp_path / "a" / "results.json").read_bytes() == (tmp_path / "b" / "results.json").read_bytes()


def test_validate_json_lists_every_problem(tmp_path, base_tables):
    """`validate --format json`: the problems of the text listing, machine-readable, and the same exit codes."""
    base_tables["patients"][1]["start_date"] = "2020-02-30"
    base_tables["lesions"][0]["role"] = "targte"
    folder = write_study(tmp_path / "s", **base_tables)
    r = run("validate", folder, "--format", "json")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    doc = json.loads(r.stdout)
    assert doc["valid"] is False and doc["source"] == "CSV folder" and doc["patients"] == 3
    keys = {"severity", "file", "row", "column", "message", "expected", "rule", "patient_id"}
    assert all(set(p) == keys for p in doc["problems"])
    cells = {(p["file"], p["row"], p["column"], p["rule"]) for p in doc["problems"] if p["severity"] == "error"}
    assert cells == {("patients.csv", 3, "start_date", "unparseable-date"), ("lesions.csv", 2, "role", "unknown-code")}
    assert doc["errors"] == 2 and doc["flow"] is None
    text = run("validate", folder)
    assert text.returncode == 1
    assert all(f"row {p['row']}, column {p['column']}: {p['message']}" in text.stdout
               for p in doc["problems"] if p["severity"] == "error")


def test_validate_json_usable_study_has_flow():
    r = run("validate", example_study_path("mini"), "-f", "json")
    assert r.returncode == 0
    doc = json.loads(r.stdout)
    assert doc["valid"] is True and doc["patients"] == 8 and doc["problems"] == []
    flow = {f["population"]: f for f in doc["flow"]}
    assert flow["entered"]["n"] == 8 and flow["OS"]["included"] + flow["OS"]["excluded"] == 8


def test_validate_unknown_format_is_usage_error():
    r = run("validate", example_study_path("mini"), "--format", "xml")
    assert r.returncode == 2 and "json" in r.stderr
