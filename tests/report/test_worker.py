"""The figure worker (report/worker.py) is sent only what the figures draw (figures.prepare_group), and
the figures drawn from that are the files drawn from the whole Results; it dies with its parent and does not keep
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
from oncoseries.report.figures import (GROUPS, SMALL, draw_group, draw_prepared, figure_opts, prepare_group,
                                       report_figure_options)

SRC = str(Path(__file__).resolve().parents[2] / "src")
linux_fork = pytest.mark.skipif(not sys.platform.startswith("linux") or parallel._cpus() < 2,
                                reason="needs Linux (/proc), fork and 2 CPUs")


@pytest.fixture(scope="module")
def results():
    return analyze(example_study_path("hdifo"))


def _frames(obj):
    """The DataFrames in a prepared payload (dicts, lists, tuples, dataclasses)."""
    import pandas as pd

    if isinstance(obj, pd.DataFrame):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _frames(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _frames(v)
    elif hasattr(obj, "__dataclass_fields__"):
        for k in obj.__dataclass_fields__:
            yield from _frames(getattr(obj, k))


def test_prepared_payload_draws_the_same_figures(results, tmp_path):
    """Each group the worker may be sent, prepared, pickled and unpickled, draws the files (bytes) and
    FigureInfo that draw_group draws from the Results; the payload holds none of the study's tables."""
    opts = figure_opts(**{**report_figure_options(results), "dpi": 80})
    full, part = tmp_path / "full", tmp_path / "sent"
    for d in (full, part):
        d.mkdir()
    assert set(worker.WORKER_SHARE) <= set(SMALL) <= set(GROUPS)
    for name in SMALL:
        a = draw_group(name, results, full, opts)
        blob = pickle.dumps(prepare_group(name, results, opts), protocol=pickle.HIGHEST_PROTOCOL)
        sent = pickle.loads(blob)
        tables = list(results.study.tables.values()) + [t for k, t in results.derived.items()
                                                         if k != "cycles"]   # <= 80 patients': all drawn here
        for f in _frames(sent.data):
            assert not any(list(f.columns) == list(t.columns) and len(f) >= len(t) for t in tables), name
        b = draw_prepared(sent, part, opts)
        style.wait_for_figures()
        assert [(i.name, i.title, i.caption, i.n, i.section, i.kind, Path(i.png).name) for i in a] == \
               [(i.name, i.title, i.caption, i.n, i.section, i.kind, Path(i.png).name) for i in b], name
    names = sorted(p.name for p in full.iterdir())
    assert {"waterfall.png", "spider.png", "swimmer.png", "oncoprint.png", "exposure.png"} <= set(names)
    assert names == sorted(p.name for p in part.iterdir())
    for n in names:
        assert (full / n).read_bytes() == (part / n).read_bytes(), n
    early = pickle.dumps([prepare_group(n, results, opts) for n in worker.EARLY])
    assert len(early) < 0.3 * len(pickle.dumps(results.derived["timepoints"]) + pickle.dumps(results.study.tables))


def test_prepared_early_payload_is_small_at_registry_size():
    """10^5 patients (5.6 time points each, 9 doses, 1.5 mutations, as the scale benchmark's study): the
    early figures' payload is a few MB (one value per patient for the waterfall, a matrix of codes for the
    oncoprint, <= 100 / 60 patients for the spider / swimmer), not the tables (~50 MB pickled)."""
    from tests.report._registry import registry_results

    big = registry_results(100_000)
    opts = figure_opts(**report_figure_options(big))
    prepared = [prepare_group(n, big, opts) for n in worker.EARLY]
    blob = pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL)
    tables = pickle.dumps((big.derived, big.study.tables), protocol=pickle.HIGHEST_PROTOCOL)
    assert len(blob) < 6e6 and len(blob) < 0.15 * len(tables), (len(blob), len(tables))
    response = prepared[0].data
    assert len(response["waterfall"]["data"].values) == 100_000
    assert response["spider"]["data"].n_shown == 100 and len(response["swimmer"]["data"].rows) == 60
    d = prepared[1].data["data"]
    back = pickle.loads(pickle.dumps(d))             # the oncoprint's matrix travels as codes
    assert back.cells.equals(d.cells) and back.bor == d.bor and back.sequenced == d.sequenced
    wf = response["waterfall"]["data"]
    again = pickle.loads(pickle.dumps(wf))
    assert (again.bor == wf.bor).all() and (again.values == wf.values).all()


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


