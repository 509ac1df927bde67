"""The string-keyed implementations of main 4438206 (before the integer patient codes, issue 17), kept as the
reference the coded sections must equal (tests/analysis/test_patient_codes.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from oncoseries.analysis.descriptive import _num
from oncoseries.analysis.exposure import FORMULAS, TOXICITY_WORDS, _summary, bsa
from oncoseries.analysis.table1_by import (MAX_GROUPS, MIN_GROUPS, TEST_NAMES, _align, _as_categorical,
                                          _as_continuous, _as_text, group_levels)
from oncoseries.stats.group_compare import categorical_test, kruskal_wallis, wilcoxon_test
from oncoseries.analysis.toxicity import GRADES, HAEM, NON_HAEM, _n_pct, _stripped_text, term_group


def is_toxicity(text: pd.Series) -> pd.Series:
    """A reason naming a toxicity word (TOXICITY_WORDS), decided once per distinct reason."""
    t = text.fillna("").astype(str).str.lower()
    codes, uniques = pd.factorize(t)
    hit = np.array([any(k in s for k in TOXICITY_WORDS) for s in uniques] + [False], dtype=bool)
    return pd.Series(hit[codes], index=text.index, dtype=bool)


def cycle_table_ref(treatments: pd.DataFrame, patients: pd.DataFrame, ae: pd.DataFrame | None, cfg) -> tuple:
    """One row per cycle with BSA, doses, delay, reduction and their attribution; and the cycle length."""
    t = treatments.drop(columns=[c for c in treatments.columns if c.startswith("_")]).copy()
    t = t.sort_values(["patient_id", "date", "cycle"], kind="stable").reset_index(drop=True)
    p = patients.drop_duplicates("patient_id").set_index("patient_id")
    bsa_source = pd.Series("given", index=t.index)
    size = {}
    for col in ("height_cm", "weight_kg"):
        own = t[col] if col in t.columns else pd.Series(np.nan, index=t.index)
        base = t["patient_id"].map(p[col]) if col in p.columns else pd.Series(np.nan, index=t.index)
        size[col] = own.astype(float).fillna(base.astype(float))
    computed = pd.Series(bsa(size["height_cm"], size["weight_kg"], cfg.bsa_formula), index=t.index)
    given = t["bsa_m2"].astype(float) if "bsa_m2" in t.columns else pd.Series(np.nan, index=t.index)
    t["bsa_m2"] = given.fillna(computed)
    bsa_source = np.where(given.notna(), "given", np.where(computed.notna(), cfg.bsa_formula, "missing"))
    t["bsa_source"] = bsa_source
    dose = t["dose_mg_m2"].astype(float) if "dose_mg_m2" in t.columns else pd.Series(np.nan, index=t.index)
    if "dose_mg" in t.columns:
        dose = dose.fillna(t["dose_mg"].astype(float) / t["bsa_m2"])
    t["dose_mg_m2"] = dose
    gaps = t.groupby("patient_id")["date"].diff().dt.days
    length = float(cfg.cycle_days) if cfg.cycle_days else (float(gaps.median()) if gaps.notna().any() else np.nan)
    t["interval_days"] = gaps
    t["delay_days"] = (gaps - length).clip(lower=0)
    t["delayed"] = (t["delay_days"] > cfg.delay_days).fillna(False)
    planned = t["planned_dose_mg_m2"].astype(float) if "planned_dose_mg_m2" in t.columns else \
        pd.Series(np.nan, index=t.index)
    t["reduced"] = (t["dose_mg_m2"] < cfg.reduction_threshold * planned).fillna(False)
    was = t.groupby("patient_id")["reduced"].shift(1, fill_value=False).astype(bool)
    t["reduction"] = t["reduced"] & ~was            # the act of reducing (a reduced dose usually persists)
    # attribution: the cycle's own reason, else a grade >= 3 event in the previous cycle
    prev_severe = pd.Series(False, index=t.index)
    if ae is not None and not ae.empty:
        cyc = cycle_of(ae, treatments)
        sev = (ae["grade"] >= 3).to_numpy() & cyc.notna().to_numpy()
        keys = pd.MultiIndex.from_arrays([ae["patient_id"].to_numpy()[sev], cyc.to_numpy(float, na_value=np.nan)[sev]])
        prev_cycle = t.groupby("patient_id")["cycle"].shift(1).astype(float)
        prev_severe = pd.Series(pd.MultiIndex.from_arrays([t["patient_id"], prev_cycle]).isin(keys)
                                & prev_cycle.notna().to_numpy(), index=t.index)
    reason = t["modification_reason"] if "modification_reason" in t.columns else pd.Series(None, index=t.index)
    has_reason = reason.fillna("").astype(str).str.strip() != ""
    tox = np.where(has_reason, is_toxicity(reason), prev_severe)
    t["toxicity_attributed"] = (t["delayed"] | t["reduction"]) & tox
    t["attribution"] = np.where(has_reason, "recorded reason", "grade >= 3 event in the previous cycle")
    return t, length


def _stop_reasons(t: pd.DataFrame, patients: pd.DataFrame) -> pd.Series:
    """One stop reason per treated patient: patients.stop_reason, else the last cycle's stop_reason."""
    treated = t["patient_id"].unique()
    out = pd.Series(None, index=treated, dtype=object)
    if "stop_reason" in t.columns:
        last = t.dropna(subset=["stop_reason"]).groupby("patient_id")["stop_reason"].last()
        out.update(last)
    if "stop_reason" in patients.columns:
        pr = patients.drop_duplicates("patient_id").set_index("patient_id")["stop_reason"].reindex(treated)
        out = pr.where(pr.notna() & (pr.astype(str).str.strip() != ""), out)
    return out.fillna("not recorded").astype(str).str.strip().str.lower()


