"""Trial design: wall time of the simulation (10^4 and 10^5 trials of a 226-patient trial, numpy chunks and
Dask), Simon's enumeration and a Lachin-Foulkes design with a piecewise-exponential control. Median of
``REPEATS`` warm calls in one process (the first call is reported apart). Results: docs/benchmarks.md.

    PYTHONPATH=src python benchmarks/bench_design.py
"""

from __future__ import annotations

import statistics
import time

REPEATS = 3


def timed(fn):
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    warm = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - t0)
    return first, statistics.median(warm)


def main() -> None:
    from oncoseries.design import Accrual, PiecewiseExponential, ahern, design_survival, simon_two_stage
    from oncoseries.design.simulate import simulate_trials

    def limit(p0, p1):          # simon_two_stage's default search limit
        return min(max(100, 2 * ahern(p0, p1).n), 400)

    pw = PiecewiseExponential((0.0, 6.0, 12.0), (0.1, 0.05, 0.08))
    cases = {
        "simulate 10,000 trials (226 patients, 196 events)": lambda: simulate_trials(113, 113, 196, 0.67, 6, 24),
        "simulate 100,000 trials, numpy": lambda: simulate_trials(113, 113, 196, 0.67, 6, 24, n_sim=100_000),
        "simulate 100,000 trials, Dask": lambda: simulate_trials(113, 113, 196, 0.67, 6, 24, n_sim=100_000,
                                                               use_dask=True),
        f"Simon optimal, p0 0.2 vs p1 0.4 (search to n = {limit(0.2, 0.4)})": lambda: simon_two_stage(0.2, 0.4),
        f"Simon optimal, p0 0.05 vs p1 0.15 (search to n = {limit(0.05, 0.15)})":
            lambda: simon_two_stage(0.05, 0.15),
        f"Simon optimal, p0 0.3 vs p1 0.4 (search to n = {limit(0.3, 0.4)})": lambda: simon_two_stage(0.3, 0.4),
        "Lachin-Foulkes, piecewise control and accrual": lambda: design_survival(
            0.67, pw, Accrual((6, 18), (1, 2)), 12, dropout_rate=0.01),
    }
    print("| case | first call (s) | warm median (s) |\n|---|---|---|")
    for name, fn in cases.items():
        first, warm = timed(fn)
        print(f"| {name} | {first:.3f} | {warm:.3f} |")


if __name__ == "__main__":
    main()
