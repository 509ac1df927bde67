"""RECIST 1.1 time-point tables (Eisenhauer 2009 Tables 1-2) and the pharmaverse rs_onco check."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncoseries.recist import overall_response

DATA = Path(__file__).resolve().parents[1] / "data" / "pharmaverse-sdtm" / "sdtm_rs_onco.csv"

# Table 1 (target disease), every row; "non-PD or not all evaluated" expanded to each value.
TABLE1 = [
    ("CR", "CR", False, "CR"),
    ("CR", "NA", False, "CR"),              # no non-target lesions
    ("CR", "NON-CR/NON-PD", False, "PR"),
    ("CR", "NE", False, "PR"),
    ("PR", "CR", False, "PR"),
    ("PR", "NON-CR/NON-PD", False, "PR"),
    ("PR", "NE", False, "PR"),
    ("PR", "NA", False, "PR"),
    ("SD", "CR", False, "SD"),
    ("SD", "NON-CR/NON-PD", False, "SD"),
    ("SD", "NE", False, "SD"),
    ("SD", "NA", False, "SD"),
    ("NE", "CR", False, "NE"),
    ("NE", "NON-CR/NON-PD", False, "NE"),
    ("NE", "NE", False, "NE"),
    ("NE", "NA", False, "NE"),
] + [("PD", nt, new, "PD") for nt in ("CR", "NON-CR/NON-PD", "NE", "PD", "NA") for new in (False, True)] \
  + [(t, "PD", new, "PD") for t in ("CR", "PR", "SD", "NE") for new in (False, True)] \
  + [(t, nt, True, "PD") for t in ("CR", "PR", "SD", "NE") for nt in ("CR", "NON-CR/NON-PD", "NE", "NA")]

# Table 2 (non-target disease only): never SD.
TABLE2 = [
    ("NA", "CR", False, "CR"),
    ("NA", "NON-CR/NON-PD", False, "NON-CR/NON-PD"),
    ("NA", "NE", False, "NE"),
    ("NA", "PD", False, "PD"),
    ("NA", "PD", True, "PD"),
    ("NA", "CR", True, "PD"),
    ("NA", "NON-CR/NON-PD", True, "PD"),
    ("NA", "NE", True, "PD"),
    ("NA", "NA", True, "PD"),
    ("NA", "NA", False, "NE"),              # no disease recorded at all
]


@pytest.mark.parametrize("target,non_target,new,expected", TABLE1 + TABLE2)
def test_every_table_row(target, non_target, new, expected):
    assert overall_response([target], [non_target], [new])[0] == expected


def test_vectorised_matches_rowwise():
    rows = TABLE1 + TABLE2
    t, nt, new, exp = (list(x) for x in zip(*rows))
    got = overall_response(np.array(t, dtype=object), pd.Series(nt), np.array(new))
    assert list(got) == exp


def test_flag_spellings_and_missing_codes():
    # equivocal is not a new lesion; yes/Y/true/UNEQUIVOCAL are; None/NaN target = no targets
    got = overall_response(["SD", "SD", "SD", "SD", None, np.nan],
                           ["NON-CR/NON-PD"] * 4 + ["non-cr/non-pd", "CR"],
                           ["EQUIVOCAL", "equivocal", "UNEQUIVOCAL", "yes", "no", None])
    assert list(got) == ["SD", "SD", "PD", "PD", "NON-CR/NON-PD", "CR"]


def test_unknown_codes_raise():
    with pytest.raises(ValueError, match="target"):
        overall_response(["XX"], ["CR"], [False])
    with pytest.raises(ValueError, match="non_target"):
        overall_response(["CR"], ["SD"], [False])
    with pytest.raises(ValueError, match="new_lesions"):
        overall_response(["CR"], ["CR"], ["maybe"])
    with pytest.raises(ValueError, match="same length"):
        overall_response(["CR", "PR"], ["CR"], [False])


def _rs_onco_visits() -> pd.DataFrame:
    rs = pd.read_csv(DATA, dtype=str)
    rs["reader"] = rs["RSEVALID"].fillna("INVESTIGATOR")
    wide = rs.pivot_table(index=["USUBJID", "RSDTC", "reader"], columns="RSTESTCD", values="RSSTRESC",
                          aggfunc="first").reset_index()
    return wide


def test_pharmaverse_rs_onco_overall_equals_table():
    wide = _rs_onco_visits()
    assert len(wide) == 1899
    check = wide[wide["OVRLRESP"] != "CHECK"]
    assert len(check) == 1896 and check["NTRGRESP"].notna().all() and check["TRGRESP"].notna().all()
    got = overall_response(check["TRGRESP"], check["NTRGRESP"], check["NEWLPROG"])
    mismatch = check.loc[got != check["OVRLRESP"].to_numpy(), ["USUBJID", "RSDTC", "reader"]]
    assert mismatch.empty, mismatch.head()
    # the data exercise the interesting rows: CR + NE non-target -> PR, equivocal new lesions
    assert ((check["TRGRESP"] == "CR") & (check["NTRGRESP"] == "NE")).sum() == 3
    eq = check["NEWLPROG"] == "EQUIVOCAL"
    assert eq.sum() == 81 and (check.loc[eq & (check["TRGRESP"] == "SD")
                                         & (check["NTRGRESP"] == "NON-CR/NON-PD"), "OVRLRESP"] == "SD").all()
