"""The figures' data as main computed them before session 9 (text-keyed: ids hashed as strings; the oncoprint
as a genes x patients object matrix), kept as the reference the code-keyed versions (report/patient_rows.py)
must equal (tests/report/test_patient_rows.py). Copied unchanged apart from the names of the data classes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from oncoseries.report.axis import AxisCut, times_cut
from oncoseries.report.oncoprint import CLASS_RANK, MAX_GENES, MIN_CARRIERS, _class_key
from oncoseries.report.spider import MAX_SPIDER_PATIENTS, SAMPLE_SEED, SpiderData
from oncoseries.report.style import BOR_ORDER
from oncoseries.report.swimmer import MAX_SWIMMER_PATIENTS, NOT_ASSESSED, SwimmerData


def spider_data(timepoints: pd.DataFrame, patients: pd.DataFrame, best: pd.DataFrame | None,
                column: str = "bor", days_per_unit: float = 30.4375,
                max_patients: int = MAX_SPIDER_PATIENTS) -> SpiderData:
    """Points per patient from ``timepoints`` (date, pct_from_baseline, overall, new_lesions) and the
    patients' start_date; a seeded sample of ``max_patients`` when there are more."""
    for c in ("patient_id", "date", "pct_from_baseline"):
        if c not in timepoints.columns:
            raise ValueError(f"timepoints has no column {c!r}; the spider plot needs it")
    # The rows are chosen on integer codes of the patients (one text per distinct id), and only the chosen
    # rows are copied: at registry size the time points are 10^7 rows and the figure draws 100 patients.
    codes, uniq = pd.factorize(timepoints["patient_id"], use_na_sentinel=False)
    keep = np.isfinite(pd.to_numeric(timepoints["pct_from_baseline"], errors="coerce").to_numpy(float))
    n_after = 0
    if "new_therapy_date" in patients.columns:  # scans on or after new therapy do not count (INTERFACE §5)
        nt = patients[["patient_id", "new_therapy_date"]].drop_duplicates("patient_id").set_index("patient_id")[
            "new_therapy_date"]   # two columns, not a copy of the whole patients table
        nt_of = pd.to_datetime(pd.Series(np.asarray(uniq, dtype=object)).map(nt)).to_numpy("datetime64[ns]")
        after = keep & (pd.to_datetime(timepoints["date"]).to_numpy("datetime64[ns]") >= nt_of[codes])
        n_after = int(after.sum())
        keep &= ~after
    text = pd.Series(np.asarray(uniq, dtype=object)).astype(str)     # each distinct id as text, once
    ids = np.sort(text.iloc[np.unique(codes[keep])].unique())
    n_total = len(ids)
    if n_total > max_patients:
        rng = np.random.default_rng(SAMPLE_SEED)
        ids = np.sort(rng.choice(ids, size=max_patients, replace=False))
    rows = keep & text.isin(ids).to_numpy()[codes]
    tp = timepoints.loc[rows, ["patient_id", "date", "pct_from_baseline"]]
    tp = tp.assign(pd=timepoints["overall"].to_numpy()[rows] == "PD" if "overall" in timepoints else False,
                   new=timepoints["new_lesions"].to_numpy()[rows] == "yes" if "new_lesions" in timepoints
                   else False)
    start = patients[["patient_id", "start_date"]].drop_duplicates("patient_id").set_index("patient_id")["start_date"]
    t = (pd.to_datetime(tp["date"]) - pd.to_datetime(tp["patient_id"].map(start))).dt.days / days_per_unit
    pts = pd.DataFrame({"patient_id": tp["patient_id"].astype(str).to_numpy(), "t": t.to_numpy(float),
                        "pct": tp["pct_from_baseline"].to_numpy(float), "pd": tp["pd"].to_numpy(bool),
                        "new": tp["new"].to_numpy(bool)})
    base = pd.DataFrame({"patient_id": ids, "t": 0.0, "pct": 0.0, "pd": False, "new": False})
    pts = pd.concat([base, pts], ignore_index=True).sort_values(["patient_id", "t"], kind="stable")
    bor = pd.Series(dtype=object) if best is None else \
        best[["patient_id", column]].assign(patient_id=best["patient_id"].astype(str)).set_index("patient_id")[column]
    pts["bor"] = pts["patient_id"].map(bor).fillna("MISSING").astype(str)
    return SpiderData(pts.reset_index(drop=True), n_total, len(ids), n_after_new_therapy=n_after)


