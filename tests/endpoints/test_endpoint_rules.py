"""Rules of derive_endpoints (INTERFACE §5), one scenario per rule, with hand-computed day counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncoseries.endpoints import EndpointSettings, derive_endpoints

D = pd.Timestamp


def make(patients, scans=(), responders=None):
    """patients: list of dicts; scans: (patient_id, date, overall); responders: {id: date}."""
    p = pd.DataFrame(patients)
    for c in ("start_date", "last_contact_date", "death_date", "progression_date", "new_therapy_date"):
        p[c] = pd.to_datetime(p[c]) if c in p else pd.NaT
        p[c] = p[c].astype("datetime64[ns]")
    t = pd.DataFrame(list(scans), columns=["patient_id", "date", "overall"])
    t["date"] = pd.to_datetime(t["date"]).astype("datetime64[ns]")
    for c in ("target", "non_target", "new_lesions"):
        t[c] = None
    ids = p["patient_id"]
    r = pd.DataFrame({"patient_id": ids, "bor": "SD", "first_response_date": pd.NaT})
    r["first_response_date"] = r["first_response_date"].astype("datetime64[ns]")
    for pid, day in (responders or {}).items():
        r.loc[r.patient_id == pid, ["bor", "first_response_date"]] = ["PR", D(day)]
    return p, t, r


def row(result, pid, param):
    df = result.adtte
    sel = df[(df.patient_id == pid) & (df.paramcd == param)]
    assert len(sel) == 1, (pid, param, len(sel))
    return sel.iloc[0]


P1 = dict(patient_id="P1", start_date="2014-01-02", last_contact_date="2014-08-01")


def test_aval_is_adt_minus_start_plus_one_admiralonco_example():
    # admiralonco data: 2014-01-02 -> 2014-03-06 gives AVAL 64
    p, t, r = make([P1], [("P1", "2014-02-01", "SD"), ("P1", "2014-03-06", "PD")])
    res = derive_endpoints(p, t, r)
    pfs = row(res, "P1", "PFS")
    assert pfs.adt == D("2014-03-06") and pfs.aval == 64 and pfs.cnsr == 0
    assert pfs.evntdesc == "Disease progression (RECIST)"
    assert (pfs.srcdom, pfs.srcvar) == ("timepoints", "date")
    assert res.adtte["aval"].dtype == np.int64 and res.adtte["cnsr"].dtype == np.int64


def test_event_on_start_date_is_day_one_and_month_boundaries():
    pats = [dict(P1, patient_id="A", death_date="2014-01-02"),
            dict(P1, patient_id="B", start_date="2016-02-28", death_date="2016-03-01"),  # leap year
            dict(P1, patient_id="C", start_date="2013-12-31", death_date="2014-01-01")]
    res = derive_endpoints(*make(pats))
    assert row(res, "A", "OS").aval == 1
    assert row(res, "B", "OS").aval == 3
    assert row(res, "C", "OS").aval == 2


def test_every_patient_has_os_and_pfs_rows_in_patient_then_param_order():
    pats = [dict(P1, patient_id=i) for i in ("z", "a", "m")]
    res = derive_endpoints(*make(pats, responders={"a": "2014-02-01"}, scans=[("a", "2014-02-01", "PR")]))
    df = res.adtte
    assert list(df.patient_id) == ["z", "z", "z", "a", "a", "a", "a", "m", "m", "m"]
    assert list(df.paramcd[df.patient_id == "a"]) == ["OS", "PFS", "DOR", "TTP"]
    assert list(df.columns[:8]) == ["patient_id", "paramcd", "param", "startdt", "adt", "aval", "cnsr",
                                    "evntdesc"]


# ---------------------------------------------------------------- OS
def test_os_death_is_event():
    res = derive_endpoints(*make([dict(P1, death_date="2014-05-01", last_contact_date="2014-05-01")]))
    os_ = row(res, "P1", "OS")
    assert (os_.cnsr, os_.adt, os_.aval, os_.evntdesc) == (0, D("2014-05-01"), 120, "Death")
    assert res.warnings == []


def test_os_last_contact_after_death_is_warned():
    res = derive_endpoints(*make([dict(P1, death_date="2014-05-01")]))
    assert row(res, "P1", "OS").adt == D("2014-05-01")
    (w,) = res.warnings
    assert (w.column, w.message) == ("last_contact_date",
                                     "last_contact_date 2014-08-01 is after death_date 2014-05-01")


def test_os_censored_at_last_contact():
    res = derive_endpoints(*make([P1], [("P1", "2014-03-01", "SD")]))
    os_ = row(res, "P1", "OS")
    assert (os_.cnsr, os_.adt, os_.evntdesc) == (1, D("2014-08-01"), "Alive at last contact")
    assert os_.srcvar == "last_contact_date"
    assert res.warnings == []


def test_os_known_alive_later_scan_moves_censoring_with_warning():
    res = derive_endpoints(*make([P1], [("P1", "2014-09-15", "NE")]))
    os_ = row(res, "P1", "OS")
    assert (os_.cnsr, os_.adt) == (1, D("2014-09-15"))
    assert os_.evntdesc == "Alive: censored at latest date known alive"
    assert (os_.srcdom, os_.srcvar) == ("timepoints", "date")
    (w,) = res.warnings
    assert (w.patient_id, w.paramcd, w.column) == ("P1", "OS", "last_contact_date")
    assert "2014-09-15" in w.message and "2014-08-01" in w.message


def test_os_known_alive_table_series_and_frame():
    p, t, r = make([P1, dict(P1, patient_id="P2")])
    series = pd.Series(pd.to_datetime(["2014-07-01", "2014-10-10"]), index=["P1", "P2"])
    res = derive_endpoints(p, t, r, known_alive=series)
    assert row(res, "P1", "OS").adt == D("2014-08-01")  # earlier than last contact: unchanged
    assert row(res, "P2", "OS").adt == D("2014-10-10")
    assert [w.patient_id for w in res.warnings] == ["P2"]
    frame = pd.DataFrame({"patient_id": ["P1"], "date": [D("2014-12-24")], "source": ["treatments.date"]})
    res = derive_endpoints(p, t, r, known_alive=frame)
    os_ = row(res, "P1", "OS")
    assert (os_.adt, os_.srcdom, os_.srcvar) == (D("2014-12-24"), "treatments", "date")
    assert "treatments.date" in res.warnings[0].message


def test_os_new_therapy_and_progression_dates_count_as_known_alive():
    p, t, r = make([dict(P1, new_therapy_date="2014-09-01", progression_date="2014-08-20")])
    res = derive_endpoints(p, t, r)
    assert row(res, "P1", "OS").adt == D("2014-09-01")
    assert len(res.warnings) == 1


def test_os_scan_after_death_is_warned_but_death_kept():
    p = dict(P1, death_date="2014-04-01", last_contact_date="2014-04-01")
    res = derive_endpoints(*make([p], [("P1", "2014-05-01", "SD")]))
    assert row(res, "P1", "OS").adt == D("2014-04-01")
    assert [(w.paramcd, w.column) for w in res.warnings] == [("OS", "death_date")]


# ---------------------------------------------------------------- PFS
def test_pfs_first_pd_scan_is_event():
    scans = [("P1", "2014-02-01", "SD"), ("P1", "2014-03-01", "PD"), ("P1", "2014-04-01", "PD")]
    res = derive_endpoints(*make([dict(P1, death_date="2014-06-01")], scans))
    pfs = row(res, "P1", "PFS")
    assert (pfs.adt, pfs.cnsr, pfs.aval) == (D("2014-03-01"), 0, 59)


def test_pfs_clinical_progression_earlier_than_scan():
    scans = [("P1", "2014-02-01", "SD"), ("P1", "2014-03-01", "PD")]
    res = derive_endpoints(*make([dict(P1, progression_date="2014-02-20")], scans))
    pfs = row(res, "P1", "PFS")
    assert (pfs.adt, pfs.cnsr, pfs.evntdesc) == (D("2014-02-20"), 0, "Clinical progression")
    assert pfs.srcvar == "progression_date"


def test_pfs_death_without_progression_is_event():
    scans = [("P1", "2014-02-01", "SD")]
    res = derive_endpoints(*make([dict(P1, death_date="2014-03-10")], scans))
    pfs = row(res, "P1", "PFS")
    assert (pfs.adt, pfs.cnsr, pfs.evntdesc) == (D("2014-03-10"), 0, "Death")


def test_pfs_tie_pd_scan_and_death_same_day_is_named_recist():
    scans = [("P1", "2014-03-10", "PD")]
    res = derive_endpoints(*make([dict(P1, death_date="2014-03-10", progression_date="2014-03-10")], scans))
    assert row(res, "P1", "PFS").evntdesc == "Disease progression (RECIST)"


def test_pfs_censored_at_last_adequate_not_last_scan():
    scans = [("P1", "2014-02-01", "SD"), ("P1", "2014-03-01", "PR"), ("P1", "2014-04-01", "NE")]
    res = derive_endpoints(*make([P1], scans))
    pfs = row(res, "P1", "PFS")
    assert (pfs.adt, pfs.cnsr, pfs.aval) == (D("2014-03-01"), 1, 59)
    assert pfs.evntdesc == "Censored at last adequate assessment"


def test_pfs_no_adequate_scan_censored_at_start_aval_one():
    for scans in ([], [("P1", "2014-02-01", "NE")]):
        pfs = row(derive_endpoints(*make([P1], scans)), "P1", "PFS")
        assert (pfs.adt, pfs.aval, pfs.cnsr) == (D("2014-01-02"), 1, 1)
        assert pfs.evntdesc == "Censored at start: no adequate post-baseline assessment"
        assert pfs.srcvar == "start_date"


def test_pfs_scan_on_start_date_is_not_post_baseline():
    res = derive_endpoints(*make([P1], [("P1", "2014-01-02", "SD")]))
    assert row(res, "P1", "PFS").aval == 1
    assert [(w.column, w.paramcd) for w in res.warnings] == [("date", "PFS")]


def test_pfs_new_therapy_before_pd_censors_at_last_adequate_before_it():
    scans = [("P1", "2014-02-01", "SD"), ("P1", "2014-03-01", "SD"), ("P1", "2014-05-01", "PD")]
    p = dict(P1, new_therapy_date="2014-04-01")
    pfs = row(derive_endpoints(*make([p], scans)), "P1", "PFS")
    assert (pfs.adt, pfs.cnsr) == (D("2014-03-01"), 1)
    assert pfs.evntdesc == "Censored at last adequate assessment before new anticancer therapy"
    # switched off: the PD counts
    off = EndpointSettings(censor_at_new_therapy=False)
    pfs = row(derive_endpoints(*make([p], scans), off), "P1", "PFS")
    assert (pfs.adt, pfs.cnsr) == (D("2014-05-01"), 0)


def test_pfs_new_therapy_without_event_uses_scans_before_therapy_only():
    scans = [("P1", "2014-02-01", "SD"), ("P1", "2014-03-01", "NE"), ("P1", "2014-04-01", "SD"),
             ("P1", "2014-06-01", "SD")]
    pfs = row(derive_endpoints(*make([dict(P1, new_therapy_date="2014-04-01")], scans)), "P1", "PFS")
    # a scan on the day therapy starts is not "before" it; the NE scan is not adequate
    assert pfs.adt == D("2014-02-01") and pfs.cnsr == 1


def test_pfs_new_therapy_with_no_adequate_scan_before_it_censors_at_start():
    scans = [("P1", "2014-03-01", "SD")]
    pfs = row(derive_endpoints(*make([dict(P1, new_therapy_date="2014-02-01")], scans)), "P1", "PFS")
    assert (pfs.adt, pfs.aval, pfs.cnsr) == (D("2014-01-02"), 1, 1)
    assert pfs.evntdesc == "Censored at start: no adequate assessment before new anticancer therapy"


def test_pfs_event_before_or_on_new_therapy_day_still_counts():
    scans = [("P1", "2014-02-01", "SD"), ("P1", "2014-03-01", "PD")]
    for ntd in ("2014-03-01", "2014-03-02"):
        pfs = row(derive_endpoints(*make([dict(P1, new_therapy_date=ntd)], scans)), "P1", "PFS")
        assert (pfs.adt, pfs.cnsr) == (D("2014-03-01"), 0)


def test_pfs_death_after_new_therapy_is_censored():
    scans = [("P1", "2014-02-01", "SD")]
    p = dict(P1, new_therapy_date="2014-03-01", death_date="2014-05-01")
    res = derive_endpoints(*make([p], scans))
    assert row(res, "P1", "PFS").adt == D("2014-02-01") and row(res, "P1", "PFS").cnsr == 1
    assert row(res, "P1", "OS").cnsr == 0  # OS ignores new therapy


MISSED = EndpointSettings(missed_assessments=(42, 2))  # window 84 days


def test_missed_assessments_event_beyond_window_is_censored_at_last_adequate():
    scans = [("P1", "2014-02-01", "SD"), ("P1", "2014-03-01", "NE"), ("P1", "2014-04-26", "PD")]
    # 2014-02-01 -> 2014-04-26 is 84 days: within the window, event kept
    pfs = row(derive_endpoints(*make([P1], scans), MISSED), "P1", "PFS")
    assert (pfs.adt, pfs.cnsr) == (D("2014-04-26"), 0)
    scans[-1] = ("P1", "2014-04-27", "PD")  # 85 days: more than 2 x 42
    pfs = row(derive_endpoints(*make([P1], scans), MISSED), "P1", "PFS")
    assert (pfs.adt, pfs.cnsr, pfs.aval) == (D("2014-02-01"), 1, 31)
    assert pfs.evntdesc == "Censored: event after 2 or more missed assessments"


def test_missed_assessments_death_without_scans_measured_from_start():
    pats = [dict(P1, patient_id="near", death_date="2014-03-27"),  # 84 days after start
            dict(P1, patient_id="far", death_date="2014-03-28")]
    res = derive_endpoints(*make(pats), MISSED)
    assert row(res, "near", "PFS").cnsr == 0
    far = row(res, "far", "PFS")
    assert (far.cnsr, far.aval) == (1, 1)
    assert far.evntdesc == "Censored at start: event after 2 or more missed assessments"
    assert row(res, "far", "OS").cnsr == 0  # OS unaffected


def test_missed_assessments_describes_configured_count():
    s = EndpointSettings(missed_assessments={"interval_days": 30, "max_missed": 3})
    pfs = row(derive_endpoints(*make([dict(P1, death_date="2014-12-01")]), s), "P1", "PFS")
    assert pfs.evntdesc == "Censored at start: event after 3 or more missed assessments"


def test_missed_assessments_ignores_the_pd_scan_itself_as_reference():
    # the PD scan is adequate but cannot be its own reference: the previous adequate scan is
    scans = [("P1", "2014-02-01", "SD"), ("P1", "2014-06-01", "PD")]
    pfs = row(derive_endpoints(*make([P1], scans), MISSED), "P1", "PFS")
    assert (pfs.adt, pfs.cnsr) == (D("2014-02-01"), 1)


# ---------------------------------------------------------------- DOR
def test_dor_only_for_responders_starts_at_first_response():
    pats = [dict(P1, patient_id="R"), dict(P1, patient_id="N")]
    scans = [("R", "2014-02-01", "SD"), ("R", "2014-03-01", "PR"), ("R", "2014-04-01", "PR"),
             ("R", "2014-06-01", "PD"), ("N", "2014-02-01", "SD")]
    res = derive_endpoints(*make(pats, scans, responders={"R": "2014-03-01"}))
    assert set(res.param("DOR").patient_id) == {"R"}
    dor = row(res, "R", "DOR")
    assert (dor.startdt, dor.adt, dor.cnsr, dor.aval) == (D("2014-03-01"), D("2014-06-01"), 0, 93)


def test_dor_censored_at_last_adequate_on_or_after_response():
    scans = [("P1", "2014-03-01", "PR"), ("P1", "2014-04-01", "NE")]
    res = derive_endpoints(*make([P1], scans, responders={"P1": "2014-03-01"}))
    dor = row(res, "P1", "DOR")
    assert (dor.adt, dor.aval, dor.cnsr) == (D("2014-03-01"), 1, 1)
    assert dor.evntdesc == "Censored at last adequate assessment"


def test_dor_death_event_and_new_therapy_censoring():
    scans = [("P1", "2014-03-01", "CR"), ("P1", "2014-04-01", "CR")]
    res = derive_endpoints(*make([dict(P1, death_date="2014-05-01")], scans, responders={"P1": "2014-03-01"}))
    assert row(res, "P1", "DOR").evntdesc == "Death" and row(res, "P1", "DOR").aval == 62
    p = dict(P1, death_date="2014-05-01", new_therapy_date="2014-04-15")
    dor = row(derive_endpoints(*make([p], scans, responders={"P1": "2014-03-01"})), "P1", "DOR")
    assert (dor.adt, dor.cnsr) == (D("2014-04-01"), 1)


def test_dor_without_best_response_table_has_no_rows():
    p, t, _ = make([P1], [("P1", "2014-02-01", "PR")])
    res = derive_endpoints(p, t, None)
    assert "DOR" not in set(res.adtte.paramcd)


# ---------------------------------------------------------------- TTP
def test_ttp_death_is_censored_pd_is_event():
    pats = [dict(P1, patient_id="dies", death_date="2014-05-01"),
            dict(P1, patient_id="pd", death_date="2014-05-01")]
    scans = [("dies", "2014-02-01", "SD"), ("pd", "2014-02-01", "SD"), ("pd", "2014-04-01", "PD")]
    res = derive_endpoints(*make(pats, scans))
    ttp = row(res, "dies", "TTP")
    assert (ttp.adt, ttp.cnsr) == (D("2014-02-01"), 1)
    assert ttp.evntdesc == "Censored at last adequate assessment: death without progression"
    assert row(res, "dies", "PFS").cnsr == 0
    assert (row(res, "pd", "TTP").adt, row(res, "pd", "TTP").cnsr) == (D("2014-04-01"), 0)


def test_ttp_clinical_progression_is_event():
    res = derive_endpoints(*make([dict(P1, progression_date="2014-03-03")]))
    ttp = row(res, "P1", "TTP")
    assert (ttp.cnsr, ttp.evntdesc, ttp.aval) == (0, "Clinical progression", 61)


# ---------------------------------------------------------------- data problems
def test_event_before_start_is_warned():
    res = derive_endpoints(*make([dict(P1, progression_date="2013-12-31")]))
    assert row(res, "P1", "PFS").aval == -1
    assert any(w.paramcd == "PFS" and w.column == "progression_date" for w in res.warnings)


def test_no_last_contact_censors_os_at_start():
    res = derive_endpoints(*make([dict(P1, last_contact_date=None)]))
    os_ = row(res, "P1", "OS")
    assert (os_.aval, os_.cnsr, os_.evntdesc) == (1, 1, "Censored at start: no last contact date")
    assert res.warnings[0].column == "last_contact_date"


@pytest.mark.parametrize(
    "mutate, exc, text",
    [
        (lambda p, t, r: (p.drop(columns="start_date"), t, r), ValueError, "start_date"),
        (lambda p, t, r: (p.assign(start_date=pd.NaT), t, r), ValueError, "start_date"),
        (lambda p, t, r: (pd.concat([p, p]), t, r), ValueError, "unique"),
        (lambda p, t, r: (p, t.assign(overall="XX"), r), ValueError, "overall"),
        (lambda p, t, r: (p, t.assign(patient_id="ghost"), r), ValueError, "ghost"),
        (lambda p, t, r: (p, t.assign(date="not a date"), r), TypeError, "timepoints.date"),
        (lambda p, t, r: (p, t.drop(columns="overall"), r), ValueError, "overall"),
        (lambda p, t, r: ("nope", t, r), TypeError, "patients"),
    ],
)
def test_bad_input_raises_clear_error(mutate, exc, text):
    args = mutate(*make([P1], [("P1", "2014-02-01", "SD")]))
    with pytest.raises(exc, match=text):
        derive_endpoints(*args)


def test_iso_strings_and_lowercase_responses_are_accepted():
    p, t, r = make([P1], [("P1", "2014-02-06", "SD"), ("P1", "2014-03-06", "PD")])
    p["start_date"] = "2014-01-02"
    t["overall"] = [" Non-CR/Non-PD ", "pd"]
    pfs = row(derive_endpoints(p, t, r), "P1", "PFS")
    assert (pfs.aval, pfs.cnsr) == (64, 0)
    t["overall"] = [" Non-CR/Non-PD ", "ne"]
    pfs = row(derive_endpoints(p, t, r), "P1", "PFS")
    assert (pfs.adt, pfs.cnsr) == (D("2014-02-06"), 1)


def test_no_timepoints_at_all():
    dead = dict(P1, death_date="2014-03-01", last_contact_date="2014-03-01")
    p, _, r = make([dead, dict(P1, patient_id="P2")])
    res = derive_endpoints(p, None, r)
    assert row(res, "P1", "PFS").evntdesc == "Death" and row(res, "P1", "TTP").aval == 1
    assert row(res, "P2", "PFS").evntdesc == "Censored at start: no adequate post-baseline assessment"
