"""Simon designs against the published Simon (1989) Table 1 (tests/data/simon1989), and bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from oncoseries.design import DesignError, ahern, one_sample_logrank_n, simon_two_stage

TABLE = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "simon1989" / "table1.csv")


@pytest.mark.parametrize("row", TABLE.to_dict("records"),
                         ids=lambda r: f"{r['p0']}-{r['p1']}-{r['alpha']}-{r['beta']}-{r['design']}")
def test_simon_matches_published_table(row):
    d = simon_two_stage(row["p0"], row["p1"], row["alpha"], 1 - row["beta"], row["design"])
    assert (d.r1, d.n1, d.r, d.n) == (row["r1"], row["n1"], row["r"], row["n"])
    assert round(d.en0, 1) == pytest.approx(row["en0"])
    assert round(d.pet0, 2) == pytest.approx(row["pet0"])
    assert d.actual_alpha <= row["alpha"] and d.actual_power >= 1 - row["beta"]


def test_table_has_eight_settings():
    assert len(TABLE.groupby(["p0", "p1", "alpha", "beta"])) >= 8


def test_ahern_rule_is_tight():
    d = ahern(0.2, 0.4, 0.05, 0.8)
    assert d.actual_alpha <= 0.05 and d.actual_power >= 0.8
    with pytest.raises(DesignError):
        ahern(0.2, 0.4, 0.05, 0.8, nmax=d.n - 1)


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(p0=0.4, p1=0.2), "larger than p0"),
    (dict(p0=0.2, p1=0.4, alpha=0), "strictly between 0 and 1"),
    (dict(p0=0.2, p1=0.4, power=1.0), "strictly between 0 and 1"),
    (dict(p0=0.2, p1=0.4, design="best"), "optimal"),
])
def test_simon_bad_input(kwargs, fragment):
    with pytest.raises(DesignError, match=fragment):
        simon_two_stage(**kwargs)


def test_one_sample_needs_an_improvement():
    with pytest.raises(DesignError, match="improvement"):
        one_sample_logrank_n(1.4, 6, 24, 12)
    with pytest.raises(DesignError, match="hazard ratio of 1"):
        one_sample_logrank_n(1.0, 6, 24, 12)