def _of(df: pd.DataFrame, ids) -> pd.DataFrame:
    """The rows of ``df`` whose patient_id, as text, is one of ``ids`` (text), with patient_id as text. Text
    is made once per distinct id: a registry's tables have 10^6-10^7 rows, the figure shows a few dozen."""
    codes, uniq = pd.factorize(df["patient_id"])
    keep = np.append(pd.Index(np.asarray(uniq, dtype=object).astype(str)).isin(ids), False)[codes]
    out = df.loc[keep]
    return out.assign(patient_id=out["patient_id"].astype(str))


def _days(later, start) -> np.ndarray:
    return (pd.to_datetime(later) - pd.to_datetime(start)).dt.days.to_numpy(float)


def _segments(tp: pd.DataFrame | None, ids: pd.Series, start: pd.Series, prog: np.ndarray, end: np.ndarray,
              scale: float) -> tuple[pd.DataFrame, np.ndarray]:
    """Bar pieces from the time-point responses up to the first progression (inclusive): each scan's
    response holds until the next scan; [0, first scan) is "not yet assessed". Returns the pieces and
    the time each patient's assessed bar ends (the last scan used; 0 without scans)."""
    cols = ["patient_id", "start", "stop", "state"]
    assessed_to = np.zeros(len(ids))
    if tp is None or tp.empty or "overall" not in tp.columns:
        return pd.DataFrame(columns=cols), assessed_to
    pos = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    d = _of(tp, pos.index)[["patient_id", "date", "overall"]].copy()   # the shown patients' rows, then columns
    k = pos.loc[d["patient_id"]].to_numpy()
    d["t"] = (pd.to_datetime(d["date"]).to_numpy() - pd.to_datetime(start).to_numpy()[k]) / np.timedelta64(1, "D")
    d["t"] = d["t"] / scale
    d["end"] = end[k]
    d["prog"] = prog[k]
    d = d[(d["t"] >= 0) & (d["t"] <= d["end"] + 1e-9)].sort_values(["patient_id", "t"], kind="stable")
    first_pd = d.loc[d["overall"] == "PD"].groupby("patient_id")["t"].min()
    d = d[d["t"] <= d["patient_id"].map(first_pd).fillna(np.inf)]
    if d.empty:
        return pd.DataFrame(columns=cols), assessed_to
    d["stop"] = d.groupby("patient_id")["t"].shift(-1)
    last = d["stop"].isna()
    d.loc[last, "stop"] = d.loc[last, "t"]          # the last scan closes the bar
    pieces = d.loc[d["stop"] > d["t"], ["patient_id", "t", "stop", "overall"]].set_axis(cols, axis=1)
    first = d.groupby("patient_id", sort=False)["t"].min()
    lead = pd.DataFrame({"patient_id": first.index, "start": 0.0, "stop": first.to_numpy(), "state": NOT_ASSESSED})
    out = pd.concat([lead[lead["stop"] > 0], pieces], ignore_index=True)
    ends = d.groupby("patient_id")["t"].max()
    assessed_to[pos.loc[ends.index].to_numpy()] = ends.to_numpy()
    return out.reset_index(drop=True), assessed_to


def _treatment_end(treatments: pd.DataFrame | None, ids: pd.Series, start: pd.Series, scale: float) -> np.ndarray:
    """Last cycle date plus the study's median interval between consecutive cycles (the last cycle's
    length), from the start of treatment; NaN without treatment rows."""
    out = np.full(len(ids), np.nan)
    if treatments is None or treatments.empty or "date" not in treatments.columns:
        return out
    t = treatments[["patient_id", "date"]].dropna()
    codes = pd.factorize(t["patient_id"].astype(str) if t["patient_id"].dtype != object else t["patient_id"])[0]
    order = np.lexsort((t["date"].to_numpy(), codes))       # patient, then date (every patient: the median)
    k, when = codes[order], t["date"].to_numpy()[order]
    step = (k[1:] == k[:-1]) & (when[1:] != when[:-1])       # consecutive distinct dates of one patient
    gaps = pd.Series(when[1:][step] - when[:-1][step]).dt.days
    length = float(gaps.median()) if len(gaps) else 1.0
    last = _of(t, set(ids)).groupby("patient_id")["date"].max()
    out = _days(ids.map(last).reset_index(drop=True), start) + length
    return out / scale


