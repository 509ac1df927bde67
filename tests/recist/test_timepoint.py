"""Per-scan target / non-target / new-lesion / overall responses and the RECIST pitfalls."""

import warnings as pywarnings

import numpy as np
import pandas as pd
import pytest

from oncoseries.recist import derive_responses
from oncoseries.recist.timepoint import timepoints
from tests.recist.recist_builders import NEW, N, T, Study, by_day


def _tp(study):
    tp, table, warnings = timepoints(study.patients(), study.lesions())
    return tp, table, warnings


def _series(scans, extra_baseline=()):
    """One patient; scans = {day: [rows]} with baseline at day -7."""
    s = Study().patient("p")
    for day, rows in scans.items():
        s.scan("p", day, *rows)
    tp, table, warnings = _tp(s)
    return by_day(tp, "p"), table, warnings


def test_columns_and_post_baseline_only():
    rows, table, _ = _series({-30: [T("a", 50)], -7: [T("a", 50)], 42: [T("a", 40)]})
    s = Study().patient("p").scan("p", -7, T("a", 50)).scan("p", 42, T("a", 40))
    tp, table, _ = _tp(s)
    assert list(tp.columns[:6]) == ["patient_id", "date", "target", "non_target", "new_lesions", "overall"]
    assert {"target_sum", "pct_from_baseline", "pct_from_nadir", "nadir"} <= set(tp.columns)
    assert list(rows) == [42]          # the day -30 scan is older than the baseline, day -7 is baseline
    assert list(table.columns[:9]) == ["patient_id", "date", "lesion_id", "role", "organ", "nodal", "state",
                                       "diameter_mm", "diameter_used"]
    assert {"baseline_sum", "target_sum", "nadir"} <= set(table.columns)
    assert tp["date"].dtype == "datetime64[ns]"


def test_pd_is_measured_from_nadir_not_baseline():
    rows, _, _ = _series({-7: [T("a", 100)], 42: [T("a", 60)], 84: [T("a", 75)]})
    assert rows[42]["target"] == "PR"
    r = rows[84]
    # -25 % from baseline (would be SD) but +25 % and +15 mm over the nadir of 60 -> PD
    assert r["nadir"] == 60 and r["pct_from_baseline"] == pytest.approx(-25.0)
    assert r["pct_from_nadir"] == pytest.approx(25.0) and r["target"] == "PD" and r["overall"] == "PD"


def test_five_mm_rule():
    # nadir 10: 13 mm is +30 % but only +3 mm -> not PD; 15 mm (+50 %, +5 mm) -> PD
    rows, _, _ = _series({-7: [T("a", 40)], 42: [T("a", 10)], 84: [T("a", 13)], 126: [T("a", 15)]})
    assert rows[84]["target"] == "PR" and rows[84]["pct_from_nadir"] == pytest.approx(30.0)
    assert rows[126]["target"] == "PD"


def test_boundaries_inclusive_with_tolerance():
    # 10.1 + 10.2 + 10.3 = 30.6; 7.14 * 3 = 21.42 is exactly -30 % but not in floating point
    base = [T("a", 10.1), T("b", 10.2, organ="liver"), T("c", 10.3, organ="bone")]
    pr = [T("a", 7.14), T("b", 7.14, organ="liver"), T("c", 7.14, organ="bone")]
    rows, _, _ = _series({-7: base, 42: pr})
    assert rows[42]["target"] == "PR"
    # just under 30 %: SD
    rows, _, _ = _series({-7: [T("a", 100)], 42: [T("a", 70.1)]})
    assert rows[42]["target"] == "SD"
    # nadir 25 -> 30 is exactly +20 % and +5 mm -> PD; 29.9 is not
    rows, _, _ = _series({-7: [T("a", 25)], 42: [T("a", 30)]})
    assert rows[42]["target"] == "PD"
    rows, _, _ = _series({-7: [T("a", 25)], 42: [T("a", 29.9)]})
    assert rows[42]["target"] == "SD"
    # 0.1-mm sums: 36.3 -> 43.56 (= +20 %, +7.26 mm)
    rows, _, _ = _series({-7: [T("a", 12.1), T("b", 24.2, organ="liver")],
                          42: [T("a", 14.52), T("b", 29.04, organ="liver")]})
    assert rows[42]["target"] == "PD"


