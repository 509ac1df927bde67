"""CDISC input (SDTM/ADaM -> native tables) and export (ADRS/ADTTE CSV + XPT), on pharmaverse data.

Expected values are read from the pharmaverse CSV files inside each test, never typed in by hand.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from oncoseries.endpoints import derive_endpoints
from oncoseries.io.cdisc import domain_of, find_cdisc_files, read_cdisc
from oncoseries.io.cdisc_export import adtte_dataset, export_cdisc, read_xpt

DATA = Path(__file__).resolve().parents[1] / "data" / "pharmaverse-sdtm"
RECIST = [DATA / f for f in ("sdtm_dm.csv", "sdtm_tu_onco_recist.csv", "sdtm_tr_onco_recist.csv",
                             "sdtm_rs_onco_recist.csv")]
SUBSET = DATA / "subset"


def raw(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def line(path: Path, row: int) -> dict:
    """The CSV line ``row`` (header = 1) as a dict."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return dict(zip(rows[0], rows[row - 1]))


@pytest.fixture(scope="module")
def recist():
    return read_cdisc(RECIST)


@pytest.fixture(scope="module")
def subset():
    return read_cdisc(SUBSET)


def test_domain_recognised_by_stem():
    assert domain_of("dm.csv") == "dm"
    assert domain_of("ADSL.xpt") == "adsl"
    assert domain_of("sdtm_tu_onco.csv") == "tu"
    assert domain_of("sdtm_rs_onco_recist.sas7bdat") == "rs"
    assert domain_of("patients.csv") is None
    assert domain_of("tr.txt") is None
    files, problems = find_cdisc_files(SUBSET)
    assert sorted(files) == ["dm", "rs", "tr", "tu"] and problems == []


def test_recist_patients_from_dm(recist):
    tables, _ = recist
    pts = tables["patients"]
    rs = raw(DATA / "sdtm_rs_onco_recist.csv")
    assert sorted(pts.patient_id) == sorted(set(rs.USUBJID))  # DM subjects without tumour data left out
    dm = raw(DATA / "sdtm_dm.csv").set_index("USUBJID")
    for _, r in pts.iterrows():
        assert r.start_date == pd.Timestamp(dm.at[r.patient_id, "RFSTDTC"])
        assert r.age == int(dm.at[r.patient_id, "AGE"]) and r.sex == dm.at[r.patient_id, "SEX"]
        assert line(DATA / "sdtm_dm.csv", r["_row"])["USUBJID"] == r.patient_id
    assert pts.start_date.dtype == "datetime64[ns]" and pts.death_date.isna().all()


def test_recist_lesions_known_values_roles_and_rows(recist):
    tables, _ = recist
    les = tables["lesions"]
    tr = raw(DATA / "sdtm_tr_onco_recist.csv")
    tr = tr[tr.TREVAL == "INVESTIGATOR"]
    assert len(les) == len(tr.drop_duplicates(["USUBJID", "TRLNKID", "TRDTC"]))
    tu = raw(DATA / "sdtm_tu_onco_recist.csv")
    tu = tu[tu.TUEVAL == "INVESTIGATOR"].set_index(["USUBJID", "TULNKID"])
    roles = {"TARGET": "target", "NON-TARGET": "non_target"}
    for r in les.itertuples():
        assert r.role == roles[tu.at[(r.patient_id, r.lesion_id), "TUORRES"]]
        assert r.organ == tu.at[(r.patient_id, r.lesion_id), "TULOC"]
        assert r.nodal == (r.organ == "LYMPH NODE")

    def measured(subject, lesion, test, date):
        sel = tr[(tr.USUBJID == subject) & (tr.TRLNKID == lesion) & (tr.TRTESTCD == test)
                 & (tr.TRDTC == date)]
        return float(sel.TRSTRESN.iloc[0])

    def lesion(subject, lesion_id, date):
        sel = les[(les.patient_id == subject) & (les.lesion_id == lesion_id)
                  & (les.date == pd.Timestamp(date))]
        assert len(sel) == 1
        return sel.iloc[0]

    # non-nodal: longest diameter; nodal (LYMPH NODE): short axis LPERP
    t01 = lesion("01-701-1015", "T01", "2014-01-02")
    assert t01.diameter_mm == measured("01-701-1015", "T01", "LDIAM", "2014-01-02") and not t01.nodal
    t02 = lesion("01-701-1015", "T02", "2014-01-02")
    assert t02.diameter_mm == measured("01-701-1015", "T02", "LPERP", "2014-01-02") and t02.nodal
    src = line(DATA / "sdtm_tr_onco_recist.csv", int(t02["_row"]))
    assert (src["TRLNKID"], src["TRTESTCD"], src["TREVAL"]) == ("T02", "LPERP", "INVESTIGATOR")
    # non-target tumour state (duplicated identical TR rows give one lesion row)
    nt = tr[(tr.USUBJID == "01-701-1034") & (tr.TRLNKID == "NT02") & (tr.TRDTC == "2014-07-22")]
    assert lesion("01-701-1034", "NT02", "2014-07-22").state == nt.TRSTRESC.iloc[0].lower() == "absent"
    assert les.diameter_mm[les.role == "non_target"].isna().all()
    assert set(les.role) == {"target", "non_target"}


