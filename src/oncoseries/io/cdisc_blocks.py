"""The CDISC datasets of :mod:`oncoseries.io.cdisc_export` written in blocks of rows (registry size).

At 10^6 patients ADRS is 7.6*10^6 rows: built whole (nine columns, six of them Python objects), sorted,
then turned into XPT records (about 110 bytes a row, three times over) it took gigabytes of the early
writer's memory (issue 17). Here the row order is found on small integer arrays (patient code, parameter,
response code, date) and each block of ``BLOCK`` rows is built, written to the CSV and the XPT file and
freed. The files are byte for byte those the whole-table path writes (``adrs_dataset``/``adtte_dataset``
then ``write_dataset``): every field depends on its row alone, the XPT header on the widths of the text
variables (their longest value over the table, found in a first pass over the blocks), and ASEQ is
numbered over the whole table. Inputs this path does not reproduce exactly (missing patient ids, dates
that are not plain datetimes, empty tables) are left to the whole-table path (``None`` here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pandas as pd

BLOCK = 1 << 17        # rows of a CDISC dataset built, written and freed at a time
_ORDER = ("OVR", "BOR", "CBOR", "IOVR", "IBOR")
_NAT = np.iinfo(np.int64).min


def _str_ids(s: pd.Series):
    """(codes, texts): ``s.astype(str)`` as codes into its distinct texts; None when ``s`` has missing
    values (their text depends on the kind of missing value)."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if len(codes) and codes.min() < 0:
        return None
    return codes, pd.Series(uniques).astype(str).to_numpy(object)


def _text_codes(s: pd.Series, upper: bool):
    """(codes, texts) with ``texts[codes]`` = ``s.astype(str)`` (upper-cased: cdisc_export._upper)."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    texts = pd.Series(uniques).astype(str)
    texts = list(texts.str.upper() if upper else texts)
    miss = codes < 0
    if miss.any():                      # missing values as the row-wise code writes them ("NAN", "NONE")
        m = s[miss].astype(str)
        mc, mu = pd.factorize((m.str.upper() if upper else m).to_numpy(object))
        codes = codes.copy()
        codes[miss] = mc + len(texts)
        texts += list(mu)
    return codes, texts


def _dates(s: pd.Series):
    """``pd.to_datetime(s)`` as int64 nanoseconds (NaT = int64 min), or None when not plain datetimes."""
    d = pd.to_datetime(s).to_numpy()
    if d.dtype.kind != "M":
        return None
    return d.astype("datetime64[ns]", copy=False).view(np.int64)


class AdrsPlan:
    """The ADRS rows of :func:`cdisc_export.adrs_dataset` as sorted integer arrays; ``blocks()`` yields
    the table's consecutive row blocks. Build with :func:`adrs_plan` (None: use the whole-table path)."""

    def __init__(self, studyid, ids, pid, o, av, avalc, aval, adt) -> None:
        from .cdisc_export import ADRS_PARAMS

        self.studyid, self.ids, self.avalc, self.aval = studyid, ids, avalc, aval
        self.paramcd = np.array(_ORDER, dtype=object)
        self.param = np.array([ADRS_PARAMS[k] for k in _ORDER], dtype=object)
        rank = np.empty(len(ids), dtype=np.int32)
        rank[np.argsort(ids, kind="stable")] = np.arange(len(ids), dtype=np.int32)   # USUBJID's text order
        r = rank[pid]
        key = adt.copy()
        key[key == _NAT] = np.iinfo(np.int64).max            # NaT last, as sort_values puts it
        perm = np.lexsort((key, o, r))                       # stable: USUBJID, parameter, ADT
        del key
        self.pid, self.o, self.av, self.adt = pid[perm], o[perm], av[perm], adt[perm]
        r = r[perm]
        del perm
        n = len(r)
        pos = np.arange(n, dtype=np.int64)
        start = np.zeros(n, dtype=np.int64)
        if n:
            new = np.ones(n, dtype=bool)
            new[1:] = r[1:] != r[:-1]
            start = np.maximum.accumulate(np.where(new, pos, 0))
        self.aseq = (pos - start + 1).astype(np.int32)
        self.n = n

    def text(self) -> dict:
        """{text variable: its longest value}: every patient, parameter and response text is used."""
        used = np.unique(self.o)
        return {"STUDYID": self.studyid, "USUBJID": _longest(self.ids), "PARAMCD": _longest(self.paramcd[used]),
                "PARAM": _longest(self.param[used]), "PARCAT1": "Tumor Response",
                "AVALC": _longest(self.avalc[np.unique(self.av)])}

    def blocks(self, block: int | None = None) -> Iterator[pd.DataFrame]:
        block = block or BLOCK
        for a in range(0, self.n, block):
            b = min(a + block, self.n)
            o, av = self.o[a:b], self.av[a:b]
            yield pd.DataFrame({
                "STUDYID": np.full(b - a, self.studyid, dtype=object),
                "USUBJID": self.ids[self.pid[a:b]],
                "ASEQ": self.aseq[a:b].astype(np.int64),
                "PARAMCD": self.paramcd[o],
                "PARAM": self.param[o],
                "PARCAT1": np.full(b - a, "Tumor Response", dtype=object),
                "AVALC": self.avalc[av],
                "AVAL": self.aval[av],
                "ADT": self.adt[a:b].view("datetime64[ns]"),
            })


