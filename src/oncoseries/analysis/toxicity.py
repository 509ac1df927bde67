"""Toxicity as CTCAE-based chemotherapy series report it (issue 14; docs/biomarkers-exposure-toxicity.md).

- Per patient: the worst grade per term; rows term, any grade, grade 1, 2, 3, 4, 5, grade >= 3 as n (%) of
  the treated patients, sorted by frequency (any grade, then grade >= 3, then term) within each group.
- Groups: the ``soc`` column of adverse_events.csv (CTCAE v5 / MedDRA system organ class) when given;
  otherwise haematological (the built-in HAEMATOLOGICAL terms, CTCAE v5 names and common synonyms) versus
  non-haematological.
- Summary rows: any adverse event, any grade >= 3, grade 5 (toxic deaths), in patients.
- Per cycle (incidence per cycle): cycles with the term at any grade and at grade >= 3, of all cycles given;
  an event's cycle is its ``cycle`` column, else the last cycle on or before its date.
- Denominators: the treated patients (and, per cycle, the cycles given). Events of patients with no dose
  record in treatments.csv are flagged (counted and listed) and, being outside the treated population, left
  out of the tables (``excluded_events``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .patient_codes import PatientCodes
from .worst_grade import grade_count, worst_histogram

HAEMATOLOGICAL = frozenset({
    "anaemia", "anemia", "haemoglobin decreased", "hemoglobin decreased", "neutropenia",
    "neutrophil count decreased", "febrile neutropenia", "thrombocytopenia", "platelet count decreased",
    "leukopenia", "leucopenia", "white blood cell decreased", "lymphopenia", "lymphocyte count decreased",
    "pancytopenia", "bone marrow hypocellular", "haemolysis", "hemolysis",
})
HAEM, NON_HAEM = "Haematological", "Non-haematological"
GRADES = (1, 2, 3, 4, 5)


def term_group(term: pd.Series, soc: pd.Series | None = None) -> pd.Series:
    """The group of each event: its system organ class when given, else haematological or not."""
    codes, uniques = pd.factorize(term)                       # each distinct term once (missing: -1)
    haem = np.array([str(u).strip().lower() in HAEMATOLOGICAL for u in uniques] + [False], dtype=bool)
    # an object column pointing at the two labels (not a fixed-width text array copied per event)
    built_in = np.array([NON_HAEM, HAEM], dtype=object)[haem[codes].astype(np.int8)]
    if soc is None:
        return pd.Series(built_in, index=term.index)
    s = soc.astype("string").str.strip()
    return s.where(s.notna() & (s != ""), pd.Series(built_in, index=term.index)).astype(str)


def cycle_of(ae: pd.DataFrame, treatments: pd.DataFrame | None, pc: PatientCodes | None = None) -> pd.Series:
    """Each event's cycle: ``cycle`` when given, else the latest cycle dated on or before the event (matched
    on the integer patient codes ``pc`` when given)."""
    cyc = ae["cycle"].astype("Float64") if "cycle" in ae.columns else pd.Series(np.nan, index=ae.index,
                                                                                   dtype="Float64")
    if treatments is None or "date" not in ae.columns or not cyc.isna().any():
        return cyc
    t = treatments[["patient_id", "date", "cycle"]]
    need = ae[["patient_id", "date"]]
    if pc is not None:         # the same rows keyed by code (missing id: -1, dropped as dropna drops it)
        tc = pc.table(treatments)
        t = pd.DataFrame({"patient_id": np.where(tc >= 0, tc, np.nan), "date": t["date"].to_numpy(),
                          "cycle": t["cycle"].to_numpy()}, index=t.index)
        ac = pc.table(ae)
        need = pd.DataFrame({"patient_id": np.where(ac >= 0, ac, np.nan), "date": need["date"].to_numpy()},
                            index=need.index)
    t = t.dropna().sort_values("date")
    need = need.loc[cyc.isna().to_numpy() & need["date"].notna().to_numpy()].reset_index().sort_values("date")
    if need.empty:
        return cyc
    m = pd.merge_asof(need, t.rename(columns={"cycle": "_c"}), on="date", by="patient_id", direction="backward")
    cyc.loc[m["index"].to_numpy()] = m["_c"].to_numpy(float)
    return cyc


def cycle_values(ae: pd.DataFrame, treatments: pd.DataFrame | None, pc: PatientCodes | None = None) -> np.ndarray:
    """``cycle_of`` as floats (missing: NaN); a numeric cycle column without gaps is used as it is."""
    if "cycle" in ae.columns and ae["cycle"].dtype.kind in "iuf":
        cyc = ae["cycle"].to_numpy(dtype=float)
        if not np.isnan(cyc).any():
            return cyc
    return cycle_of(ae, treatments, pc).to_numpy(dtype=float, na_value=np.nan)


def _stripped_text(s: pd.Series) -> pd.Series:
    """``s.astype(str).str.strip()``, decided once per distinct value (10^7 events repeat a few hundred terms)."""
    codes, uniques = pd.factorize(s)
    out = np.array([str(u).strip() for u in uniques] + [None], dtype=object)[codes]
    miss = codes < 0
    if miss.any():
        out[miss] = s[miss].astype(str).str.strip().to_numpy(dtype=object)
    return pd.Series(out, index=s.index)


def _text_codes(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``_stripped_text(s)`` as integer codes into its distinct texts (no per-event text array): each
    distinct value stripped once; a missing value is its own text (``str(v)``), as there."""
    codes, uniques = pd.factorize(s)
    texts = [str(u).strip() for u in uniques]
    miss = codes < 0
    if miss.any():
        mc, mu = pd.factorize(s[miss].astype(str).str.strip().to_numpy(dtype=object))
        codes = codes.copy()
        codes[miss] = mc + len(texts)
        texts += list(mu)
    tc, tu = pd.factorize(np.asarray(texts, dtype=object))       # equal texts after stripping: one code
    return tc[codes].astype(np.int32), np.asarray(tu, dtype=object)


