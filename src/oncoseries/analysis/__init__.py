"""Run the analysis plan on a validated study and collect every number in a Results object.

Data flows one way: Study -> derived tables -> statistics -> Results; report writers read only Results.
"""

from __future__ import annotations

from .results import Results, analyze, write_outputs

__all__ = ["Results", "analyze", "write_outputs"]