def test_recist_assessments_and_partial_date(recist):
    tables, problems = recist
    ass = tables["assessments"]
    rs = raw(DATA / "sdtm_rs_onco_recist.csv")
    rs = rs[rs.RSEVAL == "INVESTIGATOR"]
    assert len(ass) == len(rs)
    assert (ass.response.value_counts().sort_index() == rs.RSSTRESC.value_counts().sort_index()).all()
    # 01-701-1015 WEEK 6 is dated "2014-02": imputed to the last day of the month, with a warning
    partial = rs[rs.RSDTC.str.len() == 7]
    assert list(partial.RSDTC) == ["2014-02"]
    row = ass[(ass.patient_id == "01-701-1015")].iloc[1]
    assert row.date == pd.Timestamp("2014-02-28") and row.response == partial.RSSTRESC.iloc[0]
    w = [p for p in problems if p.file == "sdtm_rs_onco_recist.csv" and p.column == "RSDTC"]
    assert len(w) == 1 and w[0].row == row["_row"] and w[0].severity == "warning"
    assert "2014-02-28" in w[0].message and "last day of the month" in w[0].message
    assert line(DATA / "sdtm_rs_onco_recist.csv", w[0].row)["RSDTC"] == "2014-02"
    assert not [p for p in problems if p.severity == "error"]


def test_subset_investigator_only_and_counts(subset):
    tables, _ = subset
    tr = raw(SUBSET / "sdtm_tr_onco.csv")
    inv = tr[(tr.TREVAL == "INVESTIGATOR") & (tr.TRLNKID != "")]
    les = tables["lesions"]
    # one lesion row per lesion and date (an unscheduled visit of 01-711-1143 spans two dates)
    assert len(les) == len(inv.drop_duplicates(["USUBJID", "TRLNKID", "TRDTC"]))
    assert les.groupby("role").size().to_dict() == (
        inv.drop_duplicates(["USUBJID", "TRLNKID", "TRDTC"]).TRGRPID.str.lower()
        .str.replace("-", "_").value_counts().to_dict())
    rs = raw(SUBSET / "sdtm_rs_onco.csv")
    assert len(tables["assessments"]) == ((rs.RSEVAL == "INVESTIGATOR") & (rs.RSTESTCD == "OVRLRESP")).sum()
    assert len(tables["patients"]) == raw(SUBSET / "sdtm_dm.csv").USUBJID.nunique()


def test_subset_states_components_and_deaths(subset):
    tables, _ = subset
    les, ass, pts = tables["lesions"], tables["assessments"], tables["patients"]
    tr = raw(SUBSET / "sdtm_tr_onco.csv")
    inv = tr[(tr.TREVAL == "INVESTIGATOR") & (tr.TRTESTCD == "TUMSTATE")]
    new = inv[inv.TRGRPID == "NEW"]
    got = les[les.role == "new"].set_index("patient_id").state
    for r in new.itertuples():  # EQUIVOCAL stays equivocal (not PD); UNEQUIVOCAL new lesion is present
        assert got[r.USUBJID] == {"EQUIVOCAL": "equivocal", "UNEQUIVOCAL": "present"}[r.TRSTRESC]
    nt_uneq = inv[(inv.TRGRPID == "NON-TARGET") & (inv.TRSTRESC == "UNEQUIVOCAL")]
    assert (les.state == "unequivocal_progression").sum() == len(nt_uneq)
    # TRSTAT NOT DONE: non-target state rows and target measurement rows -> not_evaluated lesions
    notdone = tr[(tr.TREVAL == "INVESTIGATOR") & (tr.TRSTAT == "NOT DONE")]
    assert set(notdone.TRGRPID[notdone.TRTESTCD != "TUMSTATE"]) == {"TARGET"}
    nd = les[les.state == "not_evaluated"]
    assert len(nd) == len(notdone.drop_duplicates(["USUBJID", "TRLNKID", "TRDTC"]))
    assert nd.diameter_mm.isna().all()
    rs = raw(SUBSET / "sdtm_rs_onco.csv")
    newl = rs[(rs.RSEVAL == "INVESTIGATOR") & (rs.RSTESTCD == "NEWLPROG")]
    assert ass.new_lesions.value_counts().to_dict() == newl.RSSTRESC.map(
        {"EQUIVOCAL": "equivocal", "UNEQUIVOCAL": "yes"}).value_counts().to_dict()
    dm = raw(SUBSET / "sdtm_dm.csv")
    dead = dm[dm.DTHDTC != ""].set_index("USUBJID").DTHDTC
    assert len(dead) == 3
    p = pts.set_index("patient_id")
    for sid, day in dead.items():
        assert p.at[sid, "death_date"] == pd.Timestamp(day)
        assert p.at[sid, "last_contact_date"] <= pd.Timestamp(day)