def _group_codes(ae: pd.DataFrame, tcode: np.ndarray, tu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``term_group`` as integer codes into the group texts: per distinct term without a ``soc`` column."""
    if "soc" not in ae.columns:
        haem = np.array([u.lower() in HAEMATOLOGICAL for u in tu], dtype=bool)
        gu = np.array([NON_HAEM, HAEM], dtype=object)
        return haem[tcode].astype(np.int32), gu
    g, gu = pd.factorize(term_group(pd.Series(tu[tcode], index=ae.index), ae["soc"]))
    return g.astype(np.int32), np.asarray(gu, dtype=object)


def _worst_counts(codes: tuple, grade: np.ndarray, cycle: np.ndarray | None = None):
    """Per (group, term): how many patients (or patient-cycles when ``cycle`` is given; events without a
    cycle left out) had it, by worst grade. Grouped on one int64 key combining the integer codes of group,
    term, patient (and cycle): 10^7 events of a registry, where a multi-column groupby is several times
    slower; the patients per (group, term) and grade counted by ``bincount``."""
    g, t, p, gu, tu = codes
    ok = (g >= 0) & (t >= 0) & (p >= 0)
    if cycle is not None:
        ok &= ~np.isnan(cycle)
    cnt = _worst_counts_dense(codes, grade, cycle, ok)
    if cnt is None:
        cnt = _worst_counts_groupby(codes, grade, cycle, ok)
    for i in np.flatnonzero(cnt["any"]):
        gi, ti = divmod(int(i), len(tu))
        yield str(gu[gi]), str(tu[ti]), {k: int(v[i]) for k, v in cnt.items()}


def _worst_counts_dense(codes: tuple, grade: np.ndarray, cycle: np.ndarray | None, ok: np.ndarray) -> dict | None:
    """``_worst_counts``' counts from the dense worst-grade table (analysis/worst_grade.py), or None."""
    g, t, p, gu, tu = codes
    parts = [(g, len(gu)), (t, len(tu)), (p, int(p.max()) + 1 if p.size else 1)]
    if cycle is not None:
        c, cu = pd.factorize(cycle)
        parts.append((c.astype(np.int32), max(len(cu), 1)))
        del c
    hist = worst_histogram(parts, 2, grade, ok)
    if hist is None:
        return None
    return {"any": hist[:, 1:].sum(axis=1), "3+": grade_count(hist, 3),
            **{k: grade_count(hist, k, k) for k in GRADES}}


def _worst_counts_groupby(codes: tuple, grade: np.ndarray, cycle: np.ndarray | None, ok: np.ndarray) -> dict:
    """``_worst_counts``' counts by a groupby on one int64 key per event (any grades)."""
    g, t, p, gu, tu = codes
    p = p[ok].astype(np.int64)
    n_p = int(p.max()) + 1 if p.size else 1
    key = (g[ok].astype(np.int64) * len(tu) + t[ok]) * n_p + p
    del p
    n_c = 1
    if cycle is not None:
        c, cu = pd.factorize(cycle[ok])
        n_c = max(len(cu), 1)
        key = key * n_c + c
        del c
    worst = pd.Series(grade[ok]).groupby(key, sort=False).max()     # worst grade per patient (and cycle)
    del key
    mx = worst.to_numpy()
    gt = worst.index.to_numpy() // (n_p * n_c)
    del worst
    size = len(gu) * len(tu)
    return {"any": np.bincount(gt, minlength=size), "3+": np.bincount(gt, weights=mx >= 3, minlength=size),
            **{k: np.bincount(gt, weights=mx == k, minlength=size) for k in GRADES}}


def _n_pct(n: int, d: int) -> dict:
    return {"n": int(n), "percent": 100.0 * n / d if d else None, "proportion": n / d if d else None}


def _count_distinct(codes: np.ndarray, size: int) -> int:
    """Number of distinct codes (>= 0) in ``codes``."""
    return int(np.count_nonzero(np.bincount(codes[codes >= 0], minlength=size)))


def toxicity_section(ae: pd.DataFrame | None, treated: set, treatments: pd.DataFrame | None,
                     pc: PatientCodes | None = None) -> dict | None:
    """The ``toxicity`` section of results.json (None without adverse events); patients are tested and
    grouped on the run's integer patient codes ``pc`` (built here when not given)."""
    if ae is None or ae.empty:
        return None
    if pc is None:
        pc = PatientCodes({"adverse_events": ae, **({"treatments": treatments} if treatments is not None else {})})
    n = len(treated)
    ac = pc.table(ae)
    tcode, tu = _text_codes(ae["term"])
    gcode, guniq = _group_codes(ae, tcode, tu)
    flagged = None
    if treatments is not None and not treatments.empty:
        dosed = pc.members(pc.table(treatments))
        not_dosed = ~dosed[ac]
        ids = list(pc.ids[np.unique(ac[not_dosed & (ac >= 0)])])
        if not dosed[-1] and (ac < 0).any():        # a missing id is not a dosed one (as set membership)
            ids += list(pd.unique(ae["patient_id"].to_numpy(dtype=object)[ac < 0]))
        no_dose = sorted({str(p) for p in ids})
        flagged = {"patients": len(no_dose), "events": int(not_dosed.sum()), "patient_ids": no_dose}
        del not_dosed
    inside = pc.members(pc.of_known(treated))[ac]
    n_outside = int((~inside).sum())
    if not inside.any():
        return {"N": n, "events": 0, "excluded_events": n_outside, "no_dose_record": flagged, "terms": []}
    ac, tcode, gcode = ac[inside], tcode[inside], gcode[inside]   # arrays of codes, not a copied table
    grade = ae["grade"].to_numpy(dtype=float)[inside]
    codes = (gcode, tcode, ac, guniq, tu)
    rows = []
    for grp, term, count in _worst_counts(codes, grade):   # one row per term
        row = {"group": grp, "term": term, "any": _n_pct(count["any"], n)}
        for k in GRADES:
            row[f"grade_{k}"] = _n_pct(count[k], n)
        row["grade_3_plus"] = _n_pct(count["3+"], n)
        rows.append(row)
    gseen = np.unique(gcode[gcode >= 0])                  # the groups of the events kept
    present = sorted(guniq[gseen])
    group_order = [HAEM, NON_HAEM] if "soc" not in ae.columns else list(present)
    group_order += [x for x in present if x not in group_order]
    rank = {gname: i for i, gname in enumerate(group_order)}
    rows.sort(key=lambda r: (rank[r["group"]], -r["any"]["n"], -r["grade_3_plus"]["n"], r["term"]))
    severe = grade >= 3
    shifted = ac.astype(np.int64) + 1          # per patient (a missing id, -1, is one group as in groupby)
    summary = {"any": _n_pct(_count_distinct(shifted, len(pc) + 1), n),
               "grade_3_plus": _n_pct(_count_distinct(shifted[severe], len(pc) + 1), n),
               "grade_5": _n_pct(_count_distinct(shifted[grade == 5], len(pc) + 1), n)}
    del shifted
    gpos = {guniq[i]: i for i in gseen}
    by_group = [{"group": gname, "any": _n_pct(_count_distinct(ac[gcode == gpos[gname]], len(pc)), n),
                 "grade_3_plus": _n_pct(_count_distinct(ac[(gcode == gpos[gname]) & severe], len(pc)), n)}
                for gname in group_order if gname in gpos]
    out = {"N": n, "grouping": "soc column" if "soc" in ae.columns else "built-in haematological terms",
           "groups": group_order, "summary": summary, "by_group": by_group, "terms": rows,
           "toxic_deaths": [{"term": str(t)} for t in tu[tcode[grade == 5]]],
           "events": int(inside.sum()), "excluded_events": n_outside, "no_dose_record": flagged}
    if treatments is not None and not treatments.empty:
        cyc = cycle_values(ae, treatments, pc)[inside]       # each event's own cycle: on the coded table
        cycles_total = int(len(treatments))
        pc = []
        for grp, term, count in _worst_counts(codes, grade, cyc):
            pc.append({"group": grp, "term": term, "cycles": cycles_total,
                       "any": _n_pct(count["any"], cycles_total),
                       "grade_3_plus": _n_pct(count["3+"], cycles_total)})
        pc.sort(key=lambda r: (rank[r["group"]], -r["any"]["n"], r["term"]))
        out["per_cycle"] = {"cycles": cycles_total, "events_without_cycle": int(np.isnan(cyc).sum()), "terms": pc}
    return out
