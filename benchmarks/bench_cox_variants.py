"""Cox engine settings compared on the bench_cox data (10^6 x 10, day ties) or on untied times, each in
fresh processes (benchmarks/_fresh.py): the default (blocks of 16,384 rows, two threads, one BLAS thread),
no threads, other block sizes, and the numba kernels. Medians of the first call and of the per-process
median of the warm calls; same coefficients checked across variants.

Usage: PYTHONPATH=src python benchmarks/bench_cox_variants.py [--samples 3] [--warm 3] [--untied]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

VARIANTS = {
    "default": "",
    "no threads": "cnp.PARALLEL_MIN_N = 10**12",
    "blocks of 2,048 rows": "cnp.BLOCK_ROWS = 2048",
    "blocks of 8,192 rows": "cnp.BLOCK_ROWS = 8192",
    "blocks of 65,536 rows": "cnp.BLOCK_ROWS = 65536",
    "numba kernels": "import oncoseries.stats._cox_core as core; core.NUMBA_MIN_N = 1",
}

TIED = ("from bench_cox import make_data\ndf = make_data(1000000)\n"
        "cov = [c for c in df.columns if c.startswith('x')]\n")
UNTIED = ("import numpy as np, pandas as pd\nrng = np.random.default_rng(3)\nn, p = 1000000, 10\n"
          "X = rng.normal(size=(n, p))\nt = rng.exponential(1 / np.exp(X @ np.linspace(-0.3, 0.3, p)))\n"
          "df = pd.DataFrame({f'x{i}': X[:, i] for i in range(p)} | {'time': t, "
          "'event': (rng.random(n) < 0.7).astype(int)})\ncov = [f'x{i}' for i in range(p)]\n")


def setup(extra: str, data: str) -> str:
    return ("import oncoseries as osr\nimport oncoseries.stats._cox_numpy as cnp\n" + extra + "\n" + data +
            "def call():\n    return osr.cox(df, 'time', 'event', cov)\n"
            "def extra(r):\n    return {'coef': r.coef.tolist()}\n")


def main() -> None:
    from _fresh import run_child

    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--warm", type=int, default=3)
    ap.add_argument("--untied", action="store_true")
    args = ap.parse_args()
    data = UNTIED if args.untied else TIED
    print(f"{'untied' if args.untied else 'day-tied'} times, 10^6 x 10; load average {os.getloadavg()[0]:.1f}")
    res = {k: [] for k in VARIANTS}
    for _ in range(args.samples):   # variants alternate, so all see the same load
        for k, v in VARIANTS.items():
            res[k].append(run_child(setup(v, data), args.warm))
    ref = res["default"][0]["extra"]["coef"]
    for k, rs in res.items():
        coef = rs[0]["extra"]["coef"]
        diff = max(abs(a - b) / abs(b) for a, b in zip(coef, ref))
        print(f"{k:24s} first {statistics.median(r['first'] for r in rs):.3f} s   "
              f"warm {statistics.median(statistics.median(r['warm']) for r in rs):.3f} s   "
              f"coef vs default {diff:.1e}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
