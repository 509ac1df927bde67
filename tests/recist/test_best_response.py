"""Best overall response, unconfirmed and confirmed (RECIST 1.1 §4.4; admiralonco event rules)."""

import numpy as np
import pandas as pd
import pytest

from oncoseries.recist import RecistSettings, best_response
from oncoseries.recist.best_response import confirmation_flags
from oncoseries.recist._groups import group_first
from tests.recist.recist_builders import START, timepoint_frame


def _bor(seqs, settings=None, new_therapy=None):
    p, tp = timepoint_frame(seqs)
    if new_therapy:
        for pid, day in new_therapy.items():
            p.loc[p["patient_id"] == pid, "new_therapy_date"] = START + pd.Timedelta(days=day)
    return best_response(tp, p, settings=settings).set_index("patient_id")


def _day(ts):
    return None if pd.isna(ts) else int((ts - START).days)


# --- admiralonco tests/testthat/test-derive_param_confirmed_bor.R, Tests 1 and 2 (their data) ---
ADSL = {"1": "2020-01-01", "2": "2019-12-12", "3": "2019-11-11", "4": "2019-12-30", "5": "2020-01-01",
        "6": "2020-02-02", "7": "2020-02-02", "8": "2020-04-01", "9": "2020-02-01"}
ADRS = [("1", "2020-01-01", "PR"), ("1", "2020-02-01", "CR"), ("1", "2020-02-16", "NE"),
        ("1", "2020-03-01", "CR"), ("1", "2020-04-01", "SD"), ("2", "2020-01-01", "SD"),
        ("2", "2020-02-01", "PR"), ("2", "2020-03-01", "SD"), ("2", "2020-03-13", "CR"),
        ("3", "2019-11-12", "CR"), ("3", "2019-12-02", "CR"), ("3", "2020-01-01", "SD"),
        ("4", "2020-01-01", "PR"), ("4", "2020-03-01", "SD"), ("4", "2020-04-01", "SD"),
        ("4", "2020-05-01", "PR"), ("4", "2020-05-15", "NON-CR/NON-PD"), ("5", "2020-01-01", "PR"),
        ("5", "2020-01-10", "SD"), ("5", "2020-01-20", "PR"), ("5", "2020-05-15", "NON-CR/NON-PD"),
        ("6", "2020-02-06", "PR"), ("6", "2020-02-16", "CR"), ("6", "2020-03-30", "PR"),
        ("7", "2020-02-06", "PR"), ("7", "2020-02-16", "CR"), ("7", "2020-04-01", "NE"),
        ("9", "2020-02-16", "PD"), ("9", "2020-03-06", "SD")]


def _admiral(settings):
    p = pd.DataFrame({"patient_id": list(ADSL), "start_date": pd.to_datetime(list(ADSL.values()))})
    tp = pd.DataFrame(ADRS, columns=["patient_id", "date", "overall"])
    tp["date"] = pd.to_datetime(tp["date"])
    res = best_response(tp, p, settings=settings).set_index("patient_id")
    return {k: (r["confirmed_bor"], None if pd.isna(r["confirmed_bor_date"])
                else r["confirmed_bor_date"].strftime("%Y-%m-%d")) for k, r in res.iterrows()}


def test_admiralonco_confirmed_bor_test1():
    got = _admiral(RecistSettings(sd_min_days=28, confirmation_days=28))
    assert got == {"1": ("CR", "2020-02-01"), "2": ("SD", "2020-02-01"), "3": ("SD", "2020-01-01"),
                   "4": ("SD", "2020-03-01"), "5": ("NON-CR/NON-PD", "2020-05-15"),
                   "6": ("SD", "2020-03-30"), "7": ("NE", "2020-02-06"), "8": ("MISSING", None),
                   "9": ("PD", "2020-02-16")}