def test_subset_partial_baseline_dates_completed_from_same_visit(subset):
    tables, problems = subset
    tr = raw(SUBSET / "sdtm_tr_onco.csv")
    part = tr[(tr.TREVAL == "INVESTIGATOR") & (tr.TRDTC.str.len() == 7) & (tr.TRLNKID != "")]
    same_visit = tr[(tr.TREVAL == "INVESTIGATOR") & (tr.USUBJID == part.USUBJID.iloc[0])
                    & (tr.VISITNUM == part.VISITNUM.iloc[0]) & (tr.TRDTC.str.len() == 10)].TRDTC
    assert same_visit.nunique() == 1
    les = tables["lesions"]
    mine = les[(les.patient_id == part.USUBJID.iloc[0]) & les.lesion_id.isin(part.TRLNKID)]
    first = mine.groupby("lesion_id").date.min()
    assert len(first) == part.TRLNKID.nunique() and (first == pd.Timestamp(same_visit.iloc[0])).all()
    month_end = pd.Timestamp(part.TRDTC.iloc[0]) + pd.offsets.MonthEnd(0)
    assert not (mine.date == month_end).any()  # no stray "scan" at the month end
    w = [p for p in problems if p.column == "TRDTC"]
    assert len(w) == len(part) and all("same subject and visit" in p.message for p in w)
    assert sorted(p.row for p in w) == [int(i) + 2 for i in part.index]


def test_subset_invalid_overall_response_is_an_error_with_row(subset):
    tables, problems = subset
    rs = raw(SUBSET / "sdtm_rs_onco.csv")
    bad = rs[(rs.RSEVAL == "INVESTIGATOR") & (rs.RSTESTCD == "OVRLRESP") & (rs.RSSTRESC == "CHECK")]
    (err,) = [p for p in problems if p.severity == "error"]
    assert (err.file, err.row, err.column) == ("sdtm_rs_onco.csv", int(bad.index[0]) + 2, "RSSTRESC")
    assert tables["assessments"].response.isna().sum() == 1


def test_partial_dates_year_only_is_error_and_month_end_without_mates(tmp_path):
    dm = pd.DataFrame({"USUBJID": ["S1"], "RFSTDTC": ["2020-01-15"], "DTHDTC": ["2020-06"]})
    rs = pd.DataFrame({"USUBJID": ["S1"] * 3, "RSTESTCD": ["OVRLRESP"] * 3, "RSSTRESC": ["SD", "PR", "PD"],
                       "RSEVAL": ["INVESTIGATOR"] * 3, "VISITNUM": ["1", "2", "3"],
                       "RSDTC": ["2020-02-10", "2020-02", "2020"]})
    dm.to_csv(tmp_path / "dm.csv", index=False)
    rs.to_csv(tmp_path / "rs.csv", index=False)
    tables, problems = read_cdisc(tmp_path)
    ass = tables["assessments"]
    assert list(ass.date) == [pd.Timestamp("2020-02-10"), pd.Timestamp("2020-02-29")]  # leap year end
    err = [p for p in problems if p.severity == "error"]
    assert [(p.file, p.row, p.column) for p in err] == [("rs.csv", 4, "RSDTC")]
    assert "year-only" in err[0].message
    assert tables["patients"].death_date.iloc[0] == pd.Timestamp("2020-06-30")
    assert any(p.file == "dm.csv" and p.column == "DTHDTC" and "2020-06-30" in p.message for p in problems)


