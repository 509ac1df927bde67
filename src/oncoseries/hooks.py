"""Pipeline events for listeners that want to start work early (e.g. the figure worker, report/worker.py).

``notify("derived", results=...)`` is called by the analysis once the derived tables (RECIST time
points, best responses, ADTTE, the RECIST lesion table) exist and before the statistics run, with a
partial Results holding those tables, the study and the plan. Listeners must not change what they are
given, with one exception: for a Study the command line owns (``Study.transient``), the early writer
(analysis/write_early.py) drops the columns of the lesion table once a forked process holds it.
``notify("derived_released", results=...)`` follows at once, with the same Results, when every listener of
``derived`` has run: a process forked here (the figure worker's preparer, report/worker.py) does not
inherit what was released at ``derived`` (at 10^6 patients the lesion table, about a gigabyte, which it
would otherwise keep mapped while the early writer gives its pages back). With no listener (library use,
tests) a notification costs nothing.
"""

from __future__ import annotations

__all__ = ["listen", "unlisten", "notify", "listening"]

_listeners: list = []


def listen(func) -> None:
    """Call ``func(event, **data)`` at every notification from now on."""
    _listeners.append(func)


def unlisten(func) -> None:
    if func in _listeners:
        _listeners.remove(func)


def listening() -> bool:
    """Whether anything listens (work done only for listeners, e.g. codes the figures' preparer reads)."""
    return bool(_listeners)


def notify(event: str, **data) -> None:
    for func in list(_listeners):
        func(event, **data)
