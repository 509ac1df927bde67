"""Biomarkers and mutations versus response, PFS and OS, whatever the Cox plan says (REMARK: univariable
associations, with the numbers of patients tested and missing for each marker).

Markers are every column of biomarkers.csv (except ``ngs_tested``, which says who was sequenced) and a
``<GENE>_mutated`` yes/no flag per gene mutated in at least MIN_MUTATION_CARRIERS patients. A marker is
categorical when it is text, boolean or numeric with at most two distinct values (at most MAX_LEVELS
levels), numeric otherwise. Per marker:

- response (headline best overall response, CR or PR, response-evaluable patients): categorical ->
  responders per level and Fisher's exact test (R fisher.test, any r x 2 table; Pearson's chi-square, R
  chisq.test(correct = FALSE), only when the table is too large to enumerate); numeric -> medians (IQR) in
  responders and non-responders and the Wilcoxon rank-sum test (R wilcox.test(exact = FALSE,
  correct = TRUE));
- PFS and OS (treated patients): categorical -> Kaplan-Meier median (95% CI) per level and the log-rank
  test (R survdiff); numeric -> univariable Cox HR per unit and per interquartile range (IQR of the marker
  in the patients of that model, R quantile type 7) with the Wald P (R coxph).

Patients without a value (e.g. not tested; for mutation flags, not sequenced) are left out of that
marker's tests and counted. P values are adjusted for multiplicity, odds ratios, REMARK hazard ratios and
cut-points are added by marker_effects.augment.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..stats.association import chisq_test, fisher_exact, wilcoxon_ranksum
from ..stats.cox import cox
from ..stats.kaplan_meier import kaplan_meier
from ..stats.logrank import logrank
from ..validation import SEQUENCED_YES
from .survival import EVENT, TIME, endpoint_frame

MIN_MUTATION_CARRIERS = 3
MAX_LEVELS = 6
SEQUENCED_COLUMN = "ngs_tested"
YES = SEQUENCED_YES  # one definition, checked by validation
RESPONSE = ("CR", "PR")
SURVIVAL = ("PFS", "OS")
ALPHA = 0.05


def sequenced_patients(study) -> set | None:
    """Patients whose tumour was sequenced: ``ngs_tested`` yes/true/1 in biomarkers.csv, plus every patient
    with a row in mutations.csv. None when biomarkers.csv has no ``ngs_tested`` column (then every patient
    is taken as sequenced and a patient without a mutation row as wild-type)."""
    b = study.biomarkers
    if b is None or SEQUENCED_COLUMN not in b.columns:
        return None
    codes, uniques = pd.factorize(b[SEQUENCED_COLUMN])          # each distinct answer once (missing: -1)
    flag = np.array([str(v).strip().lower() in YES for v in uniques] + [False], dtype=bool)[codes]
    tested = set(b.loc[flag, "patient_id"])
    if study.mutations is not None:
        tested |= set(study.mutations["patient_id"])
    return tested


def recurrent_genes(study) -> list[str]:
    """Genes mutated in at least MIN_MUTATION_CARRIERS patients, sorted."""
    if study.mutations is None:
        return []
    genes = study.mutations.groupby("gene")["patient_id"].nunique()
    return sorted(genes[genes >= MIN_MUTATION_CARRIERS].index)


def marker_columns(study) -> list[tuple[str, str]]:
    """(column in the analysis frame, source) for every marker: biomarkers.csv columns (renamed
    ``biomarker_<name>`` when a patients column has the same name, as analysis_covariates does), then the
    mutation flags."""
    out = []
    if study.biomarkers is not None:
        for c in study.biomarkers.columns:
            if c.startswith("_") or c == "patient_id":
                continue
            out.append((f"biomarker_{c}" if c in study.patients.columns else c, "biomarkers"))
    out += [(f"{g}_mutated", "mutations") for g in recurrent_genes(study)]
    return out


def _is_numeric(values: pd.Series) -> bool:
    present = values.dropna()
    return pd.api.types.is_numeric_dtype(present) and not pd.api.types.is_bool_dtype(present) \
        and present.nunique() > 2


def _as_levels(values: pd.Series) -> pd.Series:
    """Categorical values as strings (whole numbers without '.0'); missing stays missing."""
    present = values.dropna()
    whole = pd.api.types.is_numeric_dtype(present) and not pd.api.types.is_bool_dtype(present) \
        and bool((present == present.round()).all())
    text = (lambda v: str(int(v))) if whole else str
    if (values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty")) \
            or (not whole and values.dtype.kind == "f"):       # mixed objects, -0.0: value by value
        return values.map(lambda v: text(v) if pd.notna(v) else None)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)   # each distinct value once
    table = np.array([text(u) for u in uniques] + [None], dtype=object)
    return pd.Series(table[codes], index=values.index, dtype=object)


def narrow(df: pd.DataFrame, col: str, conv) -> pd.DataFrame:
    """The columns one marker's analyses use (patient, response or time and event, the marker converted by
    ``conv``): a registry's wide frame is not copied once per marker and endpoint."""
    keep = [c for c in ("patient_id", "_resp", TIME, EVENT) if c in df.columns and c != col]
    out = df[keep].copy()
    out[col] = conv(df[col])
    return out


