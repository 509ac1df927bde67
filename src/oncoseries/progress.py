"""Progress of a long command, stage by stage (issue 17): a rich progress bar on a terminal, plain log
lines otherwise (CI logs, pipes, the web worker's log). Both are fed by the same events, the stage ends
that ``timings.lap`` marks; nothing is written into results.json, and no patient value is shown.
"""

from __future__ import annotations

import contextlib
import sys
import time

from . import timings

#: the stages of `oncoseries analyze`, in order (timings.lap names; a --dask run merges two of them)
ANALYZE_STAGES = ("read", "validate", "RECIST", "endpoints", "statistics", "results.json, derived, CDISC",
                  "figures", "report tables", "HTML", "DOCX")


class _Plain:
    def __init__(self, stream, total: int):
        self.stream, self.total, self.done, self.t0 = stream, total, 0, time.perf_counter()

    def __call__(self, stage: str, seconds: float) -> None:
        self.done += 1
        print(f"[{time.perf_counter() - self.t0:7.1f} s] {stage}: done in {seconds:.1f} s "
              f"({min(self.done, self.total)}/{self.total})", file=self.stream, flush=True)


class _Rich:
    def __init__(self, stream, stages: tuple[str, ...]):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.stages = list(stages)
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                                 console=Console(file=stream), transient=True)
        self.task = self.progress.add_task(self._next(0), total=len(stages))
        self.progress.start()

    def _next(self, i: int) -> str:
        return self.stages[i] if i < len(self.stages) else "finishing"

    def __call__(self, stage: str, seconds: float) -> None:
        self.progress.console.print(f"[green]✓[/green] {stage} [dim]{seconds:.1f} s[/dim]")
        done = self.progress.tasks[0].completed + (2 if stage == "RECIST and endpoints (Dask)" else 1)
        self.progress.update(self.task, completed=min(done, len(self.stages)), description=self._next(done))

    def close(self):
        self.progress.stop()


@contextlib.contextmanager
def show(stages: tuple[str, ...] = ANALYZE_STAGES, stream=None, enabled: bool = True):
    """Show progress on ``stream`` (stderr) while the block runs: rich on a terminal, plain lines otherwise."""
    stream = stream or sys.stderr
    if not enabled:
        yield
        return
    tty = hasattr(stream, "isatty") and stream.isatty()
    display = _Rich(stream, stages) if tty else _Plain(stream, len(stages))
    timings.listen(display)
    try:
        yield
    finally:
        timings.listen(None)
        if tty:
            display.close()
