"""A figure worker for ``oncoseries analyze``: a process forked at the start of the run that draws every
figure while this process reads, analyses and writes the report (docs/figures.md).

The worker is forked before the study is read (when :func:`report.parallel.can_fork` allows: POSIX fork,
2+ CPUs, one thread, not switched off by ``ONCOSERIES_FIGURE_PROCESSES=1``) and imports matplotlib and
the figure modules while this process reads the study. As soon as the derived tables exist (the
``derived_released`` event of :mod:`oncoseries.hooks`, before the statistics, after the early writer has
forked and this process has dropped the lesion table, which the child then does not inherit), the response
figures (waterfall, spider, swimmer) and the oncoprint, which need nothing else, are prepared and sent by a
short-lived child forked there (it reads this process's tables copy-on-write, so the statistics start at
once; at 10^6 patients the preparation takes ~5 s of one core); the worker draws them while the statistics
run. When make_figures is called every other group (``WORKER_SHARE``) is prepared and sent; the worker
splits them with a second drawer forked from itself (``_draw``) while this process waits, so this process
never imports matplotlib (report/style.pyplot).

What is sent is what is drawn (figures.prepare_group; each figure module's ``prepare``): the waterfall's
value and category per patient, the spider's sampled patients' points, the swimmer's rows, the
oncoprint's matrix (as codes), the Kaplan-Meier curves with the section entries their
captions quote, the cycles drawn; never the study's or the derived tables (at 10^6 patients several GB).
This process draws from the same prepared data by the same code (figures.draw_group = prepare_group then
draw_prepared), so the bytes do not depend on the process (tests/report/test_parallel_figures.py).
A group the worker could not draw (it failed or died) is drawn here, with one line on stderr saying why;
warnings raised in the worker are raised again here. It dies with its parent (``orphan.py``:
PR_SET_PDEATHSIG on Linux, a watch on the parent's pipe) and closes the file descriptors it inherited
(e.g. a benchmark's ``flock`` lock file).
"""

from __future__ import annotations

import os
import pickle
import sys
import warnings

from .. import hooks

__all__ = ["start", "current", "FigureWorker", "WORKER_SHARE"]

#: Groups the worker draws (figures.GROUPS): all of them, those of EARLY as soon as the derived tables exist, the
#: rest split with a second drawer it forks then (``_draw``), while this process waits (issue 13, session 9).
WORKER_SHARE = ("km_a", "km_b", "forest", "response", "oncoprint", "exposure", "historical", "design")
#: Requests whose groups the worker splits with a forked second drawer: sent when this process has nothing
#: else to do than wait for them (the early ones are drawn while the statistics use the other core).
SPLIT = ("rest",)
#: Groups that need only the derived tables and the study (no statistic): the response figures and the
#: oncoprint (mutations, sequenced patients, best responses).
EARLY = ("response", "oncoprint")

#: Exit code of a preparing child (FigureWorker._fork_send) that could not prepare its request (sent nothing).
PREPARE_FAILED = 3

_current = None


def current():
    """The running worker, or None."""
    return _current if _current is not None and _current.alive else None


def start(out_dir):
    """Fork a worker that will draw into ``out_dir`` (the report's figures/ folder); None when forking is
    not possible or switched off (make_figures then works as without a worker)."""
    global _current
    from .parallel import can_fork

    if not can_fork():
        return None
    _current = FigureWorker(out_dir)
    if not _current.alive:
        _current = None
    return _current


