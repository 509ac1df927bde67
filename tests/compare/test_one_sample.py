"""One-sample log-rank, SMR exact CI, exact Poisson P and the binomial test against R (tests/golden/compare.R)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import oncoseries as osr
from oncoseries.compare.one_sample import binomial_test, poisson_test_p
from tests.stats._km_helpers import load_dataset, load_golden

G = load_golden("compare")
FIELDS = ["observed", "expected", "statistic", "p_value", "smr", "smr_lower", "smr_upper", "p_exact"]


def _check(res, want):
    for f in FIELDS:
        assert getattr(res, f) == pytest.approx(want[f], rel=1e-6, abs=1e-12), f


def test_exponential_from_median():
    ref = osr.reference_curve(median=300)
    assert ref.kind == "exponential" and ref.median == pytest.approx(300)
    _check(osr.one_sample_logrank(load_dataset("lung"), "time", "event", ref), G["cases"]["exponential"])


def test_smr_ci_level():
    res = osr.one_sample_logrank(load_dataset("lung"), "time", "event", osr.reference_curve(median=300),
                                 conf_level=0.9)
    want = G["cases"]["exponential"]
    assert (res.smr_lower, res.smr_upper) == pytest.approx((want["smr_lower90"], want["smr_upper90"]), rel=1e-6)


def test_weibull_through_two_points():
    w = G["cases"]["weibull"]
    ref = osr.reference_curve(landmarks={200: 0.6, 500: 25})   # 25 read as 25%
    assert ref.kind == "weibull"
    assert ref.params["shape"] == pytest.approx(w["shape"], rel=1e-9)
    assert ref.params["scale"] == pytest.approx(w["scale"], rel=1e-9)
    assert ref.survival([200, 500]) == pytest.approx([0.6, 0.25], rel=1e-12)
    _check(osr.one_sample_logrank(load_dataset("lung"), "time", "event", ref), w)


def test_piecewise_through_three_points():
    ref = osr.reference_curve(landmarks=[(100, 0.85), (600, 0.2)], median=300)
    assert ref.kind == "piecewise" and ref.median == pytest.approx(300)
    _check(osr.one_sample_logrank(load_dataset("lung"), "time", "event", ref), G["cases"]["piecewise"])


def test_reference_from_ipd():
    want = G["cases"]["ipd"]
    lung = load_dataset("lung")
    ref = osr.reference_curve(lung[lung["sex"] == 2], time="time", event="event")
    assert ref.kind == "ipd" and ref.median == pytest.approx(want["ref_median"])
    res = osr.one_sample_logrank(load_dataset("veteran"), "time", "event", ref)
    _check(res, want)
    assert res.n_beyond == want["n_beyond"]


def test_median_and_landmark_give_weibull_and_agree_with_shape():
    ref = osr.reference_curve(median=15, landmarks={24: 0.30})
    assert ref.kind == "weibull"
    assert ref.survival([15, 24]) == pytest.approx([0.5, 0.3], rel=1e-12)
    assert ref.median == pytest.approx(15)


@pytest.mark.parametrize("kw, msg", [
    ({}, "give IPD, a median"),
    ({"median": 6, "landmarks": {6: 0.51}}, "two survival values at time 6"),
    ({"landmarks": {6: 0.4, 12: 0.6}}, "cannot rise"),
    ({"landmarks": {6: 140}}, "above 100%"),
    ({"median": -1}, "positive"),
    ({"median": 6, "shape": "weibull"}, "exactly two points"),
    ({"median": 6, "shape": "gompertz"}, "shape must be one of"),
])
def test_reference_errors(kw, msg):
    with pytest.raises(ValueError, match=msg):
        osr.reference_curve(**kw)


def test_poisson_exact_p():
    p = G["poisson"]
    got = [poisson_test_p(int(x), m) for x, m in zip(p["x"], p["m"])]
    np.testing.assert_allclose(got, p["p"], rtol=1e-6, atol=1e-300)


def test_binomial_test():
    b = G["binom"]
    for x, n, p0, alt, p, lo, hi in zip(b["x"], b["n"], b["p0"], b["alternative"], b["p"], b["lower"], b["upper"]):
        r = binomial_test(int(x), int(n), p0, alternative=alt)
        assert r.p_value == pytest.approx(p, rel=1e-6, abs=1e-300), (x, n, p0, alt)
        assert (r.lower, r.upper) == pytest.approx((lo, hi), rel=1e-6, abs=1e-300), (x, n, p0, alt)


def test_no_expected_events_is_an_error():
    df = pd.DataFrame({"time": [0.0, 0.0], "event": [0, 0]})
    with pytest.raises(ValueError, match="no events are expected"):
        osr.one_sample_logrank(df, "time", "event", osr.reference_curve(median=5))


def test_size_under_the_null():
    """Series simulated from the reference: the test rejects at 5% about 5% of the time and O/E averages 1."""
    rng = np.random.default_rng(7)
    ref = osr.reference_curve(median=10)
    rejected, smr = [], []
    for _ in range(300):
        t, c = rng.exponential(10 / math.log(2), 100), rng.uniform(0, 30, 100)
        df = pd.DataFrame({"time": np.minimum(t, c), "event": (t <= c).astype(int)})
        res = osr.one_sample_logrank(df, "time", "event", ref)
        rejected.append(res.p_value < 0.05)
        smr.append(res.smr)
    assert 0.02 < np.mean(rejected) < 0.09
    assert np.mean(smr) == pytest.approx(1.0, abs=0.03)


def test_horizon_censors_the_series_there():
    lung = load_dataset("lung")
    ref = osr.reference_curve(median=300)
    cut = lung.assign(event=lambda d: ((d["event"] == 1) & (d["time"] <= 400)).astype(int),
                      time=lambda d: d["time"].clip(upper=400))
    a = osr.one_sample_logrank(lung, "time", "event", ref, horizon=400)
    b = osr.one_sample_logrank(cut, "time", "event", ref)
    assert (a.observed, a.expected, a.p_value) == (b.observed, b.expected, b.p_value)
    assert a.observed < 165
    with pytest.raises(ValueError, match="horizon"):
        osr.one_sample_logrank(lung, "time", "event", ref, horizon=0)
