"""CDISC-like export: ADRS (PARAMCD OVR per visit, BOR, CBOR) and ADTTE as CSV and SAS XPORT v5.

Variable names and codes follow ADaM/admiralonco (AVAL of a response: CR 1, PR 2, SD 3,
NON-CR/NON-PD 4, PD 5, NE 6, MISSING 7 as ``admiralonco::aval_resp``). XPT files are written as
``pyreadstat.write_xport`` writes version 5 (the FDA format; ``fast_xpt.py`` writes the same bytes
column by column): names <= 8 characters, labels <= 40, text
<= 200 bytes, dates as SAS dates with format DATE9. These are analysis-ready extracts, not a full
define.xml-conformant submission.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from .fast_csv import write_csv
from .fast_xpt import write_xport

RESPONSE_AVAL = {"CR": 1, "PR": 2, "SD": 3, "NON-CR/NON-PD": 4, "PD": 5, "NE": 6, "MISSING": 7}
#: iRECIST codes (admiralonco irecist.Rmd spelling), best to worst then NE, MISSING
I_RESPONSE_AVAL = {"iCR": 1, "iPR": 2, "iSD": 3, "NON-iCR/NON-iUPD": 4, "iUPD": 5, "iCPD": 6, "NE": 7,
                   "MISSING": 8}
LABELS = {
    "STUDYID": "Study Identifier",
    "USUBJID": "Unique Subject Identifier",
    "ASEQ": "Analysis Sequence Number",
    "PARAMCD": "Parameter Code",
    "PARAM": "Parameter",
    "PARCAT1": "Parameter Category 1",
    "AVALC": "Analysis Value (C)",
    "AVAL": "Analysis Value",
    "ADT": "Analysis Date",
    "STARTDT": "Time to Event Origin Date for Subject",
    "CNSR": "Censor",
    "EVNTDESC": "Event or Censoring Description",
    "SRCDOM": "Source Data",
    "SRCVAR": "Source Variable",
}
ADRS_PARAMS = {
    "OVR": "Overall Response by Investigator",
    "BOR": "Best Overall Response by Investigator",
    "CBOR": "Best Confirmed Overall Response by Inv",
    "IOVR": "iRECIST Overall Response",
    "IBOR": "iRECIST Best Overall Response",
}
ADTTE_PARAMS = {
    "OS": "Overall Survival",
    "PFS": "Progression Free Survival",
    "DOR": "Duration of Response",
    "TTP": "Time to Progression",
    "IPFS": "iRECIST Progression Free Survival",
}


def _need(df: pd.DataFrame, name: str, cols: Iterable[str]) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}")


def _upper(s: pd.Series) -> pd.Series:
    """``s.astype(str).str.upper()``, computed once per distinct value (10^7 scans at registry size)."""
    codes, uniques = pd.factorize(s)
    text = pd.Series(uniques).astype(str).str.upper().to_numpy(object)
    out = np.empty(len(s), dtype=object)
    known = codes >= 0
    out[known] = text[codes[known]]
    if not known.all():                   # missing values as the row-wise code writes them ("NAN", "NONE")
        out[~known] = s[~known].astype(str).str.upper().to_numpy(object)
    return pd.Series(out, index=s.index)


def adrs_dataset(timepoints: pd.DataFrame, best_response: pd.DataFrame | None = None,
                 studyid: str = "ONCOSERIES") -> pd.DataFrame:
    """ADRS-like rows: one OVR per scan (``timepoints``), one BOR and one CBOR per patient; with iRECIST
    (``timepoints.i_overall``, ``best_response.ibor``) also IOVR per scan and IBOR per patient.

    Parameters
    ----------
    timepoints : DataFrame with ``patient_id, date, overall``
    best_response : DataFrame with ``patient_id, bor, bor_date`` and optionally
        ``confirmed_bor, confirmed_bor_date``
    studyid : str
    """
    _need(timepoints, "timepoints", ("patient_id", "date", "overall"))
    parts = [pd.DataFrame({"USUBJID": timepoints["patient_id"].astype(str), "PARAMCD": "OVR",
                           "AVALC": _upper(timepoints["overall"]),
                           "ADT": pd.to_datetime(timepoints["date"])})]
    if best_response is not None:
        _need(best_response, "best_response", ("patient_id", "bor", "bor_date"))
        for code, col in (("BOR", "bor"), ("CBOR", "confirmed_bor")):
            if col in best_response.columns:
                no_date = pd.Series(pd.NaT, index=best_response.index)
                parts.append(pd.DataFrame({
                    "USUBJID": best_response["patient_id"].astype(str), "PARAMCD": code,
                    "AVALC": _upper(best_response[col]),
                    "ADT": pd.to_datetime(best_response.get(col + "_date", no_date))}))
    if "i_overall" in timepoints.columns:      # iRECIST (response.criteria: irecist), codes kept as spelled
        parts.append(pd.DataFrame({"USUBJID": timepoints["patient_id"].astype(str), "PARAMCD": "IOVR",
                                   "AVALC": timepoints["i_overall"].astype(str),
                                   "ADT": pd.to_datetime(timepoints["date"])}))
    if best_response is not None and "ibor" in best_response.columns:
        parts.append(pd.DataFrame({"USUBJID": best_response["patient_id"].astype(str), "PARAMCD": "IBOR",
                                   "AVALC": best_response["ibor"].astype(str),
                                   "ADT": pd.to_datetime(best_response["ibor_date"])}))
    out = pd.concat(parts, ignore_index=True)
    order = out["PARAMCD"].map({"OVR": 0, "BOR": 1, "CBOR": 2, "IOVR": 3, "IBOR": 4})
    out = out.assign(_o=order).sort_values(["USUBJID", "_o", "ADT"], kind="stable").drop(columns="_o")
    out.insert(0, "STUDYID", studyid)
    out["PARAM"] = out["PARAMCD"].map(ADRS_PARAMS)
    out["PARCAT1"] = "Tumor Response"
    irecist = out["PARAMCD"].isin(["IOVR", "IBOR"])
    out["AVAL"] = np.where(irecist, out["AVALC"].map(I_RESPONSE_AVAL), out["AVALC"].map(RESPONSE_AVAL)).astype(float)
    out["ASEQ"] = out.groupby("USUBJID").cumcount() + 1
    cols = ["STUDYID", "USUBJID", "ASEQ", "PARAMCD", "PARAM", "PARCAT1", "AVALC", "AVAL", "ADT"]
    return out[cols].reset_index(drop=True)


def adtte_dataset(adtte: pd.DataFrame, studyid: str = "ONCOSERIES") -> pd.DataFrame:
    """ADTTE-like rows from :func:`oncoseries.endpoints.derive_endpoints`'s ``adtte`` table."""
    _need(adtte, "adtte", ("patient_id", "paramcd", "startdt", "adt", "aval", "cnsr", "evntdesc"))
    out = pd.DataFrame({
        "STUDYID": studyid,
        "USUBJID": adtte["patient_id"].astype(str).to_numpy(),
        "PARAMCD": adtte["paramcd"].to_numpy(),
        "PARAM": adtte["paramcd"].map(ADTTE_PARAMS).fillna(adtte.get("param", "")).to_numpy(),
        "STARTDT": pd.to_datetime(adtte["startdt"]).to_numpy(),
        "ADT": pd.to_datetime(adtte["adt"]).to_numpy(),
        "AVAL": adtte["aval"].astype(np.int64).to_numpy(),
        "CNSR": adtte["cnsr"].astype(np.int64).to_numpy(),
        "EVNTDESC": adtte["evntdesc"].astype(str).to_numpy(),
    })
    for c in ("srcdom", "srcvar"):
        if c in adtte.columns:
            out[c.upper()] = adtte[c].astype(str).to_numpy()
    out.insert(2, "ASEQ", out.groupby("USUBJID").cumcount().to_numpy() + 1)
    return out


