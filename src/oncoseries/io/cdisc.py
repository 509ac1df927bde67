"""CDISC input: SDTM DM/TU/TR/RS and ADaM ADSL/ADRS/ADTTE -> the native study tables (INTERFACE §1).

Files are recognised by stem (``dm``, ``tu``, ``tr``, ``rs``, ``adsl``, ``adrs``, ``adtte``, or names
such as ``sdtm_tu_onco`` whose first matching ``_``-separated token is a domain) and read from CSV,
XPT or SAS7BDAT (pyreadstat). Only the investigator's records are used (``--EVAL = INVESTIGATOR``).
Partial ``YYYY-MM`` dates are completed from another record of the same subject and visit in that month,
otherwise imputed to the last day of the month (INTERFACE §5), always with a warning; a year-only date
is an error. Every output row keeps its source ``_file`` and ``_row`` (CSV: the spreadsheet line, header
= 1; XPT/SAS7BDAT: the observation number). See docs/cdisc.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Mapping, NamedTuple

import numpy as np
import pandas as pd

DOMAINS = ("dm", "tu", "tr", "rs", "adsl", "adrs", "adtte")
TUMOUR_DOMAINS = ("tu", "tr", "rs", "adrs", "adtte")
EXTENSIONS = (".csv", ".xpt", ".sas7bdat")
ROLE = {"TARGET": "target", "NON-TARGET": "non_target", "NONTARGET": "non_target", "NON TARGET": "non_target",
        "NEW": "new"}
STATE = {"PRESENT": "present", "ABSENT": "absent", "EQUIVOCAL": "equivocal", "UNEQUIVOCAL": "unequivocal",
         "TOO SMALL TO MEASURE": "too_small", "TOO SMALL": "too_small", "NOT EVALUATED": "not_evaluated",
         "NOT EVALUABLE": "not_evaluated", "NOT ASSESSABLE": "not_evaluated", "NE": "not_evaluated",
         "UNABLE TO EVALUATE": "not_evaluated", "NOT DONE": "not_evaluated"}
OVERALL = {"CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE"}
TARGET_RESP = {"CR", "PR", "SD", "PD", "NE"}
NON_TARGET_RESP = {"CR", "NON-CR/NON-PD", "PD", "NE"}
NOT_APPLICABLE = {"NA", "N/A", "NOT APPLICABLE"}  # no lesion of that kind: component left empty
NEW_FLAG = {"UNEQUIVOCAL": "yes", "Y": "yes", "YES": "yes", "EQUIVOCAL": "equivocal", "N": "no", "NO": "no"}
COVARIATES = {"AGE": "age", "SEX": "sex", "RACE": "race", "ETHNIC": "ethnic", "ARM": "arm",
              "ACTARM": "actarm", "COUNTRY": "country"}
_ISO = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T.*)?$")
SAS_EPOCH = pd.Timestamp("1960-01-01")


class CdiscProblem(NamedTuple):
    """A problem found while reading CDISC data: the file, its row (None: whole file), the column."""

    file: str
    row: int | None
    column: str | None
    message: str
    severity: str = "warning"  # "error" makes the study unusable, "warning" is reported only
    rule: str = ""  # a stable name of the check, e.g. "cdisc_partial_date"


# ----------------------------------------------------------------------------- files
def domain_of(path: str | Path) -> str | None:
    """The domain a file name stands for (``sdtm_tu_onco.csv`` -> ``tu``), or None."""
    p = Path(path)
    if p.suffix.lower() not in EXTENSIONS:
        return None
    for token in re.split(r"[^a-z0-9]+", p.stem.lower()):
        if token in DOMAINS:
            return token
    return None


def find_cdisc_files(folder: str | Path) -> tuple[dict[str, Path], list[CdiscProblem]]:
    """Domain -> file for the CDISC files in ``folder``; two files for one domain is an error."""
    found: dict[str, Path] = {}
    problems: list[CdiscProblem] = []
    for p in sorted(Path(folder).iterdir()):
        dom = domain_of(p) if p.is_file() else None
        if dom is None:
            continue
        if dom in found:
            problems.append(CdiscProblem(p.name, None, None, f"a second file for domain {dom.upper()} "
                                         f"(already {found[dom].name}); ignored", "error",
                                         rule="cdisc_domain_file"))
            continue
        found[dom] = p
    return found, problems


def read_domain(path: str | Path) -> pd.DataFrame:
    """One dataset with upper-case column names plus ``_file`` and ``_row``; text stripped, blanks ''."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext == ".csv":
        try:
            df = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8")
        except UnicodeDecodeError:
            df = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[], encoding="latin-1")
        first_row = 2
    elif ext in (".xpt", ".sas7bdat"):
        import pyreadstat

        reader = pyreadstat.read_xport if ext == ".xpt" else pyreadstat.read_sas7bdat
        df, _ = reader(str(p), dates_as_pandas_datetime=True)
        first_row = 1
    else:
        raise ValueError(f"{p.name}: CDISC data must be .csv, .xpt or .sas7bdat")
    df.columns = [str(c).strip().upper() for c in df.columns]
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].fillna("").astype(str).str.strip()
    df["_file"] = p.name
    df["_row"] = np.arange(first_row, first_row + len(df))
    return df