def dosing_section_ref(treatments: pd.DataFrame | None, patients: pd.DataFrame, ae: pd.DataFrame | None,
                   cfg) -> tuple[dict | None, pd.DataFrame | None]:
    """The ``dosing`` section of results.json and the per-cycle table (derived/cycles.csv)."""
    if treatments is None or treatments.empty:
        return None, None
    t, length = cycle_table_ref(treatments, patients, ae, cfg)
    g = t.groupby("patient_id")
    weeks = ((g["date"].max() - g["date"].min()).dt.days + length) / 7.0
    total = g["dose_mg_m2"].sum(min_count=1)
    delivered = total / weeks
    planned_di = g["planned_dose_mg_m2"].mean() / (length / 7.0) if "planned_dose_mg_m2" in t.columns else None
    rdi = (delivered / planned_di).replace([np.inf, -np.inf], np.nan) if planned_di is not None else None
    per_cycle = []
    for c, part in t.groupby("cycle"):     # a few cycle numbers, not rows
        per_cycle.append({"cycle": int(c), "patients": int(part["patient_id"].nunique()),
                          "dose_mg_m2": _summary(part["dose_mg_m2"]), "bsa_m2": _summary(part["bsa_m2"]),
                          "reduced": int(part["reduced"].sum()), "reductions": int(part["reduction"].sum()),
                          "delayed": int(part["delayed"].sum()),
                          "toxicity_attributed": int(part["toxicity_attributed"].sum())})
    stops = _stop_reasons(t, patients)
    n = int(t["patient_id"].nunique())
    out = {
        "patients_treated": n, "cycles_total": int(len(t)),
        "bsa": {"formula": cfg.bsa_formula, "formula_text": FORMULAS[cfg.bsa_formula],
                "cycles_given": int((t["bsa_source"] == "given").sum()),
                "cycles_computed": int((t["bsa_source"] == cfg.bsa_formula).sum()),
                "cycles_missing": int((t["bsa_source"] == "missing").sum()),
                "per_cycle": _summary(t["bsa_m2"])},
        "cycle_days": float(length) if np.isfinite(length) else None,
        "cycle_days_source": "study.yaml" if cfg.cycle_days else ("median interval" if np.isfinite(length) else
                                                                  "not known: no patient had two cycles; set "
                                                                  "exposure.cycle_days in study.yaml"),
        "delay_threshold_days": cfg.delay_days, "reduction_threshold": cfg.reduction_threshold,
        "cumulative_dose_g_m2": _summary(total / 1000.0),
        "dose_intensity_mg_m2_week": {"delivered": _summary(delivered),
                                      "planned": _summary(planned_di) if planned_di is not None else None},
        "relative_dose_intensity": _summary(rdi) if rdi is not None else None,
        "rdi_at_least_85": int((rdi >= 0.85).sum()) if rdi is not None and rdi.notna().any() else None,
        "rdi_definition": ("delivered dose intensity (total mg/m2 / ((last - first cycle, days) + planned cycle "
                           "length) x 7) / planned dose intensity (planned mg/m2 per cycle / planned cycle "
                           "length x 7)"),
        "delays": {"cycles": int(t["delayed"].sum()), "patients": int(t.loc[t["delayed"], "patient_id"].nunique()),
                   "days": _summary(t.loc[t["delayed"], "delay_days"])},
        "reductions": {"cycles": int(t["reduced"].sum()), "events": int(t["reduction"].sum()),
                       "patients": int(t.loc[t["reduced"], "patient_id"].nunique())},
        "toxicity": {"delayed_cycles": int((t["delayed"] & t["toxicity_attributed"]).sum()),
                     "reductions": int((t["reduction"] & t["toxicity_attributed"]).sum()),
                     "discontinuations": int(is_toxicity(stops).sum()),
                     "attribution": ("recorded modification_reason" if "modification_reason" in t.columns
                                     else "grade >= 3 adverse event in the previous cycle")},
        "per_cycle": per_cycle,
        "stop_reasons": [{"reason": k, "n": int(v), "percent": 100.0 * v / n}
                         for k, v in stops.value_counts().sort_index().items()],
    }
    cycles = t[["patient_id", "cycle", "date", "bsa_m2", "bsa_source", "dose_mg_m2"]
               + [c for c in ("planned_dose_mg_m2",) if c in t.columns]
               + ["interval_days", "delay_days", "delayed", "reduced", "reduction", "toxicity_attributed"]]
    return out, cycles.assign(stop_reason=cycles["patient_id"].map(stops))


