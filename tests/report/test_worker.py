"""The figure worker (report/worker.py) is sent only what the figures read (``light``), and the figures
drawn from that are the files drawn from the whole Results; it dies with its parent and does not keep
the file descriptors it inherited (a benchmark's lock file)."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oncoseries.analysis import analyze
from oncoseries.examples import example_study_path
from oncoseries.report import parallel, style, worker
from oncoseries.report.figures import draw_group, figure_opts, report_figure_options

SRC = str(Path(__file__).resolve().parents[2] / "src")
linux_fork = pytest.mark.skipif(not sys.platform.startswith("linux") or parallel._cpus() < 2,
                                reason="needs Linux (/proc), fork and 2 CPUs")


@pytest.fixture(scope="module")
def results():
    return analyze(example_study_path("hdifo"))


def test_light_payload_draws_the_same_figures(results, tmp_path):
    light = worker.light(results)
    assert set(light.derived) <= set(worker.FIGURE_TABLES) and "lesions" not in light.derived
    assert set(light.study.tables) <= {"patients", "treatments", "mutations", "biomarkers"}
    assert list(light.study.flow.parts) == ["all_treated"] and light.problems == []
    assert results.study.tables.keys() >= {"lesions", "adverse_events"}      # the original is untouched
    assert len(pickle.dumps(light)) < 0.7 * len(pickle.dumps(results))   # bundled study: sections weigh most
    opts = figure_opts(**{**report_figure_options(results), "dpi": 80})
    full, part = tmp_path / "full", tmp_path / "light"
    for d in (full, part):
        d.mkdir()
    from oncoseries.report.figures import GROUPS

    for name in GROUPS:                           # each group from what it is sent alone, and from all
        a = draw_group(name, results, full, opts)
        b = draw_group(name, worker.light(results, [name]), part, opts)
        style.wait_for_figures()
        assert [(i.name, i.title, i.caption, i.n, Path(i.png).name) for i in a] == \
               [(i.name, i.title, i.caption, i.n, Path(i.png).name) for i in b], name
    names = sorted(p.name for p in full.iterdir())
    assert len([n for n in names if n.endswith(".png")]) >= 5      # waterfall, spider, swimmer, oncoprint, ...
    assert names == sorted(p.name for p in part.iterdir())
    assert "lesions" not in worker.light(results, ["response", "oncoprint"]).derived
    assert set(worker.light(results, ["km_b", "exposure"]).derived) <= {"cycles"}
    for n in names:
        assert (full / n).read_bytes() == (part / n).read_bytes(), n


PARENT = """
import os, sys, time
lock = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
os.set_inheritable(lock, True)                 # as flock(1) hands its lock file to the command
from oncoseries.report import worker
w = worker.start(sys.argv[2])
print(w._proc.pid if w is not None else -1, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@linux_fork
def test_worker_dies_with_its_parent_and_closes_inherited_fds(tmp_path):
    lock = tmp_path / "bench.lock"
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop(parallel.ENV, None)
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(lock), str(tmp_path / "figures")],
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        pid = int(parent.stdout.readline())
        assert pid > 0 and _alive(pid)
        deadline = time.time() + 60
        while time.time() < deadline:        # the worker closes what it inherited as it starts
            links = []
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
                except OSError:
                    pass
            if str(lock) not in links:
                break
            time.sleep(0.2)
        assert str(lock) not in links
        parent.send_signal(signal.SIGKILL)  # no cleanup in the parent: the kernel / the pipe must end it
        parent.wait()
        deadline = time.time() + 20
        while _alive(pid) and time.time() < deadline:
            time.sleep(0.1)
        assert not _alive(pid)
    finally:
        parent.kill()
        parent.wait()