def read_cdisc(source: str | Path | Mapping[str, str | Path] | Iterable[str | Path],
               evaluator: str = "INVESTIGATOR", subjects: str = "tumour"
               ) -> tuple[dict[str, pd.DataFrame], list[CdiscProblem]]:
    """Read CDISC datasets and convert them to the native study tables.

    Parameters
    ----------
    source : folder, {domain: file} mapping, or list of files (domain from each file's stem)
    evaluator : str, default "INVESTIGATOR"
        Value of TUEVAL/TREVAL/RSEVAL whose records are used.
    subjects : {"tumour", "all"}
        "tumour" (default) keeps the DM/ADSL subjects that appear in a tumour domain (TU, TR, RS,
        ADRS, ADTTE) when there is one; "all" keeps every subject.

    Returns
    -------
    tables : dict
        ``patients``, ``lesions``, ``assessments`` (native column names, INTERFACE §1) and, from ADaM,
        ``adrs_best_response`` and ``adtte``; each row has ``_file`` and ``_row``.
    problems : list of CdiscProblem
    """
    problems: list[CdiscProblem] = []
    if isinstance(source, (str, Path)) and Path(source).is_dir():
        files, problems = find_cdisc_files(source)
    elif isinstance(source, Mapping):
        files = {str(k).lower(): Path(v) for k, v in source.items()}
        bad = set(files) - set(DOMAINS)
        if bad:
            raise ValueError(f"unknown CDISC domain(s) {sorted(bad)}; expected some of {list(DOMAINS)}")
    elif isinstance(source, (str, Path)):
        raise ValueError(f"{source}: not a folder")
    else:
        files = {}
        for f in source:
            dom = domain_of(f)
            if dom is None:
                raise ValueError(f"{Path(f).name}: file name names no CDISC domain {list(DOMAINS)}")
            files[dom] = Path(f)
    if not files:
        raise ValueError(f"no CDISC dataset ({', '.join(DOMAINS)}) found in {source}")
    domains = {dom: read_domain(p) for dom, p in files.items()}
    tables, more = convert_cdisc(domains, evaluator=evaluator, subjects=subjects)
    return tables, problems + more


# ----------------------------------------------------------------------------- helpers
def _text(df: pd.DataFrame, *cols: str) -> pd.Series:
    """Upper-case text of the first of ``cols`` that is non-blank on each row ('' when none)."""
    out = pd.Series("", index=df.index, dtype=object)
    for c in reversed(cols):
        if c in df.columns:
            v = df[c].astype(str).str.strip().str.upper().replace({"NAN": "", "NONE": "", "<NA>": ""})
            out = v.where(v != "", out)
    return out


def _blank_to_nan(s: pd.Series) -> pd.Series:
    """Object column with '' -> NaN (missing), other values unchanged."""
    return s.astype(object).where(s.notna() & (s.astype(str) != ""), np.nan)


def _number(df: pd.DataFrame, *cols: str) -> pd.Series:
    out = pd.Series(np.nan, index=df.index)
    for c in reversed(cols):
        if c in df.columns:
            v = pd.to_numeric(df[c].mask(df[c].astype(str).str.strip() == ""), errors="coerce")
            out = v.where(v.notna(), out)
    return out


class _Dates(NamedTuple):
    date: pd.Series  # complete dates (datetime64[ns]), NaT otherwise
    month: pd.Series  # first day of the month of a YYYY-MM partial date, NaT otherwise
    raw: pd.Series