def cycle_of(ae: pd.DataFrame, treatments: pd.DataFrame | None) -> pd.Series:
    """Each event's cycle: ``cycle`` when given, else the latest cycle dated on or before the event."""
    cyc = ae["cycle"].astype("Float64") if "cycle" in ae.columns else pd.Series(np.nan, index=ae.index,
                                                                                   dtype="Float64")
    if treatments is None or "date" not in ae.columns or not cyc.isna().any():
        return cyc
    t = treatments[["patient_id", "date", "cycle"]].dropna().sort_values("date")
    need = ae.loc[cyc.isna() & ae["date"].notna(), ["patient_id", "date"]].reset_index().sort_values("date")
    if need.empty:
        return cyc
    m = pd.merge_asof(need, t.rename(columns={"cycle": "_c"}), on="date", by="patient_id", direction="backward")
    cyc.loc[m["index"].to_numpy()] = m["_c"].to_numpy(float)
    return cyc


def _event_codes(a: pd.DataFrame) -> tuple:
    """Integer codes of group, term and patient per event, and the group and term texts."""
    g, gu = pd.factorize(a["group"])
    t, tu = pd.factorize(a["term"])
    p, _ = pd.factorize(a["patient_id"])
    return g, t, p, np.asarray(gu, dtype=object), np.asarray(tu, dtype=object)


