"""Kaplan-Meier against R survival 3.5-3 (goldens: tests/golden/km.R -> km.json)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.stats._km_helpers import assert_close, col, dataset, load_golden, strs

from oncoseries.stats.kaplan_meier import kaplan_meier, median_followup

GOLD = load_golden("km")
CASES = GOLD["cases"]


def _fit(case):
    return kaplan_meier(dataset(case["dataset"]), "time", "event", by=case["by"], conf_type=case["conf_type"],
                        conf_level=case["conf_level"], entry=case["entry"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_medians_equal_print_survfit(name):
    case = CASES[name]
    got, exp = _fit(case).medians, case["medians"]
    assert list(got.columns) == ["group", "n", "events", "median", "lower", "upper"]
    assert got["group"].tolist() == strs(exp["group"])
    for c in ["n", "events", "median", "lower", "upper"]:
        assert_close(got[c], exp[c], f"{name} {c}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_quantiles_equal_quantile_survfit(name):
    case = CASES[name]
    exp = case["quantiles"]
    fit = _fit(case)
    qs = sorted(set(col(exp["q"])))
    got = fit.quantile(qs)
    got = got.sort_values(["q", "group"], kind="stable").reset_index(drop=True)
    exp_df = pd.DataFrame({k: (strs(v) if k == "group" else col(v)) for k, v in exp.items()})
    exp_df = exp_df.sort_values(["q", "group"], kind="stable").reset_index(drop=True)
    assert got["group"].tolist() == exp_df["group"].tolist()
    for c in ["q", "quantile", "lower", "upper"]:
        assert_close(got[c], exp_df[c], f"{name} {c}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_table_equals_survfit(name):
    case = CASES[name]
    got, exp = _fit(case).table, case["table"]
    assert got["group"].tolist() == strs(exp["group"])
    for c in ["time", "n_risk", "n_event", "n_censor", "survival", "std_err", "lower", "upper"]:
        assert_close(got[c], exp[c], f"{name} {c}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_at_equals_summary_survfit(name):
    case = CASES[name]
    exp = case["at"]
    got = _fit(case).at(case["times"])
    assert got["group"].tolist() == strs(exp["group"])
    assert_close(got["time"], exp["time"])
    # n_risk: patients with entry < t <= time; cumulative events and censorings up to t
    for c in ["n_risk", "n_event", "n_censor"]:
        assert_close(got[c], exp[c], f"{name} {c}")
    past = col(exp["time"]) > col(exp["last_followup"])
    for c in ["survival", "std_err", "lower", "upper"]:
        assert_close(got[c][~past], col(exp[c])[~past], f"{name} {c}")
        assert got[c][past].isna().all()
    assert (got["n_risk"][past] == 0).all()
    if case["entry"] is None:
        # without late entry R's summary n.risk is exactly the count of time >= t
        assert_close(got["n_risk"], exp["r_n_risk"])


def test_late_entry_n_risk_differs_from_summary_between_steps():
    """R's summary reports n.risk at the next step >= t; we count entry < t <= time at t itself."""
    case = CASES["entry_grp_log"]
    exp = case["at"]
    differs = col(exp["r_n_risk"]) != col(exp["n_risk"])
    assert differs.any()  # the documented difference is exercised
    tab = _fit(case).table
    for g, t in zip(np.asarray(strs(exp["group"]))[differs], col(exp["time"])[differs]):
        assert t not in set(tab.loc[tab["group"] == g, "time"])


@pytest.mark.parametrize("name", sorted(GOLD["followup"]))
def test_median_followup_equals_reverse_km(name):
    case = GOLD["followup"][name]
    got = median_followup(dataset(case["dataset"]), "time", "event", by=case["by"])
    exp = case["followup"]
    assert list(got.columns) == ["group", "n", "n_censored", "median", "lower", "upper", "min", "max"]
    assert got["group"].tolist() == strs(exp["group"])
    for c in ["n", "n_censored", "median", "lower", "upper", "min", "max"]:
        assert_close(got[c], exp[c], f"{name} {c}")


# ---- named cases from survival-peers.md section 2 -------------------------------------------


def test_peers_2_1_lung_median_ci_log_and_loglog():
    """Item 1: R's default (log) gives [212, 310] / [348, 550]; log-log [210, 306] / [345, 524]."""
    lung = dataset("lung")
    for name, ct in [("lung_sex_log", "log"), ("lung_sex_loglog", "log-log")]:
        exp = CASES[name]["medians"]
        got = kaplan_meier(lung, "time", "event", by="sex", conf_type=ct).medians
        assert_close(got["median"], exp["median"])
        assert_close(got["lower"], exp["lower"])
        assert_close(got["upper"], exp["upper"])
    assert col(CASES["lung_sex_log"]["medians"]["lower"]).tolist() == [212, 348]
    assert col(CASES["lung_sex_log"]["medians"]["upper"]).tolist() == [310, 550]
    assert col(CASES["lung_sex_loglog"]["medians"]["lower"]).tolist() == [210, 345]
    assert col(CASES["lung_sex_loglog"]["medians"]["upper"]).tolist() == [306, 524]


