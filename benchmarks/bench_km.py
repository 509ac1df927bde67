"""Benchmark: Kaplan-Meier (with CI and median) and log-rank, oncoseries vs lifelines, same data, same run.

Usage: PYTHONPATH=src python benchmarks/bench_km.py [--n 10000000] [--n-logrank 1000000] [--repeat 3]

Kaplan-Meier: n rows, integer (day-level) times 1..3000, ~70% events, one curve; ours is
``kaplan_meier`` + ``.medians`` + ``.table`` (the band is computed in the fit); lifelines is
``KaplanMeierFitter().fit`` + ``confidence_interval_`` + ``median_survival_time_`` +
``median_survival_times(confidence_interval_)``. Peak memory of our call is measured with tracemalloc
(numpy reports its allocations to it) and compared with the bytes of the input arrays.
Log-rank: n-logrank rows, two groups, ``logrank`` vs lifelines ``logrank_test``.
First call: the same KM from a pandas DataFrame in fresh processes (benchmarks/_fresh.py): the
library is imported and the DataFrame built before the timer; ``osr.kaplan_meier(df, ...)`` (+ medians
and table) and ``KaplanMeierFitter().fit(df[...])`` (+ CI and medians) are timed from their first call,
then ``--warm`` more calls; medians over ``--samples`` alternating processes.
Requirements checked: KM at least 5x faster than lifelines on the first call and 10x warm; peak memory
within 3x of the inputs.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_km(n: int, repeat: int) -> dict:
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    from oncoseries.stats.kaplan_meier import kaplan_meier

    rng = np.random.default_rng(2024)
    t = rng.integers(1, 3001, n)
    e = rng.random(n) < 0.7

    def ours():
        fit = kaplan_meier(None, t, e)
        return fit, fit.medians, fit.table

    def theirs():
        kmf = KaplanMeierFitter().fit(t, e)
        ci = kmf.confidence_interval_
        return kmf, kmf.median_survival_time_, median_survival_times(ci)

    ours()  # warm-up (imports)
    t_ours, (fit, med, tab) = _best(ours, repeat)
    t_ll, (kmf, ll_med, ll_med_ci) = _best(theirs, 1)

    tracemalloc.start()
    ours()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    inputs = t.nbytes + e.nbytes

    # same estimate: survival at every table time, and the median (lifelines' CI is log-log)
    s_ll = kmf.survival_function_.iloc[:, 0].reindex(tab["time"].to_numpy()).to_numpy()
    same_s = np.allclose(tab["survival"].to_numpy(), s_ll, rtol=1e-9)
    ll_fit = kaplan_meier(None, t, e, conf_type="log-log").medians
    return dict(n=n, ours=t_ours, lifelines=t_ll, ratio=t_ll / t_ours, peak=peak, inputs=inputs,
                mem_ratio=peak / inputs, same_survival=same_s, median=float(med["median"].iloc[0]),
                ll_median=float(ll_med), loglog_ci=(float(ll_fit["lower"].iloc[0]), float(ll_fit["upper"].iloc[0])),
                ll_ci=tuple(float(v) for v in ll_med_ci.iloc[0]))


def bench_km_groups(n: int, repeat: int) -> dict:
    """Two groups: ours in one call vs lifelines fitted once per group."""
    from lifelines import KaplanMeierFitter

    from oncoseries.stats.kaplan_meier import kaplan_meier

    rng = np.random.default_rng(7)
    t = rng.integers(1, 3001, n)
    e = rng.random(n) < 0.7
    g = rng.integers(0, 2, n)

    def ours():
        fit = kaplan_meier(None, t, e, by=g)
        return fit.medians, fit.table

    def theirs():
        out = []
        for k in (0, 1):
            m = g == k
            kmf = KaplanMeierFitter().fit(t[m], e[m])
            out.append((kmf.confidence_interval_, kmf.median_survival_time_))
        return out

    ours()
    t_ours, _ = _best(ours, repeat)
    t_ll, _ = _best(theirs, 1)
    return dict(n=n, ours=t_ours, lifelines=t_ll, ratio=t_ll / t_ours)


def bench_km_float(n: int, repeat: int) -> dict:
    """Continuous (almost all distinct) times: the hash-factorize path instead of the integer path."""
    from lifelines import KaplanMeierFitter

    from oncoseries.stats.kaplan_meier import kaplan_meier

    rng = np.random.default_rng(3)
    t = rng.exponential(500.0, n)
    e = rng.random(n) < 0.7

    def ours():
        fit = kaplan_meier(None, t, e)
        return fit.medians, fit.table

    def theirs():
        kmf = KaplanMeierFitter().fit(t, e)
        return kmf.confidence_interval_, kmf.median_survival_time_

    ours()
    t_ours, _ = _best(ours, repeat)
    t_ll, _ = _best(theirs, 1)
    tracemalloc.start()
    ours()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return dict(n=n, ours=t_ours, lifelines=t_ll, ratio=t_ll / t_ours, mem_ratio=peak / (t.nbytes + e.nbytes))


def bench_logrank(n: int, repeat: int) -> dict:
    from lifelines.statistics import logrank_test

    from oncoseries.stats.logrank import logrank

    rng = np.random.default_rng(11)
    g = rng.integers(0, 2, n)
    t = np.ceil(rng.exponential(np.where(g == 1, 400.0, 360.0))).astype(np.int64)
    e = rng.random(n) < 0.7

    def ours():
        return logrank(None, t, e, g)

    def theirs():
        a, b = g == 0, g == 1
        return logrank_test(t[a], t[b], event_observed_A=e[a], event_observed_B=e[b])

    ours()
    t_ours, res = _best(ours, repeat)
    t_ll, ll = _best(theirs, 1)
    return dict(n=n, ours=t_ours, lifelines=t_ll, ratio=t_ll / t_ours, stat=res.statistic,
                ll_stat=float(ll.test_statistic))


FRESH_DATA = """
import numpy as np, pandas as pd
rng = np.random.default_rng(2024)
df = pd.DataFrame({"time": rng.integers(1, 3001, NROWS), "event": rng.random(NROWS) < 0.7})
"""
FRESH_OURS = """import oncoseries as osr
""" + FRESH_DATA + """
def call():
    fit = osr.kaplan_meier(df, "time", "event")
    return fit, fit.medians, fit.table