def test_two_files_for_one_domain_is_an_error(tmp_path):
    for name in ("sdtm_rs_onco_recist.csv", "sdtm_dm.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    shutil.copy(DATA / "sdtm_rs_onco_recist.csv", tmp_path / "rs.csv")
    files, problems = find_cdisc_files(tmp_path)
    assert files["rs"].name == "rs.csv"
    assert [(p.file, p.severity) for p in problems] == [("sdtm_rs_onco_recist.csv", "error")]


def test_missing_evaluator_is_an_error(tmp_path):
    rs = raw(DATA / "sdtm_rs_onco_recist.csv")
    rs[rs.RSEVAL != "INVESTIGATOR"].to_csv(tmp_path / "rs.csv", index=False)
    shutil.copy(DATA / "sdtm_dm.csv", tmp_path / "dm.csv")
    tables, problems = read_cdisc(tmp_path)
    assert tables["assessments"].empty
    assert any(p.column == "RSEVAL" and p.severity == "error" for p in problems)
    tables, problems = read_cdisc(tmp_path, evaluator="independent assessor")
    other = rs[rs.RSEVAL == "INDEPENDENT ASSESSOR"]
    assert len(tables["assessments"]) == len(other.drop_duplicates(["USUBJID", "RSDTC"]))
    # two radiologists disagreeing on one date: the first is kept, the conflict is an error
    conflicts = other.groupby(["USUBJID", "RSDTC"]).RSSTRESC.nunique()
    assert sum(p.severity == "error" and "differs" in p.message for p in problems) == (conflicts > 1).sum()


def test_xpt_input_gives_the_same_tables_as_csv(tmp_path, recist):
    for p in RECIST:
        df = raw(p)
        for c in ("TRSTRESN", "AGE", "VISITNUM"):
            if c in df:
                df[c] = pd.to_numeric(df[c].replace("", np.nan))
        pyreadstat.write_xport(df, str(tmp_path / (p.stem + ".xpt")), file_format_version=5,
                               table_name=p.stem.split("_")[1].upper())
    tables, problems = read_cdisc(tmp_path)
    for name, expected in recist[0].items():
        got = tables[name]
        assert (got["_row"] == expected["_row"] - 1).all()  # observation number vs CSV line
        cols = [c for c in expected.columns if c not in ("_file", "_row")]
        pd.testing.assert_frame_equal(got[cols], expected[cols], check_dtype=False)
    assert [p.message for p in problems] == [p.message for p in recist[1]]


def test_adam_adsl_takes_precedence_and_adtte_adrs_are_read(tmp_path):
    adsl = pd.DataFrame({"USUBJID": ["S1", "S2"], "TRTSDT": ["2021-03-01", ""], "RANDDT": ["2021-02-20",
                         "2021-02-22"], "LSTALVDT": ["2021-09-30", "2021-08-01"], "DTHDT": ["", "2021-08-01"],
                         "NACTDT": ["2021-07-01", ""], "AGE": ["55", "61"], "SEX": ["F", "M"]})
    dm = pd.DataFrame({"USUBJID": ["S1", "S2"], "RFSTDTC": ["2021-01-01", "2021-01-01"]})
    adrs = pd.DataFrame({"USUBJID": ["S1", "S1", "S1", "S2"], "PARAMCD": ["OVR", "OVR", "BOR", "OVR"],
                         "AVALC": ["PR", "PD", "PR", "SD"],
                         "ADT": ["2021-04-12", "2021-06-01", "2021-04-12", "2021-04-15"]})
    adsl.to_csv(tmp_path / "adsl.csv", index=False)
    dm.to_csv(tmp_path / "dm.csv", index=False)
    adrs.to_csv(tmp_path / "adrs.csv", index=False)
    tables, problems = read_cdisc(tmp_path)
    p = tables["patients"].set_index("patient_id")
    assert p.at["S1", "start_date"] == pd.Timestamp("2021-03-01")  # TRTSDT
    assert p.at["S2", "start_date"] == pd.Timestamp("2021-02-22")  # RANDDT when no TRTSDT
    assert p.at["S1", "last_contact_date"] == pd.Timestamp("2021-09-30")
    assert p.at["S2", "death_date"] == pd.Timestamp("2021-08-01")
    assert p.at["S1", "new_therapy_date"] == pd.Timestamp("2021-07-01")
    assert p.at["S1", "age"] == 55 and p.at["S2", "sex"] == "M"
    a = tables["assessments"]
    assert list(a.response) == ["PR", "PD", "SD"] and list(a._row) == [2, 3, 5]
    b = tables["adrs_best_response"]
    assert b.set_index("patient_id").at["S1", "bor"] == "PR"
    assert not [q for q in problems if q.severity == "error"]


def test_export_xpt_round_trip_and_read_back_as_adam(tmp_path, recist):
    tables, _ = recist
    tp = tables["assessments"].rename(columns={"response": "overall"})
    pts = tables["patients"]
    first = tp[tp.overall.isin(["CR", "PR"])].groupby("patient_id").date.min()
    br = pd.DataFrame({"patient_id": pts.patient_id, "bor": "SD", "bor_date": pd.NaT})
    br["first_response_date"] = br.patient_id.map(first)
    res = derive_endpoints(pts, tp, br)
    written = export_cdisc(tmp_path, tp, br, res.adtte, studyid="CDISCPILOT01")
    assert [f.name for f in written["adtte"]] == ["adtte.csv", "adtte.xpt"]
    back, labels = read_xpt(tmp_path / "adtte.xpt")
    expected = adtte_dataset(res.adtte, "CDISCPILOT01")
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)
    assert labels["CNSR"] == "Censor" and labels["STARTDT"] == "Time to Event Origin Date for Subject"
    assert all(len(c) <= 8 for c in back.columns)
    csv_back = pd.read_csv(tmp_path / "adtte.csv")
    assert list(csv_back.AVAL) == list(res.adtte.aval)
    assert csv_back.ADT.iloc[0] == str(res.adtte.adt.iloc[0].date())
    adrs, _ = read_xpt(tmp_path / "adrs.xpt")
    ovr = adrs[adrs.PARAMCD == "OVR"]
    assert len(ovr) == len(tp) and set(adrs.PARAMCD) == {"OVR", "BOR"}  # no confirmed_bor given
    assert (ovr.AVAL[ovr.AVALC == "PD"] == 5).all() and (ovr.AVAL[ovr.AVALC == "CR"] == 1).all()
    # the exported ADTTE is readable as CDISC input again
    (tmp_path / "adtte.csv").unlink()
    (tmp_path / "adrs.csv").unlink()
    shutil.copy(DATA / "sdtm_dm.csv", tmp_path / "dm.csv")
    again, _ = read_cdisc(tmp_path)
    got = again["adtte"]
    assert (got.aval.to_numpy() == res.adtte.aval.to_numpy()).all()
    assert (got.adt.to_numpy() == res.adtte.adt.to_numpy()).all()
    assert list(got.evntdesc) == list(res.adtte.evntdesc)


