"""Benchmark: oncoseries cox_zph (R's exact score test) vs lifelines proportional_hazard_test.

The methods differ: lifelines uses the pre-2019 Grambsch-Therneau approximation (no GLOBAL row),
we compute R survival >= 3.0's exact score test with the 2p x 2p information matrix. Both run on
the same data with the same coefficients (lifelines' Efron fit, computed once, outside the timing).
Also times the Firth Cox model (no Python peer: coxphf is R-only, lifelines has no Firth option).

Run:  PYTHONPATH=src python benchmarks/bench_cox_zph.py
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def make_data(n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    t = np.ceil(rng.exponential(365, size=n) * np.exp(-0.2 * X[:, 0]))  # whole days: ties
    e = (rng.random(n) < 0.7).astype(int)
    df = pd.DataFrame(X, columns=[f"x{j + 1}" for j in range(p)])
    df["time"], df["event"] = t, e
    return df


def main():
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    from oncoseries.stats.cox_zph import cox_zph_arrays
    from oncoseries.stats.firth import firth_cox_arrays

    print("cox.zph: oncoseries (exact score test) vs lifelines proportional_hazard_test")
    print(f"{'n':>8} {'p':>2} {'transform':>9} {'oncoseries s':>13} {'lifelines s':>12} {'ratio':>7}")
    for n, p in [(1_000, 5), (100_000, 5)]:
        df = make_data(n, p)
        cols = [f"x{j + 1}" for j in range(p)]
        cph = CoxPHFitter().fit(df, "time", "event")
        coef = cph.params_[cols].to_numpy()
        X = df[cols].to_numpy()
        for tr in ("km", "rank"):
            ours = best_of(lambda: cox_zph_arrays(df.time, df.event, X, coef, columns=cols, transform=tr), 3)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reps = 1 if n > 10_000 else 3
                theirs = best_of(lambda: proportional_hazard_test(cph, df, time_transform=tr), reps)
            print(f"{n:>8} {p:>2} {tr:>9} {ours:>13.4f} {theirs:>12.4f} {theirs / ours:>6.1f}x")

    print("\nFirth Cox (Breslow), estimate + profile CIs + penalised LR p for every coefficient")
    print(f"{'n':>8} {'p':>2} {'estimate s':>11} {'with profile s':>15}")
    for n, p in [(60, 3), (1_000, 5), (10_000, 5)]:
        df = make_data(n, p, seed=1)
        X = df[[f"x{j + 1}" for j in range(p)]].to_numpy()
        est = best_of(lambda: firth_cox_arrays(df.time, df.event, X, profile=False), 3)
        full = best_of(lambda: firth_cox_arrays(df.time, df.event, X), 1)
        print(f"{n:>8} {p:>2} {est:>11.4f} {full:>15.4f}")


if __name__ == "__main__":
    main()
