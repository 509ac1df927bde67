"""Benchmark: every report figure for a large study, and one Kaplan-Meier figure against lifelines.

Usage: PYTHONPATH=src python benchmarks/bench_figures.py [--n 100000]

A SYNTHETIC Results object for n patients is built directly (vectorised; the analysis itself is timed
in its own benchmarks): ~5 scans per patient in ``timepoints``, OS/PFS/DOR/TTP rows in ``adtte``,
Kaplan-Meier fits overall and by a two-level covariate, log-rank tests, and univariable Cox models
fitted on a 4,000-patient subsample (they only feed the annotations and the forest plot).

Timed: ``make_figures`` (every figure, PNG at 300 dpi and SVG), and, on the same data, the OS curve by
arm with its number-at-risk table and censor marks drawn and saved (PNG 300 dpi + SVG) by oncoseries
(``km_figure`` + ``save_figure``) and by lifelines (``KaplanMeierFitter.plot_survival_function`` per
group with ``show_censors=True`` + ``add_at_risk_counts`` + ``savefig``).
Requirement checked: all figures of a 100,000-patient study in under 60 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

MONTH = 30.4375


def synthetic_results(n: int, seed: int = 11):
    from oncoseries.analysis.regression import fit_model
    from oncoseries.analysis.results import Results
    from oncoseries.stats.kaplan_meier import kaplan_meier
    from oncoseries.stats.logrank import logrank

    rng = np.random.default_rng(seed)
    ids = np.char.add("P", np.char.zfill(np.arange(n).astype(str), 6)).astype(object)
    start = np.datetime64("2015-01-01") + rng.integers(0, 2000, n).astype("timedelta64[D]")
    arm = np.where(rng.random(n) < 0.5, "A", "B")
    death = np.ceil(rng.exponential(np.where(arm == "B", 300, 600))).astype(int) + 1
    follow = rng.integers(100, 2500, n)
    os_t, os_e = np.minimum(death, follow), death <= follow
    prog = np.ceil(rng.exponential(200, n)).astype(int) + 1
    pfs_t, pfs_e = np.minimum(np.minimum(prog, death), follow), np.minimum(prog, death) <= follow
    slope = rng.normal(-0.05, 0.12, n)
    k = np.tile(np.arange(1, 6), n)
    pid = np.repeat(np.arange(n), 5)
    pct = np.clip(100 * slope[pid] * k, -100, None)
    overall = np.where(pct >= 20, "PD", np.where(pct <= -30, "PR", "SD")).astype(object)
    tp = pd.DataFrame({"patient_id": ids[pid], "date": start[pid] + (56 * k).astype("timedelta64[D]"),
                       "overall": overall, "new_lesions": np.where(rng.random(k.size) < 0.03, "yes", "no"),
                       "pct_from_baseline": pct})
    best_pct = tp.groupby("patient_id", sort=False)["pct_from_baseline"].min().reindex(ids).to_numpy()
    bor = np.where(best_pct <= -30, "PR", np.where(best_pct >= 20, "PD", "SD")).astype(object)
    resp = bor == "PR"
    first_resp = np.where(resp, start + 56 * np.ceil(-30 / (100 * np.minimum(slope, -1e-9))).clip(1, 5)
                          .astype(int).astype("timedelta64[D]"), np.datetime64("NaT"))
    best = pd.DataFrame({"patient_id": ids, "bor": bor, "confirmed_bor": bor, "best_pct_change": best_pct,
                         "first_response_date": first_resp})
    rows = []
    for code, t, e in (("OS", os_t, os_e), ("PFS", pfs_t, pfs_e), ("TTP", pfs_t, pfs_e & (prog <= death))):
        rows.append(pd.DataFrame({"patient_id": ids, "paramcd": code, "startdt": start,
                                  "adt": start + (t - 1).astype("timedelta64[D]"), "aval": t,
                                  "cnsr": (~e).astype(int), "evntdesc": ""}))
    dor_t = np.maximum(pfs_t[resp] - 56, 1)
    rows.append(pd.DataFrame({"patient_id": ids[resp], "paramcd": "DOR", "startdt": first_resp[resp],
                              "adt": first_resp[resp] + dor_t.astype("timedelta64[D]"), "aval": dor_t,
                              "cnsr": (~pfs_e[resp]).astype(int), "evntdesc": ""}))
    adtte = pd.concat(rows, ignore_index=True)
    patients = pd.DataFrame({"patient_id": ids, "start_date": start, "arm": arm})
    names = {"OS": "Overall survival", "PFS": "Progression-free survival", "DOR": "Duration of response",
             "TTP": "Time to progression"}
    curves, survival, logranks, models = {}, {}, [], []
    sub = rng.choice(n, size=min(n, 4000), replace=False)
    for ep in ("PFS", "OS", "DOR", "TTP"):
        d = adtte[adtte["paramcd"] == ep].merge(patients[["patient_id", "arm"]], on="patient_id")
        d = d.assign(time=d["aval"].astype(float), event=1 - d["cnsr"])
        km = kaplan_meier(d, "time", "event")
        m = km.medians.iloc[0]
        survival[ep] = {"name": names[ep], "median": {k: (None if not np.isfinite(m[k]) else m[k] / MONTH)
                                                      for k in ("median", "lower", "upper")}}
        survival[ep]["median"]["value"] = survival[ep]["median"].pop("median")
        curves[(ep, None)] = km
        if ep in ("PFS", "OS"):
            curves[(ep, "arm")] = kaplan_meier(d, "time", "event", by="arm")
            logranks.append({"endpoint": ep, "covariate": "arm", "n_missing": 0,
                             "p": float(logrank(d, "time", "event", by="arm").p_value)})
            models.append(fit_model(d.iloc[np.sort(sub)].reset_index(drop=True), ep, ["arm"], "univariable"))
    study = SimpleNamespace(config=SimpleNamespace(time_unit="months", days_per_unit=MONTH), patients=patients)
    sections = {"survival": survival, "logrank": logranks, "cox": models, "response": {"headline": "bor"}}
    derived = {"timepoints": tp, "best_response": best, "adtte": adtte}
    return Results(study=study, sections=sections, derived=derived, curves=curves)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    args = ap.parse_args()
    import matplotlib.pyplot as plt
    from lifelines import KaplanMeierFitter
    from lifelines.plotting import add_at_risk_counts

    from oncoseries.report.figures import make_figures
    from oncoseries.report.km_plot import km_figure
    from oncoseries.report.style import save_figure
    from oncoseries.stats.kaplan_meier import kaplan_meier

    t0 = time.perf_counter()
    res = synthetic_results(args.n)
    print(f"synthetic Results for {args.n:,} patients built in {time.perf_counter() - t0:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        make_figures(res, out / "warm", max_spider=5, max_swimmer=5)  # imports, font cache
        t0 = time.perf_counter()
        infos = make_figures(res, out / "all")
        total = time.perf_counter() - t0
        print(f"make_figures: {len(infos)} figures (PNG 300 dpi + SVG) in {total:.2f} s "
              f"({'meets' if total < 60 else 'FAILS'} the 60 s requirement)")
        d = res.derived["adtte"].query("paramcd == 'OS'").merge(res.study.patients, on="patient_id")
        d = d.assign(time=d["aval"].astype(float), event=1 - d["cnsr"])
        t0 = time.perf_counter()
        km = kaplan_meier(d, "time", "event", by="arm")
        save_figure(km_figure(km, group_labels={"A": "arm: A", "B": "arm: B"}), out / "ours")
        ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        fig, ax = plt.subplots(figsize=(7, 5))
        fitters = []
        for g in ("A", "B"):
            s = d[d["arm"] == g]
            kmf = KaplanMeierFitter(label=f"arm: {g}").fit(s["aval"] / MONTH, 1 - s["cnsr"])
            kmf.plot_survival_function(ax=ax, show_censors=True, ci_show=False)
            fitters.append(kmf)
        add_at_risk_counts(*fitters, ax=ax)
        fig.savefig(out / "lifelines.png", dpi=300, bbox_inches="tight")
        fig.savefig(out / "lifelines.svg", bbox_inches="tight")
        plt.close(fig)
        theirs = time.perf_counter() - t0
        print(f"OS by arm with risk table, {args.n:,} patients: oncoseries {ours:.2f} s, lifelines {theirs:.2f} s, "
              f"lifelines / oncoseries = {theirs / ours:.1f}x")
        print("(both timings include fitting the two curves)")


if __name__ == "__main__":
    main()
