"""`oncoseries design ...`: a table and a protocol sentence; bad input is one line and exit 2, never a
traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from oncoseries.cli import app
from oncoseries.design import design_survival, events_schoenfeld, simon_two_stage

runner = CliRunner()


def call(*args):
    return runner.invoke(app, ["design", *map(str, args)])


def test_events():
    r = call("events", "--hr", 0.67, "--alpha", 0.05, "--power", 0.8)
    assert r.exit_code == 0, r.output
    planned = -int(-events_schoenfeld(0.67) // 1)
    assert f"requires {planned} events (Schoenfeld 1981)" in r.output
    assert "Freedman 1982" in r.output


def test_simon():
    r = call("simon", "--p0", 0.2, "--p1", 0.4)
    assert r.exit_code == 0, r.output
    for kind in ("optimal", "minimax"):
        s = simon_two_stage(0.2, 0.4, design=kind)
        assert f"{s.r1}/{s.n1}" in r.output and f"{s.r}/{s.n}" in r.output
        assert f"Simon's {kind} two-stage design" in r.output


def test_survival_with_looks_and_simulation():
    r = call("survival", "--control-median", 6, "--hr", 0.67, "--accrual", 24, "--follow-up", 12,
             "--looks", 2, "--simulate", 500)
    assert r.exit_code == 0, r.output
    d = design_survival(0.67, 6, 24, 12)
    assert f"with {d.events_planned} events in {d.patients_planned} patients" in r.output
    assert "Lachin and Foulkes 1986" in r.output and "Look 2" in r.output and "Simulated power" in r.output


def test_single_arm_commands():
    assert "respond" in call("ahern", "--p0", 0.1, "--p1", 0.3).output
    r = call("one-sample", "--control-median", 6, "--hr", 0.67, "--accrual", 24, "--follow-up", 12)
    assert r.exit_code == 0 and "one-sample log-rank test" in r.output


@pytest.mark.parametrize("args, fragment", [
    (("events", "--hr", 1), "hazard ratio of 1"),
    (("events", "--hr", 0.7, "--power", 1.5), "power = 1.5"),
    (("survival", "--control-median", 6, "--hr", 0.7, "--accrual", -24, "--follow-up", 12), "accrual = -24"),
    (("survival", "--control-median", 6, "--hr", 0.7, "--accrual", 24, "--follow-up", -1), "follow_up = -1"),
    (("simon", "--p0", 0.4, "--p1", 0.2), "larger than p0"),
])
def test_bad_input_one_line_exit_2(args, fragment):
    env = {**os.environ, "ONCOSERIES_DEBUG": ""}
    r = subprocess.run([sys.executable, "-c", "from oncoseries.cli import main; main()", "design", *map(str, args)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2
    assert fragment in r.stderr and "Traceback" not in r.stderr + r.stdout
