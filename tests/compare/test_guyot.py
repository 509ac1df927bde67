"""reconstruct_ipd (Guyot 2012): published trial curves digitised by others (tests/data/published_km), an
exact round trip from a known Kaplan-Meier curve, the cleaning rules and the errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import oncoseries as osr

DATA = Path(__file__).resolve().parents[1] / "data" / "published_km"


def _arm(name):
    return osr.reconstruct_ipd(pd.read_csv(DATA / f"{name}_curve.csv"), pd.read_csv(DATA / f"{name}_at_risk.csv"))


def _hr(a, b):
    both = pd.concat([_arm(a).assign(arm="b"), _arm(b).assign(arm="a")], ignore_index=True)
    return osr.cox(both, "time", "event", ["arm"]).summary.loc["armb"]


@pytest.mark.parametrize("name", ["gandhi_pembrolizumab", "gandhi_placebo", "bonner_radiotherapy",
                                  "bonner_cetuximab"])
def test_published_curves_are_reproduced(name):
    ipd = _arm(name)
    fit = ipd.attrs["fit"]
    assert list(ipd.columns) == ["time", "event"]
    assert fit["n"] == pd.read_csv(DATA / f"{name}_at_risk.csv")["n_risk"].iloc[0]
    assert fit["max_abs_diff"] < 0.02 and fit["mean_abs_diff"] < 0.005
    for row in fit["at_risk"]:   # reconstructed numbers at risk within 5% (or 2 patients) of the published
        assert abs(row["reconstructed"] - row["published"]) <= max(2, 0.075 * row["published"]), row


def test_keynote189_hr_and_median():
    """Gandhi et al. 2018: OS HR 0.49 (0.38-0.64); median OS with placebo 11.3 months."""
    hr = _hr("gandhi_pembrolizumab", "gandhi_placebo")
    assert hr["hr"] == pytest.approx(0.49, abs=0.02)
    assert hr["lower"] == pytest.approx(0.38, abs=0.02) and hr["upper"] == pytest.approx(0.64, abs=0.02)
    med = osr.kaplan_meier(_arm("gandhi_placebo"), "time", "event").medians["median"].iloc[0]
    assert med == pytest.approx(11.3, abs=0.3)


def test_bonner_hr_and_medians_from_a_messy_digitisation():
    """Bonner et al. 2006: locoregional control HR 0.68 (0.52-0.89); medians 24.4 and 14.9 months. The points
    are percentages with a negative first time and rising points (ScanIt)."""
    hr = _hr("bonner_cetuximab", "bonner_radiotherapy")
    assert hr["hr"] == pytest.approx(0.68, abs=0.05)
    meds = [osr.kaplan_meier(_arm(n), "time", "event").medians["median"].iloc[0]
            for n in ("bonner_cetuximab", "bonner_radiotherapy")]
    assert meds == pytest.approx([24.4, 14.9], abs=0.6)
    notes = _arm("bonner_radiotherapy").attrs["notes"]
    assert any("percentages" in n for n in notes) and any("lowered" in n for n in notes)


def _km_points(df):
    """The corner points of a Kaplan-Meier step curve (each step drawn at the foot of its drop)."""
    km = osr.kaplan_meier(df, "time", "event")
    tab = km.table[km.table["n_event"] > 0]
    return pd.DataFrame({"time": tab["time"].to_numpy(), "survival": tab["survival"].to_numpy()})


def test_round_trip_from_the_exact_curve():
    rng = np.random.default_rng(3)
    t, c = rng.weibull(1.3, 300) * 20, rng.uniform(5, 40, 300)
    df = pd.DataFrame({"time": np.round(np.minimum(t, c), 2), "event": (t <= c).astype(int)})
    grid = np.arange(0, 40, 5.0)
    at = pd.DataFrame({"time": grid, "n_risk": [(df["time"] >= g).sum() for g in grid]})
    ipd = osr.reconstruct_ipd(_km_points(df), at, events_total=int(df["event"].sum()))
    fit = ipd.attrs["fit"]
    assert abs(fit["events"] - df["event"].sum()) <= 2 and fit["n"] == len(df)
    assert fit["mean_abs_diff"] < 0.005 and fit["max_abs_diff"] < 0.07   # the largest gaps: the tail, 3 at risk
    true = osr.kaplan_meier(df, "time", "event").at([5, 10, 20])["survival"].to_numpy()
    got = osr.kaplan_meier(ipd, "time", "event").at([5, 10, 20])["survival"].to_numpy()
    np.testing.assert_allclose(got, true, atol=0.01)


def test_without_numbers_at_risk_uses_n_total_and_events():
    df = pd.DataFrame({"time": [0, 2, 4, 6, 8.0], "survival": [100, 80, 60, 50, 40]})
    ipd = osr.reconstruct_ipd(df, n_total=10)
    assert len(ipd) == 10 and ipd["event"].sum() == 6
    ipd = osr.reconstruct_ipd(df, n_total=20, events_total=10)
    assert len(ipd) == 20 and ipd["event"].sum() <= 12


def test_unsorted_points_and_vertical_pairs_are_cleaned():
    df = pd.DataFrame({"time": [4, 0, 2, 2.0, 4.0, 6], "survival": [0.8, 1, 1.0, 0.9, 0.9, 0.7]})
    ipd = osr.reconstruct_ipd(df, n_total=10)
    assert sorted(ipd.loc[ipd["event"] == 1, "time"].tolist()) == [2, 4, 6]


@pytest.mark.parametrize("curve, at_risk, kw, msg", [
    ({"time": [1.0], "survival": [0.5]}, None, {"n_total": 5}, "needs at least 2"),
    ({"time": [0, 1.0], "survival": [100, 140]}, None, {"n_total": 5}, "after rescaling"),
    ({"time": [0, 1, 2.0], "survival": [1, 0.8, 0.5]}, {"time": [0, 1], "n_risk": [10, 12]}, {}, "rise from 10"),
    ({"time": [0, 1, 2.0], "survival": [1, 0.8, 0.5]}, None, {}, "give the numbers at risk"),
    ({"time": [0, 1, 2.0], "survival": [1, 0.8, 0.5]}, {"time": [1, 2], "n_risk": [8, 6]}, {}, "start at time 0"),
    ({"time": [0, 1, 2.0], "surv": [1, 0.8, 0.5]}, None, {"n_total": 5}, "no column 'survival'"),
    ({"time": [0, "x", 2.0], "survival": [1, 0.8, 0.5]}, None, {"n_total": 5}, "row 3 \\(column time\\)"),
    ({"time": [-5, 1, 2.0], "survival": [1, 0.8, 0.5]}, None, {"n_total": 5}, "negative time"),
    ({"time": [0, 1, 2.0], "survival": [1, 0.8, 0.5]}, None, {"n_total": 5, "events_total": 9}, "larger than"),
])
def test_bad_input(curve, at_risk, kw, msg):
    with pytest.raises(ValueError, match=msg):
        osr.reconstruct_ipd(pd.DataFrame(curve), None if at_risk is None else pd.DataFrame(at_risk), **kw)