def _parse_dates(df: pd.DataFrame, col: str, problems: list, required: bool = False) -> _Dates:
    """ISO 8601 text (date part), SAS DATE9 text, numeric SAS dates or datetimes -> dates.

    Year-only, impossible or unparseable dates are errors and become NaT.
    """
    idx = df.index
    nat = pd.Series(pd.NaT, index=idx, dtype="datetime64[ns]")
    if col not in df.columns:
        return _Dates(nat, nat.copy(), pd.Series("", index=idx))
    s = df[col]
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return _Dates(s.dt.tz_localize(None).dt.normalize() if s.dt.tz is not None else s.dt.normalize(),
                      nat.copy(), s.astype(str))
    if pd.api.types.is_numeric_dtype(s.dtype):
        d = SAS_EPOCH + pd.to_timedelta(np.floor(s.astype(float)), unit="D")
        return _Dates(d.astype("datetime64[ns]"), nat.copy(), s.astype(str))
    raw = s.astype(str).str.strip()
    parts = raw.str.upper().str.extract(_ISO)
    full = parts[0].notna() & parts[1].notna() & parts[2].notna()
    ym = parts[0].notna() & parts[1].notna() & parts[2].isna()
    year = parts[0].notna() & parts[1].isna()
    date = pd.to_datetime(raw.str[:10].where(full), format="%Y-%m-%d", errors="coerce")
    month = pd.to_datetime((parts[0] + "-" + parts[1] + "-01").where(ym), format="%Y-%m-%d", errors="coerce")
    date9 = ~full & ~ym & ~year & (raw != "")
    if date9.any():
        date = date.where(~date9, pd.to_datetime(raw.where(date9), format="%d%b%Y", errors="coerce"))
    bad = (raw != "") & date.isna() & month.isna()
    for i in np.flatnonzero(bad.to_numpy()):
        r = df.iloc[i]
        what = "a year-only date cannot be imputed" if year.iloc[i] else "not a valid date"
        rule = "cdisc_year_only_date" if year.iloc[i] else "cdisc_bad_date"
        problems.append(CdiscProblem(r["_file"], int(r["_row"]), col, f"{raw.iloc[i]!r}: {what}", "error",
                                     rule=rule))
    if required:
        for i in np.flatnonzero((raw == "").to_numpy()):
            r = df.iloc[i]
            problems.append(CdiscProblem(r["_file"], int(r["_row"]), col, "date is missing", "error",
                                         rule="cdisc_missing_date"))
    return _Dates(date.astype("datetime64[ns]"), month.astype("datetime64[ns]"), raw)


def _complete(df: pd.DataFrame, col: str, parsed: _Dates, problems: list,
              mates: pd.DataFrame | None = None) -> pd.Series:
    """Complete YYYY-MM dates: a same-subject same-visit date in that month (``mates``), else month end."""
    date = parsed.date.copy()
    partial = parsed.month.notna()
    if not partial.any():
        return date
    fill = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    if mates is not None and len(mates) and "VISITNUM" in df.columns:
        key = pd.DataFrame({"USUBJID": df["USUBJID"], "VISITNUM": df["VISITNUM"].astype(str),
                            "month": parsed.month})[partial]
        m = mates.assign(month=mates["date"].dt.to_period("M").dt.to_timestamp())
        m = m.groupby(["USUBJID", "VISITNUM", "month"], as_index=False)["date"].min()
        got = key.reset_index().merge(m, on=["USUBJID", "VISITNUM", "month"], how="left").set_index("index")
        fill.loc[got.index] = got["date"]
    end = parsed.month + pd.offsets.MonthEnd(0)
    for i in np.flatnonzero(partial.to_numpy()):
        r = df.iloc[i]
        if pd.notna(fill.iloc[i]):
            value, how = fill.iloc[i], "the date of another record of the same subject and visit"
        else:
            value, how = end.iloc[i], "the last day of the month"
        date.iloc[i] = value
        problems.append(CdiscProblem(r["_file"], int(r["_row"]), col,
                                     f"partial date {parsed.raw.iloc[i]!r} imputed to {value.date()} ({how})",
                                     rule="cdisc_partial_date"))
    return date


def _by_evaluator(df: pd.DataFrame, prefix: str, evaluator: str, problems: list) -> pd.DataFrame:
    col = prefix + "EVAL"
    if col not in df.columns or df.empty:
        return df
    ev = _text(df, col)
    keep = ev == evaluator.upper()
    if not keep.any():
        problems.append(CdiscProblem(df["_file"].iloc[0], None, col,
                                     f"no records with {col} = {evaluator.upper()} (found "
                                     f"{sorted(set(ev))}); none of this file is used", "error",
                                     rule="cdisc_evaluator"))
    return df[keep]