def toxicity_section_ref(ae: pd.DataFrame | None, treated: set, treatments: pd.DataFrame | None) -> dict | None:
    """The ``toxicity`` section of results.json (None without adverse events)."""
    if ae is None or ae.empty:
        return None
    n = len(treated)
    a = ae.drop(columns=[c for c in ae.columns if c.startswith("_")]).copy()
    a["term"] = _stripped_text(a["term"])
    a["group"] = term_group(a["term"], a["soc"] if "soc" in a.columns else None)
    flagged = None
    if treatments is not None and not treatments.empty:
        dosed = set(treatments["patient_id"])
        ids = pd.unique(a["patient_id"].to_numpy(object))
        no_dose = sorted({str(p) for p in ids if p not in dosed})
        flagged = {"patients": len(no_dose), "events": int((~a["patient_id"].isin(dosed)).sum()),
                   "patient_ids": no_dose}
    outside = ~a["patient_id"].isin(treated)
    n_outside = int(outside.sum())
    a = a[~outside]
    if a.empty:
        return {"N": n, "events": 0, "excluded_events": n_outside, "no_dose_record": flagged, "terms": []}
    codes = _event_codes(a)
    rows = []
    for grp, term, count in _worst_counts(codes, a["grade"].to_numpy(dtype=float)):   # one row per term
        row = {"group": grp, "term": term, "any": _n_pct(count["any"], n)}
        for k in GRADES:
            row[f"grade_{k}"] = _n_pct(count[k], n)
        row["grade_3_plus"] = _n_pct(count["3+"], n)
        rows.append(row)
    group_order = [HAEM, NON_HAEM] if "soc" not in a.columns else sorted(a["group"].unique())
    group_order += [x for x in sorted(a["group"].unique()) if x not in group_order]
    rank = {gname: i for i, gname in enumerate(group_order)}
    rows.sort(key=lambda r: (rank[r["group"]], -r["any"]["n"], -r["grade_3_plus"]["n"], r["term"]))
    pw = a.groupby("patient_id")["grade"].max()
    summary = {"any": _n_pct(len(pw), n), "grade_3_plus": _n_pct(int((pw >= 3).sum()), n),
               "grade_5": _n_pct(int((pw == 5).sum()), n)}
    gcode, guniq = pd.factorize(a["group"])      # integer codes: one comparison per group, not per string
    gpos = {g: i for i, g in enumerate(guniq)}
    severe = (a["grade"] >= 3).to_numpy()
    pids = a["patient_id"]
    by_group = [{"group": gname, "any": _n_pct(pids[gcode == gpos[gname]].nunique(), n),
                 "grade_3_plus": _n_pct(pids[(gcode == gpos[gname]) & severe].nunique(), n)}
                for gname in group_order if gname in gpos]
    out = {"N": n, "grouping": "soc column" if "soc" in a.columns else "built-in haematological terms",
           "groups": group_order, "summary": summary, "by_group": by_group, "terms": rows,
           "toxic_deaths": [{"term": str(r.term)} for r in a[a["grade"] == 5].itertuples()],
           "events": int(len(a)), "excluded_events": n_outside, "no_dose_record": flagged}
    if treatments is not None and not treatments.empty:
        cyc = cycle_of(a, treatments)
        cycles_total = int(len(treatments))
        pc = []
        for grp, term, count in _worst_counts(codes, a["grade"].to_numpy(dtype=float),
                                              cyc.to_numpy(dtype=float, na_value=np.nan)):
            pc.append({"group": grp, "term": term, "cycles": cycles_total,
                       "any": _n_pct(count["any"], cycles_total),
                       "grade_3_plus": _n_pct(count["3+"], cycles_total)})
        pc.sort(key=lambda r: (rank[r["group"]], -r["any"]["n"], r["term"]))
        out["per_cycle"] = {"cycles": cycles_total, "events_without_cycle": int(cyc.isna().sum()), "terms": pc}
    return out


def exposure_ref(treatments: pd.DataFrame | None, patients: pd.DataFrame) -> dict | None:
    """Cycles per patient, cycle interval, dose reductions and relative dose intensity.

    Relative dose intensity (RDI) = delivered mg/m2 per week / planned mg/m2 per week, where the
    delivered period runs from the first cycle to one planned cycle length after the last.
    """
    if treatments is None or treatments.empty:
        return None
    t = treatments.sort_values(["patient_id", "date"])
    cycles = t.groupby("patient_id")["cycle"].count().reindex(patients["patient_id"], fill_value=0)
    gaps = t.groupby("patient_id")["date"].diff().dt.days.dropna()
    out = {"patients_treated": int((cycles > 0).sum()), "cycles_total": int(cycles.sum()),
           "cycles_per_patient": {"median": _num(cycles[cycles > 0].median()), "min": int(cycles[cycles > 0].min()),
                                  "max": int(cycles.max())},
           "cycle_interval_days": {"median": _num(gaps.median()) if len(gaps) else None,
                                   "delayed_cycles": int((gaps > gaps.median() + 3).sum()) if len(gaps) else 0}}
    if {"dose_mg_m2", "planned_dose_mg_m2"} <= set(t.columns):
        reduced = t["dose_mg_m2"] < 0.95 * t["planned_dose_mg_m2"]
        out["reduced_cycles"] = int(reduced.sum())
        out["patients_with_reduction"] = int(t.loc[reduced, "patient_id"].nunique())
        length = float(gaps.median()) if len(gaps) else 21.0
        g = t.groupby("patient_id")
        weeks = ((g["date"].max() - g["date"].min()).dt.days + length) / 7.0
        delivered = g["dose_mg_m2"].sum() / weeks
        planned = g["planned_dose_mg_m2"].mean() / (length / 7.0)
        rdi = (delivered / planned).replace([np.inf, -np.inf], np.nan).dropna()
        if len(rdi):
            out["relative_dose_intensity"] = {"median": float(rdi.median()), "min": float(rdi.min()),
                                              "max": float(rdi.max())}
    return out


