"""Issue 13, session 9: the command's process never imports matplotlib (the figure worker draws every group, the
rest split with a second drawer forked from it), and what the worker draws is the same files either way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from oncoseries.analysis import analyze
from oncoseries.examples import example_study_path
from oncoseries.report import figures, parallel, style, worker
from oncoseries.report.figures import GROUPS, figure_opts, prepare_group, report_figure_options

SRC = str(Path(__file__).resolve().parents[2] / "src")
fork_2cpu = pytest.mark.skipif(not hasattr(os, "fork") or parallel._cpus() < 2, reason="needs fork and 2 CPUs")


def _env():
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop(parallel.ENV, None)
    return env


IMPORTS = """
import sys
import oncoseries.cli, oncoseries.analysis, oncoseries.report, oncoseries.report.document
from oncoseries.report import figures, worker, parallel, style, spider, swimmer, waterfall, oncoprint, extra_figures
from oncoseries.report import html, docx, trial_design, historical, axis, _layout
parallel.can_fork()
before = "matplotlib" in sys.modules
plt = style.pyplot()
import matplotlib
print(before, matplotlib.get_backend().lower(), style.pyplot() is plt)
"""


def test_report_code_imports_without_matplotlib():
    """Importing the command, the analysis and the report code (figure modules included) does not import
    matplotlib; style.pyplot does, once, with the Agg backend."""
    out = subprocess.run([sys.executable, "-c", IMPORTS], capture_output=True, text=True, env=_env(), check=True)
    assert out.stdout.split() == ["False", "agg", "True"], out.stderr


COMMAND = """
import atexit, os, sys
me = os.getpid()
atexit.register(lambda: os.getpid() == me and print("matplotlib in the command:", "matplotlib" in sys.modules))
sys.argv = ["oncoseries", "analyze", sys.argv[1], "--out", sys.argv[2], "--no-progress"]
from oncoseries.cli import main
main()
"""


@fork_2cpu
def test_the_command_never_imports_matplotlib(tmp_path):
    """`oncoseries analyze` with the figure worker: every figure is drawn (by the worker and its second
    drawer) while the command's own process never imports matplotlib."""
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", COMMAND, str(example_study_path("hdifo")), str(out)],
                          capture_output=True, text=True, env={**_env(), "ONCOSERIES_SLOW_EXIT": "1"})
    assert done.returncode == 0, done.stderr
    assert "matplotlib in the command: False" in done.stdout
    assert "figure worker" not in done.stderr              # no group fell back to this process
    names = {p.name for p in (out / "figures").iterdir()}
    assert {"km_pfs.png", "forest_pfs.svg", "historical_os.png", "trial_design_power.png", "swimmer.png",
            "oncoprint.svg"} <= names


@pytest.fixture(scope="module")
def prepared():
    results = analyze(example_study_path("hdifo"))
    opts = figure_opts(**{**report_figure_options(results), "dpi": 60})
    return [prepare_group(n, results, opts) for n in GROUPS if n not in worker.EARLY], opts


def _files(d: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def _summary(out: dict) -> list:
    return [(g, [(i.name, i.title, i.caption, i.n, Path(i.png).name, Path(i.svg).name) for i in out[g]]) for g in out]


@fork_2cpu
def test_second_drawer_draws_the_same_files(prepared, tmp_path):
    """The rest split between the worker and a forked second drawer: the same files (bytes) and FigureInfo,
    in the order of the groups, as drawing them all in one process."""
    groups, opts = prepared
    one, two = tmp_path / "one", tmp_path / "two"
    a, said_a = worker._draw(groups, one, opts, split=False)
    b, said_b = worker._draw(groups, two, opts, split=True)
    assert list(a) == list(b) == [p.group for p in groups]
    assert _summary(a) == _summary(b)             # names, titles, captions, counts, file names
    fa, fb = _files(one), _files(two)
    assert len(fa) >= 2 * 9 and list(fa) == list(fb)
    for name in fa:
        assert fa[name] == fb[name], name
    assert said_a == said_b == []


@fork_2cpu
def test_a_failing_second_drawer_is_replaced(prepared, tmp_path, monkeypatch):
    """When the second drawer fails (here: drawing raises in the child only), its groups are drawn by the
    worker itself: the same files, nothing missing."""
    groups, opts = prepared
    me, real = os.getpid(), figures.draw_prepared

    def draw_prepared(p, out_dir, o):
        if os.getpid() != me:
            raise RuntimeError("the child fails")
        return real(p, out_dir, o)

    monkeypatch.setattr(figures, "draw_prepared", draw_prepared)
    out, said = worker._draw(groups, tmp_path / "x", opts, split=True)
    monkeypatch.setattr(figures, "draw_prepared", real)
    ref, _ = worker._draw(groups, tmp_path / "y", opts, split=False)
    assert [(g, [i.name for i in out[g]]) for g in out] == [(g, [i.name for i in ref[g]]) for g in ref]
    assert _files(tmp_path / "x") == _files(tmp_path / "y")
    style.wait_for_figures()


def test_results_view_holds_what_the_groups_read(prepared):
    """The forest, historical and design groups get a results_view: the sections and settings they read,
    the historical endpoints' times and events only (three ADTTE columns)."""
    results = analyze(example_study_path("hdifo"))
    view = figures.results_view("historical", results)
    assert set(view.sections) == {"historical_controls"}
    assert list(view.derived["adtte"].columns) == ["paramcd", "aval", "cnsr"]
    assert set(view.derived["adtte"]["paramcd"]) == {r["endpoint"] for r in results.sections["historical_controls"]
                                                    if r["endpoint"] != "ORR" and "error" not in r}
    assert view.study.config.days_per_unit == results.study.config.days_per_unit
    forest = figures.results_view("forest", results)
    assert set(forest.sections) == {"cox", "survival"} and forest.derived == {}
    assert forest.study.config.cox == results.study.config.cox
    assert set(figures.results_view("design", results).sections) == {"design"}
    with pytest.raises(ValueError):
        figures.results_view("km_a", results)