def _check_xpt(df: pd.DataFrame, name: str, labels: dict) -> None:
    """XPORT v5 limits: dataset and variable names <= 8, labels <= 40, text values <= 200 bytes."""
    if len(name) > 8 or not name.replace("_", "").isalnum():
        raise ValueError(f"dataset name {name!r} must be at most 8 letters/digits for XPT v5")
    for c in df.columns:
        if len(c) > 8 or c != c.upper():
            raise ValueError(f"{name}: variable {c!r} must be at most 8 upper-case characters for XPT v5")
        if len(labels.get(c) or "") > 40:
            raise ValueError(f"{name}: label of {c} longer than 40 characters")
        if df[c].dtype == object:
            distinct = pd.unique(df[c].to_numpy(object))     # the distinct values only (10^7 rows repeat)
            if any(isinstance(v, str) and len(v.encode("utf-8")) > 200 for v in distinct):
                raise ValueError(f"{name}: {c} has text longer than 200 bytes (XPT v5 limit)")


def write_dataset(df: pd.DataFrame, path: str | Path, name: str, label: str = "",
                  formats: Iterable[str] = ("csv", "xpt"), labels: dict | None = None) -> list[Path]:
    """Write ``df`` as ``path``.csv (ISO dates) and/or ``path``.xpt (XPORT v5). Returns the files."""
    labels = {**LABELS, **(labels or {})}
    formats = tuple(formats)
    bad = set(formats) - {"csv", "xpt"}
    if bad:
        raise ValueError(f"formats must be among 'csv', 'xpt'; got {sorted(bad)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    date_cols = [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c].dtype)]
    if "csv" in formats:
        out = path.with_suffix(".csv")
        write_csv(df, out, date_format="%Y-%m-%d")   # = df.to_csv(out, index=False, ...), fast (fast_csv.py)
        written.append(out)
    if "xpt" in formats:
        _check_xpt(df, name, labels)
        out = path.with_suffix(".xpt")
        # pyreadstat's bytes, written column by column (fast_xpt.py): dates as SAS dates, format DATE9
        write_xport(df, out, date_cols, file_label=label[:40], table_name=name.upper(),
                    column_labels={c: labels.get(c) for c in df.columns},
                    variable_format={c: "DATE9" for c in date_cols})
        written.append(out)
    return written


def export_cdisc(out_dir: str | Path, timepoints: pd.DataFrame | None = None,
                 best_response: pd.DataFrame | None = None, adtte: pd.DataFrame | None = None,
                 studyid: str = "ONCOSERIES", formats: Iterable[str] = ("csv", "xpt")
                 ) -> dict[str, list[Path]]:
    """Write ``adrs`` (when ``timepoints`` is given) and ``adtte`` (when ``adtte`` is given) to ``out_dir``.

    Returns ``{"adrs": [files], "adtte": [files]}`` for what was written.
    """
    from . import cdisc_blocks as cb

    out_dir = Path(out_dir)
    formats = tuple(formats)
    if set(formats) - {"csv", "xpt"}:
        raise ValueError(f"formats must be among 'csv', 'xpt'; got {sorted(set(formats) - {'csv', 'xpt'})}")
    written: dict[str, list[Path]] = {}
    # large tables in blocks of rows (io/cdisc_blocks.py: the same bytes, a block's memory)
    from ..memory import trim

    if timepoints is not None:
        plan = cb.adrs_plan(timepoints, best_response, studyid) if len(timepoints) > cb.BLOCK else None
        trim()                          # the sort's work arrays (heap pages glibc would keep)
        written["adrs"] = cb.write_blocks(plan, out_dir / "adrs", "ADRS", _ADRS_LABEL, formats, LABELS) \
            if plan is not None else write_dataset(adrs_dataset(timepoints, best_response, studyid),
                                                   out_dir / "adrs", "ADRS", _ADRS_LABEL, formats)
        del plan
        trim()
    if adtte is not None:
        plan = cb.adtte_plan(adtte, studyid) if len(adtte) > cb.BLOCK else None
        written["adtte"] = cb.write_blocks(plan, out_dir / "adtte", "ADTTE", _ADTTE_LABEL, formats, LABELS) \
            if plan is not None else write_dataset(adtte_dataset(adtte, studyid), out_dir / "adtte", "ADTTE",
                                                   _ADTTE_LABEL, formats)
    return written


_ADRS_LABEL = "Tumor Response Analysis Dataset"
_ADTTE_LABEL = "Time-to-Event Analysis Dataset"


def read_xpt(path: str | Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read an XPT back: the data (dates as datetime64) and ``{variable: label}``."""
    import pyreadstat

    df, meta = pyreadstat.read_xport(str(path), dates_as_pandas_datetime=True)
    return df, dict(zip(meta.column_names, meta.column_labels))


__all__ = ["RESPONSE_AVAL", "adrs_dataset", "adtte_dataset", "export_cdisc", "read_xpt", "write_dataset"]
