"""Figures drawn in two processes (report/parallel.py) are the files one process draws, byte for byte, in
the same report order; a child that fails or cannot start costs nothing but time."""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path

import pytest

from oncoseries.report import parallel

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="needs fork and 2 CPUs")


@pytest.fixture(scope="module")
def hdifo():
    from oncoseries.analysis import analyze
    from oncoseries.examples import example_study_path

    return analyze(example_study_path("hdifo"))


def _files(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_two_processes_write_the_same_figures_as_one(hdifo, tmp_path, monkeypatch):
    from oncoseries.report.figures import make_figures

    assert parallel.can_fork()
    forked = make_figures(hdifo, tmp_path / "two", dpi=100)
    monkeypatch.setenv(parallel.ENV, "1")
    serial = make_figures(hdifo, tmp_path / "one", dpi=100)
    assert [f.name for f in forked] == [f.name for f in serial]
    assert [(f.title, f.caption, f.section, f.kind, f.n, f.alt) for f in forked] == \
        [(f.title, f.caption, f.section, f.kind, f.n, f.alt) for f in serial]
    assert all(Path(f.png).exists() and Path(f.svg).exists() for f in forked)
    two, one = _files(tmp_path / "two"), _files(tmp_path / "one")
    assert len(two) == 2 * len(forked) and two == one


def test_groups_come_back_in_order_and_child_warnings_are_raised_here():
    parent = os.getpid()

    def where(i):
        def group():
            if os.getpid() != parent:
                warnings.warn(f"drawn by the child: {i}", UserWarning)
            return [(i, os.getpid() == parent)]
        return group

    with pytest.warns(UserWarning, match="drawn by the child: 1"):
        out = parallel.run_groups([where(i) for i in range(4)], child=[1, 3])
    assert [g[0][0] for g in out] == [0, 1, 2, 3]
    assert [g[0][1] for g in out] == [True, False, True, False]


def test_a_failing_child_is_redrawn_here():
    parent = os.getpid()

    def fragile():
        if os.getpid() != parent:
            raise RuntimeError("child broke")
        return ["here"]

    assert parallel.run_groups([lambda: ["a"], fragile], child=[1]) == [["a"], ["here"]]


def test_a_real_error_surfaces_as_without_the_child():
    def broken():
        raise ValueError("bad figure")

    with pytest.raises(ValueError, match="bad figure"):
        parallel.run_groups([lambda: ["a"], broken], child=[1])


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
