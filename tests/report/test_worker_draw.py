"""Issue 13, session 9: the command's process never imports matplotlib (the figure worker draws every group, the
rest split with a second drawer forked from it), and what the worker draws is the same files either way."""

from __future__ import annotations

import json
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


TWO = """
import io, json, os, signal, sys, time
from pathlib import Path
from oncoseries.analysis import analyze
from oncoseries.examples import example_study_path
from oncoseries.report import figures, worker
out, how = Path(sys.argv[1]), sys.argv[2]
res = analyze(example_study_path("hdifo"))
opts = figures.figure_opts(**{**figures.report_figure_options(res), "dpi": 60})
if how == "one":                                 # every group drawn in this process
    infos = [i for n in figures.GROUPS for i in figures.draw_group(n, res, out, opts)]
    drawn_by, said = {}, ""
else:
    err, sys.stderr = sys.stderr, io.StringIO()
    w = worker.FigureWorker(out)
    if how == "lost":                            # the second drawer dies before it draws anything
        time.sleep(0.2)
        while True:
            kids = open(f"/proc/{w._proc.pid}/task/{w._proc.pid}/children").read().split()
            if kids:
                break
            time.sleep(0.05)
        os.kill(int(kids[0]), signal.SIGKILL)
    ran = []
    if how == "tasks":                           # the command's own work while both drawers draw
        w.meanwhile(lambda: ran.append(all(d.pending for d in w._drawers)))
        w.meanwhile(lambda: 1 / 0)               # dropped: its caller does the work again
        w.meanwhile(lambda: ran.append("after the one that failed"))
    infos = w.draw_all(res, out, opts)
    drawn_by = w.drawn_by
    if ran:
        drawn_by = {"ran": ran, "left": len(w._tasks)}
    w.close()
    said, sys.stderr = sys.stderr.getvalue(), err
print(json.dumps({"infos": [[i.name, i.title, i.caption, i.n, Path(i.png).name, Path(i.svg).name] for i in infos],
                  "drawn_by": drawn_by, "said": said}))
"""


@fork_2cpu
def test_two_drawers_draw_the_files_one_process_draws(tmp_path):
    """The worker and the second drawer it forks share the groups (handed out one at a time, longest first):
    the same files (bytes) and FigureInfo, in report order, as one process drawing them all; both drew."""
    from tests._scripts import output_files, run_script

    one = run_script(TWO, tmp_path / "one", "one")
    two = run_script(TWO, tmp_path / "two", "two")
    assert two["infos"] == one["infos"] and len(one["infos"]) >= 19
    assert set(two["drawn_by"]) == set(GROUPS) and set(two["drawn_by"].values()) == {"worker", "second drawer"}
    assert two["said"] == ""
    ref = output_files(tmp_path / "one")
    assert len(ref) == 2 * len(one["infos"]) and output_files(tmp_path / "two") == ref


@fork_2cpu
def test_a_lost_second_drawer_costs_nothing_but_time(tmp_path):
    """When the second drawer is gone, the worker draws every group (one line on stderr says so): the same files,
    nothing missing."""
    from tests._scripts import output_files, run_script

    one = run_script(TWO, tmp_path / "one", "one")
    lost = run_script(TWO, tmp_path / "lost", "lost")
    assert lost["infos"] == one["infos"]
    assert set(lost["drawn_by"].values()) == {"worker"}
    assert "second drawer" in lost["said"] and "Traceback" not in lost["said"]
    assert output_files(tmp_path / "lost") == output_files(tmp_path / "one")


@fork_2cpu
def test_the_command_works_while_the_drawers_draw(tmp_path):
    """Tasks given to ``meanwhile`` run once each during draw_all, the first while both drawers draw (this process
    would otherwise wait); one that raises is dropped without stopping the others or the figures."""
    from tests._scripts import output_files, run_script

    one = run_script(TWO, tmp_path / "one", "one")
    tasks = run_script(TWO, tmp_path / "tasks", "tasks")
    assert tasks["drawn_by"] == {"ran": [True, "after the one that failed"], "left": 0}
    assert tasks["infos"] == one["infos"] and tasks["said"] == ""
    assert output_files(tmp_path / "tasks") == output_files(tmp_path / "one")


@fork_2cpu
def test_report_written_while_drawing_is_the_same_report(tmp_path):
    """`oncoseries analyze` builds the report's document and writes its tables while the drawers draw
    (write_report's ``meanwhile`` task): every file is the same as without the figure worker, where they are
    made after the figures; when that task fails, they are made after the figures, the same again."""
    from tests._scripts import output_files

    failing = "import oncoseries.report as r\ndef _no(*a):\n    raise OSError('disk full')\nr._document_and_tables = _no\n"
    runs = {"worker": ({}, ""), "alone": ({parallel.ENV: "1"}, ""), "failing": ({}, failing)}
    for name, (extra, pre) in runs.items():
        done = subprocess.run([sys.executable, "-c", pre + COMMAND, str(example_study_path("hdifo")),
                               str(tmp_path / name)], capture_output=True, text=True, env={**_env(), **extra})
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
    files = {n: output_files(tmp_path / n) for n in runs}
    assert any(k.startswith("tables/") for k in files["worker"]) and "report.html" in files["worker"]
    assert files["worker"] == files["alone"] == files["failing"]


def test_results_view_holds_what_the_groups_read():
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


PRESTART = """
import atexit, json, os, sys
from oncoseries.report import worker
me, seen = os.getpid(), {}
start, discard = worker.start, worker.discard_prestarted

def watched_start(out_dir):
    seen["prestarted"] = worker._prestarted is not None and worker._prestarted.out_dir is None
    w = start(out_dir)
    seen["adopted"] = w is not None and str(w.out_dir) == str(out_dir)
    return w

def watched_discard():
    w = worker._prestarted
    pid = w._proc.pid if w is not None else None
    discard()
    if pid is not None:
        try:
            os.kill(pid, 0)
            seen["discarded"] = "still running"
        except ProcessLookupError:
            seen["discarded"] = "ended"

worker.start, worker.discard_prestarted = watched_start, watched_discard
atexit.register(lambda: os.getpid() == me and print(json.dumps(seen)))
sys.argv = ["oncoseries", "analyze", *sys.argv[1:]]
from oncoseries.cli import main
main()
"""


@fork_2cpu
def test_analyze_adopts_the_worker_forked_before_the_command_line_is_parsed(tmp_path):
    """cli.main forks the figure worker before typer parses `analyze`; _run_analysis adopts it (its figures folder
    set then) and it draws every figure; a command that ends before (no such study) ends it, with the usual
    message and exit code 2; with --no-figures none is forked."""
    env = {**_env(), "ONCOSERIES_SLOW_EXIT": "1"}

    def run(*args):
        done = subprocess.run([sys.executable, "-c", PRESTART, *map(str, args)], capture_output=True, text=True,
                              env=env, timeout=300)
        return done, json.loads(done.stdout.strip().splitlines()[-1])

    done, seen = run(example_study_path("hdifo"), "--out", tmp_path / "out", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert seen == {"prestarted": True, "adopted": True}
    assert "figure worker" not in done.stderr and len(list((tmp_path / "out" / "figures").glob("*.png"))) >= 19
    done, seen = run(tmp_path / "no-such-study", "--out", tmp_path / "out2")
    assert done.returncode == 2 and "does not exist" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr and seen == {"discarded": "ended"}
    done, seen = run(example_study_path("mini"), "--out", tmp_path / "out3", "--no-figures", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert seen == {}       # no worker forked early, none started, none to end
