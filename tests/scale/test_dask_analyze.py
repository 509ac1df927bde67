"""`oncoseries analyze --dask`: RECIST and endpoints per block of patients on a LocalCluster of 2 worker
processes give the same results.json (byte for byte) and derived tables as the in-memory run."""

from __future__ import annotations

import filecmp
import shutil

import pandas as pd
import pytest

from oncoseries.analysis import analyze
from oncoseries.examples import example_study_path
from oncoseries.scale.derive import DaskSpecError, dask_engine, parse_spec
from tests.test_cli import run


def test_cli_dask_local_equals_in_memory(tmp_path):
    study = example_study_path()
    a = run("analyze", study, "--out", tmp_path / "mem", "--no-figures")
    b = run("analyze", study, "--out", tmp_path / "dask", "--no-figures", "--dask", "local:2", "--timings")
    assert a.returncode == 0 and b.returncode == 0, b.stderr
    assert "RECIST and endpoints (Dask)" in b.stderr
    assert (tmp_path / "mem" / "results.json").read_bytes() == (tmp_path / "dask" / "results.json").read_bytes()
    names = [p.name for p in (tmp_path / "mem" / "derived").iterdir()]
    assert names
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / "mem" / "derived", tmp_path / "dask" / "derived", names,
                                               shallow=False)
    assert (mismatch, errors) == ([], [])


def _texts(df):
    """Categorical columns as their values (object, None where missing)."""
    cats = {c: df[c].astype(object).where(df[c].notna(), None) for c in df.columns
            if isinstance(df[c].dtype, pd.CategoricalDtype)}
    return df.assign(**cats) if cats else df


def test_concordance_over_blocks_equals_in_memory(tmp_path):
    """Lesions and investigator assessments: the concordance pairs scans of all blocks (client side)."""
    folder = tmp_path / "s"
    shutil.copytree(example_study_path("mini"), folder)
    derived = analyze(folder).derived["timepoints"]
    inv = derived[["patient_id", "date"]].assign(response=derived["overall"].to_numpy())
    inv.loc[inv.index[::3], "response"] = "SD"
    inv.to_csv(folder / "assessments.csv", index=False, date_format="%Y-%m-%d")
    a = analyze(folder)
    with dask_engine("local:2", partitions=3):
        b = analyze(folder)
    assert a.sections["response"] == b.sections["response"]
    assert a.sections["response"]["concordance"]["scans_agree"] < len(derived)
    assert a.sections["survival"] == b.sections["survival"] and a.sections["cox"] == b.sections["cox"]
    for name in a.derived:   # the lesion table's texts are categoricals; categories differ per block
        assert _texts(a.derived[name]).equals(_texts(b.derived[name])), name
    assert [(p.rule, p.message) for p in a.problems] == [(p.rule, p.message) for p in b.problems]


@pytest.mark.parametrize("spec, parsed", [("local", ("local", 2)), ("local:3", ("local", 3)),
                                          ("tcp://10.0.0.5:8786", ("address", "tcp://10.0.0.5:8786"))])
def test_spec(spec, parsed):
    assert parse_spec(spec) == parsed


@pytest.mark.parametrize("spec", ["local:0", "cluster", "tcp://host", "http://h:1"])
def test_bad_spec(spec):
    with pytest.raises(DaskSpecError):
        parse_spec(spec)


def test_cli_bad_spec_is_usage_error(tmp_path):
    r = run("analyze", example_study_path(), "--out", tmp_path / "o", "--dask", "cluster")
    assert r.returncode == 2 and "--dask must be" in r.stderr and "Traceback" not in r.stderr