def adverse_events_ref(ae: pd.DataFrame | None, n_patients: int) -> list[dict] | None:
    """Worst CTCAE grade per patient and term: patients with any grade, grade 3-4 and grade 5."""
    if ae is None or ae.empty:
        return None
    worst = ae.groupby(["term", "patient_id"])["grade"].max().reset_index()
    rows = []
    for term, g in worst.groupby("term"):
        grade = g["grade"]
        rows.append({"term": str(term), "any": int(len(g)), "grade_1_2": int(((grade >= 1) & (grade <= 2)).sum()),
                     "grade_3": int((grade == 3).sum()), "grade_4": int((grade == 4).sum()),
                     "grade_5": int((grade == 5).sum()), "grade_3_4": int(((grade >= 3) & (grade <= 4)).sum()),
                     "N": n_patients})
    rows.sort(key=lambda r: (-r["grade_3_4"], -r["any"], r["term"]))
    return rows


def table1_ref(patients: pd.DataFrame, covariates: list[str]) -> list[dict]:
    n = len(patients)
    rows = []
    for cov in covariates:
        s = patients[cov]
        missing = int(s.isna().sum())
        if pd.api.types.is_numeric_dtype(s) and s.dropna().nunique() > 5:
            x = s.dropna().astype(float)
            rows.append({"variable": cov, "type": "continuous", "n": int(x.size),
                         "median": _num(x.median()), "q1": _num(x.quantile(0.25)), "q3": _num(x.quantile(0.75)),
                         "min": _num(x.min()), "max": _num(x.max()), "missing": missing, "N": n})
        else:
            levels = s.dropna()
            if isinstance(s.dtype, pd.CategoricalDtype):  # study.yaml labels: the given level order
                counts = levels.value_counts().reindex([c for c in s.cat.categories if (levels == c).any()])
                levels = levels.astype(str)
                counts.index = counts.index.astype(str)
            else:
                levels = levels.astype(int).astype(str) if pd.api.types.is_numeric_dtype(levels) and \
                    (levels == levels.round()).all() else levels.astype(str)
                counts = levels.value_counts().sort_index()
            rows.append({"variable": cov, "type": "categorical", "N": n, "missing": missing,
                         "levels": [{"level": str(k), "n": int(v), "percent": 100.0 * v / n}
                                    for k, v in counts.items()]})
    return rows


def _test_ref(row: dict, x: pd.Series, g: pd.Series, levels: list[str]) -> dict:
    """The gtsummary test of one variable (complete cases of variable and group)."""
    keep = x.notna().to_numpy() & g.notna().to_numpy()
    x, g = x[keep], g[keep]
    if row["type"] == "continuous":
        xs = [x[g == lev].astype(float).to_numpy() for lev in levels]
        xs = [v for v in xs if v.size]
        if len(xs) < 2:
            return {"test": None, "reason": "fewer than two groups with a value"}
        if len(levels) == 2:
            res = wilcoxon_test(xs[0], xs[1])
            return {"test": "wilcoxon", "method": res.method, "statistic": res.statistic, "df": None,
                    "p": res.p_value, "exact": "exact" in res.method}
        res = kruskal_wallis(np.concatenate(xs), np.repeat(np.arange(len(xs)), [v.size for v in xs]))
        return {"test": "kruskal", "method": res.method, "statistic": res.statistic, "df": res.df, "p": res.p_value}
    tab = pd.crosstab(_as_text(x) if not isinstance(x.dtype, pd.CategoricalDtype) else x.astype(str), g)
    tab = tab.loc[tab.sum(axis=1) > 0, tab.sum(axis=0) > 0]
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        return {"test": None, "reason": "a single level or a single group with a value"}
    kind, res = categorical_test(tab.to_numpy())
    return {"test": kind, "method": TEST_NAMES[kind], "statistic": res.statistic, "df": res.df, "p": res.p_value}


