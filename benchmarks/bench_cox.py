"""Benchmark: oncoseries.cox vs lifelines CoxPHFitter from a pandas DataFrame, Efron ties, same data,
same run.

Data: 1,000,000 rows x 10 covariates, integer (day-level) times 1..2000, about 74% events.

1. First call in a fresh process, then warm calls (benchmarks/_fresh.py): each sample is a new
   process that imports the library and builds the DataFrame before the timer; the first
   ``osr.cox(df, ...)`` / ``CoxPHFitter().fit(df, ...)`` is timed with whatever it loads lazily, then
   ``--warm`` more calls. Processes alternate between the two libraries; medians over ``--samples``.
2. The one-off cost when the numba cache does not exist yet (first run after installing), measured in
   a process with an empty NUMBA_CACHE_DIR (only when the numba engine is used at this size).
3. In this process: coefficients against R (benchmarks/cox_r.R; skipped without Rscript) and
   lifelines, concordance, peak memory (tracemalloc) and a lung-sized fit (pure numpy).

Usage: python benchmarks/bench_cox.py [--n 1000000] [--samples 5] [--warm 3] [--engine auto] [--no-r]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

ENGINES = {"auto": "", "numpy": "10**12", "numba": "1"}


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


def child_setups(n: int, engine: str) -> tuple[str, str]:
    force = (f"import oncoseries.stats._cox_core as _core; _core.NUMBA_MIN_N = {ENGINES[engine]}"
             if ENGINES[engine] else "")
    data = (f"from bench_cox import make_data\ndf = make_data({n})\n"
            "cov = [c for c in df.columns if c.startswith('x')]\n")
    ours = ("import oncoseries as osr\n" + data + force + "\n"
            "def call():\n    return osr.cox(df, 'time', 'event', cov)\n"
            "def extra(r):\n    return {'coef': r.coef.tolist(), 'iterations': r.iterations}\n")
    theirs = ("from lifelines import CoxPHFitter\n" + data +
              "def call():\n    return CoxPHFitter().fit(df, 'time', 'event')\n"
              "def extra(r):\n    return {'coef': r.params_.loc[cov].tolist()}\n")
    return ours, theirs


def main() -> None:
    from _fresh import compare, fmt, run_child

    from oncoseries.stats import _cox_core as core
    from oncoseries.stats.cox import cox

    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--warm", type=int, default=3)
    ap.add_argument("--engine", choices=sorted(ENGINES), default="auto")
    ap.add_argument("--repeat", type=int, default=3, help="in-process repeats (concordance, lung)")
    ap.add_argument("--no-r", action="store_true")
    args = ap.parse_args()
    if ENGINES[args.engine]:
        core.NUMBA_MIN_N = eval(ENGINES[args.engine])

    df = make_data(args.n)
    cov = [c for c in df.columns if c.startswith("x")]
    input_bytes = sum(df[c].to_numpy().nbytes for c in df.columns)
    print(f"data: n={len(df):,}, p={len(cov)}, unique times={df['time'].nunique()}, "
          f"events={df['event'].mean():.1%}, input columns {input_bytes / 1e6:.0f} MB; engine {args.engine}; "
          f"load average {os.getloadavg()[0]:.1f}")

    ours_setup, ll_setup = child_setups(args.n, args.engine)
    r = compare(ours_setup, ll_setup, args.samples, args.warm)
    o, p_ = r["ours"], r["peer"]
    print(f"first call, fresh process (median of {args.samples}): oncoseries {o['first']:.3f} s "
          f"{fmt(o['first_all'])}  lifelines {p_['first']:.3f} s {fmt(p_['first_all'])}  "
          f"ratio {r['first_ratio']:.1f}x")
    print(f"warm call (median over processes of the median of {args.warm}): oncoseries {o['warm']:.3f} s "
          f"{fmt(o['warm_all'])}  lifelines {p_['warm']:.3f} s {fmt(p_['warm_all'])}  "
          f"ratio {r['warm_ratio']:.1f}x")
    ok = r["first_ratio"] >= 5 and r["warm_ratio"] >= 10

    use_numba = args.n >= core.NUMBA_MIN_N
    if use_numba:
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache)
            c = run_child(ours_setup, 1, env)
        print(f"first call with an empty numba cache (one-off, first run after install): {c['first']:.2f} s; "
              f"the next call in that process {c['warm'][0]:.3f} s")
    else:
        print("numba not used at this size (pure-numpy engine): no compile step, no cache")

    res = cox(df, "time", "event", cov)
    t0 = time.perf_counter()
    conc = res.concordance, res.concordance_se
    ours_c = time.perf_counter() - t0
    tracemalloc.start()
    cox(df, "time", "event", cov)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    ll_coef = np.array(p_["extra"]["coef"])
    child_coef = np.array(o["extra"]["coef"])
    print(f"iterations {res.iterations}; concordance {conc[0]:.10f} (se {conc[1]:.3g}) in {ours_c:.3f} s "
          "(first access, lazy)")
    d_ll = np.max(np.abs(res.coef - ll_coef) / np.abs(res.coef))
    d_fresh = np.max(np.abs(res.coef - child_coef) / np.abs(res.coef))
    print(f"max relative coefficient difference vs lifelines: {d_ll:.2e}; "
          f"fresh-process fit vs this one: {d_fresh:.1e}")
    print(f"peak memory of the fit: {peak / 1e6:.0f} MB = {peak / input_bytes:.2f}x the input columns")
    ok = ok and peak <= 3 * input_bytes

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
        d_child = np.max(np.abs(child_coef - r_coef) / np.abs(r_coef))
        d_se = np.max(np.abs(res.summary["se"].to_numpy() - r_se) / r_se)
        d_c = abs(conc[0] - rconc) / rconc
        print(f"R coxph: {rsec:.2f} s; max relative difference coef {d_coef:.2e} "
              f"(fresh-process fit {d_child:.2e}), se {d_se:.2e}, concordance {d_c:.2e}")
        ok = ok and d_coef < 1e-6 and d_se < 1e-6 and d_c < 1e-6 and d_child < 1e-6
    else:
        print("R check skipped (Rscript not found or --no-r)")
    small_study(args.repeat)
    print("RESULT:", "PASS" if ok else "FAIL",
          "(required: first call >= 5x, warm >= 10x, peak <= 3x input, R match 1e-6)")


def small_study(repeat: int) -> None:
    """A lung-sized study (228 rows, 3 covariates): the pure-numpy path, no numba."""
    from lifelines import CoxPHFitter

    from oncoseries.stats.cox import cox

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