def _mates(frames: list[tuple[pd.DataFrame, pd.Series]]) -> pd.DataFrame:
    """Complete dates by subject and visit, pooled over TU/TR/RS, to complete partial dates."""
    parts = [pd.DataFrame({"USUBJID": df["USUBJID"], "VISITNUM": df["VISITNUM"].astype(str), "date": d})
             for df, d in frames if "VISITNUM" in df.columns]
    if not parts:
        return pd.DataFrame(columns=["USUBJID", "VISITNUM", "date"])
    return pd.concat(parts).dropna(subset=["date"])


def _source(df: pd.DataFrame) -> dict:
    return {"_file": df["_file"].to_numpy(), "_row": df["_row"].to_numpy()}


# ----------------------------------------------------------------------------- conversion
def convert_cdisc(domains: Mapping[str, pd.DataFrame], evaluator: str = "INVESTIGATOR",
                  subjects: str = "tumour") -> tuple[dict[str, pd.DataFrame], list[CdiscProblem]]:
    """Convert datasets already read by :func:`read_domain` (``{domain: DataFrame}``); see read_cdisc."""
    if subjects not in ("tumour", "all"):
        raise ValueError(f"subjects must be 'tumour' or 'all', got {subjects!r}")
    problems: list[CdiscProblem] = []
    d = {k: v for k, v in domains.items()}
    for dom, df in d.items():
        if "USUBJID" not in df.columns:
            raise ValueError(f"{df['_file'].iloc[0] if len(df) else dom}: column USUBJID is required")
    for dom, prefix in (("tu", "TU"), ("tr", "TR"), ("rs", "RS")):
        if dom in d:
            d[dom] = _by_evaluator(d[dom], prefix, evaluator, problems)
    if "tr" in d:  # rows of a lesion only (not SUMDIAM and other subject-level results)
        d["tr"] = d["tr"][_text(d["tr"], "TRLNKID") != ""]
    if "rs" in d:
        d["rs"] = d["rs"][_text(d["rs"], "RSTESTCD").isin(["OVRLRESP", "TRGRESP", "NTRGRESP", "NEWLPROG"])]
    parsed = {dom: _parse_dates(d[dom], col, problems, required=True)
              for dom, col in (("tr", "TRDTC"), ("rs", "RSDTC")) if dom in d}
    pool = [(d[k], p.date) for k, p in parsed.items()]
    if "tu" in d:  # TU dates are not output; they only help to complete partial TR/RS dates
        pool.append((d["tu"], _parse_dates(d["tu"], "TUDTC", []).date))
    mates = _mates(pool)
    dates = {k: _complete(d[k], col, parsed[k], problems, mates)
             for k, col in (("tr", "TRDTC"), ("rs", "RSDTC")) if k in parsed}

    tables: dict[str, pd.DataFrame] = {}
    if "tr" in d:
        tables["lesions"] = _lesions(d["tr"], dates["tr"], d.get("tu"), problems)
    elif "tu" in d:
        problems.append(CdiscProblem(d["tu"]["_file"].iloc[0] if len(d["tu"]) else "tu", None, None,
                                     "TU without TR: no lesion measurements; TU not used",
                                     rule="cdisc_tu_without_tr"))
    if "rs" in d:
        tables["assessments"] = _assessments(d["rs"], dates["rs"], problems)
    elif "adrs" in d:
        tables["assessments"] = _adrs_assessments(d["adrs"], problems)
    if "adrs" in d:
        bor = _adrs_best_response(d["adrs"], problems)
        if bor is not None:
            tables["adrs_best_response"] = bor
    if "adtte" in d:
        tables["adtte"] = _adtte(d["adtte"], problems)
    tumour_ids = set()
    for dom in TUMOUR_DOMAINS:
        if dom in domains:
            tumour_ids |= set(domains[dom]["USUBJID"].astype(str))
    scan_dates = [pd.DataFrame({"USUBJID": d[k]["USUBJID"], "date": v}) for k, v in dates.items()]
    tables["patients"] = _patients(d.get("dm"), d.get("adsl"), tumour_ids, subjects == "all", scan_dates,
                                   problems)
    return tables, problems


