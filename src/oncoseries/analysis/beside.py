"""A pure computation run in a forked child while this process goes on with the statistics
(``oncoseries analyze`` only; docs/benchmarks.md "Issue 13, session 8").

On a 2-core machine the command's statistics stage is the longest part of the run that the figure worker
does not share: the worker draws the response figures meanwhile and then waits. A section of results.json
that needs nothing the rest of the statistics computes (the trial design, study.yaml ``design:``) is
started in a forked child as soon as its inputs exist and collected where the section is stored. The child
runs the same function on a copy-on-write image of the same data, so the value is the one this process
would compute; it comes back pickled (floats exactly). The child writes nothing but its pipe; warnings it
raised are raised again here.

:func:`beside` is a plain call (no fork) unless :func:`enable` was called (the command line does; a
library user, the tests and the web application compute in their own process), fork exists, the
machine has 2+ CPUs, ``ONCOSERIES_FIGURE_PROCESSES`` is not 0 or 1 and no Dask cluster runs here. A child that fails or dies is
replaced by the call in this process, so the result, an exception included, is that of the plain call.
"""

from __future__ import annotations

import os
import pickle
import warnings

__all__ = ["enable", "disable", "beside", "Pending"]

_enabled = False


def enable() -> None:
    """Let :func:`beside` fork (the command line's ``analyze``)."""
    global _enabled
    _enabled = True


def disable() -> None:
    global _enabled
    _enabled = False


def _can_fork() -> bool:
    from ..report.parallel import ENV, _cpus
    from ..scale import derive

    return _enabled and hasattr(os, "fork") and os.environ.get(ENV, "").strip() not in ("0", "1") \
        and _cpus() >= 2 and not derive.active()      # --dask: the cluster's threads run in this process


class Pending:
    """``fn(*args)``, computed in a forked child (or, failing that, here on :meth:`result`)."""

    def __init__(self, fn, args: tuple, fork: bool = True, force: bool = False) -> None:
        """``force``: fork wherever ``os.fork`` exists (the caller has decided, e.g. the figure worker's
        second drawer, report/worker.py), not only where :func:`enable` and the machine allow."""
        self.fn, self.args = fn, args
        self.pid = self._fd = None
        if fork and (hasattr(os, "fork") if force else _can_fork()):
            try:
                self._fork()
            except OSError:
                self.pid = self._fd = None

    def _fork(self) -> None:
        from ..report.orphan import flush_std_streams

        r, w = os.pipe()
        parent = os.getpid()
        flush_std_streams()                # or the child would hold buffered output a second time
        with warnings.catch_warnings():    # Python >= 3.12 warns about fork with threads (a progress bar);
            warnings.simplefilter("ignore")    # the child only computes and writes its own pipe
            pid = os.fork()
        if pid == 0:
            try:
                os.close(r)
                from ..report.orphan import die_with_parent

                die_with_parent(parent)    # no child outlives the process that waits for it
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    value = self.fn(*self.args)
                data = pickle.dumps(("ok", value, [(str(c.message), c.category, c.filename, c.lineno)
                                                   for c in caught]), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:          # noqa: BLE001  the parent makes the call itself
                data = pickle.dumps(("error", None, []))
            try:
                while data:
                    data = data[os.write(w, data):]
            finally:
                os._exit(0)
        os.close(w)
        self.pid, self._fd = pid, r

    def _collect(self):
        chunks = []
        try:
            while True:
                b = os.read(self._fd, 1 << 16)
                if not b:
                    break
                chunks.append(b)
        except OSError:
            chunks = []
        finally:
            os.close(self._fd)
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.pid = self._fd = None
        try:
            return pickle.loads(b"".join(chunks))
        except Exception:                  # noqa: BLE001  the child died mid-way: computed here
            return ("error", None, [])

    @property
    def forked(self) -> bool:
        return self.pid is not None

    def result(self):
        """The value of ``fn(*args)``."""
        if self.pid is not None:
            status, value, caught = self._collect()
            if status == "ok":
                for message, category, filename, lineno in caught:
                    warnings.warn_explicit(message, category, filename, lineno)
                return value
        return self.fn(*self.args)


def beside(fn, *args, fork: bool = True) -> Pending:
    """Start ``fn(*args)`` beside this process (``fork=False``: computed here on ``.result()``)."""
    return Pending(fn, args, fork)