def _serve(conn, parent_pid: int | None = None) -> None:
    """The worker's loop: draw the groups of each request, reply with their FigureInfo lists."""
    import multiprocessing

    from . import style
    from ..memory import trim
    from .orphan import close_inherited, die_with_parent

    parent = multiprocessing.parent_process()
    sentinel = parent.sentinel if parent is not None else None
    close_inherited(keep=(conn.fileno(), sentinel))   # e.g. a benchmark's flock fd; our end of the pipe
    if parent_pid is not None:
        die_with_parent(parent_pid, sentinel)
    style.reset_after_fork()
    _warm()
    from . import figures

    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            break
        if msg[0] == "stop":
            break
        _, key, payload = msg
        try:
            prepared, out_dir, opts, said = pickle.loads(payload)   # said: warnings raised preparing it
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                out, theirs = _draw(prepared, out_dir, opts, split=key in SPLIT)
            reply = ("ok", key, out, said + theirs + [(str(w.message), w.category, w.filename, w.lineno)
                                                      for w in caught])
        except BaseException as exc:          # noqa: BLE001  the parent draws these groups itself
            reply = ("error", key, f"{type(exc).__name__}: {exc}", [])
        msg = prepared = payload = None       # idle until the next request: hold none of its data
        trim()
        try:
            conn.send(reply)
        except (OSError, pickle.PicklingError, TypeError):
            conn.send(("error", key, "the reply could not be sent", []))
    conn.close()


def _warm() -> None:
    """Import matplotlib and every drawing module, and load the font, while the parent imports and reads (the
    command's process itself never imports matplotlib: style.pyplot)."""
    from . import style

    style.pyplot()
    from . import (_layout, exposure_plot, extra_figures, figures, forest, historical, km_plot,  # noqa: F401
                   oncoprint, spider, swimmer, trial_design, waterfall)
    from ..stats import kaplan_meier  # noqa: F401  the curves sent are its results

    _layout.text_width_pt("0", 8.0)          # the font file read and its first glyph laid out


def _draw(prepared: list, out_dir, opts, split: bool) -> tuple[dict, list]:
    """Draw the prepared groups: {group: FigureInfo list} and the warnings a second drawer raised.

    With ``split`` and two or more groups on a 2+ CPU machine, every second group (in report order, which
    alternates the expensive Kaplan-Meier halves) is drawn by a child forked from this warm process (matplotlib
    and the fonts loaded, no import to repeat; analysis/beside.Pending) while this process draws the others;
    the child's FigureInfo lists come back pickled. Its files are the same bytes (each figure is drawn from its
    prepared data alone). A child that cannot start, fails or dies is replaced by drawing its groups here (an
    error then surfaces as it would without it)."""
    from ..analysis.beside import Pending
    from . import style
    from .parallel import _cpus

    theirs = prepared[1::2] if split and len(prepared) > 1 and hasattr(os, "fork") and _cpus() >= 2 else []
    child = None
    if theirs:
        style.stop_png_writer()                # no writer thread mid-file across the fork
        child = Pending(_draw_groups, (theirs, out_dir, opts), force=True)
    out = _draw_groups([p for p in prepared if not any(p is t for t in theirs)], out_dir, opts)
    caught = []
    if child is not None:
        with warnings.catch_warnings(record=True) as said:   # the child's warnings, raised again by result()
            warnings.simplefilter("always")
            out.update(child.result())         # drawn here when the child failed: the same files
        caught = [(str(w.message), w.category, w.filename, w.lineno) for w in said]
    return {p.group: out[p.group] for p in prepared}, caught


def _draw_groups(prepared: list, out_dir, opts) -> dict:
    """{group: FigureInfo list} of the prepared groups, every PNG written when this returns."""
    from . import figures, style

    out = {p.group: figures.draw_prepared(p, out_dir, opts) for p in prepared}
    style.wait_for_figures()
    return out