def _lesions(tr: pd.DataFrame, date: pd.Series, tu: pd.DataFrame | None, problems: list) -> pd.DataFrame:
    """TR measurements per lesion and date joined with TU (role, location).

    Diameter: LDIAM, or LPERP (short axis) for nodal lesions; DIAMETER when those are absent.
    """
    tr = tr.assign(_date=date, _lnk=_text(tr, "TRLNKID"), _test=_text(tr, "TRTESTCD"))
    tr = tr[(tr["_lnk"] != "") & tr["_date"].notna()]
    key = ["USUBJID", "_lnk", "_date"]
    value = _number(tr, "TRSTRESN", "TRSTRESC", "TRORRES")
    unit = _text(tr, "TRSTRESU", "TRORRESU")
    value = value.where(unit != "CM", value * 10.0)
    odd_unit = value.notna() & ~unit.isin(["", "MM", "CM"])
    for _, r in tr[odd_unit].iterrows():
        problems.append(CdiscProblem(r["_file"], int(r["_row"]), "TRSTRESU", f"unit {r.get('TRSTRESU')!r} "
                                     "is not mm or cm; value used as mm", rule="cdisc_unit"))
    tr = tr.assign(_value=value, _text_value=_text(tr, "TRSTRESC", "TRORRES"),
                   _notdone=_text(tr, "TRSTAT") == "NOT DONE", _grp=_text(tr, "TRGRPID"))
    base = tr.drop_duplicates(key)[key + ["_file", "_row", "_grp"]]
    for test in ("LDIAM", "LPERP", "DIAMETER", "TUMSTATE"):
        rows = tr[tr["_test"] == test]
        col = "_text_value" if test == "TUMSTATE" else "_value"
        dup = rows.duplicated(key, keep="first")
        conflict = dup & ~rows.duplicated(key + [col], keep="first")
        for _, r in rows[conflict].iterrows():
            problems.append(CdiscProblem(r["_file"], int(r["_row"]), "TRSTRESC",
                                         f"second {test} for lesion {r['_lnk']} on {r['_date'].date()} "
                                         "differs from the first; first kept",
                                         rule="cdisc_duplicate_measurement"))
        rows = rows[~dup]
        base = base.merge(rows[key + [col, "_row"]].rename(columns={col: test, "_row": "_row_" + test}),
                          on=key, how="left")
    notdone = tr.groupby(key)["_notdone"].any().rename("_nd").reset_index()
    base = base.merge(notdone, on=key, how="left")

    if tu is not None and len(tu):
        ident = pd.DataFrame({"USUBJID": tu["USUBJID"], "_lnk": _text(tu, "TULNKID"),
                              "_role": _text(tu, "TUSTRESC", "TUORRES"), "organ": tu.get("TULOC", ""),
                              "_loc": _text(tu, "TULOC") + " " + _text(tu, "TULOCDTL"),
                              "_tufile": tu["_file"], "_turow": tu["_row"]})
        ident = ident[ident["_lnk"] != ""]
        dup = ident.duplicated(["USUBJID", "_lnk"], keep="first")
        conflict = dup & ~ident.duplicated(["USUBJID", "_lnk", "_role", "_loc"], keep="first")
        for _, r in ident[conflict].iterrows():
            problems.append(CdiscProblem(r["_tufile"], int(r["_turow"]), "TULNKID",
                                         f"lesion {r['_lnk']} identified twice with different role or "
                                         "location; first kept", rule="cdisc_duplicate_lesion"))
        base = base.merge(ident[~dup], on=["USUBJID", "_lnk"], how="left")
    else:
        base = base.assign(_role=np.nan, organ="", _loc="")
    no_tu = base["_role"].isna()
    base["_role"] = base["_role"].fillna(base["_grp"])
    for _, r in base[no_tu].drop_duplicates(["USUBJID", "_lnk"]).iterrows():
        problems.append(CdiscProblem(r["_file"], int(r["_row"]), "TRLNKID",
                                     f"lesion {r['_lnk']} of {r['USUBJID']} has no TU record; role taken "
                                     f"from TRGRPID {r['_grp']!r}", "error" if r["_grp"] not in ROLE else
                                     "warning", rule="cdisc_lesion_without_tu"))
    role = base["_role"].map(ROLE)
    for _, r in base[role.isna() & ~no_tu].drop_duplicates(["USUBJID", "_lnk"]).iterrows():
        problems.append(CdiscProblem(r["_file"], int(r["_row"]), "TUORRES",
                                     f"lesion {r['_lnk']}: role {r['_role']!r} is not TARGET, "
                                     "NON-TARGET or NEW", "error", rule="cdisc_role"))
    loc = base["_loc"].fillna("").astype(str)
    nodal = loc.str.contains(r"LYMPH|\bNODES?\b|\bNODAL\b", regex=True)
    diameter = np.where(nodal, base["LPERP"], base["LDIAM"])
    diameter = pd.Series(diameter, index=base.index).fillna(base["DIAMETER"])
    node_ld = nodal & base["LPERP"].isna() & base["DIAMETER"].isna() & base["LDIAM"].notna()
    for _, r in base[node_ld].iterrows():
        problems.append(CdiscProblem(r["_file"], int(r["_row"]), "TRTESTCD",
                                     f"nodal lesion {r['_lnk']} has LDIAM but no LPERP (short axis); "
                                     "diameter left empty", rule="cdisc_node_without_short_axis"))
    state = base["TUMSTATE"].map(STATE)
    unknown = base["TUMSTATE"].notna() & (base["TUMSTATE"] != "") & state.isna()
    for _, r in base[unknown].iterrows():
        problems.append(CdiscProblem(r["_file"], int(r["_row"]), "TRSTRESC",
                                     f"tumour state {r['TUMSTATE']!r} not recognised; left empty",
                                     rule="cdisc_tumour_state"))
    uneq = state == "unequivocal"
    state = state.mask(uneq & (role == "non_target"), "unequivocal_progression")
    state = state.mask(uneq & (role != "non_target"), "present")
    state = state.mask(state.isna() & pd.Series(diameter).isna() & base["_nd"].fillna(False).astype(bool),
                       "not_evaluated")
    out = pd.DataFrame({
        "patient_id": base["USUBJID"].astype(str), "date": base["_date"], "lesion_id": base["_lnk"],
        "role": role, "organ": _blank_to_nan(base["organ"]), "nodal": nodal.to_numpy(),
        "diameter_mm": diameter.astype(float), "state": state, "_file": base["_file"],
        # the row of the value used: the diameter's test, else the tumour state, else the first row
        "_row": pd.Series(np.where(nodal, base["_row_LPERP"], base["_row_LDIAM"]), index=base.index)
        .fillna(base["_row_DIAMETER"]).fillna(base["_row_TUMSTATE"]).fillna(base["_row"]).astype(np.int64),
    })
    return out.sort_values(["patient_id", "date", "lesion_id"], kind="stable").reset_index(drop=True)


