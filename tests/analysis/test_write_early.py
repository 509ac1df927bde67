"""analysis/write_early.py: the tables known before the statistics are written by a forked process and the
others by a second one; the files are those one process writes, and a writer that fails is reported."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from oncoseries.analysis import write_early
from oncoseries.report import parallel
from tests._scripts import output_files, run_script

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or parallel._cpus() < 2, reason="needs fork and 2 CPUs")

RUN = """
import json, sys
from pathlib import Path
from oncoseries.analysis import analyze, write_early, write_outputs
from oncoseries.examples import example_study_path
from oncoseries.study import read_study
out = Path(sys.argv[1])
w = write_early.start(out)
s = read_study(example_study_path("hdifo")); s.transient = True
res = analyze(s)
forked = w is not None and w.child is not None
early = sorted(w.tables) + (["patient_flow"] if w.flow is not None else []) if forked else []
if len(sys.argv) > 2:   # a population set after the early writer's fork: the main process writes the flow again
    f = res.study.flow
    f.set("late", f.parts["entered"]["patient_id"], [True] * len(f.parts["entered"]), [None] * len(f.parts["entered"]))
lesions = res.derived["lesions"]
files = write_outputs(res, out, figures=False)
print(json.dumps({"forked": forked, "released": lesions.shape[1] == 0 and "oncoseries_written" in lesions.attrs,
                  "early": early, "files": sorted(str(Path(f).relative_to(out)) for f in files)}))
"""


def _run(folder: Path, env: dict | None = None, *args) -> dict:
    return run_script(RUN, folder, *args, env=env)


_outputs = output_files   # every file's bytes but the XPTs (creation time)


def test_forked_writers_write_what_one_process_writes(tmp_path):
    one = _run(tmp_path / "one", {parallel.ENV: "1"})
    two = _run(tmp_path / "two", {parallel.ENV: ""})
    assert not one["forked"] and not one["released"]
    assert two["forked"] and two["released"]          # the lesion table was freed after the fork
    assert one["files"] == two["files"]
    assert {"derived/lesions.csv", "derived/timepoints.csv", "cdisc/adrs.xpt", "tables/patient_flow.csv",
            "derived/cycles.csv"} <= set(two["files"])
    ref = _outputs(tmp_path / "one")
    assert len(ref) >= 20 and _outputs(tmp_path / "two") == ref
    assert sorted(p.name for p in (tmp_path / "two" / "cdisc").iterdir()) == \
           sorted(p.name for p in (tmp_path / "one" / "cdisc").iterdir())
    # the dosing cycles and the patient flow exist before the statistics: the early writer writes them
    assert two["early"] == ["adtte", "best_response", "cycles", "lesions", "timepoints", "patient_flow"]


def test_a_flow_changed_after_the_early_fork_is_written_again(tmp_path):
    one = _run(tmp_path / "one", {parallel.ENV: "1"}, "late")
    two = _run(tmp_path / "two", {parallel.ENV: ""}, "late")
    assert two["forked"] and "patient_flow" in two["early"]
    assert one["files"] == two["files"] and two["files"].count("tables/patient_flow.csv") == 1
    flow = (tmp_path / "two" / "tables" / "patient_flow.csv").read_text()
    assert ",late," in flow and flow == (tmp_path / "one" / "tables" / "patient_flow.csv").read_text()


def test_a_failing_writer_is_reported_without_traceback(tmp_path, monkeypatch):
    monkeypatch.delenv(parallel.ENV, raising=False)
    ok = write_early.fork_write(lambda: [tmp_path / "a.csv"], "test files")
    assert ok is not None and ok.wait() == [tmp_path / "a.csv"]

    def boom():
        raise OSError("disk full")

    bad = write_early.fork_write(boom, "test files")
    with pytest.raises(write_early.WriteError, match="test files: OSError: disk full"):
        bad.wait()

    def die():
        os._exit(9)

    dead = write_early.fork_write(die, "test files")
    with pytest.raises(write_early.WriteError, match="the writer process stopped"):
        dead.wait()


SMALL_BLOCKS = """
from oncoseries.io import cdisc_blocks, fast_csv, fast_xpt
fast_csv.MIN_ROWS, fast_csv.BLOCK, fast_xpt.BLOCK, cdisc_blocks.BLOCK = 0, 7, 5, 7
"""


def test_early_writer_in_blocks_of_seven_rows_writes_the_same_bytes(tmp_path):
    """The forked writers with every table in blocks of 5-7 rows (CSV, XPT records, CDISC rows; the lesion
    rows' memory given back as written) against one process writing each table whole."""
    import re

    one = _run(tmp_path / "one", {parallel.ENV: "1"})
    two = run_script(SMALL_BLOCKS + RUN, tmp_path / "two", env={parallel.ENV: ""})
    assert two["forked"] and two["released"] and one["files"] == two["files"]
    ref = _outputs(tmp_path / "one")
    assert len(ref) >= 20 and _outputs(tmp_path / "two") == ref
    stamp = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")
    for name in ("adrs.xpt", "adtte.xpt"):
        a, b = ((tmp_path / d / "cdisc" / name).read_bytes() for d in ("one", "two"))
        assert len(a) > 2000 and stamp.sub(b"S", a) == stamp.sub(b"S", b)


def test_results_json_written_in_slices_is_write_text(tmp_path):
    from oncoseries.analysis.results import _write_text

    text = '{\n  "a": "\u00e9\u4e2d' + "x" * 50 + '"\n}'
    _write_text(tmp_path / "a.json", text, piece=7)       # slices cut inside multi-byte characters' runs
    (tmp_path / "b.json").write_text(text + "\n", encoding="utf-8")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


EVENTS = """
import json, sys
from pathlib import Path
from oncoseries import hooks
from oncoseries.analysis import analyze, write_early
from oncoseries.analysis.patient_codes import codes_for
from oncoseries.examples import example_study_path
from oncoseries.study import read_study
seen = []
def listener(event, results=None, **_):
    pc = codes_for(results.study)
    seen.append({"event": event, "lesion_columns": results.derived["lesions"].shape[1],
                 "writer_forked": w is not None and w.child is not None,
                 "coded": [k for k in ("timepoints", "best_response", "adtte")
                           if pc._codes.get(k) is not None and pc.table(results.derived[k]) is pc._codes[k]]})
hooks.listen(listener)                     # before the early writer: told first at each event
w = write_early.start(Path(sys.argv[1]))
s = read_study(example_study_path("hdifo")); s.transient = True
res = analyze(s)
w.take(res.derived)
print(json.dumps(seen))
"""


def test_derived_released_follows_the_early_writers_fork_and_release(tmp_path):
    """The figures' preparer forks at ``derived_released`` (report/worker.py): by then the early writer has
    forked and this process has dropped the lesion table, so the preparer does not inherit it; the derived
    tables' ids are coded before either fork (PatientCodes.add)."""
    seen = run_script(EVENTS, tmp_path / "out")
    assert [e["event"] for e in seen] == ["derived", "derived_released"]
    at_derived, released = seen
    assert at_derived["lesion_columns"] > 5 and not at_derived["writer_forked"]
    assert released["lesion_columns"] == 0 and released["writer_forked"]
    assert at_derived["coded"] == released["coded"] == ["timepoints", "best_response", "adtte"]
