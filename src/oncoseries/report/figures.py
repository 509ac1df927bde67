"""All report figures, drawn from Results only, written as PNG (300 dpi) and SVG.

``make_figures(results, out_dir)`` returns one FigureInfo per figure, in report order; the HTML and
DOCX writers embed them by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .km_plot import km_figure
from .style import save_figure


@dataclass
class FigureInfo:
    name: str          # file stem, e.g. "km_pfs"
    title: str         # short title for the report
    caption: str       # legend text for the report
    png: Path
    svg: Path
    section: str       # "survival", "response", "regression"


def _fmt_p(p: float) -> str:
    return "P < 0.001" if p < 0.001 else f"P = {p:.3g}"


def make_figures(results, out_dir: Path) -> list[FigureInfo]:
    out_dir = Path(out_dir)
    figs: list[FigureInfo] = []
    unit = results.study.config.time_unit
    scale = results.study.config.days_per_unit
    landmarks = results.sections.get("survival", {})
    logranks = {(r["endpoint"], r["covariate"]): r for r in results.sections.get("logrank", [])}
    for (ep, cov), km in results.curves.items():
        name = f"km_{ep.lower()}" if cov is None else f"km_{ep.lower()}_by_{cov}"
        label = landmarks.get(ep, {}).get("name", ep)
        annotation = None
        if cov is not None and (ep, cov) in logranks:
            annotation = f"Log-rank {_fmt_p(logranks[(ep, cov)]['p'])}"
        fig = km_figure(km, unit_days=scale, unit_label=unit, ylabel=f"{label}", annotation=annotation,
                        show_ci=cov is None)
        png, svg = save_figure(fig, out_dir / name)
        title = label if cov is None else f"{label} by {cov}"
        caption = (f"Kaplan-Meier estimate of {label.lower()}" + ("" if cov is None else f" by {cov}")
                   + "; shaded band: pointwise 95% CI (log transform); ticks: censored patients; "
                     "numbers at risk below the axis.")
        figs.append(FigureInfo(name, title, caption, png, svg, "survival"))
    return figs
