"""iRECIST rules, each on a small study whose expected values are derived by hand.

Sources: [iR] Seymour et al., iRECIST, Lancet Oncol 18:e143 (2017): "Assessment of iUPD and iCPD" and
Table 2 (time-point response with and without previous iUPD); [FAQ] EORTC iRECIST questions and
clarifications (recist.eortc.org/irecist): "How do new lesions define progression?" (sequential increases are
additive), "Can imaging be used to confirm progression ... less than four weeks after iUPD" (no, except
for an additional new lesion), "If iUPD is driven by non-target disease ..."; [A] admiralonco vignette
``irecist.Rmd`` (iBOR events; iCPD dated at its iUPD). Day 0 = start_date; baseline on day -7.
"""

from __future__ import annotations

import pandas as pd
import pytest

from oncoseries.endpoints import derive_endpoints
from oncoseries.recist import RecistSettings, derive_responses

from .recist_builders import NEW, START, N, Study, T

IR = RecistSettings(criteria="irecist", population="all")


def _run(s: Study):
    res = derive_responses(s.patients(), s.lesions(), settings=IR)
    tp = res.timepoints
    seq = {p: list(g["i_overall"]) for p, g in tp.groupby("patient_id", sort=False)}
    return res, seq


def _day(d):
    return START + pd.Timedelta(days=d)


def test_pseudoprogression_resets_and_counts_the_later_response():
    """[iR] Table 2: target iUPD (50 -> 62 mm: +24 % and +12 mm over the nadir 50), then 34 mm (-32 % from
    baseline 50) at the next assessment: not confirmed (34 < 62 + 5) and no longer PD -> the bar is reset:
    iPR; iBOR iPR (dated day 112), RECIST 1.1 BOR PD."""
    s = Study().patient("a")
    for d, x, y in [(-7, 30, 20), (56, 36, 26), (112, 20, 14)]:
        s.scan("a", d, T("t1", x), T("t2", y, organ="liver"))
    res, seq = _run(s)
    assert seq["a"] == ["iUPD", "iPR"]
    b = res.best_response.iloc[0]
    assert (b["bor"], b["ibor"], b["ibor_date"]) == ("PD", "iPR", _day(112))


def test_target_growth_confirms_only_from_5_mm_and_increases_add_up():
    """[iR] Table 2 "target iUPD: remains iUPD unless ... further increase in sum of measures >= 5 mm";
    [FAQ] sequential increases are additive: 60 (iUPD) -> 63 (+3: iUPD) -> 65 (+5 over the iUPD: iCPD)."""
    s = Study().patient("a")
    for d, x in [(-7, 50), (56, 60), (112, 63), (168, 65)]:
        s.scan("a", d, T("t1", x))
    _, seq = _run(s)
    assert seq["a"] == ["iUPD", "iUPD", "iCPD"]


def test_new_lesion_iupd_confirmed_by_an_additional_new_lesion_not_by_a_stable_one():
    """[iR] Table 2 (new lesions): a new lesion gives iUPD; unchanged at the next assessment it remains iUPD;
    an additional new lesion confirms iCPD."""
    s = Study().patient("a")
    s.scan("a", -7, T("t1", 40)).scan("a", 56, T("t1", 40), NEW("x1", diam=12))
    s.scan("a", 112, T("t1", 40), NEW("x1", diam=12))
    s.scan("a", 168, T("t1", 40), NEW("x1", diam=12), NEW("x2", diam=6, organ="skin"))
    res, seq = _run(s)
    assert seq["a"] == ["iUPD", "iUPD", "iCPD"]
    b = res.best_response.iloc[0]
    # iBOR: no iCR/iPR/iSD/NON-iCR scan -> iCPD, dated at the iUPD it confirms ([A] ibor_icpd)
    assert (b["ibor"], b["ibor_date"]) == ("iCPD", _day(56))