def extra(out):
    return {"median": float(out[1]["median"].iloc[0])}
"""
FRESH_LL = """from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times
""" + FRESH_DATA + """
def call():
    kmf = KaplanMeierFitter().fit(df["time"], df["event"])
    return kmf, kmf.median_survival_time_, median_survival_times(kmf.confidence_interval_)
def extra(out):
    return {"median": float(out[1])}
"""


def bench_km_fresh(n: int, samples: int, warm: int) -> dict:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _fresh import compare

    return compare(FRESH_OURS.replace("NROWS", str(n)), FRESH_LL.replace("NROWS", str(n)), samples, warm)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--warm", type=int, default=3)
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--n-logrank", type=int, default=1_000_000)
    ap.add_argument("--n-float", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from _fresh import fmt

    fr = bench_km_fresh(args.n, args.samples, args.warm)
    o, q = fr["ours"], fr["peer"]
    print(f"Kaplan-Meier from a DataFrame, {args.n:,} rows, fresh processes (median of {args.samples}):")
    print(f"  first call: oncoseries {o['first']:.3f} s {fmt(o['first_all'])}   lifelines {q['first']:.3f} s "
          f"{fmt(q['first_all'])}   ratio {fr['first_ratio']:.1f}x")
    print(f"  warm:       oncoseries {o['warm']:.3f} s {fmt(o['warm_all'])}   lifelines {q['warm']:.3f} s "
          f"{fmt(q['warm_all'])}   ratio {fr['warm_ratio']:.1f}x")
    print(f"  medians: oncoseries {o['extra']['median']}, lifelines {q['extra']['median']}")
    km = bench_km(args.n, args.repeat)
    print(f"Kaplan-Meier, {km['n']:,} rows, integer times 1..3000, one curve, CI + median")
    print(f"  oncoseries {km['ours']:.3f} s   lifelines {km['lifelines']:.3f} s   ratio {km['ratio']:.1f}x")
    print(f"  peak memory {km['peak'] / 2**20:.1f} MiB vs inputs {km['inputs'] / 2**20:.1f} MiB "
          f"(ratio {km['mem_ratio']:.2f})")
    print(f"  same survival as lifelines: {km['same_survival']}; median {km['median']} (lifelines {km['ll_median']});"
          f" log-log CI {km['loglog_ci']} (lifelines {km['ll_ci']})")
    kg = bench_km_groups(args.n, args.repeat)
    print(f"Kaplan-Meier, {kg['n']:,} rows, 2 groups: oncoseries {kg['ours']:.3f} s   "
          f"lifelines {kg['lifelines']:.3f} s   ratio {kg['ratio']:.1f}x")
    kf = bench_km_float(args.n_float, args.repeat)
    print(f"Kaplan-Meier, {kf['n']:,} rows, continuous times: oncoseries {kf['ours']:.3f} s   "
          f"lifelines {kf['lifelines']:.3f} s   ratio {kf['ratio']:.1f}x   peak/inputs {kf['mem_ratio']:.2f}")
    lr = bench_logrank(args.n_logrank, args.repeat)
    print(f"Log-rank, {lr['n']:,} rows, 2 groups: oncoseries {lr['ours']:.3f} s   lifelines {lr['lifelines']:.3f} s"
          f"   ratio {lr['ratio']:.1f}x   (chi2 {lr['stat']:.6f} vs lifelines {lr['ll_stat']:.6f})")
    ok = fr["first_ratio"] >= 5 and fr["warm_ratio"] >= 10 and km["mem_ratio"] <= 3
    print("requirements (KM first call >= 5x and warm >= 10x lifelines, peak <= 3x inputs):",
          "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
