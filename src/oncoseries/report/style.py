"""Figure style: colour-blind-safe palette (Okabe & Ito 2008), journal sizes, deterministic output."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

#: Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

#: Best-overall-response colours (waterfall, swimmer): response blue/green, SD grey, PD vermillion.
BOR_COLOURS = {"CR": "#009E73", "PR": "#0072B2", "SD": "#999999", "NON-CR/NON-PD": "#BBBBBB",
               "PD": "#D55E00", "NE": "#E69F00", "MISSING": "#DDDDDD"}

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.8,
    "lines.linewidth": 1.4,
    "svg.hashsalt": "oncoseries",
    "svg.fonttype": "path",
    "figure.dpi": 100,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.08,
}


@contextmanager
def style():
    with plt.rc_context(RC):
        yield


def save_figure(fig, stem: Path, dpi: int = 300) -> list[Path]:
    """Write ``stem.png`` (300 dpi) and ``stem.svg`` with fixed metadata, so reruns are byte-identical."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    with plt.rc_context(RC):
        fig.savefig(png, dpi=dpi, metadata={"Software": None})
        fig.savefig(svg, metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return [png, svg]
