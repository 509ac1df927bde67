"""Progress per stage (issue 17): plain log lines when stderr is not a terminal, a rich bar when it is;
both fed by the stage ends of timings.lap; --no-progress is silent."""

from __future__ import annotations

import io

from oncoseries import progress, timings
from oncoseries.examples import example_study_path
from tests.test_cli import run


def test_cli_prints_plain_progress_lines_when_not_a_terminal(tmp_path):
    r = run("analyze", example_study_path(), "--out", tmp_path / "o", "--no-figures")
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stderr.splitlines() if ": done in " in line]
    stages = [line.split("] ", 1)[1].split(": done in ")[0] for line in lines]
    assert stages == list(progress.ANALYZE_STAGES)
    assert lines[-1].endswith("(10/10)")
    quiet = run("analyze", example_study_path(), "--out", tmp_path / "q", "--no-figures", "--no-progress")
    assert quiet.returncode == 0 and ": done in " not in quiet.stderr


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_rich_display_on_a_terminal():
    out = _Terminal()
    with progress.show(("read", "validate"), stream=out):
        timings.lap("read")
        timings.lap("validate")
    text = out.getvalue()
    assert "✓" in text and "read" in text and "validate" in text
    timings.lap("after")  # no listener left behind
    assert timings._listener is None
