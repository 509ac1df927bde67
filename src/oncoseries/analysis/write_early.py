"""Write the output files of ``oncoseries analyze`` in a forked process, beside the work of this one.

At 10^6 patients writing the derived tables and the CDISC files took over a minute of one core
(derived/lesions.csv alone is 1.9*10^7 rows) while the statistics stage, before it, keeps only one of the
two cores busy. The tables that depend only on RECIST, the endpoints and the dosing (derived/timepoints,
best_response, adtte, lesions, cycles, cdisc/ADRS, ADTTE, tables/patient_flow.csv) exist at the ``derived``
event of :mod:`oncoseries.hooks`, before the statistics: :class:`EarlyWriter` forks a child there that writes them with the same writers
(``results.write_derived``, ``cdisc_export.export_cdisc``) while this process runs the statistics; then,
for a Study the command line owns (``Study.transient``), this process drops the lesion table's columns
(the child has its own copy-on-write view), which frees about a gigabyte for the statistics at 10^6. The
child gives back the pages of the lesion rows it has written as it goes (analysis/written_rows.py) and
writes the CDISC files in blocks of rows (io/cdisc_blocks.py); the free heap is returned before the fork
and in the child (inherited free pages turn private to the child as the parent reuses them).
:func:`write_outputs` (analysis/results.py) skips what the child wrote, and writes the rest (data
problems, tables the statistics changed) in a second child while it writes results.json and the report
(:func:`fork_write`).

The bytes are those the same function writes in one process; a table the statistics changed after the
fork (other columns or rows) is written again by this process. A child that fails or dies is reported
in one line; the files are then written here (a released lesion table cannot be: that is an error message,
not a traceback). Children die with this process (``report/orphan.py``) and close the file descriptors
they inherited. Switched off with ``ONCOSERIES_FIGURE_PROCESSES=1`` (one process for everything), on one
CPU, where ``os.fork`` does not exist and with ``--dask`` (the cluster's threads run in this process).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .. import hooks

__all__ = ["EarlyWriter", "start", "current", "fork_write", "WriteError", "EARLY_TABLES"]

#: The name in ``take``'s set of tables/patient_flow.csv (results._write_tables skips it).
FLOW = "patient_flow"
#: The derived tables known at the ``derived`` event (before the statistics), in the order one process
#: writes them; tables/patient_flow.csv too (the flow is complete then).
EARLY_TABLES = ("timepoints", "best_response", "adtte", "lesions", "cycles")

_current = None


class WriteError(RuntimeError):
    """Output files could not be written by the writer process (the message says which and why)."""


def can_fork() -> bool:
    from ..report.parallel import ENV, _cpus

    return hasattr(os, "fork") and os.environ.get(ENV, "").strip() not in ("0", "1") and _cpus() >= 2


class Child:
    """One forked writer: ``wait()`` returns the files it wrote, or raises WriteError."""

    def __init__(self, job, what: str, name: str = "osr-write") -> None:
        import warnings

        self.what = what
        self.pid = None
        status_r, status_w = os.pipe()
        watch_r, watch_w = os.pipe()       # the child sees EOF on watch_r when this process is gone
        parent = os.getpid()
        from ..report.orphan import flush_std_streams

        flush_std_streams()
        with warnings.catch_warnings():    # Python >= 3.12 warns about fork with threads; the child
            warnings.simplefilter("ignore")   # only writes files (no locks of other threads)
            pid = os.fork()
        if pid == 0:                       # the child: write, report, leave without cleanup
            code = 1
            try:
                os.close(status_r)
                os.close(watch_w)
                from ..report.orphan import close_inherited, die_with_parent, name_process

                name_process(name)             # e.g. for the benchmarks' per-process memory sampler
                close_inherited(keep=(status_w, watch_r))
                die_with_parent(parent, watch_r)
                warnings.simplefilter("ignore")
                _release_inherited_free_memory()
                files = [str(p) for p in job()]
                msg, code = json.dumps({"files": files}), 0
            except BaseException as exc:   # noqa: BLE001  reported by the parent, without a traceback
                msg = json.dumps({"error": f"{type(exc).__name__}: {exc}"})
            try:
                data = msg.encode("utf-8")
                while data:
                    data = data[os.write(status_w, data):]
            finally:
                os._exit(code)
        os.close(status_w)
        os.close(watch_r)
        self.pid, self._status, self._watch = pid, status_r, watch_w

    def wait(self) -> list[Path]:
        chunks = []
        while True:
            try:
                b = os.read(self._status, 1 << 16)
            except OSError:
                b = b""
            if not b:
                break
            chunks.append(b)
        os.close(self._status)
        _, status = os.waitpid(self.pid, 0)
        os.close(self._watch)
        try:
            reply = json.loads(b"".join(chunks).decode("utf-8"))
        except ValueError:
            reply = {"error": f"the writer process stopped (status {status})"}
        if "error" in reply:
            raise WriteError(f"{self.what}: {reply['error']}")
        return [Path(p) for p in reply["files"]]

    def kill(self) -> None:
        import signal

        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except OSError:
            pass
        for fd in (self._status, self._watch):
            try:
                os.close(fd)
            except OSError:
                pass


def _release_inherited_free_memory() -> None:
    """In the child: give back the free heap and pool pages it inherited (its view of them: they turn
    private when the parent reuses or returns its own), and allocate Arrow buffers from malloc, not from
    the copy of the parent's pool."""
    from ..memory import trim

    trim()                                  # malloc_trim(0) and the parent's (default) Arrow pool
    try:
        import pyarrow as pa

        pa.set_memory_pool(pa.system_memory_pool())
    except Exception:                       # noqa: BLE001  pyarrow is optional
        pass