def _longest(texts) -> str:
    """The first of the longest (UTF-8 bytes) texts; only its length matters (the XPT width)."""
    return max(texts, key=lambda t: len(t.encode("utf-8")), default="")


def adrs_plan(timepoints: pd.DataFrame, best_response: pd.DataFrame | None, studyid: str):
    """An :class:`AdrsPlan` of ``adrs_dataset(timepoints, best_response, studyid)``, or None."""
    from .cdisc_export import I_RESPONSE_AVAL, RESPONSE_AVAL, _need

    _need(timepoints, "timepoints", ("patient_id", "date", "overall"))
    parts = []           # (parameter index, table, AVALC column, upper-cased?, ADT column)
    parts.append((0, timepoints, "overall", True, timepoints["date"]))
    if best_response is not None:
        _need(best_response, "best_response", ("patient_id", "bor", "bor_date"))
        for k, col in ((1, "bor"), (2, "confirmed_bor")):
            if col in best_response.columns:
                no_date = pd.Series(pd.NaT, index=best_response.index)
                parts.append((k, best_response, col, True, best_response.get(col + "_date", no_date)))
    if "i_overall" in timepoints.columns:
        parts.append((3, timepoints, "i_overall", False, timepoints["date"]))
    if best_response is not None and "ibor" in best_response.columns:
        parts.append((4, best_response, "ibor", False, best_response["ibor_date"]))
    tables = {id(timepoints): timepoints, **({id(best_response): best_response} if best_response is not None else {})}
    local = {}
    for key, t in tables.items():
        got = _str_ids(t["patient_id"])
        if got is None:
            return None
        local[key] = got
    keys = list(local)
    gcodes, ids = pd.factorize(np.concatenate([local[k][1] for k in keys]))
    ids = np.asarray(ids, dtype=object)
    offset, to_global = 0, {}
    for k in keys:
        m = len(local[k][1])
        to_global[k] = gcodes[offset:offset + m].astype(np.int32)
        offset += m
    pid, o, av, adt, avalc, aval = [], [], [], [], [], []
    for k, t, col, upper, date in parts:
        d = _dates(date)
        if d is None:
            return None
        codes, texts = _text_codes(t[col], upper)
        table = I_RESPONSE_AVAL if k >= 3 else RESPONSE_AVAL
        av.append(codes.astype(np.int32) + len(avalc))
        avalc += texts
        aval += [float(table.get(x, np.nan)) for x in texts]
        pid.append(to_global[id(t)][local[id(t)][0]])
        o.append(np.full(len(t), k, dtype=np.int8))
        adt.append(d)
    if not sum(len(x) for x in pid):
        return None
    return AdrsPlan(studyid, ids, np.concatenate(pid), np.concatenate(o), np.concatenate(av),
                    np.array(avalc, dtype=object), np.array(aval, dtype=np.float64), np.concatenate(adt))


