"""Kaplan-Meier figure with a number-at-risk table aligned to the x ticks.

The risk table is drawn in a second axes that shares the x axis with the curves, and its counts are
placed at the tick positions themselves, so the columns cannot drift from the ticks (the most common
complaint about peers' figures, reporting-ux.md §2.1). Numbers at risk come from ``km.at(times)``:
patients with time >= t (R's ``summary(survfit, times=)``).
"""

from __future__ import annotations

import numpy as np
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory

from .style import PALETTE, RC

MAX_CENSOR_MARKS = 400  # per group; beyond this, marks are thinned evenly (registry-size studies)


def _nice_ticks(max_time: float, requested=None) -> np.ndarray:
    if requested is not None:
        return np.asarray(sorted(float(t) for t in requested if 0 <= t <= max_time + 1e-9))
    loc = MaxNLocator(nbins=7, steps=[1, 2, 3, 6, 10], integer=True)
    ticks = loc.tick_values(0, max_time)
    return ticks[(ticks >= 0) & (ticks <= max_time + 1e-9)]


def km_figure(km, *, unit_days: float = 30.4375, unit_label: str = "months", ylabel: str = "Survival probability",
              risk_times=None, show_ci: bool = True, show_median: bool = True, annotation: str | None = None,
              group_labels: dict[str, str] | None = None, max_time: float | None = None, title: str | None = None):
    """Draw a Kaplan-Meier figure from a ``kaplan_meier`` result (times in days; axis in ``unit_label``).

    ``risk_times`` are in display units (e.g. months); by default the x ticks. Censored observations are
    marked with '|'. The median is drawn as a dashed guide only where it is reached.
    """
    tab = km.table
    groups = list(km.groups)
    labels = {g: (group_labels or {}).get(g, g) for g in groups}
    last = float(tab["time"].max()) / unit_days if len(tab) else 1.0
    max_time = float(max_time) if max_time is not None else last
    ticks = _nice_ticks(max_time, risk_times)
    n_rows = len(groups)
    with plt.rc_context(RC):
        fig = plt.figure(figsize=(6.4, 4.2 + 0.24 * n_rows))
        gs = fig.add_gridspec(2, 1, height_ratios=[4.0, 0.45 + 0.24 * n_rows], hspace=0.32)
        ax = fig.add_subplot(gs[0])
        axr = fig.add_subplot(gs[1], sharex=ax)
        medians = km.medians.set_index("group")
        for i, g in enumerate(groups):
            colour = PALETTE[i % len(PALETTE)] if n_rows > 1 else "#0072B2"
            d = tab[tab["group"] == g]
            t = np.concatenate(([0.0], d["time"].to_numpy() / unit_days))
            s = np.concatenate(([1.0], d["survival"].to_numpy()))
            m = medians.loc[g]
            legend = f"{labels[g]} (n={int(m['n'])}, events={int(m['events'])})" if n_rows > 1 else None
            ax.step(t, s, where="post", color=colour, label=legend, zorder=3)
            if show_ci:
                lo = np.concatenate(([1.0], d["lower"].to_numpy()))
                hi = np.concatenate(([1.0], d["upper"].to_numpy()))
                ax.fill_between(t, np.nan_to_num(lo, nan=0.0), np.nan_to_num(hi, nan=1.0), step="post",
                                color=colour, alpha=0.13, linewidth=0, zorder=1)
            cens = d[d["n_censor"] > 0]
            if len(cens) > MAX_CENSOR_MARKS:
                cens = cens.iloc[np.linspace(0, len(cens) - 1, MAX_CENSOR_MARKS).round().astype(int)]
            ax.plot(cens["time"].to_numpy() / unit_days, cens["survival"].to_numpy(), linestyle="none",
                    marker="|", markersize=6, markeredgewidth=1.0, color=colour, zorder=4)
            if show_median and np.isfinite(m["median"]):
                x = m["median"] / unit_days
                ax.plot([0, x, x], [0.5, 0.5, 0], linestyle=(0, (3, 2)), linewidth=0.8, color=colour, zorder=2)
        ax.set_ylim(0, 1.03)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.set_yticklabels(["0", "25%", "50%", "75%", "100%"])
        ax.set_xlim(0, max_time * 1.02 if max_time > 0 else 1)
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t:g}" for t in ticks])
        ax.set_xlabel(f"Time ({unit_label})")
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", color="#e6e6e6", linewidth=0.6, zorder=0)
        if title:
            ax.set_title(title, loc="left", fontweight="bold")
        if n_rows > 1:
            ax.legend(loc="upper right", frameon=False, handlelength=1.6)
        if annotation:
            ax.text(0.02, 0.04, annotation, transform=ax.transAxes, ha="left", va="bottom", fontsize=8.5,
                    bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "#bbbbbb", "linewidth": 0.6})
        # number-at-risk table: counts at the tick positions, one row per group
        at = km.at(ticks * unit_days)
        for i, g in enumerate(groups):
            colour = PALETTE[i % len(PALETTE)] if n_rows > 1 else "black"
            row = at[at["group"] == g]
            y = n_rows - 1 - i
            for t, n in zip(ticks, row["n_risk"].to_numpy()):
                axr.text(t, y, f"{int(n)}", ha="center", va="center", fontsize=8.5, color=colour)
            trans = blended_transform_factory(axr.transAxes, axr.transData)
            axr.text(-0.015, y, labels[g] if n_rows > 1 else "", transform=trans, ha="right", va="center",
                     fontsize=8.5, color=colour)
        axr.set_ylim(-0.6, n_rows - 0.4)
        axr.set_title("Number at risk", loc="left", fontsize=8.5, pad=3)
        axr.tick_params(left=False, bottom=False, labelleft=False, labelbottom=False)
        for side in ("left", "bottom", "top", "right"):
            axr.spines[side].set_visible(False)
    return fig
