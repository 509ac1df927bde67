"""Child processes of ``oncoseries analyze`` (the figure worker, the early writer) must not outlive their
parent nor keep what they inherited from it.

* ``die_with_parent()``: on Linux the kernel sends SIGKILL to the child when its parent dies
  (``prctl(PR_SET_PDEATHSIG)``); elsewhere, and as a second guard, a daemon thread watches a pipe whose
  other end only the parent holds (EOF = the parent is gone) and ends the process.
* ``close_inherited(keep)``: close every file descriptor above stderr except ``keep`` (a forked child
  inherits all of them: e.g. the lock file ``flock`` holds for a benchmark, which an orphan would keep
  locked).
"""

from __future__ import annotations

import os
import signal
import sys

__all__ = ["die_with_parent", "close_inherited", "parent_pipe", "flush_std_streams", "name_process"]

PR_SET_PDEATHSIG = 1


def flush_std_streams() -> None:
    """Flush stdout and stderr: before a fork (or the child writes the buffered output a second time) and
    before leaving with ``os._exit``. A closed pipe is not an error here."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:                      # noqa: BLE001  nothing more can be said on it
            pass


def name_process(name: str) -> None:
    """Name this (forked) process for ``ps``, ``top`` and the benchmarks' memory sampler (Linux: the
    process's command name, at most 15 bytes, e.g. ``osr-prepare``); elsewhere nothing happens."""
    try:
        with open("/proc/self/comm", "w") as f:
            f.write(name[:15])
    except OSError:
        pass


def parent_pipe() -> tuple[int, int]:
    """(read end, write end) made by the parent before the fork: the parent keeps the write end (closed
    in the child), the child watches the read end."""
    return os.pipe()


def die_with_parent(parent_pid: int, watch_fd: int | None = None) -> None:
    """End this (forked) process when ``parent_pid`` dies; ``watch_fd``: the read end of a
    :func:`parent_pipe`, watched by a daemon thread."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):   # pragma: no cover - no libc prctl: the pipe watch remains
            pass
    if watch_fd is not None:
        import threading

        def watch() -> None:
            try:
                while os.read(watch_fd, 1):
                    pass
            except OSError:
                pass
            os._exit(1)                      # EOF: every write end is closed, the parent is gone

        threading.Thread(target=watch, name="oncoseries-parent-watch", daemon=True).start()
    if os.getppid() != parent_pid:           # the parent died before prctl took effect
        os._exit(1)


def close_inherited(keep=()) -> None:
    """Close the inherited file descriptors above 2, except those in ``keep``."""
    keep = {int(k) for k in keep if k is not None}
    try:
        fds = [int(f) for f in os.listdir("/proc/self/fd")]
    except OSError:                          # not Linux: the usual range
        try:
            top = os.sysconf("SC_OPEN_MAX")
        except (OSError, ValueError):
            top = 1024
        fds = range(3, min(top, 4096))
    for fd in fds:
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