class AdttePlan:
    """The rows of :func:`cdisc_export.adtte_dataset` in blocks: each block built from its rows, ASEQ
    numbered over the whole table."""

    def __init__(self, adtte: pd.DataFrame, studyid: str) -> None:
        codes, self.ids = pd.factorize(adtte["patient_id"].astype(str).to_numpy(object))
        self.aseq = pd.Series(codes).groupby(codes).cumcount().to_numpy() + 1
        self.adtte, self.studyid, self.n = adtte, studyid, len(adtte)

    def text(self) -> dict:
        """{text variable: its longest value}, one whole column at a time (USUBJID from its distinct ids)."""
        from .cdisc_export import adtte_dataset
        from .fast_xpt import longest_text

        a = self.adtte
        first = adtte_dataset(a.iloc[:1], self.studyid)        # the variables and their types
        out = {}
        for c in first.columns:
            if pd.api.types.is_datetime64_any_dtype(first[c].dtype) or not (
                    first[c].dtype == object or pd.api.types.is_string_dtype(first[c].dtype)):
                continue
            if c == "STUDYID":
                out[c] = self.studyid
            elif c == "USUBJID":
                out[c] = _longest(self.ids)
            else:
                col = {"PARAMCD": lambda: pd.Series(a["paramcd"].to_numpy()),
                       "PARAM": lambda: a["paramcd"].map(_adtte_params()).fillna(a.get("param", "")),
                       }.get(c, lambda: a[c.lower()].astype(str))()
                if col.dtype != object and not pd.api.types.is_string_dtype(col.dtype):
                    return None
                out[c] = longest_text(col)
                del col
        return out

    def blocks(self, block: int | None = None) -> Iterator[pd.DataFrame]:
        from .cdisc_export import adtte_dataset

        block = block or BLOCK
        for a in range(0, self.n, block):
            out = adtte_dataset(self.adtte.iloc[a:a + block], self.studyid)
            out["ASEQ"] = self.aseq[a:a + block]
            yield out


def _adtte_params():
    from .cdisc_export import ADTTE_PARAMS

    return ADTTE_PARAMS


def adtte_plan(adtte: pd.DataFrame, studyid: str):
    from .cdisc_export import _need

    _need(adtte, "adtte", ("patient_id", "paramcd", "startdt", "adt", "aval", "cnsr", "evntdesc"))
    if not len(adtte) or adtte["patient_id"].isna().any():
        return None
    return AdttePlan(adtte, studyid)


def write_blocks(plan, path: str | Path, name: str, label: str, formats: Iterable[str],
                 labels: dict) -> list[Path]:
    """``cdisc_export.write_dataset`` of the table ``plan.blocks()`` yields, never holding more than one
    block: the widths of the text variables (``plan.text()``, or a first pass over the blocks when it
    gives None) and the checks first, then the files."""
    from .cdisc_export import _check_xpt
    from .fast_csv import CsvBlocks
    from .fast_xpt import XportWriter, longest_text
    from ..memory import trim

    formats = tuple(formats)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    first = next(iter(plan.blocks(1)))
    columns = list(first.columns)
    dates = [c for c in columns if pd.api.types.is_datetime64_any_dtype(first[c].dtype)]
    text = plan.text() if "xpt" in formats else {}
    if text is None:
        text = {}
        for b in plan.blocks():
            for c in columns:
                if c not in dates and (b[c].dtype == object or pd.api.types.is_string_dtype(b[c].dtype)):
                    t = longest_text(b[c])
                    if c not in text or len(t.encode("utf-8")) > len(text[c].encode("utf-8")):
                        text[c] = t
    if "xpt" in formats:               # names, labels, and text <= 200 bytes (the longest value of each)
        _check_xpt(pd.DataFrame({c: [text.get(c, 0.0)] for c in columns}), name, labels)
    written, csv, xpt = [], None, None
    try:
        if "csv" in formats:
            csv = CsvBlocks(path.with_suffix(".csv"), date_format="%Y-%m-%d")
        if "xpt" in formats:
            xpt = XportWriter(path.with_suffix(".xpt"), columns, dates, text, file_label=label[:40],
                              table_name=name.upper(), column_labels={c: labels.get(c) for c in columns},
                              variable_format={c: "DATE9" for c in dates})
        for b in plan.blocks():
            if csv is not None:
                csv.write(b)
            if xpt is not None:
                xpt.write(b)
            del b
            trim()          # the block's freed buffers (glibc kept them: +200 MB over ADRS at 10^5)
    finally:
        for w in (csv, xpt):
            if w is not None:
                w.close()
    if csv is not None:
        written.append(path.with_suffix(".csv"))
    if xpt is not None:
        written.append(path.with_suffix(".xpt"))
    return written


__all__ = ["AdrsPlan", "AdttePlan", "adrs_plan", "adtte_plan", "write_blocks", "BLOCK"]
