"""Runs execute outside the request, in a pool of worker processes (several at once).

The server is the only writer of the runs table: it marks a run queued, a worker writes its progress
to a file, and the future's callback stores done/failed with the headline numbers or the reason.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from .db import RunRow, audit, now

log = logging.getLogger("oncoseries.web")


class Runner:
    def __init__(self, sessions, workers: int):
        self.sessions = sessions
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self.futures: dict[str, Future] = {}

    @property
    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def warm(self) -> None:
        """Start the worker processes now, each importing the analysis code."""
        from .worker import warm

        for _ in range(self.workers):
            self.pool.submit(warm)

    def submit(self, run_id: str, run_dir: Path) -> None:
        from .worker import execute

        try:
            fut = self.pool.submit(execute, str(run_dir))
        except Exception as exc:  # a broken pool: start a fresh one once
            log.warning("run pool unavailable (%s); starting a new one", type(exc).__name__)
            self._pool = None
            fut = self.pool.submit(execute, str(run_dir))
        self.futures[run_id] = fut
        fut.add_done_callback(lambda f, rid=run_id: self._finished(rid, f))

    def _finished(self, run_id: str, fut: Future) -> None:
        self.futures.pop(run_id, None)
        try:
            outcome = fut.result()
        except Exception as exc:  # the worker process died (memory, a signal)
            outcome = {"ok": False, "error": f"the analysis process stopped unexpectedly ({type(exc).__name__})"}
            if "Broken" in type(exc).__name__:
                self._pool = None
        try:
            with self.sessions() as s, s.begin():
                run = s.get(RunRow, run_id)
                if run is None:
                    return
                run.finished_at = now()
                if outcome.get("ok"):
                    run.status, run.progress, run.error = "done", 1.0, None
                    run.headline_json = json.dumps(outcome.get("headline", {}))
                else:
                    run.status, run.error = "failed", outcome.get("error") or "the analysis failed"
                audit(s, "server", f"run {run.status}", run.study_id, run_id)
            log.info("run %s %s", run_id, "done" if outcome.get("ok") else "failed")
        except Exception as exc:  # never let a callback kill the pool thread (no values in the log line)
            log.error("could not record the end of run %s (%s)", run_id, type(exc).__name__)

    def shutdown(self) -> None:
        """Stop the pool and its worker processes: queued runs are cancelled, idle or running workers are
        terminated (a run cut short is marked failed when the server starts again), so no process is left
        behind holding the server's terminal or ports."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
                p.join(timeout=5)


def read_progress(run_dir: Path) -> tuple[str | None, float]:
    """(stage, progress) written by the worker, or (None, 0)."""
    try:
        d = json.loads((run_dir / "progress.json").read_text(encoding="utf-8"))
        return d.get("stage"), float(d.get("progress", 0.0))
    except (OSError, ValueError):
        return None, 0.0