def test_peers_2_2_plateau_at_half_gives_midpoint():
    """Item 2: times 1..10, all events: R 5.5 (lifelines 5, SAS/statsmodels 6)."""
    d = pd.DataFrame({"t": np.arange(1, 11), "e": 1})
    got = kaplan_meier(d, "t", "e").medians
    assert got["group"].tolist() == ["all"]
    assert_close(got["median"], GOLD["plateau_median"])
    assert got["median"].iloc[0] == 5.5


def test_curve_ending_at_half_print_vs_quantile():
    """Group F (1..10, 5 events then censored): print.survfit gives 5, quantile.survfit 7.5."""
    case = CASES["random_log"]
    fit = _fit(case)
    med = fit.medians.set_index("group").loc["F", "median"]
    q = fit.quantile(0.5).set_index("group").loc["F", "quantile"]
    exp_med = col(case["medians"]["median"])[strs(case["medians"]["group"]).index("F")]
    qexp = case["quantiles"]
    sel = [(g == "F" and q_ == 0.5) for g, q_ in zip(strs(qexp["group"]), col(qexp["q"]))]
    assert_close([med, q], [exp_med, col(qexp["quantile"])[sel][0]])
    assert (med, q) == (5.0, 7.5)


@pytest.mark.parametrize("name", ["lung_sex_log", "lung_sex_loglog", "lung_sex_plain"])
def test_lung_survival_at_365_all_conf_types(name):
    case = CASES[name]
    exp = case["at"]
    sel = col(exp["time"]) == 365
    got = _fit(case).at([365])
    assert got["group"].tolist() == ["1", "2"]
    for c in ["n_risk", "survival", "std_err", "lower", "upper"]:
        assert_close(got[c], col(exp[c])[sel], f"{name} {c}")


def test_peers_2_10_event_must_be_0_1():
    """Item 10: lung's status is 1/2 and must be recoded; durations passed as events are refused."""
    lung = dataset("lung")
    with pytest.raises(ValueError, match="0/1"):
        kaplan_meier(lung, "time", "status", by="sex")
    with pytest.raises(ValueError, match="0/1"):
        kaplan_meier(lung, "time", "time")
    with pytest.raises(ValueError, match="0/1"):
        kaplan_meier(None, [1.0, 2.0], [0.5, 1.0])
    with pytest.raises(ValueError, match="0/1"):
        median_followup(lung, "time", "status")


# ---- inputs -----------------------------------------------------------------------------------


def test_event_bool_int_float_and_arrays_agree():
    lung = dataset("lung")
    ref = kaplan_meier(lung, "time", "event", by="sex").table
    variants = [
        kaplan_meier(lung.assign(ev=lung["status"] == 2), "time", "ev", by="sex"),
        kaplan_meier(lung.assign(ev=(lung["status"] == 2).astype(float)), "time", "ev", by="sex"),
        kaplan_meier(lung.assign(ev=(lung["status"] == 2).astype("boolean")), "time", "ev", by="sex"),
        kaplan_meier(None, lung["time"].to_numpy(), (lung["status"] == 2).to_numpy(), by=lung["sex"].to_numpy()),
        kaplan_meier(lung.assign(time=lung["time"].astype("Int64")), "time", "event", by="sex"),
        kaplan_meier(lung.assign(time=lung["time"].astype(float)), "time", "event", by="sex"),
        kaplan_meier(lung.assign(time=lung["time"] + 0.25), "time", "event", by="sex"),
    ]
    for i, v in enumerate(variants):
        t = v.table
        if i == len(variants) - 1:
            t = t.assign(time=t["time"] - 0.25)
        pd.testing.assert_frame_equal(t, ref, check_dtype=False, rtol=1e-12)


def test_category_order_and_labels():
    vet = dataset("veteran")
    order = ["squamous", "smallcell", "adeno", "large"]
    fit = kaplan_meier(vet.assign(cell=pd.Categorical(vet["celltype"], categories=order + ["unused"])),
                       "time", "event", by="cell")
    assert fit.groups == order
    assert fit.medians["group"].tolist() == order
    fit2 = kaplan_meier(vet, "time", "event", by="celltype")
    assert fit2.groups == sorted(order)
    m1 = fit.medians.set_index("group").loc[sorted(order)].reset_index()
    pd.testing.assert_frame_equal(m1, fit2.medians)


def test_missing_rows_are_dropped_like_r():
    lung = dataset("lung")
    fit = kaplan_meier(lung, "time", "event", by="ph.ecog")
    assert fit.n_missing == 1
    assert fit.groups == ["0", "1", "2", "3"]
    t = lung.copy()
    t.loc[[0, 5], "time"] = np.nan
    assert kaplan_meier(t, "time", "event").n_missing == 2


