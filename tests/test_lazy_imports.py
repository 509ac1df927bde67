"""Heavy modules are loaded only by what needs them (issue 13): checked in fresh processes through
``sys.modules`` (what is imported, not how long it takes; timings are in benchmarks/bench_startup.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[1] / "src")
HEAVY = ["matplotlib", "scipy.stats", "scipy.optimize", "docx", "numba", "statsmodels", "plotly", "sqlalchemy", "fastapi"]


def _loaded(code: str) -> list[str]:
    """The HEAVY modules in sys.modules after running ``code`` in a new interpreter."""
    probe = code + f"\nimport sys, json\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_oncoseries_loads_nothing_heavy():
    code = "import oncoseries\nimport sys\nassert 'pandas' not in sys.modules and 'numpy' not in sys.modules"
    assert _loaded(code) == []


def test_first_kaplan_meier_loads_nothing_heavy():
    code = ("import numpy as np, oncoseries as osr\n"
            "km = osr.kaplan_meier(None, np.arange(1.0, 21.0), np.arange(20) % 3 > 0)\n"
            "assert len(km.medians) == 1")
    assert _loaded(code) == []


def test_analysis_without_report_loads_no_plotting_or_statsmodels():
    """The whole statistics of the bundled study (logistic odds ratios, trial design, Cox, ...) run
    without matplotlib, python-docx, numba, statsmodels or scipy.stats."""
    code = ("import oncoseries as osr\nfrom oncoseries.examples import example_study_path\n"
            "res = osr.analyze(example_study_path())\nassert res.sections['biomarkers'] and res.sections['design']")
    assert _loaded(code) == []


@pytest.mark.parametrize("module", ["oncoseries.cli", "oncoseries.analysis", "oncoseries.design",
                                    "oncoseries.report"])
def test_package_imports_are_light(module):
    assert _loaded(f"import {module}") == []


def test_analysis_submodules_do_not_import_the_study_reader():
    """``oncoseries.analysis`` resolves Results/analyze/write_outputs on first use: the figure worker's
    ``analysis.beside`` (and the early writer) do not import study.py, study.yaml's pydantic models and the
    readers (about 0.1 s); the names still import as before."""
    code = ("import sys\nimport oncoseries.analysis.beside\n"
            "assert 'oncoseries.study' not in sys.modules and 'pydantic' not in sys.modules, "
            "[m for m in ('oncoseries.study', 'pydantic', 'oncoseries.analysis.results') if m in sys.modules]\n"
            "from oncoseries.analysis import Results, analyze, write_outputs\n"
            "from oncoseries.analysis.results import analyze as direct\n"
            "assert analyze is direct and 'oncoseries.study' in sys.modules\n"
            "import oncoseries.analysis as a\nassert 'Results' in dir(a)\n"
            "try:\n    a.nothing\nexcept AttributeError:\n    pass\nelse:\n    raise AssertionError")
    assert _loaded(code) == []