def test_recist_end_to_end_pfs_matches_first_pd(recist):
    tables, _ = recist
    tp = tables["assessments"].rename(columns={"response": "overall"})
    res = derive_endpoints(tables["patients"], tp, None)
    rs = raw(DATA / "sdtm_rs_onco_recist.csv")
    rs = rs[(rs.RSEVAL == "INVESTIGATOR") & (rs.RSSTRESC == "PD")]
    dm = raw(DATA / "sdtm_dm.csv").set_index("USUBJID")
    pfs = res.param("PFS").set_index("patient_id")
    for sid, g in rs.groupby("USUBJID"):
        first_pd = pd.Timestamp(g.RSDTC.min())
        expected = (first_pd - pd.Timestamp(dm.at[sid, "RFSTDTC"])).days + 1
        assert (pfs.at[sid, "aval"], pfs.at[sid, "cnsr"]) == (expected, 0)


def test_units_nodes_missing_tu_date9_duplicates_and_unknown_subject(tmp_path):
    dm = pd.DataFrame({"USUBJID": ["S1"], "RFSTDTC": ["2020-01-10"]})
    tu = pd.DataFrame({"USUBJID": ["S1", "S1", "S1"], "TULNKID": ["T01", "T02", "T03"],
                       "TUORRES": ["TARGET", "TARGET", "TARGET"],
                       "TULOC": ["LIVER", "LYMPH NODE", "MEDIASTINAL NODES"], "TUEVAL": ["INVESTIGATOR"] * 3})
    tr = pd.DataFrame({
        "USUBJID": ["S1", "S1", "S1", "S1", "S1", "S1", "S2"],
        "TRLNKID": ["T01", "T02", "T03", "T04", "T01", "T01", "T01"],
        "TRGRPID": ["TARGET", "TARGET", "TARGET", "NON-TARGET", "TARGET", "TARGET", "TARGET"],
        "TRTESTCD": ["LDIAM", "LPERP", "LDIAM", "TUMSTATE", "LDIAM", "LDIAM", "LDIAM"],
        "TRSTRESC": ["2.5", "12", "30", "PRESENT", "20", "21", "10"],
        "TRSTRESU": ["cm", "mm", "mm", "", "mm", "mm", "mm"],
        "TREVAL": ["INVESTIGATOR"] * 7,
        "TRDTC": ["2020-01-05", "2020-01-05", "2020-01-05", "05JAN2020", "2020-03-01", "2020-03-01",
                  "2020-01-05"]})
    for name, df in (("dm", dm), ("tu", tu), ("tr", tr)):
        df.to_csv(tmp_path / f"{name}.csv", index=False)
    tables, problems = read_cdisc(tmp_path)
    les = tables["lesions"]
    assert set(les.patient_id) == {"S1", "S2"}  # S2 kept in lesions; the missing DM record is an error
    les = les[les.patient_id == "S1"].set_index(["lesion_id", "date"])
    d0, d1 = pd.Timestamp("2020-01-05"), pd.Timestamp("2020-03-01")
    assert les.at[("T01", d0), "diameter_mm"] == 25.0  # 2.5 cm
    assert les.at[("T02", d0), "diameter_mm"] == 12.0 and les.at[("T02", d0), "nodal"]
    assert les.at[("T03", d0), "nodal"] and np.isnan(les.at[("T03", d0), "diameter_mm"])  # LDIAM only
    assert les.at[("T04", d0), "role"] == "non_target"  # from TRGRPID; its date was DATE9 text
    assert les.at[("T04", d0), "state"] == "present"
    assert les.at[("T01", d1), "diameter_mm"] == 20.0  # first of two differing values
    rules = sorted((p.rule, p.row, p.severity) for p in problems)
    assert rules == [("cdisc_duplicate_measurement", 7, "warning"),
                     ("cdisc_last_contact", None, "warning"),
                     ("cdisc_lesion_without_tu", 5, "warning"),
                     ("cdisc_lesion_without_tu", 8, "warning"),
                     ("cdisc_node_without_short_axis", 4, "warning"),
                     ("cdisc_unknown_subject", None, "error")]
    assert "S2" in [p.message for p in problems if p.rule == "cdisc_unknown_subject"][0]