def _changes(patients: pd.DataFrame, ids: pd.Series, start: pd.Series, changes: dict | None,
             scale: float) -> pd.DataFrame:
    """Markers of changes during follow-up: {name: (date column, covariate column or None, values)}."""
    rows = []
    pts = _of(patients, set(ids)).drop_duplicates("patient_id")
    pts = pts.set_index("patient_id").reindex(ids)
    for what, (date_col, cov, values) in (changes or {}).items():
        if date_col not in pts.columns:
            continue
        t = _days(pts[date_col].reset_index(drop=True), start) / scale
        ok = np.isfinite(t) & (t >= 0)
        if cov is not None and cov in pts.columns:
            wanted = {str(v).strip().lower() for v in values}
            ok &= pts[cov].astype(str).str.strip().str.lower().isin(wanted).to_numpy()
        rows.append(pd.DataFrame({"patient_id": ids.to_numpy()[ok], "time": t[ok], "what": what}))
    if not rows:
        return pd.DataFrame(columns=["patient_id", "time", "what"])
    return pd.concat(rows, ignore_index=True)


def swimmer_data(adtte: pd.DataFrame | None, timepoints: pd.DataFrame | None, patients: pd.DataFrame,
                 best: pd.DataFrame | None, column: str = "bor", days_per_unit: float = 30.4375,
                 max_patients: int = MAX_SWIMMER_PATIENTS, treatments: pd.DataFrame | None = None,
                 changes: dict | None = None, axis_cut: AxisCut | None = None) -> SwimmerData | None:
    """Rows from the ADTTE OS rows (``aval`` days, ``cnsr``), the time-point responses, the first PD scan
    and ``patients.progression_date``, ``best_response.first_response_date``, the treatment cycles and
    the change dates (``changes``: marker name -> (date column, covariate column or None, values)); the
    ``max_patients`` longest (ties by patient_id). None without OS rows."""
    if adtte is None or adtte.empty or not (adtte["paramcd"] == "OS").any():
        return None
    os_ = adtte.loc[adtte["paramcd"] == "OS", ["patient_id", "aval", "cnsr"]].copy()
    os_["patient_id"] = os_["patient_id"].astype(str)
    n_total = len(os_)
    os_["end"] = os_["aval"].to_numpy(float) / days_per_unit
    all_ends = os_["end"].to_numpy(float)
    os_ = os_.sort_values(["end", "patient_id"], ascending=[False, True], kind="stable").head(max_patients)
    ids = os_["patient_id"].reset_index(drop=True)
    shown = set(ids)
    pts = _of(patients, shown).drop_duplicates("patient_id")
    pts = pts.set_index("patient_id").reindex(ids)
    start = pts["start_date"].reset_index(drop=True)
    prog = np.full(len(os_), np.nan)
    if "progression_date" in pts.columns:
        prog = _days(pts["progression_date"].reset_index(drop=True), start)
    if timepoints is not None and not timepoints.empty and "overall" in timepoints.columns:
        mine = _of(timepoints, shown)              # the shown patients' rows first: a registry has 10^7
        first_pd = mine.loc[mine["overall"] == "PD"].groupby("patient_id")["date"].min()
        scan = _days(ids.map(first_pd), start)
        prog = np.fmin(prog, scan)
    resp = np.full(len(os_), np.nan)
    bor = np.full(len(os_), "MISSING", dtype=object)
    if best is not None and not best.empty:
        b = _of(best, shown).drop_duplicates("patient_id").set_index("patient_id")
        if "first_response_date" in b.columns:
            resp = _days(ids.map(b["first_response_date"]), start)
        bor = ids.map(b[column]).fillna("MISSING").astype(str).to_numpy(object)
    end = os_["end"].to_numpy(float)
    segments, assessed_to = _segments(timepoints, ids, start, prog / days_per_unit, end, days_per_unit)
    rows = pd.DataFrame({"patient_id": ids.to_numpy(), "end": end,
                         "death": (os_["cnsr"] == 0).to_numpy(), "response": resp / days_per_unit,
                         "progression": prog / days_per_unit, "bor": bor, "assessed_to": assessed_to,
                         "treatment_end": _treatment_end(treatments, ids, start, days_per_unit)})
    # a marker after the bar's end (e.g. a scan after the last contact date) is drawn at the end
    for c in ("response", "progression", "treatment_end"):
        rows.loc[rows[c] > rows["end"], c] = rows["end"]
    cut = times_cut(all_ends, axis_cut)
    return SwimmerData(rows, n_total, segments, _changes(patients, ids, start, changes, days_per_unit), cut,
                       all_ends)