def test_admiralonco_confirmed_bor_test2_accept_sd_no_ne():
    got = _admiral(RecistSettings(sd_min_days=28, confirmation_days=14, max_ne_between=0,
                                  allow_sd_between=True))
    expected = {"1": ("PR", "2020-01-01"), "2": ("PR", "2020-02-01"), "3": ("CR", "2019-11-12"),
                "4": ("SD", "2020-03-01"), "5": ("PR", "2020-01-01"), "6": ("SD", "2020-03-30"),
                "9": ("PD", "2020-02-16")}
    assert {k: got[k] for k in expected} == expected


# --- confirmation windows ---
@pytest.mark.parametrize("gap,confirmed", [(27, False), (28, True), (29, True), (20, False), (31, True)])
def test_confirmation_gap(gap, confirmed):
    res = _bor({"p": [(56, "CR"), (56 + gap, "CR")]})
    assert res.loc["p", "bor"] == "CR"
    assert res.loc["p", "confirmed_bor"] == ("CR" if confirmed else "SD")
    res = _bor({"p": [(56, "PR"), (56 + gap, "PR")]})
    assert res.loc["p", "confirmed_bor"] == ("PR" if confirmed else "SD")


@pytest.mark.parametrize("max_ne,seq,expected", [
    (1, ["CR", "NE", "CR"], "CR"),
    (0, ["CR", "NE", "CR"], "SD"),
    (1, ["CR", "NE", "NE", "CR"], "SD"),
    (2, ["CR", "NE", "NE", "CR"], "CR"),
    (1, ["PR", "NE", "PR"], "PR"),
    (0, ["PR", "NE", "PR"], "SD"),
    (1, ["PR", "NE", "CR"], "PR"),
])
def test_ne_between(max_ne, seq, expected):
    scans = [(50 + 15 * k, r) for k, r in enumerate(seq)]
    res = _bor({"p": scans}, RecistSettings(max_ne_between=max_ne))
    assert res.loc["p", "confirmed_bor"] == expected
    assert res.loc["p", "confirmed_bor_date"] == START + pd.Timedelta(days=50)


def test_sd_between():
    seq = {"p": [(50, "PR"), (70, "SD"), (90, "PR")], "q": [(50, "PR"), (60, "SD"), (70, "SD"), (90, "PR")],
           "r": [(50, "CR"), (70, "SD"), (90, "CR")]}
    res = _bor(seq)
    assert list(res["confirmed_bor"]) == ["SD", "SD", "SD"]
    res = _bor(seq, RecistSettings(allow_sd_between=True))
    # one SD accepted between a PR and its confirmation; never between two CRs
    assert list(res["confirmed_bor"]) == ["PR", "SD", "SD"]


def test_pr_after_cr():
    # PR, CR, PR: the confirming scan (first CR/PR >= 28 days later) is the PR after the CR -> SD
    res = _bor({"p": [(50, "PR"), (60, "CR"), (90, "PR")],
                "q": [(50, "PR"), (80, "CR"), (90, "PR")]})
    assert res.loc["p", "confirmed_bor"] == "SD" and res.loc["p", "bor"] == "CR"
    # PR confirmed by the CR 30 days later (the later PR lies outside the confirmation period)
    assert res.loc["q", "confirmed_bor"] == "PR"


def test_pr_after_cr_warning_in_derivation():
    from oncoseries.recist import derive_responses
    from tests.recist.recist_builders import N, Study, T
    # a non-target that disappeared shows again: CR then PR (target CR + NON-CR/NON-PD)
    s = (Study().patient("p").scan("p", -1, T("a", 40), N("x"))
         .scan("p", 50, T("a", 0, state="absent"), N("x", state="absent"))
         .scan("p", 90, T("a", 0, state="absent"), N("x")))
    res = derive_responses(s.patients(), s.lesions())
    assert res.timepoints["overall"].tolist() == ["CR", "PR"]
    assert res.best_response["confirmed_bor"].tolist() == ["SD"]
    assert any("CR followed by a later PR" in w.message for w in res.warnings)


# --- SD window ---
@pytest.mark.parametrize("day,expected", [(41, "NE"), (42, "SD"), (43, "SD")])
def test_sd_minimum_day(day, expected):
    res = _bor({"p": [(day, "SD")]})
    assert res.loc["p", "bor"] == expected and res.loc["p", "confirmed_bor"] == expected
    assert _day(res.loc["p", "bor_date"]) == day


