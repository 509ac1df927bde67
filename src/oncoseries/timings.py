"""Wall time per stage of ``oncoseries analyze`` (``--timings``), kept out of results.json.

The pipeline calls ``lap(stage)`` when a stage ends; the time since the previous lap is added to that
stage. Nothing is recorded unless ``start()`` was called, so library use pays nothing. Timings vary
from run to run and therefore never go into results.json (which is byte-identical across runs).
Each lap also records the resident size (RSS) at the end of the stage and the process's peak RSS so far
(Linux ``/proc/self/statm`` and ``getrusage``; shown as "-" elsewhere), for the registry-scale benchmark.
"""

from __future__ import annotations

import os
import time

__all__ = ["start", "lap", "stop", "format_table"]

_laps: dict | None = None
_last = 0.0
_listener = None          # progress display (oncoseries.progress): called with (stage, seconds)
_plast = 0.0
_memory: dict = {}


def _rss_gb() -> tuple[float | None, float | None]:
    """(current RSS, peak RSS) of this process in GB; None where the platform does not say."""
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2   # kB on Linux
    except (ImportError, OSError):
        peak = None
    try:
        with open("/proc/self/statm") as f:
            now = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 ** 3
    except (OSError, ValueError, IndexError):
        now = None
    return now, peak


def start() -> None:
    """Begin recording (the clock starts now)."""
    global _laps, _last
    _laps = {}
    _memory.clear()
    _last = time.perf_counter()


def lap(stage: str, progress: bool = True) -> None:
    """Charge the time since the previous lap to ``stage`` (no-op when not recording); ``progress=False``:
    not a stage of the progress display (e.g. waiting for a writer process at the end)."""
    global _last, _plast
    if _listener is not None and progress:
        now = time.perf_counter()
        _listener(stage, now - _plast)
        _plast = now
    if _laps is None:
        return
    now = time.perf_counter()
    _laps[stage] = _laps.get(stage, 0.0) + (now - _last)
    _memory[stage] = _rss_gb()
    _last = now


def listen(func) -> None:
    """Call ``func(stage, seconds)`` at every lap from now on (None: stop); used for progress display."""
    global _listener, _plast
    _listener, _plast = func, time.perf_counter()


def stop() -> dict:
    """Stop recording; stage -> seconds in the order the stages first ended."""
    global _laps
    out, _laps = dict(_laps or {}), None
    return out


def format_table(laps: dict) -> str:
    """A small text table: stage, seconds, share of the total, RSS at the stage's end and peak RSS so far (GB)."""
    total = sum(laps.values()) or 1.0
    width = max([len(k) for k in laps] + [5])
    lines = [f"{'stage':<{width}}  seconds  share  rss GB  peak GB"]

    def gb(x):
        return f"{x:7.2f}" if x is not None else "      -"
    for k, v in laps.items():
        now, peak = _memory.get(k, (None, None))
        lines.append(f"{k:<{width}}  {v:7.3f}  {100 * v / total:4.0f}%  {gb(now)}  {gb(peak)}")
    lines.append(f"{'total':<{width}}  {sum(laps.values()):7.3f}")
    return "\n".join(lines)