def _quartiles(x: np.ndarray) -> dict:
    q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])
    return {"n": int(x.size), "median": float(med), "q1": float(q1), "q3": float(q3)}


def _response(resp: pd.DataFrame, col: str, numeric: bool) -> dict:
    """Marker versus response in the response-evaluable patients with a value."""
    sub = resp[resp[col].notna()]
    out = {"n": int(len(sub)), "n_missing": int(len(resp) - len(sub)), "responders": int(sub["_resp"].sum())}
    if numeric:
        x = sub.loc[sub["_resp"], col].to_numpy(float)
        y = sub.loc[~sub["_resp"], col].to_numpy(float)
        out["groups"] = {"responders": _quartiles(x) if x.size else None,
                         "non_responders": _quartiles(y) if y.size else None}
        if not x.size or not y.size:
            return {**out, "skipped": "no responders" if not x.size else "no non-responders"}
        t = wilcoxon_ranksum(x, y)
        return {**out, "test": "wilcoxon", "statistic": t.statistic, "p": t.p_value}
    levels, tab = _by_level(sub[col], sub["_resp"])
    out["groups"] = [{"level": str(k), "n": int(r.sum()), "responders": int(r[0]),
                      "proportion": float(r[0] / r.sum())} for k, r in zip(levels, tab)]
    if len(tab) < 2:
        return {**out, "skipped": "fewer than two levels with a response assessment"}
    try:
        t, test = fisher_exact(tab), "fisher"
    except ValueError:     # too many tables to enumerate (both columns are then non-empty)
        t, test = chisq_test(tab), "chisq"
    return {**out, "test": test, "statistic": t.statistic, "df": t.df, "p": t.p_value}


def _by_level(values: pd.Series, responded: pd.Series) -> tuple[list, np.ndarray]:
    """The levels (sorted) and an int64 table of responders and non-responders at each (columns: responded
    True, False): ``pd.crosstab(values, responded).reindex(columns=[True, False], fill_value=0).sort_index()``.
    Levels that are all strings (``_as_levels`` makes them so) are counted with pd.factorize (hashing, one
    pass) and bincount, the few distinct levels then sorted as sort_index sorts strings: a crosstab costs ~5 ms
    (pandas' pivot machinery) for a table of a few cells; other values take the crosstab."""
    if values.dtype == object and len(values) and pd.api.types.infer_dtype(values, skipna=False) == "string":
        codes, uniques = pd.factorize(values)
        order = sorted(range(len(uniques)), key=uniques.__getitem__)
        rank = np.empty(len(order), dtype=np.intp)
        rank[order] = np.arange(len(order))
        codes = rank[codes]
        yes = responded.to_numpy(bool)
        tab = np.column_stack([np.bincount(codes[yes], minlength=len(order)),
                               np.bincount(codes[~yes], minlength=len(order))]).astype(np.int64)
        return [uniques[i] for i in order], tab
    tab = pd.crosstab(values, responded).reindex(columns=[True, False], fill_value=0).sort_index()
    return list(tab.index), tab.to_numpy()


