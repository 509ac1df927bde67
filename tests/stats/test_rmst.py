"""RMST against R print(survfit, rmean=tau) (goldens: tests/golden/rmst.R -> rmst.json)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.stats._km_helpers import assert_close, dataset, load_golden, strs

from oncoseries.stats.rmst import rmst, rmst_difference

CASES = load_golden("rmst")["cases"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_rmst_equals_r_rmean(name):
    case = CASES[name]
    got = rmst(dataset(case["dataset"]), "time", "event", tau=case["tau"], by=case["by"],
               conf_level=case["conf_level"])
    exp = case["rmst"]
    assert list(got.columns) == ["group", "rmst", "se", "lower", "upper"]
    assert got["group"].tolist() == strs(exp["group"])
    for c in ["rmst", "se", "lower", "upper"]:
        assert_close(got[c], exp[c], f"{name} {c}")


@pytest.mark.parametrize("name", sorted(n for n in CASES if "difference" in CASES[n]))
def test_rmst_difference(name):
    case = CASES[name]
    got = rmst_difference(dataset(case["dataset"]), "time", "event", tau=case["tau"], by=case["by"],
                          conf_level=case["conf_level"])
    exp = case["difference"]
    assert got["group"].tolist() == [exp["group"]] and got["reference"].tolist() == [exp["reference"]]
    for c, e in [("difference", "difference"), ("se", "se"), ("lower", "lower"), ("upper", "upper"),
                 ("z", "z"), ("p", "p")]:
        assert_close(got[c], [exp[e]], f"{name} {c}")


def test_peers_2_3_rmst_se_is_sampling_se():
    """Item 3: lung sex=1, tau=365: R's se(rmean) ~ 10.36 (lifelines' 'variance' implies 120.5)."""
    exp = CASES["lung_sex_365"]["rmst"]
    got = rmst(dataset("lung"), "time", "event", tau=365, by="sex")
    assert_close(got["se"], exp["se"])
    assert round(got["se"].iloc[0], 2) == 10.36


def test_reference_swaps_sign():
    lung = dataset("lung")
    a = rmst_difference(lung, "time", "event", 365, "sex")
    b = rmst_difference(lung, "time", "event", 365, "sex", reference=2)
    assert b["group"].iloc[0] == "1" and b["reference"].iloc[0] == "2"
    assert np.isclose(a["difference"].iloc[0], -b["difference"].iloc[0])
    assert np.isclose(a["p"].iloc[0], b["p"].iloc[0])


def test_rmst_errors():
    lung = dataset("lung")
    with pytest.raises(ValueError, match="tau"):
        rmst(lung, "time", "event", tau=0)
    with pytest.raises(ValueError, match="exactly 2"):
        rmst_difference(lung, "time", "event", 365, "ph.ecog")
    with pytest.raises(ValueError, match="0/1"):
        rmst(lung, "time", "status", 365)
    with pytest.raises(ValueError, match="reference"):
        rmst_difference(lung, "time", "event", 365, "sex", reference=3)


def test_single_group_row_named_all():
    got = rmst(pd.DataFrame({"t": [1, 2, 3], "e": [1, 1, 1]}), "t", "e", tau=3)
    assert got["group"].tolist() == ["all"]
    assert got["rmst"].iloc[0] == pytest.approx(2.0)