def test_new_target_lesions_sum_and_new_non_target_growth():
    """New lesions measurable at first sighting are new targets, at most 2 per organ (docs/recist.md, the
    RECIST 1.1 §3.2 limits applied to new lesions as [iR] asks): x1 15 mm and x2 12 mm in the liver are new
    targets, x3 11 mm (third in the liver) is new non-target. Next scan: new-target sum 27 -> 30 (+3, not
    enough) but x3 grows 11 -> 13 mm: any increase of a new non-target lesion confirms iCPD ([iR] Table 2)."""
    s = Study().patient("a")
    s.scan("a", -7, T("t1", 40))
    s.scan("a", 56, T("t1", 40), NEW("x1", diam=15, organ="liver"), NEW("x2", diam=12, organ="liver"),
           NEW("x3", diam=11, organ="liver"))
    s.scan("a", 112, T("t1", 40), NEW("x1", diam=17, organ="liver"), NEW("x2", diam=13, organ="liver"),
           NEW("x3", diam=13, organ="liver"))
    res, seq = _run(s)
    assert seq["a"] == ["iUPD", "iCPD"]
    assert res.timepoints["new_target_sum"].tolist() == [27.0, 30.0]


def test_new_target_sum_growth_of_5_mm_confirms():
    """x1 12 mm (new target) -> 17 mm: +5 mm in the sum of new target lesions -> iCPD ([iR] Table 2)."""
    s = Study().patient("a")
    s.scan("a", -7, T("t1", 40)).scan("a", 56, T("t1", 40), NEW("x1", diam=12))
    s.scan("a", 112, T("t1", 40), NEW("x1", diam=16)).scan("a", 168, T("t1", 40), NEW("x1", diam=17))
    _, seq = _run(s)
    assert seq["a"] == ["iUPD", "iUPD", "iCPD"]


def test_scan_less_than_4_weeks_after_iupd_confirms_only_with_a_new_lesion():
    """[FAQ] scans < 4 weeks after iUPD do not define iCPD unless an additional new lesion is seen: day 70
    (14 days after the iUPD of day 56) with +10 mm stays iUPD; patient b's day-70 scan shows a new lesion:
    iCPD."""
    s = Study().patient("a").patient("b")
    for p in ("a", "b"):
        s.scan(p, -7, T("t1", 50)).scan(p, 56, T("t1", 60))
    s.scan("a", 70, T("t1", 70))
    s.scan("b", 70, T("t1", 60), NEW("x1", diam=8))
    _, seq = _run(s)
    assert seq == {"a": ["iUPD", "iUPD"], "b": ["iUPD", "iCPD"]}


def test_not_evaluated_scan_keeps_iupd_and_ipfs_dates_the_iupd():
    """iUPD (day 56) -> missed scan (targets not evaluated: NE, the status stays iUPD) -> +7 mm at day 168:
    iCPD. iPFS event at the iUPD date, day 56: aval 57 (ADaM +1); PFS is the same day."""
    s = Study().patient("a")
    s.scan("a", -7, T("t1", 50)).scan("a", 56, T("t1", 62)).scan("a", 112, T("t1", None))
    s.scan("a", 168, T("t1", 69))
    res, seq = _run(s)
    assert seq["a"] == ["iUPD", "NE", "iCPD"]
    adtte = derive_endpoints(s.patients(), res.timepoints, res.best_response).adtte.set_index("paramcd")
    assert (adtte.loc["IPFS", "aval"], adtte.loc["IPFS", "cnsr"]) == (57, 0)
    assert adtte.loc["IPFS", "adt"] == adtte.loc["PFS", "adt"] == _day(56)


def test_reset_episode_is_no_ipfs_event_and_a_second_progression_is():
    """iUPD (day 56) reset at day 112 (iSD); RECIST 1.1 PD again at day 168 (nadir 48: 60 >= 57.6 and +12 mm)
    -> a new iUPD, confirmed at day 224 (+5 mm) -> iPFS event at day 168 (aval 169), PFS at day 56."""
    s = Study().patient("a")
    for d, x in [(-7, 50), (56, 62), (112, 48), (168, 60), (224, 65)]:
        s.scan("a", d, T("t1", x))
    res, seq = _run(s)
    assert seq["a"] == ["iUPD", "iSD", "iUPD", "iCPD"]
    adtte = derive_endpoints(s.patients(), res.timepoints, res.best_response).adtte.set_index("paramcd")
    assert adtte.loc["IPFS", "aval"] == 169 and adtte.loc["PFS", "aval"] == 57
    assert res.timepoints["i_upd_date"].tolist()[2:] == [_day(168), _day(168)]


