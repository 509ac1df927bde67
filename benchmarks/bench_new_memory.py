"""What new memory costs on this machine: two 80 MB arrays made and filled per round, one kept to the
next round (as a Cox result keeps its X while the next fit runs), with a pause between rounds.

On a virtual machine that hands free memory back to its host (free page reporting), memory free for
a second or two costs host faults when touched again; numpy backs large arrays with transparent huge
pages, which take whole free 2 MiB blocks. ``--small`` turns numpy's huge-page advice off (4 KiB pages).
Read with docs/benchmarks.md ("New memory on this VM", Cox section).

``--touch`` times ways of mapping an 80 MB buffer ahead of use (the Cox engine's
``_cox_numpy.PageToucher``): one write per 4 KiB page, an ``mmap`` with MAP_POPULATE, and
madvise(MADV_POPULATE_WRITE), each alone and in another thread beside 60 ms of sorting; and huge pages
touched just after freeing and after a 3 s pause.

Usage: python benchmarks/bench_new_memory.py [--rounds 8] [--pauses 0,0.3,1,3] [--small] [--touch]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def rounds(k: int, pause: float) -> list:
    held, out = None, []
    for _ in range(k):
        t0 = time.perf_counter()
        a = np.empty((10, 1_000_000))
        a.fill(1.0)
        b = np.empty((10, 1_000_000))
        b.fill(2.0)
        out.append(time.perf_counter() - t0)
        del b
        held = a   # the previous round's array is freed here
        time.sleep(pause)
    del held
    return out


N = 10_000_000  # 80 MB of doubles


def _touch():
    a = np.empty(N)
    a[::512] = 0.0
    return a


def _populate():
    import mmap

    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | mmap.MAP_POPULATE
    return np.frombuffer(mmap.mmap(-1, N * 8, flags=flags))


def _populate_write():
    import mmap

    m = mmap.mmap(-1, N * 8, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    m.madvise(23)  # MADV_POPULATE_WRITE (Linux 5.14); Python 3.11's mmap has no name for it
    return np.frombuffer(m)


def touch_ways(k: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1)
    t = np.random.default_rng(1).integers(0, 2000, 1_000_000).astype(float)

    def sort():
        t0 = time.perf_counter()
        for _ in range(3):
            o = np.argsort((t * 2).astype(np.uint16), kind="stable")
            t[o]
        return time.perf_counter() - t0

    before = np._core.multiarray._set_madvise_hugepage(False)
    for name, f in (("one write per 4 KiB page", _touch), ("mmap MAP_POPULATE", _populate),
                    ("madvise(MADV_POPULATE_WRITE)", _populate_write)):
        for _ in range(k):
            t0 = time.perf_counter()
            a = f()
            alone = time.perf_counter() - t0
            del a
            s_alone = sort()
            t0 = time.perf_counter()
            fut = pool.submit(f)
            s_beside = sort()
            fut.result()
            both = time.perf_counter() - t0
            print(f"{name:30s} alone {1000 * alone:5.1f} ms; sorting alone {1000 * s_alone:5.1f} ms, "
                  f"beside it {1000 * s_beside:5.1f} ms, both done after {1000 * both:5.1f} ms")
    np._core.multiarray._set_madvise_hugepage(True)
    for pause in (0.0, 3.0):
        ms = []
        for _ in range(k):
            t0 = time.perf_counter()
            a = _touch()
            ms.append(time.perf_counter() - t0)
            del a
            time.sleep(pause)
        print(f"huge pages, one write per 4 KiB page, pause {pause:g} s: "
              + ", ".join(f"{1000 * x:.0f}" for x in ms) + " ms")
    np._core.multiarray._set_madvise_hugepage(before)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--pauses", default="0,0.3,1,3")
    ap.add_argument("--small", action="store_true", help="numpy's huge-page advice off")
    ap.add_argument("--touch", action="store_true", help="ways of mapping a buffer ahead of use")
    args = ap.parse_args()
    if args.touch:
        touch_ways(3)
        return
    if args.small:
        np._core.multiarray._set_madvise_hugepage(False)
    for pause in (float(x) for x in args.pauses.split(",")):
        ms = ", ".join(f"{1000 * t:.0f}" for t in rounds(args.rounds, pause))
        print(f"pause {pause:g} s, {'4 KiB' if args.small else 'huge'} pages: per round {ms} ms")


if __name__ == "__main__":
    main()