def fork_write(job, what: str, name: str = "osr-write"):
    """Run ``job()`` (returns the files it wrote) in a forked child; None when forking is not possible.
    The free heap is returned first: pages inherited by a child turn private to it as soon as the parent
    reuses or returns them (at 10^6 patients hundreds of megabytes of the early writer's memory)."""
    if not can_fork():
        return None
    from ..memory import trim

    trim()
    try:
        return Child(job, what, name)
    except OSError:
        return None


def _shape(df) -> tuple:
    return (len(df), tuple(df.columns), tuple(str(t) for t in df.dtypes))


class EarlyWriter:
    """Writes the early tables (EARLY_TABLES and CDISC) into ``out`` when the derived tables exist."""

    def __init__(self, out) -> None:
        self.out = Path(out)
        self.child = None
        self.tables: dict = {}          # name -> (the DataFrame written, its shape then)
        self.flow = None                # (the PatientFlow written, its populations then)
        hooks.listen(self._on_event)

    def _on_event(self, event: str, results=None, **_) -> None:
        if event != "derived" or self.child is not None or results is None:
            return
        from .results import write_derived, write_flow

        derived = {k: results.derived[k] for k in EARLY_TABLES if k in results.derived}
        flow = getattr(results.study, "flow", None)
        if "adtte" not in derived or "timepoints" not in derived or "best_response" not in derived:
            return
        out = self.out

        def job():
            from ..io.cdisc_export import export_cdisc
            from ..memory import trim

            from .written_rows import row_release

            release = {"lesions": row_release(derived["lesions"], keep=[v for k, v in derived.items()
                                                                         if k != "lesions"])} \
                if "lesions" in derived else None       # its rows' memory given back as they are written
            files = write_derived({k: derived[k] for k in ("lesions",) if k in derived}, out, on_rows=release)
            del release
            if "lesions" in derived:     # the child's copy of the largest table: freed once written
                lt = derived["lesions"]
                lt.drop(columns=list(lt.columns), inplace=True)
                del lt
                trim()
            for k, v in derived.items():    # one table at a time, the heap given back after each
                if k != "lesions":
                    files += write_derived({k: v}, out)
                    trim()
            files = sorted(files, key=lambda f: [*EARLY_TABLES].index(f.stem))   # the order of one process
            cdisc = export_cdisc(out / "cdisc", timepoints=derived["timepoints"],
                                 best_response=derived["best_response"], adtte=derived["adtte"])
            flow_file = [write_flow(flow, out)] if flow is not None else []   # last: after the peak
            return files + [f for fs in cdisc.values() for f in fs] + flow_file

        self.child = fork_write(job, "derived tables and CDISC files", "osr-write-early")
        if self.child is None:
            return
        self.tables = {k: (v, _shape(v)) for k, v in derived.items()}
        self.flow = (flow, dict(flow.parts)) if flow is not None else None   # its populations at the fork
        lesions = derived.get("lesions")
        if lesions is not None and getattr(results.study, "transient", False):
            from ..memory import trim

            lesions.drop(columns=list(lesions.columns), inplace=True)   # the child has its own view
            lesions.attrs["oncoseries_written"] = str(out / "derived" / "lesions.csv")
            del lesions, derived
            trim()

    def take(self, derived: dict) -> tuple[list[Path], set]:
        """(files the child wrote, names of ``derived`` it wrote and need not be written again); waits for
        the child. Raises WriteError when a table that was released could not be written."""
        self.close_listener()
        if self.child is None:
            return [], set()
        child, self.child = self.child, None
        try:
            files = child.wait()
        except WriteError as exc:
            released = [k for k, (df, _) in self.tables.items() if "oncoseries_written" in df.attrs]
            if released:
                raise WriteError(f"{exc} (derived/{released[0]}.csv cannot be written again: its table was "
                                 "freed after the fork)") from None
            sys.stderr.write(f"Note: {exc}; the files are written by the main process.\n")
            return [], set()
        done = set()
        if self.flow is not None and dict(self.flow[0].parts) == self.flow[1] and all(
                self.flow[0].parts[k] is v for k, v in self.flow[1].items()):
            done.add(FLOW)              # no population set after the fork: the file written is the one
        else:
            files = [f for f in files if f.name != "patient_flow.csv"]
        for name, (df, shape) in self.tables.items():
            if derived.get(name) is df and ("oncoseries_written" in df.attrs or _shape(df) == shape):
                done.add(name)
        early = {"timepoints", "best_response", "adtte"}
        if not early <= done:           # a table changed after the fork: its CSV and the CDISC files again
            files = [f for f in files if f.parent.name != "cdisc" and f.stem in done]
        return files, done

    def close_listener(self) -> None:
        hooks.unlisten(self._on_event)

    def abort(self) -> None:
        global _current
        self.close_listener()
        if self.child is not None:
            self.child.kill()
            self.child = None
        if _current is self:
            _current = None


def start(out):
    """An EarlyWriter for ``oncoseries analyze`` into ``out`` (None where forking is not possible)."""
    global _current
    from ..scale import derive

    # not beside a Dask cluster's threads (--dask): the one-process path writes the files
    _current = EarlyWriter(out) if can_fork() and not derive.active() else None
    return _current


def current(out=None):
    """The EarlyWriter writing into ``out`` (or any), or None."""
    if _current is None or (out is not None and Path(out) != _current.out):
        return None
    return _current


def finish(writer) -> None:
    global _current
    if writer is not None:
        writer.close_listener()
    if _current is writer:
        _current = None
