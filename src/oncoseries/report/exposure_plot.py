"""Cycles per patient: one row per treated patient, one square per cycle given (full dose, reduced dose),
a delayed cycle outlined in black with a notch, a cycle whose delay or reduction was attributed to toxicity
marked with a dot, and the reason for stopping at the end of the row. Rows are sorted by the number of
cycles (most first), then patient id; at most MAX_PATIENTS rows are drawn (the caption says so).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._layout import legend_columns, text_width_pt
from .style import WIDTHS, font_sizes, rc

MAX_PATIENTS = 80
FULL, REDUCED = "#0072B2", "#E69F00"
STOP_MARKS = {"completed": ("o", "#009E73"), "progression": ("s", "#D55E00"), "toxicity": ("X", "#CC79A7")}


def exposure_rows(cycles: pd.DataFrame, max_patients: int = MAX_PATIENTS) -> tuple[pd.DataFrame, list, int]:
    """(cycles of the patients drawn, patient order, patients in total)."""
    c = cycles.assign(patient_id=cycles["patient_id"].astype(str))
    n = c.groupby("patient_id")["cycle"].count()
    ids = n.index.to_numpy(object)
    order = ids[np.lexsort((ids, -n.to_numpy()))].tolist()   # most cycles first, then patient id
    return c[c["patient_id"].isin(order[:max_patients])], order[:max_patients], len(order)


def cell_squares(xs, ys, reduced, delayed) -> PolyCollection:
    """One square per cycle in one collection (gid "cycles"): the pixels of one Rectangle patch per cycle
    (mitred corners as a patch has), drawn and saved several times faster."""
    from matplotlib.colors import to_rgba
    from matplotlib.collections import PolyCollection

    x0, y0 = np.asarray(xs, float) + 0.08, np.asarray(ys, float) - 0.36
    verts = np.stack([np.column_stack([x0, y0]), np.column_stack([x0 + 0.84, y0]),
                      np.column_stack([x0 + 0.84, y0 + 0.72]), np.column_stack([x0, y0 + 0.72])], axis=1)
    d = np.asarray(delayed, bool)
    face = np.where(np.asarray(reduced, bool)[:, None], to_rgba(REDUCED), to_rgba(FULL))
    edge = np.where(d[:, None], to_rgba("black"), to_rgba("none"))
    return PolyCollection(verts, closed=True, facecolors=face, edgecolors=edge, linewidths=np.where(d, 1.1, 0.0),
                          joinstyle="miter", gid="cycles")


def exposure_figure(cycles: pd.DataFrame, order: list, *, size: str = "double"):
    """Draw the cycles-per-patient figure; returns the Figure."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from .style import pyplot
    plt = pyplot()

    base, small = font_sizes(size)
    width = WIDTHS[size]
    n = len(order)
    pos = {p: i for i, p in enumerate(order)}
    c = cycles.sort_values(["patient_id", "cycle"]).copy()
    c["k"] = c.groupby("patient_id").cumcount()       # position in the row (cycle numbers may skip)
    kmax = int(c["k"].max()) + 1 if len(c) else 1
    stops = c.groupby("patient_id")["stop_reason"].last() if "stop_reason" in c.columns else pd.Series(dtype=str)
    with plt.rc_context(rc(size)):
        handles = [Patch(facecolor=FULL, label="Full dose"), Patch(facecolor=REDUCED, label="Reduced dose"),
                   Patch(facecolor="white", edgecolor="black", linewidth=1.2, label="Delayed cycle"),
                   Line2D([], [], marker="o", color="black", markersize=small * 0.35, linestyle="none",
                          label="Delay or reduction for toxicity")]
        shown = sorted({s for s in stops.astype(str) if s and s != "not recorded"})
        for s in shown:
            mk, col = STOP_MARKS.get(s, ("D", "#7F7F7F"))
            handles.append(Line2D([], [], marker=mk, color=col, linestyle="none", markersize=small * 0.8,
                                  label=f"Stopped: {s}"))
        pad = 0.05
        id_w = max([text_width_pt(p, small * 0.85) for p in order] + [10.0]) / 72
        left = pad + base * 1.2 / 72 + 0.06 + id_w + 0.06
        right = pad + 0.25
        ncol, legend_rows = legend_columns([h.get_label() for h in handles], (width - 2 * pad) * 72, small)
        row_h = min(small * 1.5 / 72, 7.4 / max(n, 1))
        plot_h = max(n, 2) * row_h + 0.1
        top = pad + (legend_rows * small * 1.7 + 0.4 * small) / 72
        bottom = pad + (small * 1.25 + base * 1.25 + 10) / 72
        height = top + plot_h + bottom
        fig = plt.figure(figsize=(width, height))
        ax = fig.add_axes([left / width, bottom / height, (width - left - right) / width, plot_h / height],
                          label="exposure")
        ys = c["patient_id"].map(pos).to_numpy(float)
        xs = c["k"].to_numpy(float)
        red = c["reduced"].to_numpy(bool)
        dl = c["delayed"].to_numpy(bool)
        tox = c["toxicity_attributed"].to_numpy(bool) if "toxicity_attributed" in c.columns else np.zeros(len(c), bool)
        ax.add_collection(cell_squares(xs, ys, red, dl))
        ax.plot(xs[tox] + 0.5, ys[tox], linestyle="none", marker="o", color="black", markersize=small * 0.35,
                zorder=4, gid="toxicity-marks")
        last = c.groupby("patient_id")["k"].max()
        for s in shown:
            mk, col = STOP_MARKS.get(s, ("D", "#7F7F7F"))
            who = [p for p in order if str(stops.get(p, "")) == s]
            ax.plot([last[p] + 1.35 for p in who], [pos[p] for p in who], linestyle="none", marker=mk, color=col,
                    markersize=small * 0.8, clip_on=False, gid=f"stop-{s}")
        ax.set_xlim(0, kmax + 0.8)
        ax.set_ylim(max(n, 2) - 0.4, -0.6)
        ax.set_xticks(np.arange(kmax) + 0.5, [str(i + 1) for i in range(kmax)])
        ax.set_yticks(np.arange(n), order, fontsize=small * 0.85)
        ax.tick_params(axis="y", length=0, pad=3)
        ax.tick_params(axis="x", length=0)
        for s in ("left", "bottom"):
            ax.spines[s].set_visible(False)
        ax.set_xlabel("Cycle (in order given)")
        ax.set_ylabel("Patient")
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(pad / width, (bottom + plot_h) / height),
                  bbox_transform=fig.transFigure, ncol=ncol, frameon=False, borderpad=0.1, handlelength=1.2,
                  columnspacing=1.2, borderaxespad=0.2, alignment="left")
    return fig
