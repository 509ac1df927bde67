"""Cox engine settings compared on the bench_cox data (10^6 x 10, day ties) or on untied times, each in
fresh processes (benchmarks/_fresh.py): the default (blocks of 16,384 rows, two threads, one BLAS thread,
the design not copied before the fit, the sorted copy's buffer made ahead in huge pages and touched by
both threads), no threads, other block sizes, the numba kernels, that buffer in 4 KiB pages, no buffer
made ahead, and the design copied first as before session 12. Medians of the first call and of the per-process
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
    # session 12: the buffer of the sorted copy (made ahead, pages touched by both threads)
    "buffer in 4 KiB pages": (
        "import numpy as np\n_init = cnp.PageToucher.__init__\n"
        "def _small(self, n, p):\n    before = np._core.multiarray._set_madvise_hugepage(False)\n"
        "    try:\n        _init(self, n, p)\n    finally:\n"
        "        np._core.multiarray._set_madvise_hugepage(before)\n"
        "cnp.PageToucher.__init__ = _small"),
    "no buffer made ahead": (
        "import oncoseries.stats.cox as cx\n"
        "cx._design_and_buffer = lambda d, c, r, q, pages, defer: "
        "(cx.model_matrix_deferred(d, c, r, q), None)"),
    "design copied first (two n x p arrays)": (
        "import oncoseries.stats.cox as cx\ncx.model_matrix_deferred = cx.model_matrix"),
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
    ap.add_argument("--memory", action="store_true",
                    help="only the default and the variants of the sorted copy's buffer (session 12)")
    args = ap.parse_args()
    data = UNTIED if args.untied else TIED
    print(f"{'untied' if args.untied else 'day-tied'} times, 10^6 x 10; load average {os.getloadavg()[0]:.1f}")
    names = list(VARIANTS)[:1] + list(VARIANTS)[-3:] if args.memory else list(VARIANTS)
    res = {k: [] for k in names}
    for i in range(args.samples):   # variants alternate (and their order too), so all see the same load
        for k in (names if i % 2 == 0 else names[::-1]):
            res[k].append(run_child(setup(VARIANTS[k], data), args.warm))
    ref = res["default"][0]["extra"]["coef"]
    for k, rs in res.items():
        coef = rs[0]["extra"]["coef"]
        diff = max(abs(a - b) / abs(b) for a, b in zip(coef, ref))
        warm = [statistics.median(r["warm"]) for r in rs]
        print(f"{k:40s} first {statistics.median(r['first'] for r in rs):.3f} s   "
              f"warm {statistics.median(warm):.3f} s (per process {min(warm):.3f}-{max(warm):.3f})   "
              f"coef vs default {diff:.1e}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