PREPARER = """
import io, json, os, signal, sys
from pathlib import Path
from oncoseries.analysis import analyze, write_outputs
from oncoseries.examples import example_study_path
from oncoseries.report import figures, worker
out, how, main = Path(sys.argv[1]), sys.argv[2], os.getpid()
real = figures.prepare_group

def prepare_group(name, results, opts):          # misbehaves in the preparing child only
    if os.getpid() != main and name == "oncoprint":
        if how == "fail":
            raise RuntimeError("cannot prepare")
        if how == "die":
            os.kill(os.getpid(), signal.SIGKILL)
    return real(name, results, opts)

figures.prepare_group = prepare_group
worker.SMALL_STUDY = 0                           # the bundled study's early figures prepared as a registry's
err, sys.stderr = sys.stderr, io.StringIO()
w = worker.start(out / "figures")
res = analyze(example_study_path("hdifo"))
forked = w is not None and w._preparer is not None
files = write_outputs(res, out)
alive = w is not None and w.alive
if w is not None:
    w.close()
said, sys.stderr = sys.stderr.getvalue(), err
print(json.dumps({"forked": forked, "alive": alive, "files": len(files), "said": said}))
"""


@linux_fork
def test_a_preparing_child_that_fails_or_dies_costs_nothing_but_time(tmp_path):
    """The early figures are prepared in a forked child that sends them to the worker; when it cannot
    prepare them (nothing sent) the command draws them, silently; when it dies (perhaps half-way through
    sending) the worker is stopped, one line says so, and the command draws its figures. Same files."""
    from tests._scripts import output_files, run_script

    runs = {how: run_script(PREPARER, tmp_path / how, how) for how in ("ok", "fail", "die")}
    assert all(r["forked"] for r in runs.values())
    assert runs["ok"]["alive"] and runs["fail"]["alive"] and not runs["die"]["alive"]
    assert runs["ok"]["said"] == runs["fail"]["said"] == ""
    assert "figure worker could not be sent the data (the preparing process stopped" in runs["die"]["said"]
    ref = output_files(tmp_path / "ok")
    assert len([k for k in ref if k.endswith(".png")]) >= 19
    assert output_files(tmp_path / "fail") == ref and output_files(tmp_path / "die") == ref


def test_a_drawer_collects_garbage_after_a_registry_request_only(monkeypatch, tmp_path):
    """The drawers run without automatic garbage collection (report/worker.py, "Garbage"); a request larger than
    TRIM_BYTES is followed by one collection and memory.trim, a small one by neither; every request is answered."""
    import gc
    import multiprocessing
    import threading

    from oncoseries import memory

    calls = []
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append("collect") or 0)
    monkeypatch.setattr(memory, "trim", lambda *a, **k: calls.append("trim"))
    ours, theirs = multiprocessing.Pipe(duplex=True)
    small = pickle.dumps(([], tmp_path, {}, []))
    big = pickle.dumps(([], tmp_path, {"pad": b"x" * (worker.TRIM_BYTES + 1)}, []))
    loop = threading.Thread(target=worker._loop, args=(theirs,))   # the drawer's side, reading as it is sent
    loop.start()
    replies = []
    for key, payload in (("small", small), ("big", big), ("small-2", small)):
        ours.send(("draw", key, payload))
        replies.append(ours.recv())
    ours.send(("stop",))
    replies.append(ours.recv())
    loop.join(timeout=60)
    assert not loop.is_alive()
    assert [r[:2] for r in replies[:3]] == [("ok", "small"), ("ok", "big"), ("ok", "small-2")]
    assert replies[3] == ("flushed", None)
    assert calls == ["collect", "trim"]