def _assessments(rs: pd.DataFrame, date: pd.Series, problems: list) -> pd.DataFrame:
    """RS per visit: OVRLRESP -> response, TRGRESP/NTRGRESP/NEWLPROG -> components."""
    rs = rs.assign(_date=date, _test=_text(rs, "RSTESTCD"), _val=_text(rs, "RSSTRESC", "RSORRES"))
    rs = rs[rs["_date"].notna()].copy()
    notdone = (rs["_val"] == "") & (_text(rs, "RSSTAT") == "NOT DONE")
    rs.loc[notdone, "_val"] = "NE"
    rs["_val"] = rs["_val"].str.replace(r"^NON-?CR\s*/\s*NON-?PD$", "NON-CR/NON-PD", regex=True)
    key = ["USUBJID", "_date"]
    ovr = rs[rs["_test"] == "OVRLRESP"]
    dup = ovr.duplicated(key, keep="first")
    for _, r in ovr[dup & ~ovr.duplicated(key + ["_val"], keep="first")].iterrows():
        problems.append(CdiscProblem(r["_file"], int(r["_row"]), "RSSTRESC",
                                     f"second overall response on {r['_date'].date()} differs; first kept",
                                     "error", rule="cdisc_duplicate_response"))
    ovr = ovr[~dup]
    out = ovr[key + ["_val", "_file", "_row"]].rename(columns={"_val": "response"})
    components = (("TRGRESP", "target", TARGET_RESP), ("NTRGRESP", "non_target", NON_TARGET_RESP),
                  ("NEWLPROG", "new_lesions", set(NEW_FLAG)))
    for test, name, allowed in components:
        part = rs[rs["_test"] == test].drop_duplicates(key)
        part = part.assign(_val=part["_val"].where(~part["_val"].isin(NOT_APPLICABLE), ""))
        bad = ~part["_val"].isin(allowed) & (part["_val"] != "")
        for _, r in part[bad].iterrows():
            problems.append(CdiscProblem(r["_file"], int(r["_row"]), "RSSTRESC",
                                         f"{test} value {r['_val']!r} not recognised; left empty",
                                         rule="cdisc_component"))
        part = part.assign(_val=part["_val"].where(~bad, ""))
        if test == "NEWLPROG":
            part = part.assign(_val=part["_val"].map(NEW_FLAG))
        out = out.merge(part[key + ["_val"]].rename(columns={"_val": name}), on=key, how="left")
    orphan = rs[rs["_test"].isin(["TRGRESP", "NTRGRESP", "NEWLPROG"])].drop_duplicates(key)
    orphan = orphan.merge(ovr[key], on=key, how="left", indicator=True)
    for _, r in orphan[orphan["_merge"] == "left_only"].iterrows():
        problems.append(CdiscProblem(r["_file"], int(r["_row"]), "RSTESTCD",
                                     f"visit of {r['USUBJID']} on {r['_date'].date()} has components but no "
                                     "OVRLRESP; not used", "error", rule="cdisc_components_without_overall"))
    _drop_unknown_responses(out, "RSSTRESC", problems)
    for c in ("target", "non_target", "new_lesions"):
        out[c] = _blank_to_nan(out[c])
    out = out.rename(columns={"USUBJID": "patient_id", "_date": "date"})
    out["patient_id"] = out["patient_id"].astype(str)
    cols = ["patient_id", "date", "response", "target", "non_target", "new_lesions", "_file", "_row"]
    return out[cols].sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)