def _km_logrank(df: pd.DataFrame, col: str, scale: float) -> dict:
    sub = df[[TIME, EVENT, col]].dropna()
    out = {"n": int(len(sub)), "n_missing": int(len(df) - len(sub)), "events": int(sub[EVENT].sum())}
    if sub[col].nunique() < 2:
        return {**out, "skipped": "fewer than two levels with follow-up"}
    km = kaplan_meier(sub, TIME, EVENT, by=col)
    lr = logrank(sub, TIME, EVENT, by=col)
    expected = dict(zip(lr.table["group"].tolist(), lr.table["expected"].tolist()))   # by group, as .loc
    med = km.medians
    groups = []
    for group, n, events, median, lower, upper in zip(*(med[c].tolist() for c in
                                                        ("group", "n", "events", "median", "lower", "upper"))):
        groups.append({"level": str(group), "n": int(n), "events": int(events), "expected": float(expected[group]),
                       "median": _scaled(median, scale), "lower": _scaled(lower, scale),
                       "upper": _scaled(upper, scale)})
    if not lr.estimable:
        return {**out, "test": "logrank", "statistic": None, "df": int(lr.df), "p": None,
                "not_estimable": lr.reason, "groups": groups}
    return {**out, "test": "logrank", "statistic": float(lr.statistic), "df": int(lr.df),
            "p": float(lr.p_value), "groups": groups}


