"""Memory and time of preparing the early figures' data (waterfall, spider, swimmer, oncoprint) in a process
forked from ``oncoseries analyze`` at the ``derived_released`` event, as the figure worker's preparer is
(report/worker.py), one figure per forked child, then all four with the pickling of what is sent.

    ONCOSERIES_FIGURE_PROCESSES=1 PYTHONPATH=src .venv/bin/python benchmarks/bench_prepare_memory.py \\
        STUDY OUT [--figures waterfall,spider,swimmer,oncoprint,all] [--tracemalloc]

For each: wall, the child's private memory (smaps_rollup Private_Clean + Private_Dirty) at its start, at its
end and the highest seen by a thread sampling every 50 ms (copy-on-write pages and allocation together;
``--tracemalloc``: Python's and numpy's allocations alone, slower), and the pickled size. The command is
ended right after (the rest of analyze does not run). ``ONCOSERIES_FIGURE_PROCESSES=1``: no figure worker
and no early writer (this script's children are the only ones). Run a 10^6 study under
``flock /tmp/scale-1e6.lock`` (about 100 s to reach the event, both cores).
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import threading
import time


def private_bytes() -> int:
    out = 0
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                out += int(line.split()[1]) * 1024
    return out


def measure(name: str, results, opts, use_tracemalloc: bool) -> None:
    """In a forked child: prepare ``name`` (or all four and pickle them, as the preparer sends them)."""
    from oncoseries.report import figures, oncoprint, spider, swimmer, waterfall

    p0 = private_bytes()
    peak, stop = [p0], []

    def sample() -> None:
        while not stop:
            peak[0] = max(peak[0], private_bytes())
            time.sleep(0.05)

    threading.Thread(target=sample, daemon=True).start()
    if use_tracemalloc:
        import tracemalloc

        tracemalloc.start()
    t = time.perf_counter()
    if name == "all":
        out = [figures.prepare_group(n, results, opts) for n in ("response", "oncoprint")]
    else:
        out = {"waterfall": waterfall, "spider": spider, "swimmer": swimmer, "oncoprint": oncoprint}[name] \
            .prepare(results, opts)
    blob = pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)
    dt = time.perf_counter() - t
    p1 = private_bytes()
    stop.append(True)
    extra = ""
    if use_tracemalloc:
        import tracemalloc

        extra = f", tracemalloc peak {tracemalloc.get_traced_memory()[1] / 1e9:.3f} GB"
    print(f"{name:10s} {dt:6.2f} s  private {p0 / 1e9:.3f} -> {p1 / 1e9:.3f} GB (highest sampled "
          f"{peak[0] / 1e9:.3f}), pickled {len(blob) / 1e6:.1f} MB{extra}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("study")
    ap.add_argument("out")
    ap.add_argument("--figures", default="waterfall,spider,swimmer,oncoprint,all")
    ap.add_argument("--tracemalloc", action="store_true")
    args = ap.parse_args()
    which = args.figures.split(",")

    def on_event(event: str, results=None, **_) -> None:
        if event != "derived_released":
            return
        import gc

        from oncoseries.report import figures

        opts = figures.figure_opts(**figures.report_figure_options(results))
        gc.freeze()                                 # as the preparer's parent does before its fork
        for name in which:
            pid = os.fork()
            if pid == 0:
                try:
                    measure(name, results, opts, args.tracemalloc)
                finally:
                    os._exit(0)
            os.waitpid(pid, 0)
        sys.stdout.flush()
        os._exit(0)

    from oncoseries import hooks
    from oncoseries.cli import main as cli

    hooks.listen(on_event)
    sys.argv = ["oncoseries", "analyze", args.study, "--out", args.out, "--no-progress"]
    cli()


if __name__ == "__main__":
    main()
