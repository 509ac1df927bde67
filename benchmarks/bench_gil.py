"""Which numpy calls of the Cox engine's block walks run in two threads at once (let go of the GIL):
each call is made 300 times on a 10 x 16,384 block in each of two threads, first one thread after the
other, then both at once. A speed-up near 2 means the call runs in parallel; near 1, it holds the GIL.
Read with docs/benchmarks.md (Cox section, session 12) and stats/_cox_numpy.py.

Usage: python benchmarks/bench_gil.py
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def main() -> None:
    from threadpoolctl import threadpool_limits

    pool = ThreadPoolExecutor(1)
    rng = np.random.default_rng(0)
    a, b = rng.random((10, 16384)), rng.random((10, 16384))
    wide = np.empty((10, 20000))
    wide[:, :16384] = a
    strided = wide[:, :16384]           # a block view of a wider buffer (not contiguous)
    seg = np.arange(0, 16384, 250)
    calls = {
        "t @ t.T (contiguous)": lambda t: t @ t.T,
        "t @ t.T (strided view)": lambda t: (strided if t is a else t) @ (strided if t is a else t).T,
        "np.dot(t, t.T) (contiguous)": lambda t: np.dot(t, t.T),
        "np.add.reduceat(t, segments, axis=1)": lambda t: np.add.reduceat(t, seg, axis=1),
        "np.exp(t)": np.exp,
    }
    with threadpool_limits(1, "blas"):
        for name, f in calls.items():
            def run(t, k=300):
                for _ in range(k):
                    f(t)
            run(a, 20)
            t0 = time.perf_counter()
            run(a)
            run(b)
            serial = time.perf_counter() - t0
            t0 = time.perf_counter()
            fut = pool.submit(run, a)
            run(b)
            fut.result()
            both = time.perf_counter() - t0
            print(f"{name:40s} one after the other {1000 * serial:5.0f} ms, "
                  f"two threads {1000 * both:5.0f} ms, "
                  f"speed-up {serial / both:.2f}")


if __name__ == "__main__":
    main()