def _cox(df: pd.DataFrame, col: str) -> dict:
    sub = df[[TIME, EVENT, col]].dropna()
    out = {"n": int(len(sub)), "n_missing": int(len(df) - len(sub)), "events": int(sub[EVENT].sum())}
    if out["events"] < 2:
        return {**out, "skipped": "fewer than two events"}
    if sub[col].nunique() < 2:
        return {**out, "skipped": "fewer than two distinct values"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = cox(sub, TIME, EVENT, [col])
    if fit.separation:
        return {**out, "skipped": "separation (monotone likelihood): the HR is not estimable"}
    s = fit.summary.loc[col]
    q1, q3 = np.quantile(sub[col].to_numpy(float), [0.25, 0.75])
    iqr = float(q3 - q1)
    return {**out, "test": "cox", "coef": float(s["coef"]), "se": float(s["se"]), "hr": float(s["hr"]),
            "lower": float(s["lower"]), "upper": float(s["upper"]), "z": float(s["z"]), "p": float(s["p"]),
            "iqr": iqr, "q1": float(q1), "q3": float(q3), "hr_iqr": float(np.exp(s["coef"] * iqr)),
            "lower_iqr": float(s["lower"] ** iqr), "upper_iqr": float(s["upper"] ** iqr),
            "messages": sorted({str(w.message) for w in caught})}


def _scaled(v, scale: float):
    return None if v is None or not np.isfinite(v) else float(v) / scale


def _why_not(values: pd.Series, numeric: bool) -> str | None:
    present = values.dropna()
    if present.empty:
        return "no values"
    if present.nunique() < 2:
        return "fewer than two distinct values"
    if not numeric and present.nunique() > MAX_LEVELS:
        return f"more than {MAX_LEVELS} categories"
    return None


def biomarker_section(study, frame: pd.DataFrame, best: pd.DataFrame, adtte: pd.DataFrame, treated: set,
                      plan) -> dict | None:
    """The ``biomarkers`` section of results.json, or None when the study has no biomarkers or mutations.

    ``frame``: analysis_covariates (patients with markers); ``best``: best responses of the response-evaluable
    patients; ``adtte``: the derived endpoints; ``treated``: ids of the treated patients (the survival
    population); ``plan``: the analysis plan (headline response confirmed or not; the display time unit).
    """
    headline = "confirmed_bor" if plan.recist.confirmation else "bor"
    scale = plan.days_per_unit
    markers = marker_columns(study)
    if not markers:
        return None
    seq = sequenced_patients(study)
    genes = recurrent_genes(study)
    pop = frame[frame["patient_id"].isin(treated)]
    # the marker columns only: a registry's wide analysis frame is not merged (copied) three more times
    cols = list(dict.fromkeys(c for c, _ in markers if c in frame.columns and c != "patient_id"))
    mframe = frame[["patient_id"] + cols]
    resp = pd.DataFrame({"patient_id": best["patient_id"].to_numpy(),
                         "_resp": best[headline].isin(RESPONSE).to_numpy(bool)}).merge(mframe, on="patient_id",
                                                                                      how="left")
    ends = {ep: endpoint_frame(adtte, ep, mframe) for ep in SURVIVAL if (adtte["paramcd"] == ep).any()}
    del mframe
    from .marker_effects import augment_marker, finish   # (imports biomarkers: here, not at the top)
    out_markers, skipped = [], []
    for col, source in markers:
        if col == SEQUENCED_COLUMN:
            skipped.append({"marker": col, "source": source,
                            "reason": "it records which tumours were sequenced"})
            continue
        numeric = _is_numeric(pop[col])
        why = _why_not(pop[col], numeric)
        n_present = int(pop[col].notna().sum())
        entry = {"marker": col, "source": source, "type": "numeric" if numeric else "categorical",
                 "n": n_present, "n_missing": int(len(pop) - n_present)}
        if source == "mutations":
            entry["gene"] = col[: -len("_mutated")]
        if why:
            skipped.append({**entry, "reason": why})
            continue
        conv = (lambda s: s.astype(float)) if numeric else _as_levels
        values = conv(pop[col]).dropna()
        if numeric:
            x = values.to_numpy(float)
            entry["summary"] = {**_quartiles(x), "min": float(x.min()), "max": float(x.max())}
        else:
            counts = values.value_counts().sort_index()
            entry["levels"] = [{"level": str(k), "n": int(v)} for k, v in counts.items()]
        r = narrow(resp, col, conv)
        entry["response"] = _response(r, col, numeric) if len(r) else {"n": 0, "n_missing": 0,
                                                                         "skipped": "no patient evaluable"}
        d_ends = {}
        for ep, df in ends.items():
            d = d_ends[ep] = narrow(df, col, conv)
            entry[ep] = _cox(d, col) if numeric else _km_logrank(d, col, scale)
        out_markers.append(entry)
        # odds ratios, REMARK HRs, cut-points (issue 14) on the frames just made, then dropped: a registry's
        # narrow frames (10^6 rows each) are not held for every marker at once
        augment_marker(entry, (r, d_ends), resp, ends, numeric, conv, plan, plan.config.biomarkers)
        del r, d_ends
    ps = [(i, k, m[k]["p"]) for i, m in enumerate(out_markers) for k in ("response",) + SURVIVAL
          if k in m and "p" in m[k] and m[k]["p"] is not None and np.isfinite(m[k]["p"])]
    smallest = min(ps, key=lambda t: t[2]) if ps else None
    section = {
        "response_population_n": int(len(best)), "survival_population_n": int(len(pop)),
        "headline": headline, "alpha": ALPHA,
        "sequenced": {"column": SEQUENCED_COLUMN if seq is not None else None,
                      "n": int(pop["patient_id"].isin(seq).sum()) if seq is not None else int(len(pop))},
        "min_mutation_carriers": MIN_MUTATION_CARRIERS,
        "genes_tested": genes,
        "markers": out_markers,
        "skipped": skipped,
        "n_tests": len(ps),
        "n_p_below_alpha": int(sum(p < ALPHA for _, _, p in ps)),
        "smallest_p": None if smallest is None else {"marker_index": smallest[0], "analysis": smallest[1],
                                                      "p": smallest[2]},
        "adjustment": "none",
    }
    finish(section, plan.config.biomarkers)   # adjusted P values (marker_effects)
    return section
