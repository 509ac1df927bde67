"""A figure worker for ``oncoseries analyze``: a process forked at the start of the run that, with a second
drawer it forks, draws every figure while this process reads, analyses and writes the report
(docs/figures.md).

The worker is forked before the study is read (when :func:`report.parallel.can_fork` allows: POSIX fork,
2+ CPUs, one thread, not switched off by ``ONCOSERIES_FIGURE_PROCESSES=1``; under ``oncoseries analyze`` before
the command line is parsed, :func:`prestart`) and imports matplotlib and
the figure modules while this process reads the study; then it forks the **second drawer**, which shares
all of that (nothing imported twice) and serves a second pipe of this process. Both draw requests in the
order they get them.

* As soon as the derived tables exist (the ``derived_released`` event of :mod:`oncoseries.hooks`, before
  the statistics), the groups that need nothing else are sent: for a study of up to ``SMALL_STUDY``
  patients they are prepared here (milliseconds) and sent as one request to each drawer (``EARLY_SMALL``:
  the response figures to the worker, the oncoprint and the exposure figure to the second drawer); for a
  larger one a short-lived child forked there prepares the response figures and the oncoprint (``EARLY``)
  and sends them to the worker (it reads this process's tables copy-on-write, after the early writer has
  forked and this process has dropped the lesion table, so the statistics start at once; at 10^6 patients
  the preparation takes ~9 s of one core).
* When make_figures is called (the statistics done) the other groups are handed out one at a time, the
  longest first (``REST_ORDER``), each to a drawer that has nothing left to draw, while the next is
  prepared here (``_hand_out``): the two drawers end together, and this process never imports matplotlib
  (report/style.pyplot). While both drawers draw and this process would only wait, it does its own work
  given to ``meanwhile`` (report/__init__.write_report: the report's document and table files, which need no
  figure; python-docx imported, the HTML template compiled), so that after the figures only report.html and
  report.docx are left. A drawer replies as soon as a group is drawn (its last PNG may still be compressed by
  the writer thread while it draws the next); at the end both are told to stop and each says when its files
  are on disk (``_release``). The drawers run at niceness ``NICE``: while the statistics run, they come after
  this process.

What is sent is what is drawn (figures.prepare_group; each figure module's ``prepare``): the waterfall's
value and category per patient, the spider's sampled patients' points, the swimmer's rows, the
oncoprint's matrix (as codes), the Kaplan-Meier curves with the section entries their
captions quote, the cycles drawn, a small view of the Results for the forest, historical and design figures
(plain data: unpickling it imports nothing); never the study's or the derived tables (at 10^6 patients
several GB). This process would draw from the same prepared data by the same code (figures.draw_group =
prepare_group then draw_prepared), so the bytes do not depend on the process
(tests/report/test_worker_draw.py). A group no drawer could draw (it failed or died) is drawn here, with one
line on stderr saying why; when the second drawer is gone the worker is handed the rest; warnings raised in a
drawer are raised again here. Both die with their parent (``orphan.py``: PR_SET_PDEATHSIG on Linux, a watch on
the parent's pipe) and close the file descriptors they inherited (e.g. a benchmark's ``flock`` lock file).

Garbage: the drawers collect none on their own (``gc.disable`` after the warm-up, inherited by the second drawer).
A matplotlib figure is a web of reference cycles, so Python's automatic collections (about 190 while the bundled
study's figures were drawn, each walking the live figure's objects too) took ~0.25 s of the ~2.5 s of drawing;
what they freed (~3-4 MB a figure, ~65 MB in all) is left to the drawer's exit (``os._exit``: nothing is freed one
by one). After a request larger than ``TRIM_BYTES`` (a registry's, whose figures hold large arrays) the drawer
collects once, before ``memory.trim``, so its memory stays bounded by one request's figures.
"""

from __future__ import annotations

import os
import pickle
import sys
import warnings

from .. import hooks

__all__ = ["start", "current", "FigureWorker", "WORKER_SHARE"]

