"""Benchmark: oncoseries.cox vs lifelines CoxPHFitter, Efron ties, same data, same run.

Data: 1,000,000 rows x 10 covariates, integer (day-level) times 1..2000, about 70% events.
Prints the timings (best of a few runs), the ratio, the peak memory of our fit (tracemalloc, numpy
allocations) against the size of the input columns, and checks our coefficients against an R fit of
the same data (benchmarks/cox_r.R; skipped when Rscript is absent).

Usage: python benchmarks/bench_cox.py [--n 1000000] [--repeat 3] [--no-r]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from oncoseries.stats.cox import cox  # noqa: E402


def make_data(n: int, p: int = 10, seed: int = 20240611) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(size=(n, p)), 3)
    beta = np.linspace(-0.3, 0.3, p)
    t = np.minimum(np.ceil(rng.exponential(1.0 / np.exp(X @ beta)) * 300), 2000)
    event = ((rng.random(n) < 0.75) & (t < 2000)).astype(np.int64)
    cols = {f"x{i}": X[:, i].copy() for i in range(p)}
    cols["time"] = t
    cols["event"] = event
    return pd.DataFrame(cols)


def best(f, k: int):
    times, out = [], None
    for _ in range(k):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-r", action="store_true")
    args = ap.parse_args()

    df = make_data(args.n)
    cov = [c for c in df.columns if c.startswith("x")]
    input_bytes = sum(df[c].to_numpy().nbytes for c in df.columns)
    print(f"data: n={len(df):,}, p={len(cov)}, unique times={df['time'].nunique()}, "
          f"events={df['event'].mean():.1%}, input columns {input_bytes / 1e6:.0f} MB")

    # warm-up: loads the cached numba kernels (compiles them on the very first run)
    t0 = time.perf_counter()
    cox(df.iloc[:20000], "time", "event", cov).concordance
    print(f"warm-up (numba cache load/compile): {time.perf_counter() - t0:.2f} s")

    ours_t, res = best(lambda: cox(df, "time", "event", cov), args.repeat)
    t0 = time.perf_counter()
    conc = res.concordance, res.concordance_se
    ours_c = time.perf_counter() - t0

    tracemalloc.start()
    cox(df, "time", "event", cov)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    from lifelines import CoxPHFitter

    ll_t, cph = best(lambda: CoxPHFitter().fit(df, "time", "event"), max(1, args.repeat - 1))
    t0 = time.perf_counter()
    ll_conc = cph.concordance_index_
    ll_c = time.perf_counter() - t0

    ratio = ll_t / ours_t
    print(f"fit (coef, SE, tests):  oncoseries {ours_t:.3f} s   lifelines {ll_t:.3f} s   ratio {ratio:.1f}x")
    print(f"concordance + SE:       oncoseries {ours_c:.3f} s   lifelines {ll_c:.3f} s (no SE)   "
          f"ratio {ll_c / ours_c:.1f}x")
    print(f"iterations {res.iterations}; concordance ours {conc[0]:.10f} (se {conc[1]:.3g}), "
          f"lifelines {ll_conc:.10f}")
    rel_ll = np.max(np.abs(res.coef - cph.params_.loc[cov].to_numpy()) / np.abs(res.coef))
    print(f"max relative coefficient difference vs lifelines: {rel_ll:.2e}")
    print(f"peak memory of the fit: {peak / 1e6:.0f} MB = {peak / input_bytes:.2f}x the input columns")
    ok = ratio >= 5 and peak <= 3 * input_bytes

    if not args.no_r and shutil.which("Rscript"):
        path = "/tmp/oncoseries_bench_cox.csv"
        df.to_csv(path, index=False)
        out = subprocess.run(["Rscript", str(HERE / "cox_r.R"), path], capture_output=True, text=True,
                             check=True).stdout
        os.remove(path)
        rc = {ln.split()[1]: float(ln.split()[2]) for ln in out.splitlines() if ln.startswith("R_COEF")}
        rse = {ln.split()[1]: float(ln.split()[2]) for ln in out.splitlines() if ln.startswith("R_SE ")}
        rsec = [float(ln.split()[1]) for ln in out.splitlines() if ln.startswith("R_SECONDS")][0]
        rconc = [float(ln.split()[1]) for ln in out.splitlines() if ln.startswith("R_CONCORDANCE")][0]
        r_coef = np.array([rc[c] for c in cov])
        r_se = np.array([rse[c] for c in cov])
        d_coef = np.max(np.abs(res.coef - r_coef) / np.abs(r_coef))
        d_se = np.max(np.abs(res.summary["se"].to_numpy() - r_se) / r_se)
        d_c = abs(conc[0] - rconc) / rconc
        print(f"R coxph: {rsec:.2f} s; max relative difference coef {d_coef:.2e}, se {d_se:.2e}, "
              f"concordance {d_c:.2e}")
        ok = ok and d_coef < 1e-6 and d_se < 1e-6 and d_c < 1e-6
    else:
        print("R check skipped (Rscript not found or --no-r)")
    small_study(args.repeat)
    print("RESULT:", "PASS" if ok else "FAIL", "(required: ratio >= 5, peak <= 3x input, R match 1e-6)")


def small_study(repeat: int) -> None:
    """A lung-sized study (228 rows, 3 covariates): the pure-numpy path, no numba."""
    from lifelines import CoxPHFitter

    lung = pd.read_csv(HERE.parent / "tests" / "data" / "r-survival" / "lung.csv")
    lung = lung.assign(dead=(lung["status"] == 2).astype(int))[["time", "dead", "age", "sex", "ph.ecog"]]
    lung = lung.dropna()
    k = 20 * repeat
    ours, _ = best(lambda: cox(lung, "time", "dead", ["age", "sex", "ph.ecog"]), k)
    ll, _ = best(lambda: CoxPHFitter().fit(lung, "time", "dead"), k)
    print(f"lung (227 rows, 3 covariates), fit: oncoseries {ours * 1e3:.1f} ms   "
          f"lifelines {ll * 1e3:.1f} ms   ratio {ll / ours:.1f}x")


if __name__ == "__main__":
    main()