def _drop_unknown_responses(out: pd.DataFrame, column: str, problems: list) -> None:
    """An overall response outside the RECIST codes is an error; the value is set missing."""
    bad = ~out["response"].isin(OVERALL)
    for _, r in out[bad].iterrows():
        problems.append(CdiscProblem(r["_file"], int(r["_row"]), column,
                                     f"overall response {r['response']!r} is not one of {sorted(OVERALL)}",
                                     "error", rule="cdisc_overall_response"))
    out["response"] = out["response"].where(~bad)


def _adam_dates(df: pd.DataFrame, col: str, problems: list) -> pd.Series:
    parsed = _parse_dates(df, col, problems)
    return _complete(df, col, parsed, problems)


def _adrs_rows(adrs: pd.DataFrame, params: tuple[str, ...]) -> pd.DataFrame:
    rows = adrs[_text(adrs, "PARAMCD").isin(params)]
    if "ANL01FL" in rows.columns and (_text(rows, "ANL01FL") == "Y").any():
        rows = rows[_text(rows, "ANL01FL") == "Y"]
    return rows


def _adrs_assessments(adrs: pd.DataFrame, problems: list) -> pd.DataFrame:
    """ADRS PARAMCD OVR (or OVRLRESP) -> assessments (used when there is no RS)."""
    rows = _adrs_rows(adrs, ("OVR", "OVRLRESP"))
    out = pd.DataFrame({"patient_id": rows["USUBJID"].astype(str), "date": _adam_dates(rows, "ADT", problems),
                        "response": _text(rows, "AVALC"), **_source(rows)})
    _drop_unknown_responses(out, "AVALC", problems)
    for c in ("target", "non_target", "new_lesions"):
        out[c] = np.nan
    cols = ["patient_id", "date", "response", "target", "non_target", "new_lesions", "_file", "_row"]
    return out[cols].sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)


def _adrs_best_response(adrs: pd.DataFrame, problems: list) -> pd.DataFrame | None:
    """ADRS BOR and CBOR -> ``patient_id, bor, bor_date, confirmed_bor, confirmed_bor_date``.

    Kept as the sponsor's values, for comparison with the derived best response.
    """
    out = None
    for param, name in (("BOR", "bor"), ("CBOR", "confirmed_bor")):
        rows = _adrs_rows(adrs, (param,)).drop_duplicates("USUBJID")
        if rows.empty:
            continue
        part = pd.DataFrame({"patient_id": rows["USUBJID"].astype(str), name: _text(rows, "AVALC").to_numpy(),
                             name + "_date": _adam_dates(rows, "ADT", problems).to_numpy()})
        if out is None:
            part["_file"], part["_row"] = rows["_file"].to_numpy(), rows["_row"].to_numpy()
        out = part if out is None else out.merge(part, on="patient_id", how="outer")
    return None if out is None else out.reset_index(drop=True)


def _adtte(adtte: pd.DataFrame, problems: list) -> pd.DataFrame:
    """ADTTE -> ``patient_id, paramcd, startdt, adt, aval, cnsr, evntdesc`` as given (for comparison)."""
    return pd.DataFrame({
        "patient_id": adtte["USUBJID"].astype(str), "paramcd": _text(adtte, "PARAMCD"),
        "startdt": _adam_dates(adtte, "STARTDT", problems), "adt": _adam_dates(adtte, "ADT", problems),
        "aval": _number(adtte, "AVAL"), "cnsr": _number(adtte, "CNSR").astype("Int64"),
        "evntdesc": adtte.get("EVNTDESC", pd.Series("", index=adtte.index)), **_source(adtte),
    }).reset_index(drop=True)