#: Groups the drawers draw (figures.GROUPS): all of them; those of EARLY (EARLY_SMALL) as soon as the derived
#: tables exist, the rest handed out one group at a time when the command has the statistics (``REST_ORDER``).
WORKER_SHARE = ("km_a", "km_b", "forest", "response", "oncoprint", "exposure", "historical", "design")
#: Groups that need only the derived tables and the study (no statistic): the response figures and the
#: oncoprint (mutations, sequenced patients, best responses), prepared by a forked preparer (large studies).
EARLY = ("response", "oncoprint")
#: A study of at most this many patients has its early groups prepared in the command's process (a few ms)
#: and sent to both drawers at once, one request each (EARLY_SMALL); a larger one has them prepared by a
#: forked preparer (``_fork_send``; at 10^6 patients ~9 s of one core), which sends EARLY to the worker.
SMALL_STUDY = 5000
#: The early requests of a small study, (key, groups, drawer index): about the same drawing time each
#: (bundled study: response 0.66 s of CPU; oncoprint 0.23 + exposure 0.43 s), one per drawer.
EARLY_SMALL = (("early", ("response",), 0), ("early-2", ("oncoprint", "exposure"), 1))
#: The order in which the other groups are handed out, one at a time to whichever drawer is idle: the
#: longest first (longest-processing-time first: the two drawers end together; bundled study, CPU seconds:
#: km_a 0.67, km_b 0.61, exposure 0.43, forest 0.26, historical 0.21, design 0.14).
REST_ORDER = ("km_a", "km_b", "exposure", "forest", "response", "oncoprint", "historical", "design")

#: The drawers' niceness (os.nice): while the statistics run, the command gets a core of its own and the drawers
#: share what is left (the early figures are not needed before the statistics end); afterwards only the drawers
#: run, and the niceness changes nothing.
NICE = 5

#: A request larger than this (pickled) is followed by memory.trim() in the drawer (at 10^6 patients the early
#: payload is ~45 MB); a small one is not (malloc_trim took ~0.03 s per call).
TRIM_BYTES = 8 << 20

#: Exit code of a preparing child (FigureWorker._fork_send) that could not prepare its request (sent nothing).
PREPARE_FAILED = 3

_current = None
_prestarted = None


def current():
    """The running worker, or None."""
    return _current if _current is not None and _current.alive else None


def prestart() -> None:
    """Fork the worker before the command line is parsed (cli.main, for ``analyze`` and ``demo``): typer builds a
    pydantic adapter for every option and imports pydantic to do so (~0.15 s, more on a busy machine), which then
    runs while the worker imports matplotlib instead of before. :func:`start` adopts it; a command that ends
    before (a usage error) ends it with :func:`discard_prestarted`. Nothing when forking is not possible."""
    global _prestarted
    from .parallel import can_fork

    if _prestarted is None and _current is None and can_fork():
        w = FigureWorker(None)
        _prestarted = w if w.alive else None


def discard_prestarted() -> None:
    """End a worker :func:`prestart` forked that no command adopted (nothing was drawn by it)."""
    global _prestarted
    w, _prestarted = _prestarted, None
    if w is not None:
        w.close(abort=True)


def start(out_dir):
    """Fork a worker that will draw into ``out_dir`` (the report's figures/ folder), or adopt the one
    :func:`prestart` forked; None when forking is not possible or switched off (make_figures then works as
    without a worker)."""
    global _current, _prestarted
    from pathlib import Path

    from .parallel import can_fork

    if _prestarted is not None:
        w, _prestarted = _prestarted, None
        if w.alive:
            w.out_dir = Path(out_dir)
            _current = w
            return w
        w.close(abort=True)
    if not can_fork():
        return None
    _current = FigureWorker(out_dir)
    if not _current.alive:
        _current = None
    return _current


