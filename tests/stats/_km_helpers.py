"""Helpers for the KM, log-rank, RMST and binomial tests: R's datasets and the R goldens (tests/golden)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

TESTS = Path(__file__).resolve().parents[1]
GOLDEN = TESTS / "golden"
RDATA = TESTS / "data" / "r-survival"
RTOL = 1e-6
ATOL = 1e-12


def load_dataset(name: str) -> pd.DataFrame:
    """The dataset as the R golden scripts read it (tests/golden/_data.R): columns time, event."""
    if name == "lung":
        df = pd.read_csv(RDATA / "lung.csv", float_precision="round_trip")
        df["event"] = (df["status"] == 2).astype(int)
    elif name == "veteran":
        df = pd.read_csv(RDATA / "veteran.csv", float_precision="round_trip")
        df["event"] = df["status"]
    elif name == "ovarian":
        df = pd.read_csv(RDATA / "ovarian.csv", float_precision="round_trip")
        df["time"] = df["futime"]
        df["event"] = df["fustat"]
    elif name == "random":
        df = pd.read_csv(GOLDEN / "km_random.csv", float_precision="round_trip")
        df["event"] = df["status"]
    elif name == "entry":
        df = pd.read_csv(GOLDEN / "km_entry.csv", float_precision="round_trip")
        df["event"] = df["status"]
    elif name == "aeq":
        df = pd.read_csv(GOLDEN / "km_aeq.csv", float_precision="round_trip")
        df["event"] = df["status"]
    else:
        raise KeyError(name)
    return df


def load_golden(topic: str) -> dict:
    return json.loads((GOLDEN / f"{topic}.json").read_text())


def col(values) -> np.ndarray:
    """A golden column as a float array (null -> NaN, scalars -> length-1 arrays)."""
    return np.atleast_1d(np.asarray(values, dtype=np.float64))


def strs(values) -> list[str]:
    return [str(v) for v in np.atleast_1d(values)]


def assert_close(actual, expected, what: str = "", rtol: float = RTOL) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), col(expected), rtol=rtol, atol=ATOL,
                               equal_nan=True, err_msg=what)


_CACHE: dict[str, pd.DataFrame] = {}


def dataset(name: str) -> pd.DataFrame:
    """Cached :func:`load_dataset` (callers must not modify the frame)."""
    if name not in _CACHE:
        _CACHE[name] = load_dataset(name)
    return _CACHE[name]