def _patients(dm: pd.DataFrame | None, adsl: pd.DataFrame | None, tumour_ids: set, keep_all: bool,
              scan_dates: list[pd.DataFrame], problems: list) -> pd.DataFrame:
    """One row per subject: start (ADSL TRTSDT/RANDDT, else DM RFSTDTC), last contact, death, covariates."""
    main = adsl if adsl is not None else dm
    if main is None:
        ids = sorted(tumour_ids or [])
        problems.append(CdiscProblem("dm", None, None, "no DM or ADSL: patients have no start_date", "error",
                                     rule="cdisc_no_dm"))
        return pd.DataFrame({"patient_id": ids, "start_date": pd.NaT, "last_contact_date": pd.NaT,
                             "death_date": pd.NaT, "_file": "", "_row": 0})
    main = main.drop_duplicates("USUBJID")
    unknown = sorted(tumour_ids - set(main["USUBJID"].astype(str)))
    source = "ADSL" if adsl is not None else "DM"
    for sid in unknown:
        problems.append(CdiscProblem(main["_file"].iloc[0] if len(main) else source.lower(), None, "USUBJID",
                                     f"subject {sid} has tumour data but no {source} record", "error",
                                     rule="cdisc_unknown_subject"))
    if tumour_ids and not keep_all:
        left_out = ~main["USUBJID"].isin(tumour_ids)
        if left_out.any():
            problems.append(CdiscProblem(main["_file"].iloc[0], None, "USUBJID",
                                         f"{int(left_out.sum())} subject(s) without tumour data left out",
                                         rule="cdisc_subjects_left_out"))
        main = main[~left_out]
    out = pd.DataFrame({"patient_id": main["USUBJID"].astype(str).to_numpy()})
    idx = pd.Index(out["patient_id"])

    cache: dict = {}

    def col(df, name):  # dates of df[name] aligned on the patients (each column parsed once)
        if df is None or name not in df.columns:
            return pd.Series(pd.NaT, index=idx, dtype="datetime64[ns]")
        if (id(df), name) not in cache:
            sub = df.drop_duplicates("USUBJID")
            sub = sub[sub["USUBJID"].astype(str).isin(idx)]
            values = _adam_dates(sub, name, problems)
            cache[id(df), name] = pd.Series(values.to_numpy(), index=sub["USUBJID"].astype(str).to_numpy())
        return cache[id(df), name].reindex(idx)

    start = col(adsl, "TRTSDT").fillna(col(adsl, "RANDDT")).fillna(col(dm, "RFSTDTC"))
    death = col(adsl, "DTHDT").fillna(col(dm, "DTHDTC"))
    last = col(adsl, "LSTALVDT")
    if last.isna().any():
        known = [col(adsl, c) for c in ("TRTSDT", "TRTEDT")]
        known += [col(dm, c) for c in ("RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC", "RFPENDTC")]
        for sd in scan_dates:
            known.append(sd.groupby(sd["USUBJID"].astype(str))["date"].max().reindex(idx))
        latest = pd.concat(known, axis=1).max(axis=1)
        latest = latest.where(death.isna() | (latest <= death), death)
        n = int((last.isna() & latest.notna()).sum())
        if n:
            problems.append(CdiscProblem(main["_file"].iloc[0], None, "LSTALVDT",
                                         f"last_contact_date of {n} subject(s) taken as the latest known "
                                         "date (DM reference dates, ADSL treatment dates, scans)",
                                         rule="cdisc_last_contact"))
        last = last.fillna(latest)
    out["start_date"] = start.to_numpy()
    out["last_contact_date"] = last.to_numpy()
    out["death_date"] = death.to_numpy()
    out["new_therapy_date"] = col(adsl, "NACTDT").to_numpy()
    for i in np.flatnonzero(out["start_date"].isna().to_numpy()):
        problems.append(CdiscProblem(main["_file"].iloc[i], int(main["_row"].iloc[i]),
                                     "TRTSDT/RANDDT/RFSTDTC", f"{out['patient_id'].iloc[i]}: no start date",
                                     "error", rule="cdisc_no_start_date"))
    for src in (adsl, dm):
        if src is None:
            continue
        s = src.drop_duplicates("USUBJID").set_index(src.drop_duplicates("USUBJID")["USUBJID"].astype(str))
        for c, name in COVARIATES.items():
            if c in s.columns and name not in out.columns:
                v = s[c].reindex(idx)
                v = pd.to_numeric(v, errors="coerce") if c == "AGE" else _blank_to_nan(v)
                out[name] = v.to_numpy()
    out["_file"] = main["_file"].to_numpy()
    out["_row"] = main["_row"].to_numpy()
    return out
