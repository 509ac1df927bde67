"""What every report writer shares: the results.json content, the number style, labels, provenance paths.

The report reads ``results.to_dict()`` round-tripped through JSON, so every number it prints is the number
in results.json and every provenance path (``survival.PFS.median.value``) can be looked up there.
"""

from __future__ import annotations

import json
import platform
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

from . import numbers as nb

SYNTHETIC_WORDS = ("synthetic", "example")
BOR_LABELS = {
    "CR": "Complete response (CR)",
    "PR": "Partial response (PR)",
    "SD": "Stable disease (SD)",
    "NON-CR/NON-PD": "Non-CR/non-PD",
    "PD": "Progressive disease (PD)",
    "NE": "Not evaluable (NE)",
    "MISSING": "Not assessed (no post-baseline scan)",
}


def resolve(data, path: str):
    """The value at a provenance path: dot-separated keys, ``[i]`` for list items (``cox[0].terms[0].hr``)."""
    node = data
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            node = node[int(part[1:-1])]
        else:
            node = node[part]
    return node


#: Variable labels of the study being reported (e.g. from a REDCap data dictionary; results.json
#: ``study.labels``), set by ``ReportContext.from_results`` for the report being written.
VARIABLE_LABELS: ContextVar[dict[str, str]] = ContextVar("variable_labels", default={})


def label(name: str, capital: bool = True) -> str:
    """A covariate for reading: its study label when there is one (REDCap field label), else the name
    made readable: ``prior_ifosfamide`` -> ``Prior ifosfamide``; codes like cr2 kept."""
    given = VARIABLE_LABELS.get().get(str(name))
    if given:
        return given if capital else (given[:1].lower() + given[1:] if given[1:2].islower() else given)
    text = str(name).replace("_", " ").strip()
    if capital and re.fullmatch(r"[a-z]+( [a-z]+)*( [A-Za-z0-9]+)*", text) and text[:1].isalpha():
        return text[:1].upper() + text[1:]
    return text


def software_versions() -> dict[str, str]:
    """Versions read at run time (shown in Methods; never written to results.json)."""
    out = {"Python": platform.python_version()}
    for pkg in ("oncoseries", "numpy", "scipy", "pandas", "matplotlib"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            if pkg == "oncoseries":
                from .. import __version__
                out[pkg] = __version__
    return out


@dataclass
class ReportContext:
    """The JSON view of the results plus the presentation settings (study.yaml ``report:``)."""

    data: dict
    unit: str
    p_style: str
    pct_setting: int | None
    title: str
    synthetic: bool
    clinical_benefit_days: int | None = None
    versions: dict = field(default_factory=dict)

    @classmethod
    def from_results(cls, results, data: str | dict | None = None) -> "ReportContext":
        """The context of ``results``; ``data``: ``results.to_dict()`` as JSON text, or the dict itself (its
        values are JSON types already, ``results._clean``: the same as the text parsed), when already made."""
        if not isinstance(data, dict):     # at 10^6 patients the text is 10^8 characters: not parsed again
            data = json.loads(data if data is not None else json.dumps(results.to_dict()))
        VARIABLE_LABELS.set(data.get("study", {}).get("labels") or {})
        cfg = results.study.config
        rep = getattr(cfg, "report", None)
        title = cfg.title
        where = f"{title} {getattr(results.study, 'path', '')}".lower()
        recist = getattr(results.plan, "recist", None)
        return cls(data=data, unit=cfg.time_unit, p_style=getattr(rep, "p_style", "default"),
                   pct_setting=getattr(rep, "percent_decimals", None), title=title,
                   synthetic=any(w in where for w in SYNTHETIC_WORDS),
                   clinical_benefit_days=getattr(recist, "clinical_benefit_days", None),
                   versions=software_versions())

    # number formatting in this report's style
    def p(self, value, prefix: bool = True) -> str:
        return nb.format_p(value, self.p_style, prefix)

    def decimals(self, n_total) -> int:
        return nb.percent_decimals(n_total, self.pct_setting)

    def pct(self, proportion, n_total, sign: bool = True) -> str:
        return nb.format_pct(proportion, self.decimals(n_total), sign)

    def n_pct(self, n, proportion, n_total) -> str:
        return f"{int(n)} ({self.pct(proportion, n_total)})"

    def pct_ci(self, lower, upper, n_total) -> str:
        return nb.format_ci(lower, upper, lambda v: self.pct(v, n_total, sign=False), suffix="%")

    def time(self, value, missing: str = nb.NR) -> str:
        return nb.format_time(value, self.unit, missing)

    def median(self, value, lower, upper) -> str:
        return nb.format_median(value, lower, upper, self.unit)

    def hr_ci(self, hr, lower, upper) -> str:
        d = nb.hr_decimals(hr)   # HR and CI limits with the same decimals
        return (f"{nb.format_hr(hr, decimals=d)} "
                f"({nb.format_ci(lower, upper, lambda v: nb.format_hr(v, decimals=d), missing=nb.MISSING)})")

    def endpoint_name(self, ep: str) -> str:
        name = self.data.get("survival", {}).get(ep, {}).get("name") or ep
        return f"{name} ({ep})"
