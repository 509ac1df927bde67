"""Run the analysis plan on a validated study and collect every number in a Results object.

Data flows one way: Study -> derived tables -> statistics -> Results; report writers read only Results.

``Results``, ``analyze`` and ``write_outputs`` are looked up on first use (PEP 562): importing a submodule
(``analysis.beside``, which the figure worker uses, ``analysis.write_early``) runs this file, and importing
``results`` here would import the study reader and study.yaml's pydantic models with it (about 0.1 s of CPU
in a process that never reads a study).
"""

from __future__ import annotations

__all__ = ["Results", "analyze", "write_outputs"]


def __getattr__(name: str):
    if name in __all__:
        from . import results

        value = getattr(results, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