def test_non_target_only_disease_and_non_target_confirmation():
    """Non-target disease only: NON-iCR/NON-iUPD; unequivocal progression -> iUPD; at the next assessment a
    further increase (recorded as unequivocal_progression) confirms iCPD ([FAQ]: need not be unequivocal
    again; the data model records it with that state). iBOR NON-iCR/NON-iUPD (day 56 >= 42)."""
    s = Study().patient("a")
    s.scan("a", -7, N("b1", organ="bone")).scan("a", 56, N("b1", organ="bone"))
    s.scan("a", 112, N("b1", state="unequivocal_progression", organ="bone"))
    s.scan("a", 168, N("b1", state="unequivocal_progression", organ="bone"))
    res, seq = _run(s)
    assert seq["a"] == ["NON-iCR/NON-iUPD", "iUPD", "iCPD"]
    assert res.best_response.iloc[0]["ibor"] == "NON-iCR/NON-iUPD"


def test_ibor_stops_at_the_first_icpd_and_before_new_therapy():
    """[A]: only scans up to and including the first iCPD count; later responses do not ([iR]: iCPD is final).
    Patient b starts new therapy on day 100: the iUPD of day 112 is not counted -> iBOR iSD (day 56)."""
    s = Study().patient("a").patient("b", new_therapy_day=100)
    for d, x in [(-7, 50), (56, 62), (112, 70), (168, 20)]:
        s.scan("a", d, T("t1", x))
    for d, x in [(-7, 50), (56, 50), (112, 62)]:
        s.scan("b", d, T("t1", x))
    res, seq = _run(s)
    assert seq["a"] == ["iUPD", "iCPD", "iCPD"]
    best = res.best_response.set_index("patient_id")
    assert best.loc["a", "ibor"] == "iCPD" and best.loc["b", "ibor"] == "iSD"


@pytest.mark.parametrize("criteria", ["recist1.1"])
def test_recist_only_has_no_irecist_columns(criteria):
    s = Study().patient("a").scan("a", -7, T("t1", 50)).scan("a", 56, T("t1", 62))
    res = derive_responses(s.patients(), s.lesions(), settings=RecistSettings(criteria=criteria))
    assert "i_overall" not in res.timepoints and "ibor" not in res.best_response
    adtte = derive_endpoints(s.patients(), res.timepoints, res.best_response).adtte
    assert "IPFS" not in set(adtte["paramcd"])


def test_unknown_criteria_is_an_error():
    with pytest.raises(ValueError, match="criteria"):
        RecistSettings(criteria="irRC")


def test_new_target_selection_limits():
    """New target lesions: measurable at first sighting (>= 10 mm; node short axis >= 15 mm), at most 5 in
    total, chosen in order of appearance then size (docs/recist.md). Day 56: n1 node 12 mm (not measurable),
    a..e 11-15 mm in five organs; day 112: f 30 mm. Targets: e (15), d (14), c (13), b (12), a (11) on day 56;
    f appears later and the limit of 5 is reached, so f is new non-target: the new-target sum on day 112
    stays 15+14+13+12+11 = 65."""
    organs = ["lung", "liver", "skin", "brain", "spleen"]
    s = Study().patient("p").scan("p", -7, T("t1", 40))
    day56 = [NEW("n1", diam=12, nodal=True, organ="neck")] + [
        NEW(x, diam=11 + i, organ=o) for i, (x, o) in enumerate(zip("abcde", organs))]
    s.scan("p", 56, T("t1", 40), *day56)
    s.scan("p", 112, T("t1", 40), *day56, NEW("f", diam=30, organ="kidney"))
    res, seq = _run(s)
    assert res.timepoints["new_target_sum"].tolist() == [65.0, 65.0]
    assert seq["p"] == ["iUPD", "iCPD"]          # f is an additional new lesion: iCPD ([iR] Table 2)