def test_nodes_keep_their_short_axis_and_cr_needs_nodes_below_10mm():
    base = [T("a", 30), T("n", 20, nodal=True, organ="node")]
    rows, _, _ = _series({-7: base, 42: [T("a", 0, state="absent"), T("n", 8, nodal=True, organ="node")],
                          84: [T("a", 0, state="absent"), T("n", 10, nodal=True, organ="node")]})
    assert rows[42]["target"] == "CR" and rows[42]["target_sum"] == 8      # not 0
    assert rows[84]["target"] == "PR" and rows[84]["target_sum"] == 10     # a 10-mm node is not normal


def test_absent_node_without_measurement_counts_zero():
    rows, table, _ = _series({-7: [T("n", 20, nodal=True)], 42: [T("n", None, state="absent", nodal=True)]})
    assert rows[42]["target"] == "CR" and rows[42]["target_sum"] == 0


@pytest.mark.parametrize("diam,used", [(None, 5.0), (3.0, 3.0), (7.0, 5.0)])
def test_too_small_counts_5mm_unless_smaller_recorded(diam, used):
    rows, table, _ = _series({-7: [T("a", 20)], 42: [T("a", diam, state="too_small")]})
    assert rows[42]["target_sum"] == used
    assert rows[42]["target"] == "PR"                     # too_small is not 0: not CR
    used_col = table[(table["lesion_id"] == "a") & ~table["baseline"]]["diameter_used"]
    assert used_col.iloc[0] == used


def test_nadir_zero_no_division_and_5mm_rule():
    # target gone (sum 0) while non-targets persist (overall PR, so no overall CR):
    # a 4-mm reappearance is not PD (nadir 0: +4 mm < 5 mm); 6 mm is PD
    scans = {-7: [T("a", 20), N("x")], 42: [T("a", 0, state="absent"), N("x")],
             84: [T("a", 4), N("x")], 126: [T("a", 6), N("x")]}
    with pywarnings.catch_warnings():
        pywarnings.simplefilter("error")
        rows, _, _ = _series(scans)
    assert rows[42]["overall"] == "PR"
    assert rows[84]["nadir"] == 0 and np.isnan(rows[84]["pct_from_nadir"])
    assert rows[84]["target"] == "PR" and rows[84]["change_from_nadir_mm"] == 4
    assert rows[126]["target"] == "PD"


def test_reappearance_after_overall_cr_is_pd():
    rows, _, _ = _series({-7: [T("a", 20)], 42: [T("a", 0, state="absent")], 84: [T("a", 3)]})
    assert rows[42]["overall"] == "CR"
    assert rows[84]["target"] == "PD" and rows[84]["overall"] == "PD"


def test_cr_outranks_growth_of_normal_nodes():
    # nodes 3+3 (CR, normal) growing to 6+6 (+100 %, +6 mm) stay normal: CR, not PD
    base = [T("n1", 20, nodal=True), T("n2", 20, nodal=True)]
    rows, _, _ = _series({-7: base, 42: [T("n1", 3, nodal=True), T("n2", 3, nodal=True)],
                          84: [T("n1", 6, nodal=True), T("n2", 6, nodal=True)]})
    assert rows[84]["target"] == "CR"


def test_partial_measurement_ne_unless_pd():
    base = [T("a", 20), T("b", 20, organ="liver"), T("c", 20, organ="bone")]
    rows, _, _ = _series({-7: base,
                          42: [T("a", 10), T("b", None, organ="liver"), T("c", 10, organ="bone")],
                          84: [T("a", 10), T("c", 10, organ="bone")],      # b missing from the scan
                          126: [T("a", 40), T("c", 40, organ="bone")]})     # measured ones alone: PD
    assert rows[42]["target"] == "NE" and rows[42]["overall"] == "NE"
    assert np.isnan(rows[42]["target_sum"]) and not rows[42]["target_complete"]
    assert rows[84]["target"] == "NE"
    assert rows[126]["target"] == "PD" and rows[126]["overall"] == "PD"