def test_case_insensitive_column_names():
    lung = dataset("lung")
    a = kaplan_meier(lung, "TIME", "Event", by="SEX").medians
    b = kaplan_meier(lung, "time", "event", by="sex").medians
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(time="nope", event="event"), ValueError, "not found"),
    (dict(time="time", event="event", conf_type="logit"), ValueError, "conf_type"),
    (dict(time="time", event="event", conf_level=95), ValueError, "conf_level"),
    (dict(time="sex", event="event", by="time", entry="time"), ValueError, "entry"),
])
def test_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        kaplan_meier(dataset("lung"), **kwargs)


def test_negative_time_and_non_numeric():
    with pytest.raises(ValueError, match="negative"):
        kaplan_meier(None, [-1.0, 2.0], [1, 0])
    with pytest.raises(TypeError, match="numeric"):
        kaplan_meier(pd.DataFrame({"t": ["a", "b"], "e": [1, 0]}), "t", "e")
    with pytest.raises(ValueError, match="finite"):
        kaplan_meier(None, [1.0, 2.0], [1, 0]).at([np.nan])


def test_many_groups_path_equals_per_group_fits():
    """The per-group fallback (groups x times too large for one dense table) gives the same curves."""
    rng = np.random.default_rng(7)
    n = 3000
    d = pd.DataFrame({"t": rng.exponential(100, n).round(3), "e": rng.random(n) < 0.6,
                      "g": rng.integers(0, 1500, n)})
    fit = kaplan_meier(d, "t", "e", by="g", conf_type="log-log")
    for g in fit.groups[:25]:
        sub = d[d["g"] == int(g)]
        one = kaplan_meier(sub, "t", "e", conf_type="log-log").table.assign(group=g)
        pd.testing.assert_frame_equal(fit.table[fit.table["group"] == g].reset_index(drop=True), one)


def test_time_axis_paths_agree():
    """Integer, hash (few distinct floats) and sort (mostly distinct floats) paths give np.unique's codes."""
    from oncoseries.stats import _km_core as core

    rng = np.random.default_rng(1)
    for x in [rng.integers(0, 500, 70_000), rng.integers(0, 500, 70_000) / 30.4375,
              rng.exponential(9.0, 70_000).round(6)]:  # rounded: no near-ties for aeqSurv to merge
        ax = core.build_axis(x)
        u, inv = np.unique(x, return_inverse=True)
        used = np.flatnonzero(np.bincount(ax.tcode, minlength=ax.size))
        np.testing.assert_array_equal(ax.values[used], u)
        np.testing.assert_array_equal(ax.values[ax.tcode], x)


def test_large_continuous_data_matches_lifelines_loglog():
    """Cross-check with an independent implementation (lifelines: log-log band only) on 60,000 rows."""
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(5)
    t = rng.exponential(300.0, 60_000).round(4)  # lifelines does not merge near-ties as R's aeqSurv
    e = rng.random(60_000) < 0.6
    tab = kaplan_meier(None, t, e, conf_type="log-log").table
    kmf = KaplanMeierFitter().fit(t, e)
    s = kmf.survival_function_.iloc[:, 0].reindex(tab["time"]).to_numpy()
    ci = kmf.confidence_interval_.reindex(tab["time"]).to_numpy()
    np.testing.assert_allclose(tab["survival"], s, rtol=1e-9)
    ok = np.isfinite(tab["lower"].to_numpy()) & np.isfinite(ci[:, 0])
    assert ok.sum() > 50_000
    np.testing.assert_allclose(tab["lower"].to_numpy()[ok], ci[ok, 0], rtol=1e-6)
    np.testing.assert_allclose(tab["upper"].to_numpy()[ok], ci[ok, 1], rtol=1e-6)


def test_object_events_with_missing_and_dict_data():
    d = {"t": np.array([1.0, 2, 3, 4, 5]), "e": pd.Series([True, None, False, True, True], dtype=object)}
    fit = kaplan_meier(d, "t", "e")
    assert fit.n_missing == 1
    assert fit.table["n_event"].sum() == 3
    with pytest.raises(TypeError, match="0/1 or boolean"):
        kaplan_meier(None, [1, 2], np.array(["yes", "no"], dtype=object))


def test_public_api_and_at_scalar():
    import oncoseries as osr

    from oncoseries.stats import binomial, logrank, rmst

    assert osr.kaplan_meier is kaplan_meier and osr.median_followup is median_followup
    assert osr.logrank is logrank.logrank and osr.logrank_trend is logrank.logrank_trend
    assert osr.rmst is rmst.rmst and osr.rmst_difference is rmst.rmst_difference
    assert osr.binomial_ci is binomial.binomial_ci
    fit = osr.kaplan_meier(dataset("lung"), "time", "event")
    one = fit.at(365)
    assert one.shape[0] == 1 and one["group"].tolist() == ["all"]
    with pytest.raises(ValueError, match="probabilities"):
        fit.quantile(1.5)
