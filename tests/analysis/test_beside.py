"""analysis/beside.py: a section computed in a forked child is the value the plain call gives (the trial
design of the bundled study, every float), warnings come back, and a child that fails falls back to the
plain call (its exception included)."""

from __future__ import annotations

import os
import warnings

import pytest

from oncoseries.analysis import analyze, beside
from oncoseries.analysis.trial_design import design_section
from oncoseries.examples import example_study_path
from oncoseries.report import parallel
from oncoseries.study import read_study

forks = pytest.mark.skipif(not hasattr(os, "fork") or parallel._cpus() < 2, reason="needs fork and 2 CPUs")


@pytest.fixture
def enabled(monkeypatch):
    monkeypatch.delenv(parallel.ENV, raising=False)
    beside.enable()
    yield
    beside.disable()


def _pid_and_warn(x):
    warnings.warn(f"from the child {x}", UserWarning)
    return os.getpid(), x * 2


def _fails(x):
    raise ValueError(f"no {x}")


def test_plain_call_without_enable():
    p = beside.beside(_pid_and_warn, 21)
    assert not p.forked
    with pytest.warns(UserWarning, match="from the child 21"):
        assert p.result() == (os.getpid(), 42)


@forks
def test_child_computes_and_warnings_come_back(enabled):
    p = beside.beside(_pid_and_warn, 21)
    assert p.forked
    with pytest.warns(UserWarning, match="from the child 21"):
        pid, value = p.result()
    assert pid != os.getpid() and value == 42


@forks
def test_child_error_is_the_plain_calls_error(enabled):
    p = beside.beside(_fails, "luck")
    assert p.forked
    with pytest.raises(ValueError, match="no luck"):
        p.result()


@forks
def test_switched_off_by_the_figure_processes_variable(enabled, monkeypatch):
    monkeypatch.setenv(parallel.ENV, "1")
    assert not beside.beside(_pid_and_warn, 1, ).forked
    monkeypatch.delenv(parallel.ENV)
    assert not beside.beside(_pid_and_warn, 1, fork=False).forked


@forks
def test_design_section_from_the_child_equals_the_plain_one(enabled):
    study = read_study(example_study_path("hdifo"))
    res = analyze(study)            # forked the design (enabled): must equal the in-process computation
    cfg = study.config.design
    assert cfg is not None and cfg.simulate
    args = (cfg, res.derived["adtte"], res.plan.days_per_unit, res.sections["response"])
    beside.disable()
    plain = design_section(*args)
    assert res.sections["design"] == plain
    sim = plain["simulation"]["h1"]
    assert 0.5 < sim["rejection_rate"] < 1.0 and sim["n_sim"] == cfg.simulate
    beside.enable()
    p = beside.beside(design_section, *args)
    assert p.forked and p.result() == plain