def test_incomplete_scans_do_not_set_the_nadir():
    base = [T("a", 50), T("b", 50, organ="liver")]
    rows, _, _ = _series({-7: base, 42: [T("a", 30)],                        # partial: sum 30, NE
                          84: [T("a", 30), T("b", 30, organ="liver")]})
    assert rows[42]["target"] == "NE"
    assert rows[84]["nadir"] == 100 and rows[84]["target"] == "PR"


def test_non_target_responses():
    base = [T("a", 30), N("x"), N("nd", nodal=True, diam=15)]
    cases = {
        42: ([N("x", state="absent"), N("nd", nodal=True, diam=9)], "CR"),
        84: ([N("x", state="absent"), N("nd", nodal=True, diam=12)], "NON-CR/NON-PD"),
        126: ([N("x"), N("nd", nodal=True, state="not_evaluated")], "NE"),
        168: ([N("x", state="absent")], "NE"),                               # nd missing
        210: ([N("x", state="unequivocal_progression"), N("nd", nodal=True, state="not_evaluated")], "PD"),
    }
    scans = {-7: base}
    for day, (rows, _) in cases.items():
        scans[day] = [T("a", 30)] + rows
    rows, _, _ = _series(scans)
    for day, (_, expected) in cases.items():
        assert rows[day]["non_target"] == expected, day
    rows, _, _ = _series({-7: [T("a", 30)], 42: [T("a", 30)]})
    assert rows[42]["non_target"] == "NA"


def test_equivocal_new_lesion_is_not_pd_and_is_retro_dated_when_confirmed():
    base = [T("a", 30)]
    rows, _, _ = _series({-7: base, 42: [T("a", 30), NEW("z", state="equivocal")],
                          84: [T("a", 30), NEW("z", state="equivocal")],
                          126: [T("a", 30), NEW("z")]})
    assert rows[42]["new_lesions"] == "yes" and rows[42]["overall"] == "PD"     # first sighting
    assert rows[126]["overall"] == "PD"
    # never confirmed: stays equivocal, no PD
    rows, _, _ = _series({-7: base, 42: [T("a", 30), NEW("z", state="equivocal")], 84: [T("a", 30)]})
    assert (rows[42]["new_lesions"], rows[42]["overall"]) == ("equivocal", "SD")
    # a different lesion id confirms nothing
    rows, _, _ = _series({-7: base, 42: [T("a", 30), NEW("z", state="equivocal")],
                          84: [T("a", 30), NEW("y")]})
    assert rows[42]["overall"] == "SD" and rows[84]["overall"] == "PD"


def test_new_node_counts_from_10mm():
    rows, _, _ = _series({-7: [T("a", 30)], 42: [T("a", 30), NEW("n", nodal=True, diam=8)],
                          84: [T("a", 30), NEW("n", nodal=True, diam=11)]})
    assert rows[42]["new_lesions"] == "no" and rows[42]["overall"] == "SD"
    assert rows[84]["new_lesions"] == "yes" and rows[84]["overall"] == "PD"


def test_lesion_not_at_baseline_is_ignored_with_warning():
    rows, table, warnings = _series({-7: [T("a", 30)], 42: [T("a", 30), T("b", 50)]})
    assert rows[42]["target_sum"] == 30 and rows[42]["target"] == "SD"
    assert [(w.lesion_id, w.message) for w in warnings] == [("b", "target lesion not on the baseline scan; ignored")]
    assert table.loc[table["lesion_id"] == "b", "role"].iloc[0] == "ignored"


