"""Figures drawn in two processes (report/parallel.py) are the files one process draws, byte for byte, in
the same report order; a child that fails or cannot start costs nothing but time.

The forking cases run in a fresh interpreter: the test process may hold threads left by other tests, and
then (rightly) draws everything itself."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from oncoseries.report import parallel
from tests._scripts import output_files, run_script

pytestmark = pytest.mark.skipif(sys.platform == "win32" or parallel._cpus() < 2, reason="needs fork and 2 CPUs")


def _fresh(code: str, env: dict | None = None) -> dict:
    return run_script(code, env=env)


DRAW = """
import json, os, sys
from oncoseries.analysis import analyze
from oncoseries.examples import example_study_path
from oncoseries.report import parallel
from oncoseries.report.figures import make_figures
res = analyze(example_study_path("hdifo"))
forks = parallel.can_fork()
infos = make_figures(res, sys.argv[1] if len(sys.argv) > 1 else {out!r}, dpi=100)
print(json.dumps({{"forks": forks, "infos": [[f.name, f.title, f.caption, f.section, f.kind, f.n, f.alt,
                                            os.path.basename(f.png), os.path.basename(f.svg)] for f in infos]}}))
"""


def _files(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_two_processes_write_the_same_figures_as_one(tmp_path):
    two = _fresh(DRAW.format(out=str(tmp_path / "two")))
    one = _fresh(DRAW.format(out=str(tmp_path / "one")), {parallel.ENV: "1"})
    assert two["forks"] and not one["forks"]
    assert two["infos"] == one["infos"] and len(two["infos"]) >= 11
    files = _files(tmp_path / "two")
    assert len(files) == 2 * len(two["infos"]) and files == _files(tmp_path / "one")


GROUPS = """
import json, os, warnings
from oncoseries.report import parallel
parent = os.getpid()

def where(i):
    def group():
        if os.getpid() != parent:
            warnings.warn(f"drawn by the child: {i}", UserWarning)
        return [[i, os.getpid() == parent]]
    return group

def fragile():
    if os.getpid() != parent:
        raise RuntimeError("child broke")
    return ["here"]

def broken():
    raise ValueError("bad figure")

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    out = parallel.run_groups([where(i) for i in range(4)], child=[1, 3])
redrawn = parallel.run_groups([lambda: ["a"], fragile], child=[1])
try:
    parallel.run_groups([lambda: ["a"], broken], child=[1])
    error = None
except ValueError as exc:
    error = str(exc)
print(json.dumps({"out": out, "warnings": [str(w.message) for w in caught], "redrawn": redrawn, "error": error}))
"""


def test_groups_order_child_warnings_failures():
    r = _fresh(GROUPS)
    assert r["out"] == [[[0, True]], [[1, False]], [[2, True]], [[3, False]]]   # order kept; 1 and 3 forked
    assert sorted(r["warnings"]) == ["drawn by the child: 1", "drawn by the child: 3"]   # raised again here
    assert r["redrawn"] == [["a"], ["here"]]          # the child failed: drawn again in this process
    assert r["error"] == "bad figure"                  # a real error surfaces as without the child


def test_serial_when_switched_off_or_threads_run(monkeypatch):
    monkeypatch.setenv(parallel.ENV, "1")
    assert not parallel.can_fork()
    monkeypatch.delenv(parallel.ENV)
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert not parallel.can_fork()
        assert parallel.run_groups([lambda: [os.getpid()]], child=[0]) == [[os.getpid()]]
    finally:
        stop.set()
        t.join()


RUN = """
import json, os, sys
from pathlib import Path
from oncoseries.analysis import analyze, write_outputs
from oncoseries.examples import example_study_path
from oncoseries.report import worker
out = Path(sys.argv[1])
w = worker.start(out / "figures")
res = analyze(example_study_path("hdifo"))
early = w is not None and w._early is not None      # the response figures were sent before the statistics
if w is not None and sys.argv[2] == "kill":
    w._proc.kill()
    w._proc.join()
files = write_outputs(res, out)
if w is not None:
    w.close()
print(json.dumps({"started": w is not None, "early": early, "files": len(files)}))
"""


def _run(folder: Path, how: str, env: dict | None = None) -> dict:
    return run_script(RUN, folder, how, env=env)


_outputs = output_files   # every file's bytes but the XPTs (creation time)


def test_the_early_worker_writes_what_one_process_writes(tmp_path):
    """analyze with the figure worker forked at the start (response figures drawn during the statistics,
    the rest shared) writes every file byte for byte as one process does; a worker that dies costs
    nothing but time (this process draws its groups)."""
    one = _run(tmp_path / "one", "keep", {parallel.ENV: "1"})
    two = _run(tmp_path / "two", "keep")
    dead = _run(tmp_path / "dead", "kill")
    assert not one["started"] and two["started"] and two["early"] and dead["started"]
    assert one["files"] == two["files"] == dead["files"] >= 70
    ref = _outputs(tmp_path / "one")
    assert len([k for k in ref if k.endswith(".png")]) >= 19
    assert _outputs(tmp_path / "two") == ref
    assert _outputs(tmp_path / "dead") == ref