def table1_by_ref(patients: pd.DataFrame, covariates: list[str], by: str) -> dict:
    """results.json ``table1_by``: the groups, and per characteristic its summary in each group and the
    test across groups (``test``: chisq | fisher | chisq_fallback | wilcoxon | kruskal, or None with a
    ``reason``)."""
    groups_raw = patients[by]
    levels = group_levels(groups_raw)
    if not MIN_GROUPS <= len(levels) <= MAX_GROUPS:
        return {"by": by, "n": int(len(patients)), "groups": [], "variables": [],
                "skipped": f"{len(levels)} distinct values; Table 1 by group needs {MIN_GROUPS} to {MAX_GROUPS} "
                           "groups (group a numeric variable with labels: groups)"}
    present = groups_raw.dropna()
    text = present.astype(str) if isinstance(groups_raw.dtype, pd.CategoricalDtype) else _as_text(present)
    g = text.astype(object).reindex(patients.index)
    known = g.notna()
    out = {"by": by, "groups": [{"level": lev, "n": int((g == lev).sum())} for lev in levels],
           "n_unknown_group": int((~known).sum()), "n": int(len(patients)),
           "rule": "gtsummary add_p defaults", "variables": []}
    overall = {r["variable"]: r for r in table1_ref(patients, covariates)}
    in_level = {lev: (g == lev).to_numpy() for lev in levels}
    for cov in covariates:
        if cov == by:
            continue
        row = overall[cov]
        per_group = []
        column = patients[[cov]]         # one column per subgroup, not the wide frame (10^6 patients)
        for lev in levels:
            sub = column[in_level[lev]]
            part = table1_ref(sub, [cov])[0] if len(sub) else None
            if part is not None and part["type"] != row["type"]:      # few distinct values in a group
                part = (_as_categorical if row["type"] == "categorical" else _as_continuous)(sub[cov], row)
            if part is not None and row["type"] == "categorical":
                part["levels"] = _align(part, row)
            per_group.append({"level": lev, **(part or {})})
        entry = {"variable": cov, "type": row["type"], "groups": per_group}
        entry.update(_test_ref(row, patients[cov], g, levels))
        out["variables"].append(entry)
    return out


def _worst_counts(codes: tuple, grade: np.ndarray, cycle: np.ndarray | None = None):
    """Per (group, term): how many patients (or patient-cycles when ``cycle`` is given; events without a
    cycle left out) had it, by worst grade. Grouped on integer codes (10^7 events of a registry)."""
    g, t, p, gu, tu = codes
    ok = (g >= 0) & (t >= 0) & (p >= 0)
    keys = {"g": g, "t": t, "p": p}
    if cycle is not None:
        ok &= ~np.isnan(cycle)
        keys["c"] = cycle
    frame = pd.DataFrame({**{k: v[ok] for k, v in keys.items()}, "grade": grade[ok]}, copy=False)
    worst = frame.groupby(list(keys), sort=False)["grade"].max().reset_index()
    del frame
    mx = worst["grade"].to_numpy()
    per = pd.DataFrame({"g": worst["g"].to_numpy(), "t": worst["t"].to_numpy(), "any": 1, "3+": mx >= 3,
                        **{k: mx == k for k in GRADES}}).groupby(["g", "t"], sort=False).sum()
    for (gi, ti), r in zip(per.index, per.to_dict("records")):
        yield str(gu[gi]), str(tu[ti]), {k: int(v) for k, v in r.items()}