def _reference(base, scans):
    """Straightforward per-scan RECIST 1.1 rules, one patient (independent of the vectorised code).

    base: {lesion: (diam, nodal)}; scans: list of (day, {lesion: value or None}, nt_state, new).
    """
    from oncoseries.recist import overall_response
    b = sum(d for d, _ in base.values())
    nadir, had_cr, out = b, False, []
    for day, vals, nt_state, new in scans:
        v = [vals.get(k) for k in base]
        measured = [x for x in v if x is not None]
        complete = len(measured) == len(base)
        msum = sum(measured)
        nodal = [base[k][1] for k in base]
        cr = complete and all((x < 10) if nd else (x == 0) for x, nd in zip(v, nodal))
        grow = msum - nadir
        pd_ = (grow >= 5 - 1e-9 and (nadir == 0 or grow / nadir >= 0.2 - 1e-9)) or \
            (had_cr and any(x is not None and x > 0 and not nd for x, nd in zip(v, nodal)))
        target = ("CR" if cr else "PD" if pd_ else "NE" if not complete
                  else "PR" if (msum - b) / b <= -0.3 + 1e-9 else "SD")
        nt = {"present": "NON-CR/NON-PD", "absent": "CR", "not_evaluated": "NE",
              "unequivocal_progression": "PD"}[nt_state]
        overall = overall_response([target], [nt], [new])[0]
        out.append((day, target, nt, overall))
        if complete:
            nadir = min(nadir, msum)
        had_cr = had_cr or (cr and nt == "CR" and not new)
    return out


def test_vectorised_equals_reference_rules_on_random_patients():
    rng = np.random.default_rng(7)
    s = Study()
    expected = {}
    for i in range(150):
        pid = f"p{i:03d}"
        s.patient(pid)
        n_t = int(rng.integers(1, 4))
        base = {f"t{k}": (float(rng.integers(15, 60)), bool(rng.random() < 0.3)) for k in range(n_t)}
        s.scan(pid, -int(rng.integers(0, 20)),
               *[T(k, d, nodal=nd, organ=f"o{k}") for k, (d, nd) in base.items()], N("x"))
        day, scans = 0, []
        for _ in range(int(rng.integers(0, 7))):
            day += int(rng.integers(20, 70))
            rows, vals = [], {}
            for k, (d, nd) in base.items():
                u = rng.random()
                if u < 0.08:
                    rows.append(T(k, None, nodal=nd, organ=k))
                elif u < 0.25 and not nd:
                    rows.append(T(k, 0, state="absent", organ=k))
                    vals[k] = 0.0
                elif u < 0.96:
                    x = float(rng.integers(0, 2 * int(d) + 10)) / 2
                    rows.append(T(k, x, nodal=nd, organ=k))
                    vals[k] = x
            nt_state = str(rng.choice(["present", "absent", "not_evaluated", "unequivocal_progression"],
                                      p=[.6, .25, .1, .05]))
            rows.append(N("x", state=nt_state))
            new = bool(rng.random() < 0.05)
            if new:
                rows.append(NEW(f"z{day}"))
            s.scan(pid, day, *rows)
            scans.append((day, vals, nt_state, new))
        expected[pid] = _reference(base, scans)
    tp, _, _ = _tp(s)
    got = {pid: [(int((d - pd.Timestamp("2020-01-01")).days), t, nt, o)
                 for d, t, nt, o in zip(g["date"], g["target"], g["non_target"], g["overall"])]
           for pid, g in tp.groupby("patient_id", sort=False)}
    assert {k: v for k, v in expected.items() if v} == got
    assert set(tp["target"]) == {"CR", "PR", "SD", "PD", "NE"}
    assert set(tp["overall"]) == {"CR", "PR", "SD", "PD", "NE"}


def test_derive_responses_is_deterministic():
    s = (Study().patient("p").scan("p", -7, T("a", 30), N("x")).scan("p", 42, T("a", 20), N("x"))
         .patient("q").scan("q", -3, T("a", 30)).scan("q", 50, T("a", 40)))
    a = derive_responses(s.patients(), s.lesions())
    b = derive_responses(s.patients(), s.lesions())
    pd.testing.assert_frame_equal(a.timepoints, b.timepoints)
    pd.testing.assert_frame_equal(a.best_response, b.best_response)
    pd.testing.assert_frame_equal(a.lesion_table, b.lesion_table)


def test_role_change_keeps_baseline_role_with_one_warning():
    rows, _, warnings = _series({-7: [T("a", 30), N("x")], 42: [T("a", 30), T("x", 50)],
                                 84: [T("a", 30), T("x", 60)]})
    assert rows[42]["target_sum"] == 30 and rows[42]["non_target"] == "NON-CR/NON-PD"
    assert [(w.lesion_id, w.message) for w in warnings] == [
        ("x", "role changed from non_target at baseline to target; the baseline role is kept")]