def oncoprint_data(mutations: pd.DataFrame | None, patients: list, sequenced: set | None,
                   bor: dict) -> dict | None:
    """Everything the figure draws. ``patients``: the patients to show (treated); ``sequenced``: the sequenced
    ones (None: all); ``bor``: patient -> best overall response. None when no gene is recurrent."""
    if mutations is None or mutations.empty:
        return None
    pats = [str(p) for p in patients]
    seq = set(pats) if sequenced is None else {str(p) for p in sequenced} & set(pats)
    m = mutations.assign(patient_id=mutations["patient_id"].astype(str))
    m = m[m["patient_id"].isin(seq)]
    if "classification" in m.columns:     # one _class_key per distinct text (a registry has 10^6 rows)
        codes, kinds = pd.factorize(m["classification"], use_na_sentinel=True)
        keys = np.array([_class_key(k) for k in kinds] + [_class_key(None)], dtype=object)
        key = pd.Series(keys[codes], index=m.index)          # code -1 (missing) takes the last entry
    else:
        key = pd.Series("other", index=m.index)
    m = m.assign(_k=key, _r=key.map(CLASS_RANK))
    carriers = m.groupby("gene")["patient_id"].nunique()
    carriers = carriers[carriers >= MIN_CARRIERS]
    if carriers.empty:
        return None
    genes = sorted(carriers.index, key=lambda g: (-carriers[g], g))[:MAX_GENES]
    worst = m[m["gene"].isin(genes)].sort_values("_r", kind="stable").drop_duplicates(["gene", "patient_id"])
    # genes x patients as one object array (vectorised: a registry has 10^5-10^6 columns)
    col = pd.Index(pats).get_indexer(worst["patient_id"])
    row = pd.Index(genes).get_indexer(worst["gene"])
    grid = np.full((len(genes), len(pats)), "", dtype=object)
    grid[row, col] = worst["_k"].to_numpy(object)
    is_seq = pd.Index(pats).isin(list(seq))
    # sort: sequenced first; by the mutation pattern (gene rows in order: mutated before wild type); then BOR
    bor_rank = {b: i for i, b in enumerate(BOR_ORDER)}
    bor_of = pd.Series(pats, dtype=object).map(bor).fillna("MISSING").to_numpy(object)
    ranks = pd.Series(bor_of).map(bor_rank).fillna(99).to_numpy()
    keys = [(~is_seq).astype(int)] + [-(grid[i] != "").astype(int) for i in range(len(genes))] + \
        [ranks, np.arange(len(pats))]
    order = np.lexsort(keys[::-1])
    cells = grid[:, order]
    cells[:, ~is_seq[order]] = None
    pats_o = [pats[i] for i in order]
    return dict(genes=genes, patients=pats_o, cells=pd.DataFrame(cells, index=genes, columns=pats_o, dtype=object),
                         bor=list(bor_of[order]), sequenced=[bool(v) for v in is_seq[order]],
                         percent=[100.0 * carriers[g] / max(len(seq), 1) for g in genes], n_sequenced=len(seq))