def _serve(conn, parent_pid: int | None = None, second=None) -> None:
    """The worker: import matplotlib (``_warm``), fork the second drawer, which serves ``second`` (the
    command's other pipe), then draw the requests of ``conn`` until told to stop."""
    import multiprocessing

    from . import style
    from .orphan import close_inherited, die_with_parent

    parent = multiprocessing.parent_process()
    sentinel = parent.sentinel if parent is not None else None
    close_inherited(keep=(conn.fileno(), sentinel, second.fileno() if second is not None else None))
    if parent_pid is not None:
        die_with_parent(parent_pid, sentinel)
    style.reset_after_fork()
    try:
        os.nice(NICE)     # below the command, whose statistics are the run's critical path while the drawers draw
    except (OSError, AttributeError):   # the early figures (the second drawer inherits it)
        pass
    _warm()
    import gc

    gc.freeze()      # matplotlib, pandas and the drawing code are never garbage (a full collection walked
    gc.disable()     # ~150,000 objects, ~0.2 s); and no automatic collection while drawing, here and in the second
    child = None     # drawer (module docstring: "Garbage")
    if second is not None:
        child = _fork_second(conn, second)
        second.close()                         # the command sees EOF on it when no second drawer runs
    _loop(conn)
    if child is not None:
        try:
            os.waitpid(child, 0)               # it ends when the command closes its pipe
        except ChildProcessError:
            pass


def _fork_second(conn, second) -> int | None:
    """Fork the second drawer from this warm worker (matplotlib and the drawing modules imported, the font
    loaded: nothing to import again); it draws the requests of ``second`` and dies with this process. Its pid,
    or None when it could not be forked."""
    from .orphan import flush_std_streams

    flush_std_streams()
    me = os.getpid()
    try:
        with warnings.catch_warnings():        # Python >= 3.12 warns about fork with threads: the parent watch
            warnings.simplefilter("ignore")    # thread (orphan.die_with_parent) only reads a pipe
            pid = os.fork()
    except OSError:
        return None
    if pid == 0:
        code = 1
        try:
            from . import style
            from .orphan import die_with_parent, name_process

            conn.close()                       # the worker's pipe is not this process's
            name_process("osr-draw")
            die_with_parent(me)
            style.reset_after_fork()
            _loop(second)
            code = 0
        except BaseException:                  # noqa: BLE001  the command draws what it did not answer
            pass
        finally:
            flush_std_streams()
            os._exit(code)
    return pid


def _loop(conn) -> None:
    """Draw the groups of each request and reply with their FigureInfo lists as soon as they are drawn (a PNG
    may still be being compressed by the writer thread while the next request is drawn), until "stop" or EOF;
    at "stop" reply ("flushed", error or None) once every PNG is on disk."""
    import gc

    from ..memory import trim
    from . import style

    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            break
        if msg[0] == "stop":
            try:
                style.wait_for_figures()
                done = ("flushed", None)
            except BaseException as exc:      # noqa: BLE001  the command draws this drawer's groups again
                done = ("flushed", f"{type(exc).__name__}: {exc}")
            try:
                conn.send(done)
            except OSError:
                pass
            break
        _, key, payload = msg
        big = len(payload) > TRIM_BYTES
        try:
            prepared, out_dir, opts, said = pickle.loads(payload)   # said: warnings raised preparing it
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                out = {p.group: _figures().draw_prepared(p, out_dir, opts) for p in prepared}
            reply = ("ok", key, out, said + [(str(w.message), w.category, w.filename, w.lineno) for w in caught])
        except BaseException as exc:          # noqa: BLE001  the parent draws these groups itself
            reply = ("error", key, f"{type(exc).__name__}: {exc}", [])
        msg = prepared = payload = None       # idle until the next request: hold none of its data
        if big:                               # a registry's payload: its figures' garbage collected (docstring)
            gc.collect()
            trim()                            # and its pages given back (~0.03 s per call)
        try:
            conn.send(reply)
        except (OSError, pickle.PicklingError, TypeError):
            try:
                conn.send(("error", key, "the reply could not be sent", []))
            except OSError:
                break
    conn.close()


def _figures():
    from . import figures

    return figures