def test_early_response_counts_for_unconfirmed_only():
    res = _bor({"p": [(20, "PR")], "q": [(20, "SD"), (30, "NE")], "r": [(30, "NON-CR/NON-PD"), (42, "NON-CR/NON-PD")]})
    assert (res.loc["p", "bor"], res.loc["p", "confirmed_bor"]) == ("PR", "NE")
    assert (res.loc["q", "bor"], _day(res.loc["q", "bor_date"])) == ("NE", 20)
    assert (res.loc["r", "bor"], _day(res.loc["r", "bor_date"])) == ("NON-CR/NON-PD", 42)


def test_cr_pr_at_or_after_sd_window_give_sd_when_unconfirmed():
    res = _bor({"p": [(50, "PR"), (60, "PD")]})
    assert (res.loc["p", "bor"], res.loc["p", "confirmed_bor"]) == ("PR", "SD")


# --- scans after PD and after new therapy ---
def test_scans_after_first_pd_ignored():
    res = _bor({"p": [(50, "SD"), (60, "PD"), (90, "CR"), (120, "CR")], "q": [(10, "PD"), (60, "PR")]})
    assert (res.loc["p", "bor"], res.loc["p", "confirmed_bor"]) == ("SD", "SD")
    assert (res.loc["q", "bor"], _day(res.loc["q", "bor_date"])) == ("PD", 10)
    assert res.loc["q", "confirmed_bor"] == "PD"


def test_scans_on_or_after_new_therapy_ignored():
    res = _bor({"p": [(50, "PR"), (90, "PR")], "q": [(50, "PR"), (90, "PR")], "r": [(60, "CR")]},
               new_therapy={"p": 90, "q": 91, "r": 30})
    assert (res.loc["p", "bor"], res.loc["p", "confirmed_bor"]) == ("PR", "SD")   # day-90 scan excluded
    assert res.loc["q", "confirmed_bor"] == "PR"
    assert (res.loc["r", "bor"], res.loc["r", "confirmed_bor"]) == ("MISSING", "MISSING")


def test_missing_vs_ne():
    res = _bor({"none": [], "ne": [(50, "NE"), (90, "NE")]})
    assert (res.loc["none", "bor"], res.loc["none", "confirmed_bor"]) == ("MISSING", "MISSING")
    assert pd.isna(res.loc["none", "bor_date"])
    assert (res.loc["ne", "bor"], _day(res.loc["ne", "bor_date"])) == ("NE", 50)


def test_population_subset_and_order():
    p, tp = timepoint_frame({"a": [(50, "PR")], "b": [(50, "SD")], "c": []})
    res = best_response(tp, p, population=["c", "a"])
    assert list(res["patient_id"]) == ["a", "c"]


# --- response dates, time to response, best % change, durable control ---
def test_first_response_date_follows_headline():
    seq = {"p": [(40, "SD"), (50, "PR"), (60, "PR"), (100, "CR"), (140, "CR")]}
    res = _bor(seq)
    assert (res.loc["p", "bor"], _day(res.loc["p", "bor_date"])) == ("CR", 100)
    assert _day(res.loc["p", "first_response_date"]) == 50 and res.loc["p", "time_to_response_days"] == 50
    # confirmed: the PR at day 50 is confirmed by the CR at day 100 (first CR/PR >= 28 days later is
    # day 100; PR at 60 between is allowed) -> first confirmed response day 50; CBOR CR from day 100
    res = _bor(seq, RecistSettings(confirmation=True))
    assert (res.loc["p", "confirmed_bor"], _day(res.loc["p", "confirmed_bor_date"])) == ("CR", 100)
    assert _day(res.loc["p", "first_response_date"]) == 50
    res = _bor({"p": [(50, "PR"), (60, "SD"), (100, "CR"), (130, "CR")]}, RecistSettings(confirmation=True))
    assert _day(res.loc["p", "first_response_date"]) == 100 and res.loc["p", "time_to_response_days"] == 100
    assert _day(res.loc["p", "unconfirmed_first_response_date"]) == 50