class FigureWorker:
    """One forked drawing process; requests are answered in the order they were sent."""

    def __init__(self, out_dir) -> None:
        import multiprocessing
        from pathlib import Path

        self.out_dir = Path(out_dir)
        self.alive = False
        self._early = None          # (opts) of the response figures sent at the "derived_released" event
        self._replies: dict = {}
        self._preparer = None       # (pid, key) of the child preparing and sending a request
        self._pending: list = []
        ctx = multiprocessing.get_context("fork")
        self._conn, theirs = ctx.Pipe(duplex=True)
        from .orphan import flush_std_streams

        flush_std_streams()   # or the child would write buffered output a second time
        self.failures: list[str] = []       # why a request was drawn here instead (said once on stderr)
        self._proc = ctx.Process(target=_serve, args=(theirs, os.getpid()), daemon=True)
        try:
            self._proc.start()
        except OSError:
            return
        finally:
            theirs.close()
        self.alive = True
        hooks.listen(self._on_event)

    # ------------------------------------------------------------------ requests
    def _prepare(self, key: str, results, names, opts) -> bytes | None:
        """The pickled request for the groups ``names``: what they draw (figures.prepare_group) and the
        warnings raised while preparing it (the worker raises them again with its reply); None when a group
        cannot be prepared (make_figures then draws it here and reports the error as without a worker)."""
        from .figures import prepare_group

        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                prepared = [prepare_group(n, results, opts) for n in names]
        except Exception:                          # noqa: BLE001  raised again when make_figures draws it
            return None
        said = [(str(w.message), w.category, w.filename, w.lineno) for w in caught]
        return pickle.dumps((prepared, self.out_dir, opts, said), protocol=pickle.HIGHEST_PROTOCOL)

    def _send(self, key: str, results, names, opts) -> bool:
        """Prepare the groups ``names`` here and send them to the worker."""
        self._join_preparer()
        if not self.alive:
            return False
        try:
            blob = self._prepare(key, results, names, opts)
            if blob is None:
                return False
            self._conn.send(("draw", key, blob))
        except Exception as exc:                   # noqa: BLE001  unpicklable or the worker is gone
            self._failed(f"could not be sent the data ({type(exc).__name__})")
            return False
        self._pending.append(key)
        return True

    def _fork_send(self, key: str, results, names, opts) -> bool:
        """Prepare the groups ``names`` in a forked child, which sends them to the worker over this process's
        pipe, so that this process goes on at once (at 10^6 patients preparing the early figures takes
        ~15 s of one core: the spider's sample and the swimmer's rows are searched in 5.6*10^6 time
        points, the oncoprint sorts 10^6 patients). The child reads this process's tables copy-on-write
        (``gc.freeze``: its collections leave them untouched); this process neither sends nor receives
        until the child has ended (``_join_preparer``). Exit code 0: sent; PREPARE_FAILED: nothing sent
        (make_figures draws the groups here); anything else: the pipe's state is unknown, the worker is
        stopped and its figures are drawn here."""
        import gc

        from .orphan import flush_std_streams

        flush_std_streams()
        gc.freeze()
        try:
            with warnings.catch_warnings():    # Python >= 3.12 warns about fork with threads; the child only
                warnings.simplefilter("ignore")   # computes and sends (no locks of other threads)
                pid = os.fork()
        except OSError:
            gc.unfreeze()
            return self._send(key, results, names, opts)
        if pid == 0:                           # the preparer: prepare, send, leave without cleanup
            code = PREPARE_FAILED
            try:
                from .orphan import close_inherited, die_with_parent, name_process

                name_process("osr-prepare")
                close_inherited(keep=(self._conn.fileno(),))
                die_with_parent(os.getppid())
                try:
                    import pyarrow as pa       # fresh buffers from malloc, not the parent's pool's state

                    pa.set_memory_pool(pa.system_memory_pool())
                except Exception:              # noqa: BLE001  pyarrow is optional
                    pass
                blob = self._prepare(key, results, names, opts)
                if blob is not None:
                    code = 1
                    self._conn.send(("draw", key, blob))
                    code = 0
            except BaseException:              # noqa: BLE001  the parent says so and draws them itself
                pass
            finally:
                os._exit(code)
        gc.unfreeze()
        self._preparer = (pid, key)
        self._pending.append(key)
        return True

    def _join_preparer(self, kill: bool = False) -> None:
        """Wait for the preparing child (``_fork_send``), if any; when it did not send its request, drop the
        request (drawn here), and when it may have sent part of it, stop the worker."""
        if self._preparer is None:
            return
        (pid, key), self._preparer = self._preparer, None
        if kill:
            import signal

            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        except ChildProcessError:
            code = -1
        if code == 0 or kill:
            return
        if key in self._pending:
            self._pending.remove(key)
        if code != PREPARE_FAILED:
            self._stop(kill=True)
            self._failed("could not be sent the data (the preparing process stopped"
                         + (f", exit code {code})" if code is not None else ")"))

    def _on_event(self, event: str, results=None, **_) -> None:
        if event != "derived_released" or self._early is not None or results is None:
            return
        try:
            from .figures import figure_opts, report_figure_options

            opts = figure_opts(**report_figure_options(results))
        except Exception:                          # noqa: BLE001  make_figures reports bad options itself
            return
        if self._fork_send("early", results, EARLY, opts):
            self._early = opts

    def _reply(self, key: str):
        """The reply to ``key``: {group: infos}, or None when the worker failed it or is gone."""
        self._join_preparer()
        while key not in self._replies and key in self._pending:
            try:
                status, k, out, caught = self._conn.recv()
            except (EOFError, OSError):
                code = self._proc.exitcode if not self._proc.is_alive() else None
                self._stop(kill=True)
                self._failed("stopped" + (f" (exit code {code})" if code is not None else ""))
                break
            self._pending.remove(k)
            self._replies[k] = out if status == "ok" else None
            if status != "ok":
                self._failed(f"failed ({str(out).split(':')[0]})")
            for message, category, filename, lineno in caught:
                warnings.warn_explicit(message, category, filename, lineno)
        return self._replies.pop(key, None)

    def draw_all(self, results, out_dir, opts) -> list:
        """Every figure group (figures.GROUPS) into ``out_dir``: the worker's share there, the rest here."""
        from pathlib import Path

        from .figures import GROUPS, draw_group
        from .style import wait_for_figures

        early = self._early == opts and Path(out_dir) == self.out_dir
        theirs = [n for n in WORKER_SHARE if not (early and n in EARLY)] if Path(out_dir) == self.out_dir else []
        sent = bool(theirs) and self._send("rest", results, theirs, opts)
        mine = {n: draw_group(n, results, out_dir, opts) for n in GROUPS if n not in WORKER_SHARE}
        wait_for_figures()
        drawn = dict(mine)
        for key, names in (("early", list(EARLY) if early else []), ("rest", theirs if sent else [])):
            got = self._reply(key) if names else {}
            for n in names:
                drawn[n] = got[n] if got is not None and n in got else draw_group(n, results, out_dir, opts)
        for n in GROUPS:
            if n not in drawn:
                drawn[n] = draw_group(n, results, out_dir, opts)
        self._early = None
        return [info for n in GROUPS for info in drawn[n]]

    def _failed(self, why: str) -> None:
        """Say once, on stderr, that the worker's figures are drawn in this process instead (no traceback)."""
        if not self.failures:
            sys.stderr.write(f"Note: the figure worker {why}; its figures are drawn in the main process.\n")
        self.failures.append(why)

    def _stop(self, kill: bool = False) -> None:
        global _current
        hooks.unlisten(self._on_event)
        self._join_preparer(kill=kill)         # nothing is sent while the preparing child may be sending
        if self.alive:
            self.alive = False
            try:
                if not kill:
                    self._conn.send(("stop",))
            except OSError:
                pass
            self._conn.close()
            if kill and self._proc.is_alive():
                self._proc.terminate()
            self._proc.join(timeout=None if not kill else 5)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join()
        if _current is self:
            _current = None

    def close(self, abort: bool = False) -> None:
        """Finish the requests in flight and end the worker (``abort``: end it now, e.g. on an error)."""
        if abort:
            self._stop(kill=True)
            return
        for key in list(self._pending):
            self._reply(key)
        self._stop()
