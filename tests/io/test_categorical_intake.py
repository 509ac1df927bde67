"""The study readers' Categorical cells (io/fast_read.distinct_as_categorical) give the same typed study,
problems and patient flow as object cells: mutated copies of the bundled studies (tests/fuzz/mutate.py)
read through the pyarrow CSV path and as Parquet, once with Categorical raw columns (what load_study
uses) and once with the object columns of before."""

from __future__ import annotations

import datetime as dt
import random
import warnings

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncoseries import study as study_mod
from oncoseries.io import parquet as pq_mod
from oncoseries.io import readers
from oncoseries.io.typing import CATEGORICAL_IDS
from tests.fuzz.mutate import draw, write

TODAY = dt.date(2026, 11, 26)


def _load(path, monkeypatch, categorical: bool):
    csv_reader, pq_reader = readers.read_csv_table, pq_mod.read_parquet_table
    monkeypatch.setattr(study_mod, "read_csv_table",
                        lambda p, name, log, **kw: csv_reader(p, name, log, categorical=categorical))
    monkeypatch.setattr(study_mod, "read_parquet_table",
                        lambda p, name, log, **kw: pq_reader(p, name, log, categorical=categorical))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return study_mod.load_study(path, today=TODAY)


def _same(a, b) -> None:
    assert [(p.file, p.row, p.column, p.message, p.expected, p.rule, p.severity) for p in a.problems] == \
        [(p.file, p.row, p.column, p.message, p.expected, p.rule, p.severity) for p in b.problems]
    assert (a.study is None) == (b.study is None)
    if a.study is None:
        return
    assert a.study.tables.keys() == b.study.tables.keys()
    for name in a.study.tables:
        ta, tb = a.study.tables[name], b.study.tables[name]
        if name in CATEGORICAL_IDS and isinstance(ta["patient_id"].dtype, pd.CategoricalDtype):
            # the lesions' patient ids stay the readers' Categorical: the same cells
            assert ta["patient_id"].astype(object).where(ta["patient_id"].notna(), None).tolist() == \
                tb["patient_id"].tolist()
            ta, tb = ta.drop(columns="patient_id"), tb.drop(columns="patient_id")
        pd.testing.assert_frame_equal(ta, tb, check_categorical=True)
    if a.study.flow is not None or b.study.flow is not None:
        pd.testing.assert_frame_equal(a.study.flow.table, b.study.flow.table)


def _as_parquet(folder):
    """The CSV tables of a study folder as Parquet files (pyarrow's type inference), CSVs removed."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    for f in sorted(folder.glob("*.csv")):
        try:
            table = pcsv.read_csv(f)
        except Exception:   # noqa: BLE001, S112  a file pyarrow cannot parse: keep it as CSV
            continue
        pq.write_table(table, folder / f"{f.stem}.parquet")
        f.unlink()


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(rnd=st.randoms(use_true_random=False), parquet=st.booleans())
def test_categorical_cells_same_study_and_problems(tmp_path_factory, monkeypatch, rnd, parquet):
    m = draw(rnd)
    if m.xlsx:
        m.xlsx = False
    path = write(m, tmp_path_factory.mktemp("study"))
    if parquet:
        _as_parquet(path)
    monkeypatch.setattr(readers, "FAST_BYTES", 0)    # every CSV through the pyarrow path
    _same(_load(path, monkeypatch, True), _load(path, monkeypatch, False))


@pytest.mark.parametrize("seed", range(6))
def test_random_bad_tables(tmp_path, monkeypatch, seed):
    """Seeded mutations (the same ones in every run), read both ways."""
    m = draw(random.Random(seed))
    m.xlsx = False
    path = write(m, tmp_path / "s")
    monkeypatch.setattr(readers, "FAST_BYTES", 0)
    _same(_load(path, monkeypatch, True), _load(path, monkeypatch, False))


def test_categorical_cells_match_object_cells():
    import pyarrow as pa

    from oncoseries.io.fast_read import distinct_as_categorical, distinct_as_objects

    col = pa.chunked_array([[" a", "a", "NA", None, "", "b ", "n/a", "b"], ["c", "a"]])
    cat = distinct_as_categorical(col)
    objects = distinct_as_objects(col)
    from oncoseries.io.typing import text_cells

    assert text_cells(pd.Series(cat)).tolist() == objects.tolist() == \
        ["a", "a", None, None, None, "b", None, "b", "c", "a"]
    assert list(cat.categories) == ["a", "b", "c"]


@settings(max_examples=60, deadline=None)
@given(keys=st.lists(st.sampled_from(["P1", "P2", "P3", None]), max_size=5, unique=True),
       values=st.lists(st.sampled_from(["P1", "P2", "P4", None]), max_size=12))
def test_indexer_of_categorical_ids_same_as_get_indexer(keys, values):
    """validation.indexer on a categorical column (the lesions' patient ids) = get_indexer on the text."""
    from oncoseries.validation import indexer

    k = pd.Index(keys, dtype=object)
    text = pd.Series(values, dtype=object)
    assert indexer(k, pd.Series(pd.Categorical(values))).tolist() == k.get_indexer(text).tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(alphabet=list("aAnN/.#ikK \t\u00a0\u3000\x1f\x85\u2028"), max_size=9),
                          st.sampled_from(["mIssing", " NULL", "None\u2028", "P000001", "P0000012 ", "\u212a"])),
                max_size=30))
def test_clean_dictionary_same_as_clean_unique(texts):
    """Only the texts that can change are cleaned in Python: the same cells as cleaning every text."""
    import pyarrow as pa

    from oncoseries.io.fast_read import clean_dictionary
    from oncoseries.io.readers import _clean_unique

    texts = list(dict.fromkeys(texts))
    got = clean_dictionary(pa.array(texts, type=pa.string())).tolist()
    assert got == _clean_unique(pd.Series(texts, dtype=object)).tolist()