def test_best_pct_change_and_durable_control():
    p, tp = timepoint_frame({"p": [(50, "PR"), (100, "SD"), (150, "PD"), (200, "PR")],
                             "q": [(170, "SD")], "r": [(100, "SD"), (170, "NE")]})
    tp["pct_from_baseline"] = [-35.0, -20.0, 10.0, -60.0, -5.0, 0.0, np.nan]
    res = best_response(tp, p).set_index("patient_id")
    assert res.loc["p", "best_pct_change"] == -35.0             # day-200 scan after PD ignored
    assert not res.loc["p", "durable_control"]
    assert res.loc["q", "durable_control"] and not res.loc["r", "durable_control"]


def test_bad_input_raises():
    p, tp = timepoint_frame({"p": [(50, "PR")]})
    with pytest.raises(ValueError, match="overall"):
        best_response(tp.assign(overall="XX"), p)
    with pytest.raises(ValueError, match="two responses on one date"):
        best_response(pd.concat([tp, tp]), p)
    with pytest.raises(ValueError, match="not in patients"):
        best_response(tp.assign(patient_id="zz"), p)


# --- the vectorised confirmation equals admiralonco's event_joined semantics, literally ---
def _reference_flags(resp, day, s):
    """For each i: the joined scans run up to the FIRST later scan meeting first_cond; then check."""
    n = len(resp)
    cr, pr = np.zeros(n, bool), np.zeros(n, bool)
    for i in range(n):
        for kind in ("CR", "PR"):
            if resp[i] != kind:
                continue
            ok_first = {"CR": ("CR",), "PR": ("CR", "PR")}[kind]
            j = next((j for j in range(i + 1, n) if resp[j] in ok_first
                      and day[j] - day[i] >= s.confirmation_days), None)
            if j is None:
                continue
            joined = list(resp[i + 1:j + 1])
            if kind == "CR":
                ok = all(r in ("CR", "NE") for r in joined) and joined.count("NE") <= s.max_ne_between
                cr[i] = ok
            else:
                allowed = ("CR", "PR", "NE", "SD") if s.allow_sd_between else ("CR", "PR", "NE")
                ok = (all(r in allowed for r in joined) and joined.count("NE") <= s.max_ne_between
                      and joined.count("SD") <= (1 if s.allow_sd_between else 0))
                if "CR" in joined and "PR" in joined:
                    first_cr = joined.index("CR")
                    ok = ok and "PR" not in joined[first_cr:]
                pr[i] = ok
    return cr, pr


@pytest.mark.parametrize("settings", [RecistSettings(), RecistSettings(max_ne_between=0),
                                      RecistSettings(allow_sd_between=True, max_ne_between=2,
                                                     confirmation_days=14)])
def test_confirmation_flags_equal_literal_rule(settings):
    rng = np.random.default_rng(11)
    codes = np.array(["CR", "PR", "SD", "NE", "NON-CR/NON-PD"], dtype=object)
    resp_all, day_all, pat = [], [], []
    expected_cr, expected_pr = [], []
    for k in range(400):
        n = int(rng.integers(1, 9))
        resp = codes[rng.choice(5, size=n, p=[.3, .3, .15, .2, .05])]
        day = np.cumsum(rng.integers(7, 40, size=n)).astype(float)
        c, p = _reference_flags(list(resp), day, settings)
        resp_all.append(resp), day_all.append(day), pat.append(np.full(n, k))
        expected_cr.append(c), expected_pr.append(p)
    resp, day, pat = np.concatenate(resp_all), np.concatenate(day_all), np.concatenate(pat)
    cr, pr = confirmation_flags(resp, day, group_first(pat), settings)
    assert np.array_equal(cr, np.concatenate(expected_cr))
    assert np.array_equal(pr, np.concatenate(expected_pr))
    assert cr.sum() > 20 and pr.sum() > 20