def _warm() -> None:
    """Import matplotlib and every drawing module, and load the font, while the parent imports and reads (the
    command's process itself never imports matplotlib: style.pyplot)."""
    from . import style

    style.pyplot()
    from . import (_layout, exposure_plot, extra_figures, figures, forest, historical, km_plot,  # noqa: F401
                   oncoprint, spider, swimmer, trial_design, waterfall)
    from ..stats import kaplan_meier  # noqa: F401  the curves sent are its results

    _layout.text_width_pt("0", 8.0)          # the font file read and its first glyph laid out


def _meanwhile() -> None:
    """What the command needs right after the figures, done while the drawers draw the last groups: the report
    writers imported (python-docx, ~0.1 s) and the HTML template compiled (report/__init__.write_report)."""
    from . import docx, html  # noqa: F401

    html.template()


class _Drawer:
    """The command's end of one drawing process's pipe and the keys of the requests it has not answered yet
    (a drawer answers in the order it was sent)."""

    def __init__(self, conn, name: str) -> None:
        self.conn, self.name, self.pending, self.alive = conn, name, [], True


class FigureWorker:
    """The worker and its second drawer, seen from the command: requests go to one of them and are answered in
    the order each was sent."""

    def __init__(self, out_dir) -> None:
        import multiprocessing
        from pathlib import Path

        self.out_dir = Path(out_dir) if out_dir is not None else None   # None: prestart, set by start()
        self.alive = False
        self._early: dict = {}      # key -> groups sent at the "derived_released" event
        self._early_opts = None     # the options they were prepared with
        self._replies: dict = {}
        self._tasks: list = []      # the command's work to do while both drawers draw (``meanwhile``)
        self.drawn_by: dict = {}    # group -> "worker" or "second drawer" (what answered it)
        self._preparer = None       # (pid, key) of the child preparing and sending a request to the worker
        ctx = multiprocessing.get_context("fork")
        self._conn, theirs = ctx.Pipe(duplex=True)
        conn2, theirs2 = ctx.Pipe(duplex=True)     # the second drawer's, forked by the worker once it is warm
        self._drawers = [_Drawer(self._conn, "worker"), _Drawer(conn2, "second drawer")]
        from .orphan import flush_std_streams

        flush_std_streams()   # or the child would write buffered output a second time
        self.failures: list[str] = []       # why a request was drawn here instead (said once on stderr)
        self._proc = ctx.Process(target=_serve, args=(theirs, os.getpid(), theirs2), daemon=True)
        try:
            self._proc.start()
        except OSError:
            conn2.close()
            return
        finally:
            theirs.close()
            theirs2.close()
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

    def _post(self, drawer: _Drawer, key: str, blob: bytes | None) -> bool:
        """Send a prepared request to ``drawer`` (the worker's pipe only once no preparer may be writing it)."""
        if drawer is self._drawers[0]:
            self._join_preparer()
        if blob is None or not (self.alive and drawer.alive):
            return False
        try:
            drawer.conn.send(("draw", key, blob))
        except Exception as exc:                   # noqa: BLE001  unpicklable or the drawer is gone
            self._lost(drawer, f"could not be sent the data ({type(exc).__name__})")
            return False
        drawer.pending.append(key)
        return True

    def _send(self, key: str, results, names, opts, drawer: int = 0) -> bool:
        """Prepare the groups ``names`` here and send them to the worker (``drawer`` 1: the second drawer)."""
        d = self._drawers[drawer]
        return self._post(d, key, self._prepare(key, results, names, opts) if d.alive else None)

    def _fork_send(self, key: str, results, names, opts) -> bool:
        """Prepare the groups ``names`` in a forked child, which sends them to the worker over this process's
        pipe, so that this process goes on at once (at 10^6 patients preparing the early figures takes
        ~15 s of one core: the spider's sample and the swimmer's rows are searched in 5.6*10^6 time
        points, the oncoprint sorts 10^6 patients). The child reads this process's tables copy-on-write
        (``gc.freeze``: its collections leave them untouched); this process neither sends nor receives
        on the worker's pipe until the child has ended (``_join_preparer``). Exit code 0: sent;
        PREPARE_FAILED: nothing sent (make_figures draws the groups here); anything else: the pipe's state is
        unknown, the worker is stopped and its figures are drawn here."""
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
        self._drawers[0].pending.append(key)
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
        worker = self._drawers[0]
        if key in worker.pending:
            worker.pending.remove(key)
        if code != PREPARE_FAILED:
            self._stop(kill=True)
            self._failed("could not be sent the data (the preparing process stopped"
                         + (f", exit code {code})" if code is not None else ")"))

    def _on_event(self, event: str, results=None, **_) -> None:
        """At "derived_released": send the early groups, prepared here for a small study (one request per
        drawer, EARLY_SMALL), by a forked preparer otherwise (EARLY, to the worker)."""
        if event != "derived_released" or self._early or results is None:
            return
        try:
            from .figures import figure_opts, report_figure_options

            opts = figure_opts(**report_figure_options(results))
        except Exception:                          # noqa: BLE001  make_figures reports bad options itself
            return
        if _patients(results) <= SMALL_STUDY:
            self._early = {key: names for key, names, drawer in EARLY_SMALL
                           if self._send(key, results, names, opts, drawer)}
        elif self._fork_send("early", results, EARLY, opts):
            self._early = {"early": EARLY}
        self._early_opts = opts if self._early else None

    # ------------------------------------------------------------------ the command's own work meanwhile
    def meanwhile(self, task) -> None:
        """Run ``task()`` in this process during :meth:`draw_all`, at a moment both drawers are drawing and this
        process would wait for one of them (before the last group is handed out if there is such a moment,
        else after it), instead of after the figures (report/__init__.write_report: the report's tables and
        document, which do not need the figures). ``task`` must not raise: an exception is dropped, and the
        caller, finding its result missing, does the work again after the figures (where the error is raised)."""
        self._tasks.append(task)

    def _run_task(self) -> None:
        task = self._tasks.pop(0)
        try:
            task()
        except Exception:                          # noqa: BLE001  done again (and reported) by its caller
            pass

    # ------------------------------------------------------------------ replies
    def _receive(self, drawer: _Drawer) -> None:
        """Read one reply of ``drawer`` (blocking); a drawer that is gone fails every request it holds."""
        try:
            status, k, out, caught = drawer.conn.recv()
        except (EOFError, OSError):
            code = self._proc.exitcode if drawer is self._drawers[0] and not self._proc.is_alive() else None
            self._lost(drawer, "stopped" + (f" (exit code {code})" if code is not None else ""))
            return
        if k in drawer.pending:
            drawer.pending.remove(k)
        self._replies[k] = out if status == "ok" else None
        if status == "ok":
            self.drawn_by.update(dict.fromkeys(out, drawer.name))
        if status != "ok":
            self._failed(f"failed ({str(out).split(':')[0]})")
        for message, category, filename, lineno in caught:
            warnings.warn_explicit(message, category, filename, lineno)

    def _reply(self, key: str):
        """The reply to ``key``: {group: infos}, or None when the drawer failed it or is gone."""
        for d in self._drawers:
            if key in d.pending and d is self._drawers[0]:
                self._join_preparer()
            while key not in self._replies and key in d.pending and d.alive:
                self._receive(d)
        return self._replies.pop(key, None)

    def _hand_out(self, names: list, results, opts) -> list:
        """Send the groups ``names`` (in this order) one at a time, each to a drawer with nothing left to draw,
        preparing the next one while both draw; returns the groups sent (their key is their name)."""
        from multiprocessing.connection import wait

        self._join_preparer()                  # the worker's pipe is this process's alone from here
        queue, sent, ahead = list(names), [], None
        while queue or ahead is not None:
            live = [d for d in self._drawers if d.alive and self.alive]
            if not live:
                break
            if ahead is None:
                name = queue.pop(0)
                ahead = (name, self._prepare(name, results, [name], opts))
                if ahead[1] is None:           # drawn here (make_figures reports the error)
                    ahead = None
                    continue
            idle = [d for d in live if not d.pending]
            if idle:
                if self._post(idle[0], *ahead):
                    sent.append(ahead[0])
                    ahead = None
                elif idle[0].alive:            # could not be sent (not the drawer's fault): drawn here
                    ahead = None
                continue                       # a drawer found gone: the next one is given it
            ready = wait([d.conn for d in live], timeout=0 if self._tasks else None)
            if not ready:                      # both drawing, no reply yet: this process's own work first
                self._run_task()
            for conn in ready:
                self._receive(next(d for d in live if d.conn is conn))
        return sent

    def draw_all(self, results, out_dir, opts) -> list:
        """Every figure group (figures.GROUPS) into ``out_dir``: the drawers' share there, anything they could
        not draw here."""
        from pathlib import Path

        from .figures import GROUPS, draw_group
        from .style import wait_for_figures

        mine = Path(out_dir) == self.out_dir
        early = self._early if mine and self._early_opts == opts else {}
        done = {n for names in early.values() for n in names}
        rest = [n for n in REST_ORDER if n in WORKER_SHARE and n not in done] if mine else []
        self._tasks.insert(0, _meanwhile)
        try:
            sent = self._hand_out(rest, results, opts)
            while self._tasks:
                self._run_task()
        finally:
            self._tasks.clear()
        drawn = {}
        for key, names in [*early.items(), *((n, (n,)) for n in sent)]:
            got = self._reply(key)
            for n in names:
                if got is not None and n in got:
                    drawn[n] = got[n]
        for n in self._release():
            drawn.pop(n, None)
        for n in GROUPS:
            if n not in drawn:
                drawn[n] = draw_group(n, results, out_dir, opts)
        wait_for_figures()
        self._early, self._early_opts = {}, None
        return [info for n in GROUPS for info in drawn[n]]

    def _release(self) -> list:
        """Tell the drawers to end now that every figure is drawn and wait until each says its PNG files are
        on disk (they exit while this process writes the report; ``close`` only joins them). The groups of a
        drawer that could not say so (a PNG could not be written, or it is gone) are returned: drawn here."""
        told, again = [], []
        for d in self._drawers:
            if d.alive and not d.pending:
                try:
                    d.conn.send(("stop",))
                    told.append(d)
                except OSError:
                    again += [g for g, who in self.drawn_by.items() if who == d.name]
                d.alive = False
        for d in told:
            try:
                status, error = d.conn.recv()
            except (EOFError, OSError, ValueError):
                status, error = "gone", "stopped"
            if error is not None:
                self._failed(f"could not write its files ({str(error).split(':')[0]})")
                again += [g for g, who in self.drawn_by.items() if who == d.name]
        return again

    def _failed(self, why: str, who: str = "the figure worker",
                then: str = "its figures are drawn in the main process") -> None:
        """Say once, on stderr, what went wrong and what is done instead (no traceback)."""
        if not self.failures:
            sys.stderr.write(f"Note: {who} {why}; {then}.\n")
        self.failures.append(why)

    def _lost(self, drawer: _Drawer, why: str) -> None:
        """``drawer`` (the second drawer) is gone: the worker is handed what is left, what it held is drawn
        here; said once on stderr."""
        if drawer is self._drawers[0]:
            self._stop(kill=True)
            self._failed(why)
            return
        drawer.alive = False
        drawer.pending.clear()
        try:
            drawer.conn.close()
        except OSError:
            pass
        self._failed(why, "the figure worker's second drawer", "the other figures are drawn without it")

    def _stop(self, kill: bool = False) -> None:
        global _current
        hooks.unlisten(self._on_event)
        self._join_preparer(kill=kill)         # nothing is sent while the preparing child may be sending
        if self.alive:
            self.alive = False
            for d in reversed(self._drawers):
                try:
                    if not kill and d.alive:
                        d.conn.send(("stop",))
                except OSError:
                    pass
                d.alive = False
                d.conn.close()
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
        for d in self._drawers:
            for key in list(d.pending):
                self._reply(key)
        self._stop()


def _patients(results) -> int:
    """The study's patients (the early figures' preparation grows with them)."""
    try:
        return len(results.study.tables["patients"])
    except Exception:                              # noqa: BLE001  unknown: treated as large
        return SMALL_STUDY + 1
