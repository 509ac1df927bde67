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


def test_web_worker_progress_follows_the_same_stage_events(tmp_path, monkeypatch):
    import shutil

    from oncoseries.web import worker

    run_dir = tmp_path / "run"
    shutil.copytree(example_study_path("mini"), run_dir / "input")
    seen = []
    original = worker._progress

    def record(run, stage, progress=None, step=None):
        original(run, stage, progress, step)
        seen.append(__import__("json").loads((run / "progress.json").read_text()))

    monkeypatch.setattr(worker, "_progress", record)
    result = worker.execute(str(run_dir))
    assert result["ok"], result
    steps = [s["step"] for s in seen if "step" in s]
    assert steps == list(progress.ANALYZE_STAGES)
    values = [s["progress"] for s in seen]
    assert values == sorted(values) and values[-1] == 0.9 and seen[-1]["stage"] == "packing"
    assert {s["stage"] for s in seen} <= set(worker.STAGES)
    assert timings._listener is None