def test_export_rejects_names_longer_than_xpt_v5(tmp_path):
    from oncoseries.io.cdisc_export import write_dataset

    df = pd.DataFrame({"USUBJID": ["a"], "TOOLONGNAME": [1.0]})
    with pytest.raises(ValueError, match="TOOLONGNAME"):
        write_dataset(df, tmp_path / "x", "X", formats=("xpt",))
    with pytest.raises(ValueError, match="dataset name"):
        write_dataset(df[["USUBJID"]], tmp_path / "x", "ADTTEXTRA", formats=("xpt",))
    assert write_dataset(df, tmp_path / "x", "X", formats=("csv",)) == [tmp_path / "x.csv"]


def test_rs_components_not_applicable_and_not_done(tmp_path):
    pd.DataFrame({"USUBJID": ["S1"], "RFSTDTC": ["2020-01-10"]}).to_csv(tmp_path / "dm.csv", index=False)
    rs = pd.DataFrame({"USUBJID": ["S1"] * 6,
                       "RSTESTCD": ["OVRLRESP", "TRGRESP", "NTRGRESP", "OVRLRESP", "TRGRESP", "NEWLPROG"],
                       "RSSTRESC": ["NON-CR/NON-PD", "NA", "Non-CR/Non-PD", "", "XX", "N"],
                       "RSSTAT": ["", "", "", "NOT DONE", "", ""],
                       "RSDTC": ["2020-02-10"] * 3 + ["2020-03-10"] * 3})
    rs.to_csv(tmp_path / "rs.csv", index=False)
    tables, problems = read_cdisc(tmp_path)
    a = tables["assessments"]
    assert list(a.response) == ["NON-CR/NON-PD", "NE"]
    assert a.target.isna().all()  # NA (no target lesions) and the unknown "XX" are left empty
    assert list(a.non_target.fillna("")) == ["NON-CR/NON-PD", ""]
    assert list(a.new_lesions.fillna("")) == ["", "no"]
    assert [(p.rule, p.row) for p in problems if p.rule == "cdisc_component"] == [("cdisc_component", 6)]
