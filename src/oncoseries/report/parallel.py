"""Draw groups of report figures in two processes: this one and one forked child (docs/figures.md).

Each figure is an independent file, drawn from Results only, with fixed metadata and SVG ids, so the
bytes do not depend on the process that draws them; the FigureInfo lists come back in the order of the
groups. The child is a ``fork`` of this process (it shares Results without pickling them) and is used
only where that is safe and useful: a POSIX ``fork`` start method, at least two usable CPUs, no other
thread in this process (forking a threaded process can deadlock), and not switched off with the
environment variable ``ONCOSERIES_FIGURE_PROCESSES=1``. Otherwise, and whenever the child cannot
start or fails, every group is drawn here, one after the other (an error then surfaces as it would
without the child). Warnings raised in the child are raised again here.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings

__all__ = ["run_groups", "can_fork"]

ENV = "ONCOSERIES_FIGURE_PROCESSES"


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork() -> bool:
    """A forked child may draw figures: fork available, 2+ CPUs, one thread, not switched off."""
    if os.environ.get(ENV, "").strip() in ("0", "1"):
        return False
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods() or _cpus() < 2:
        return False
    from .style import stop_png_writer

    stop_png_writer()                      # our own PNG thread is idle between figure runs
    return threading.active_count() == 1


def _child(conn, groups, mine) -> None:
    from . import style

    style.reset_after_fork()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = {i: groups[i]() for i in mine}
            style.wait_for_figures()
        conn.send(("ok", out, [(str(w.message), w.category, w.filename, w.lineno) for w in caught]))
    except BaseException as exc:          # noqa: BLE001  the parent draws these groups again itself
        try:
            conn.send(("error", f"{type(exc).__name__}: {exc}", []))
        except Exception:                  # noqa: BLE001
            pass
    finally:
        conn.close()


def run_groups(groups: list, child: list[int]) -> list:
    """``[g() for g in groups]``, the groups at indices ``child`` drawn by a forked child when
    :func:`can_fork`; each group returns a list (of FigureInfo), all written when this returns."""
    from .style import wait_for_figures

    if not child or not can_fork():
        return [g() for g in groups]
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    for stream in (sys.stdout, sys.stderr):   # or the child would write buffered output a second time
        try:
            stream.flush()
        except Exception:                      # noqa: BLE001
            pass
    proc = ctx.Process(target=_child, args=(send, groups, list(child)), daemon=True)
    try:
        proc.start()
    except OSError:
        return [g() for g in groups]
    finally:
        send.close()
    out = {}
    try:
        for i in range(len(groups)):
            if i not in child:
                out[i] = groups[i]()
        wait_for_figures()
    finally:
        try:
            status, theirs, caught = recv.recv()
        except (EOFError, OSError):
            status, theirs, caught = "lost", {}, []
        recv.close()
        proc.join()
    if status == "ok":
        out.update(theirs)
        for message, category, filename, lineno in caught:
            warnings.warn_explicit(message, category, filename, lineno)
    else:                                      # draw them here: same files, an error surfaces as usual
        for i in child:
            out[i] = groups[i]()
    return [out[i] for i in range(len(groups))]
