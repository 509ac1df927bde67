"""Swimmer plot: time on study per patient (start of treatment to death or last contact, the OS time).

One bar per patient, longest at the top, coloured by best overall response; markers at the first
response (CR/PR), the first progression (the first PD scan or a clinical ``progression_date``, whichever
is earlier) and death; an arrow where the patient was alive at last contact. At most
``MAX_SWIMMER_PATIENTS`` bars (the longest follow-up) stay readable; the caption says when some are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ._layout import legend_columns, nice_ticks, text_width_pt
from .style import BOR_COLOURS, BOR_LABELS, BOR_ORDER, WIDTHS, font_sizes, rc

MAX_SWIMMER_PATIENTS = 60
MAX_PLOT_HEIGHT = 7.6  # inches: with legend and axis the figure stays within a journal page (~9 in)


@dataclass
class SwimmerData:
    rows: pd.DataFrame   # patient_id, end, death, response, progression, bor (times in display units)
    n_total: int


def _days(later, start) -> np.ndarray:
    return (pd.to_datetime(later) - pd.to_datetime(start)).dt.days.to_numpy(float)


def swimmer_data(adtte: pd.DataFrame | None, timepoints: pd.DataFrame | None, patients: pd.DataFrame,
                 best: pd.DataFrame | None, column: str = "bor", days_per_unit: float = 30.4375,
                 max_patients: int = MAX_SWIMMER_PATIENTS) -> SwimmerData | None:
    """Bars from the ADTTE OS rows (``aval`` days, ``cnsr``), the first PD scan in ``timepoints``,
    ``patients.progression_date`` and ``best_response.first_response_date``; the ``max_patients``
    longest (ties by patient_id). None without OS rows."""
    if adtte is None or adtte.empty or not (adtte["paramcd"] == "OS").any():
        return None
    os_ = adtte.loc[adtte["paramcd"] == "OS", ["patient_id", "aval", "cnsr"]].copy()
    os_["patient_id"] = os_["patient_id"].astype(str)
    n_total = len(os_)
    os_["end"] = os_["aval"].to_numpy(float) / days_per_unit
    os_ = os_.sort_values(["end", "patient_id"], ascending=[False, True], kind="stable").head(max_patients)
    pts = patients.assign(patient_id=patients["patient_id"].astype(str)).drop_duplicates("patient_id")
    pts = pts.set_index("patient_id").reindex(os_["patient_id"])
    start = pts["start_date"].reset_index(drop=True)
    prog = np.full(len(os_), np.nan)
    if "progression_date" in pts.columns:
        prog = _days(pts["progression_date"].reset_index(drop=True), start)
    if timepoints is not None and not timepoints.empty and "overall" in timepoints.columns:
        first_pd = (timepoints.loc[timepoints["overall"] == "PD"].assign(patient_id=lambda d: d["patient_id"].astype(str))
                    .groupby("patient_id")["date"].min())
        scan = _days(os_["patient_id"].map(first_pd).reset_index(drop=True), start)
        prog = np.fmin(prog, scan)
    resp = np.full(len(os_), np.nan)
    bor = np.full(len(os_), "MISSING", dtype=object)
    if best is not None and not best.empty:
        b = best.assign(patient_id=best["patient_id"].astype(str)).drop_duplicates("patient_id").set_index("patient_id")
        if "first_response_date" in b.columns:
            resp = _days(os_["patient_id"].map(b["first_response_date"]).reset_index(drop=True), start)
        bor = os_["patient_id"].map(b[column]).fillna("MISSING").astype(str).to_numpy(object)
    rows = pd.DataFrame({"patient_id": os_["patient_id"].to_numpy(), "end": os_["end"].to_numpy(),
                         "death": (os_["cnsr"] == 0).to_numpy(), "response": resp / days_per_unit,
                         "progression": prog / days_per_unit, "bor": bor})
    # a marker after the bar's end (e.g. a scan after the last contact date) is drawn at the end
    for c in ("response", "progression"):
        rows.loc[rows[c] > rows["end"], c] = rows["end"]
    return SwimmerData(rows, n_total)


def swimmer_figure(data: SwimmerData, *, unit: str = "months", size: str = "double"):
    """Draw the swimmer plot; returns the Figure (axes label "swimmer"; bars gids ``bar-<i>`` from the top,
    marker gids "response-marks", "progression-marks", "death-marks", "alive-arrows")."""
    base, small = font_sizes(size)
    width = WIDTHS[size]
    r = data.rows
    n = len(r)
    with plt.rc_context(rc(size)):
        present = [b for b in BOR_ORDER if b in set(r["bor"])] + sorted(set(r["bor"]) - set(BOR_ORDER))
        ms = small * 0.85
        handles = [Patch(facecolor=BOR_COLOURS.get(b, "#999999"), label=BOR_LABELS.get(b, b)) for b in present]
        marks = [("response", "^", "white", "First response (CR/PR)"), ("progression", "s", "black", "Progression"),
                 ("death", "X", "black", "Death")]
        for col, marker, face, label in marks:
            if (r[col].notna() if col != "death" else r[col]).any():
                handles.append(Line2D([], [], marker=marker, markerfacecolor=face, markeredgecolor="black",
                                      linestyle="none", markersize=ms, label=label))
        if (~r["death"]).any():
            handles.append(Line2D([], [], marker=">", color="black", linestyle="none", markersize=ms * 0.8,
                                  label="Alive at last contact"))
        pad = 0.05
        id_w = max([text_width_pt(x, small * 0.9) for x in r["patient_id"]] + [10.0])
        left = pad + (base * 1.2 + 4 + id_w + 5) / 72
        # the legend spans the full width (the patient ids make the left margin wide)
        ncol, legend_rows = legend_columns([h.get_label() for h in handles], (width - 2 * pad) * 72, small)
        row_h = min(small * 1.55 / 72, MAX_PLOT_HEIGHT / max(n, 1))
        right = pad + 0.12
        top = pad + (legend_rows * small * 1.7 + 0.5 * small) / 72
        bottom = pad + (3 + 3.5 + small * 1.25 + 4 + base * 1.25) / 72
        plot_h = max(n, 2) * row_h + 0.1
        height = top + plot_h + bottom
        fig = plt.figure(figsize=(width, height))
        ax = fig.add_axes([left / width, bottom / height, (width - left - right) / width, plot_h / height],
                          label="swimmer")
        y = np.arange(n, dtype=float)
        bars = ax.barh(y, r["end"].to_numpy(), height=0.62, color=[BOR_COLOURS.get(b, "#999999") for b in r["bor"]],
                       edgecolor="none", zorder=2)
        for i, bar in enumerate(bars):
            bar.set_gid(f"bar-{i}")
        xmax = float(r["end"].max()) if n else 1.0
        for col, marker, face, _ in marks:
            m = r[col].to_numpy(bool) if col == "death" else r[col].notna().to_numpy()
            x = r["end"].to_numpy() if col == "death" else r[col].to_numpy(float)
            ax.plot(x[m], y[m], linestyle="none", marker=marker, markerfacecolor=face, markeredgecolor="black",
                    markeredgewidth=0.7, markersize=ms, zorder=4, gid=f"{col}-marks", clip_on=False)
        alive = ~r["death"].to_numpy(bool)
        ax.plot(r["end"].to_numpy()[alive] + xmax * 0.012, y[alive], linestyle="none", marker=">", color="black",
                markersize=ms * 0.8, zorder=4, gid="alive-arrows", clip_on=False)
        ax.set_ylim(max(n, 2) - 0.4, -0.6)
        ax.set_yticks(y, r["patient_id"].tolist(), fontsize=small * 0.9)
        ax.tick_params(axis="y", length=0, pad=3)
        ax.set_xlim(0, xmax * 1.04)
        ticks = nice_ticks(xmax, unit)
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.set_xlabel(f"Time since start of treatment ({unit})")
        ax.set_ylabel("Patient")
        ax.spines["left"].set_visible(False)
        ax.grid(axis="x", color="#e8e8e8", linewidth=0.5, zorder=0)
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(pad / width, (bottom + plot_h) / height),
                  bbox_transform=fig.transFigure, ncol=ncol, frameon=False, borderpad=0.1,
                  handlelength=1.2, columnspacing=1.2, borderaxespad=0.2, alignment="left")
    return fig
