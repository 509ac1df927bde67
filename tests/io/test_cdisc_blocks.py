"""io/cdisc_blocks.py, fast_csv.CsvBlocks and fast_xpt.XportWriter: the CDISC datasets and derived tables
written in blocks of a few rows are byte for byte those written whole (block boundaries anywhere: inside a
patient's rows, between parameters, a last short block)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncoseries.analysis import analyze
from oncoseries.analysis.results import write_derived
from oncoseries.examples import example_study_path
from oncoseries.io import cdisc_blocks, fast_csv, fast_xpt
from oncoseries.io.cdisc_export import adrs_dataset, adtte_dataset, export_cdisc
from oncoseries.recist import RecistSettings, derive_responses
from oncoseries.study import read_study

STAMP = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")
IRECIST = Path(__file__).resolve().parents[1] / "data" / "irecist_example"


def _files(folder: Path) -> dict:
    return {p.name: STAMP.sub(b"STAMP", p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def bundled():
    res = analyze(read_study(example_study_path("hdifo")))
    return {k: res.derived[k] for k in ("timepoints", "best_response", "adtte", "lesions")}


def _irecist():
    st = read_study(IRECIST)
    res = derive_responses(st.patients, st.lesions, None, RecistSettings(criteria="irecist", population="all"))
    from oncoseries.endpoints import derive_endpoints

    return res.timepoints, res.best_response, derive_endpoints(st.patients, res.timepoints, res.best_response).adtte


def _synthetic(n=60, seed=3):
    """Unsorted patients (ids of two types that print alike are one patient), missing responses, NaT."""
    rng = np.random.default_rng(seed)
    ids = np.array(["P10", "P2", "p1", "Ä7", "P2 ", "10", 10], dtype=object)
    pid = ids[rng.integers(0, len(ids), n)]
    overall = np.array(["PR", "sd", "PD", None, np.nan, "NE", "odd"], dtype=object)[rng.integers(0, 7, n)]
    dates = pd.Series(pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 400, n), "D"))
    dates[rng.random(n) < 0.1] = pd.NaT
    tp = pd.DataFrame({"patient_id": pid, "date": dates, "overall": overall})
    u = pd.unique(pid)
    br = pd.DataFrame({"patient_id": u, "bor": ["CR", None, "PR", "SD", "PD", "NE", "SD"][:len(u)],
                       "bor_date": pd.to_datetime(["2020-03-01", None, "2020-02-01", None, "2020-05-05",
                                                   "2020-01-09", "2020-01-09"][:len(u)]),
                       "confirmed_bor": ["CR", "NE", np.nan, "SD", "PD", "NE", None][:len(u)]})
    return tp, br


@pytest.mark.parametrize("block", [1, 7, 64])
def test_adrs_blocks_are_the_whole_table(bundled, block):
    for tp, br in ((bundled["timepoints"], bundled["best_response"]), _irecist()[:2], _synthetic()):
        want = adrs_dataset(tp, br, "STUDY1")
        got = pd.concat(list(cdisc_blocks.adrs_plan(tp, br, "STUDY1").blocks(block)), ignore_index=True)
        pd.testing.assert_frame_equal(got, want)
    tp, br = _synthetic()
    pd.testing.assert_frame_equal(pd.concat(list(cdisc_blocks.adrs_plan(tp, None, "S").blocks(block)),
                                            ignore_index=True), adrs_dataset(tp, None, "S"))


def test_adtte_blocks_are_the_whole_table(bundled):
    for adtte in (bundled["adtte"], _irecist()[2], bundled["adtte"].sample(frac=1, random_state=1)):
        want = adtte_dataset(adtte, "S")
        got = pd.concat(list(cdisc_blocks.adtte_plan(adtte, "S").blocks(7)), ignore_index=True)
        pd.testing.assert_frame_equal(got, want.reset_index(drop=True))


def test_missing_patient_ids_or_empty_tables_go_the_whole_way():
    tp, br = _synthetic()
    tp.loc[3, "patient_id"] = None
    assert cdisc_blocks.adrs_plan(tp, br, "S") is None
    assert cdisc_blocks.adrs_plan(tp.iloc[:0], None, "S") is None


@pytest.mark.parametrize("case", ["bundled", "irecist", "synthetic"])
def test_cdisc_files_in_blocks_of_seven_rows_are_the_files_written_whole(tmp_path, monkeypatch, bundled, case):
    if case == "bundled":
        tp, br, adtte = bundled["timepoints"], bundled["best_response"], bundled["adtte"]
    elif case == "irecist":
        tp, br, adtte = _irecist()
    else:
        (tp, br), adtte = _synthetic(), bundled["adtte"]
    monkeypatch.setattr(cdisc_blocks, "BLOCK", 10 ** 9)          # whole tables (the reference)
    export_cdisc(tmp_path / "whole", tp, br, adtte)
    monkeypatch.setattr(cdisc_blocks, "BLOCK", 7)
    monkeypatch.setattr(fast_csv, "MIN_ROWS", 0)                # the fast CSV path on each block
    monkeypatch.setattr(fast_xpt, "BLOCK", 5)                   # records in blocks inside a block too
    calls = []
    real = cdisc_blocks.write_blocks
    monkeypatch.setattr(cdisc_blocks, "write_blocks", lambda *a, **k: calls.append(a[2]) or real(*a, **k))
    export_cdisc(tmp_path / "blocks", tp, br, adtte)
    assert calls == ["ADRS", "ADTTE"]
    want = _files(tmp_path / "whole")
    assert sorted(want) == ["adrs.csv", "adrs.xpt", "adtte.csv", "adtte.xpt"]
    assert _files(tmp_path / "blocks") == want
    for plan in (cdisc_blocks.AdrsPlan, cdisc_blocks.AdttePlan):   # widths from a first pass over the blocks
        monkeypatch.setattr(plan, "text", lambda self: None)
    export_cdisc(tmp_path / "two_passes", tp, br, adtte)
    assert _files(tmp_path / "two_passes") == want


def test_xpt_check_still_applies_in_blocks(tmp_path, monkeypatch):
    tp, br = _synthetic()
    tp["overall"] = "x" * 201
    monkeypatch.setattr(cdisc_blocks, "BLOCK", 7)
    with pytest.raises(ValueError, match="longer than 200 bytes"):
        export_cdisc(tmp_path, tp, br)


def test_derived_tables_in_blocks_of_seven_rows_are_pandas_bytes(tmp_path, monkeypatch, bundled):
    write_derived(bundled, tmp_path / "pandas")               # < MIN_ROWS: pandas' own to_csv
    monkeypatch.setattr(fast_csv, "MIN_ROWS", 0)
    monkeypatch.setattr(fast_csv, "BLOCK", 7)
    write_derived(bundled, tmp_path / "blocks")
    want = _files(tmp_path / "pandas")
    assert len(want) == 4 and _files(tmp_path / "blocks") == want


def test_csv_blocks_refuse_whole_column_dates(tmp_path):
    w = fast_csv.CsvBlocks(tmp_path / "x.csv")
    with pytest.raises(ValueError, match="date_format"):
        w.write(pd.DataFrame({"a": [1], "d": pd.to_datetime(["2020-01-01"])}))
    w.close()


def test_written_rows_are_given_back_and_the_file_is_unchanged(tmp_path, monkeypatch):
    """analysis/written_rows.row_release: pages of written rows read as zeros afterwards (the release
    happened on the table's own buffers), the kept table and the clashing column are untouched, and the
    file is the bytes pandas writes."""
    import sys

    from oncoseries.analysis.written_rows import row_release

    if not sys.platform.startswith("linux"):
        pytest.skip("madvise release is Linux only")
    n = 40_000
    rng = np.random.default_rng(5)
    shared = rng.normal(size=n)
    df = pd.DataFrame({"a": rng.normal(size=n), "d": pd.to_datetime("2020-01-01") + pd.to_timedelta(
        rng.integers(0, 99, n), "D"), "c": pd.Categorical(rng.choice(["x", "y"], n)), "s": shared}, copy=False)
    keep = pd.DataFrame({"s": shared}, copy=False)            # read later: its memory must stay
    want_bytes = df.to_csv(index=False, date_format="%Y-%m-%d").encode()
    kept = keep["s"].to_numpy().copy()
    monkeypatch.setattr(fast_csv, "BLOCK", 4096)
    monkeypatch.setattr(fast_csv, "MIN_ROWS", 0)
    release, seen = row_release(df, keep=[keep]), []

    def on_rows(stop):                 # rows before stop given back (whole pages), those after intact
        release(stop)
        a = df["a"].to_numpy()
        seen.append(((a[512:stop - 512] == 0).all(), (a[stop:] != 0).all()))

    fast_csv.write_csv(df, tmp_path / "x.csv", on_rows=on_rows, date_format="%Y-%m-%d")
    assert (tmp_path / "x.csv").read_bytes() == want_bytes
    assert len(seen) == 10 and all(z and nz for z, nz in seen)
    # whole pages only: one page (4096 one-byte codes) may stay at each end, wherever the buffer starts
    assert (df["c"].cat.codes.to_numpy()[4096:n - 4096] == 0).all()
    np.testing.assert_array_equal(keep["s"].to_numpy(), kept)      # the kept table's memory untouched
    assert (df["s"].to_numpy() == kept).all()
