"""Kaplan-Meier figure with a number-at-risk table aligned to the x ticks.

Conventions (docs/figures.md): curves go down from 100% (Pocock, Clayton & Altman, Lancet 2002);
censored patients are ticks; the number at risk is printed under each x tick from ``km.at(times)``
(patients with time >= t, as R's ``summary(survfit, times=)``), in a second axes sharing the x axis,
so a column can never drift from its tick (reporting-ux.md §2.1). The optional KMunicate table
(Morris et al., BMJ Open 2019) adds cumulative censored and event counts. A median guide line is
drawn only for a group whose curve reaches 50% (never for "not reached", §2.8).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.transforms import blended_transform_factory, offset_copy

from ._layout import CORNER_ANCHOR, count, free_corner, legend_columns, step_range, text_width_pt
from .axis import AxisCut, km_cut, time_breaks
from .style import PALETTE, WIDTHS, font_sizes, rc, pyplot

plt = pyplot()   # matplotlib with the Agg backend and cached text measurements (style.pyplot)

#: Censor marks closer than 1/MAX_CENSOR_MARKS of the x range are drawn once (they would overlap).
MAX_CENSOR_MARKS = 100
RISK_TABLES = ("simple", "events", "kmunicate")


def risk_ticks(max_time: float, unit: str = "months", risk_times=None) -> np.ndarray:
    """Risk-table times in display units: ``risk_times`` if given (those within the follow-up),
    else the axis breaks (``axis.time_breaks``: months every 3, 6 or 12 by range)."""
    if risk_times is not None:
        t = np.unique(np.asarray([float(x) for x in risk_times], dtype=float))
        if t.size == 0 or not np.isfinite(t).all() or (t < 0).any():
            raise ValueError(f"risk_times must be non-negative finite numbers; got {risk_times!r}")
        return t[t <= max_time + 1e-9] if (t <= max_time + 1e-9).any() else t[:1]
    return time_breaks(max_time, unit)


def risk_table_data(km, times, unit_days: float = 30.4375) -> pd.DataFrame:
    """Numbers at risk and cumulative events / censored at ``times`` (display units) per group:
    columns ``group, time, n_risk, n_event, n_censor`` (the figure's table as data)."""
    days = np.asarray(times, float) * unit_days
    if getattr(km, "has_entry", False):  # late entry: at time 0, those entered at 0 are at risk just after it
        days = np.where(days <= 0, 1e-9, days)
    at = km.at(days)
    at = at.assign(time=np.tile(np.asarray(times, float), len(km.groups)))
    return at[["group", "time", "n_risk", "n_event", "n_censor"]].reset_index(drop=True)


def at_risk_cutoff(km, min_at_risk: int) -> float:
    """The last step time (days) at which at least ``min_at_risk`` patients, all groups together, are
    still at risk; the first time when even the start has fewer."""
    cut = km_cut(km, AxisCut(None, int(min_at_risk)))
    return float(km.table["time"].max()) if cut is None else cut


def _cell(row, mode: str) -> list[str]:
    if mode == "simple":
        return [count(row.n_risk)]
    if mode == "events":
        return [f"{count(row.n_risk)} ({count(row.n_event)})"]
    return [count(row.n_risk), count(row.n_censor), count(row.n_event)]


def _censor_points(t: np.ndarray, s: np.ndarray, span: float, max_marks: int):
    """One mark per 1/max_marks of the x range (vectorised thinning; the first mark in each bin)."""
    if t.size <= max_marks or span <= 0:
        return t, s, False
    _, first = np.unique(np.floor(t / (span / max_marks)), return_index=True)
    return t[first], s[first], True


def km_figure(km, *, unit_days: float = 30.4375, unit_label: str = "months",
              ylabel: str = "Survival probability", risk_times=None, show_ci: bool = True,
              show_median: bool = True, annotation: str | None = None,
              group_labels: dict[str, str] | None = None, max_time: float | None = None,
              title: str | None = None, size: str = "double", risk_table: str = "simple",
              max_censor_marks: int = MAX_CENSOR_MARKS, legend_title: str | None = None,
              risk_title: str | None = None, xlabel: str | None = None, min_at_risk: int | None = None,
              single_label: str = "All patients", axis_cut: AxisCut | None = None):
    """Draw a Kaplan-Meier figure from a ``kaplan_meier`` result (times in days, axis in ``unit_label``).

    Parameters
    ----------
    km : KaplanMeierResult
    unit_days : float
        Days per display unit (a month is 30.4375 days).
    risk_times : sequence of float, optional
        Times (display units) of the risk-table columns and x ticks; default nice multiples.
    show_ci : bool
        Shade the pointwise CI band of each curve (the fit's own conf_type and level).
    show_median : bool
        Dashed guide to the median where the curve reaches 50%; none where it is not reached.
    annotation : str, optional
        Text (e.g. log-rank P, HR) placed in a corner the curves leave free, else above the plot.
    group_labels : dict, optional
        Display label per group level (legend and risk-table rows).
    single_label : str
        Risk-table row label of a single curve (e.g. "Responders" for DOR).
    max_time : float, optional
        Cut the x axis here (display units); default the last follow-up.
    min_at_risk : int, optional
        Cut the x axis where fewer than this many patients (all groups together) remain at risk
        (Pocock, Clayton & Altman 2002: the tail of a curve with few patients left is unreliable).
    axis_cut : AxisCut, optional
        Cut the x axis where fewer than a fraction of the patients or fewer than a number remain at
        risk, whichever comes first (``axis.AxisCut``; the report's default is 10% or 5 patients).
    size : {"double", "single"}
        Print width 7 or 3.5 inches; fonts are at their printed size.
    risk_table : {"simple", "events", "kmunicate"}
        Numbers at risk; "n (cumulative events)"; or KMunicate rows at risk / censored / events.

    Returns
    -------
    matplotlib.figure.Figure
        Axes 0 (label "km") holds the curves, axes 1 (label "risk_table") the table. Artists carry
        gids: ``curve-i``, ``ci-i``, ``censor-i``, ``median-i``, ``risk-i-j`` (group i, column j).
    """
    if risk_table not in RISK_TABLES:
        raise ValueError(f"risk_table must be one of {', '.join(RISK_TABLES)}; got {risk_table!r}")
    if risk_title is None:
        risk_title = "Number at risk (cumulative events)" if risk_table == "events" else "Number at risk"
    tab = km.table
    groups = list(km.groups)
    n_groups = len(groups)
    labels = {g: (group_labels or {}).get(g, g) for g in groups}
    if n_groups == 1 and not group_labels:
        labels = {groups[0]: single_label}
    legend_names = dict(labels)
    if legend_title:
        legend_title = _wrap(legend_title, WIDTHS[size] * 72 * 0.6, font_sizes(size)[1], "bold")
    base, small = font_sizes(size)
    with plt.rc_context(rc(size)):  # risk-table labels at most a third of the width (the legend keeps them whole)
        labels = {g: _shorten(x, WIDTHS[size] * 72 / 3, small) for g, x in labels.items()}
    last = float(tab["time"].max()) / unit_days if len(tab) else 1.0
    max_time = float(max_time) if max_time is not None else last
    if min_at_risk is not None:
        max_time = min(max_time, at_risk_cutoff(km, int(min_at_risk)) / unit_days)
    cut = km_cut(km, axis_cut)
    if cut is not None:
        max_time = min(max_time, cut / unit_days)
    ticks = risk_ticks(max_time, unit_label, risk_times)
    xmax = max(max_time, float(ticks[-1]) if ticks.size else 0.0) or 1.0
    base, small = font_sizes(size)
    width = WIDTHS[size]
    sub = ["At risk", "Censored", "Events"] if risk_table == "kmunicate" else [None]
    header_rows = n_groups if (risk_table == "kmunicate" and n_groups > 1) else 0
    n_rows = n_groups * len(sub) + header_rows + 1  # + the title row
    with plt.rc_context(rc(size)):
        for max_ticks in (8, 6, 5, 4, 3, None):  # fewer columns until the widest counts clear each other
            data = risk_table_data(km, ticks, unit_days)
            rows, cells, gap = _table_rows(data, groups, labels, risk_table, sub, ticks, small)
            # the title has a row of its own and may run on over the columns: only row labels count
            label_w = max(text_width_pt(r[0], small, "bold" if r[2] else "normal") for r in rows)
            if max_ticks is None or risk_times is not None or len(ticks) < 3:
                break
            left, right = _margins(base, small, label_w + gap, ticks, cells)
            col_pt = (width - left - right) * 72 * (ticks[1] - ticks[0]) / (xmax * 1.02)
            widest = max(text_width_pt(x, small) for c in cells.values() for col in c for x in col)
            if col_pt >= widest + 0.8 * small:
                break
            ticks = time_breaks(max_time, unit_label, max_ticks)
            xmax = max(max_time, float(ticks[-1])) or 1.0
        legend_labels = [f"{legend_names[g]} (n={count(n)}, {count(e)} event{'' if int(e) == 1 else 's'})"
                         for g, n, e in km.medians[["group", "n", "events"]].itertuples(index=False)]
        fig, ax, axr, ncol = _axes(width, size, base, small, n_rows, label_w + gap,
                                   legend_labels if n_groups > 1 else [],
                                   legend_title.count("\n") + 1 + (title is not None) if legend_title else
                                   (title is not None), ticks, cells)
        colours = [PALETTE[i % len(PALETTE)] for i in range(n_groups)]
        medians = km.medians.set_index("group")
        obstacles, handles = [], []
        for i, g in enumerate(groups):
            d = tab[tab["group"] == g]
            keep = d["time"].to_numpy() / unit_days <= max_time + 1e-9
            t = np.concatenate(([0.0], d["time"].to_numpy()[keep] / unit_days))
            s = np.concatenate(([1.0], d["survival"].to_numpy()[keep]))
            if not keep.all():  # cut at max_time: the curve runs on to the edge
                t, s = np.append(t, max_time), np.append(s, s[-1])
            m = medians.loc[g]
            legend = legend_labels[i]
            (line,) = ax.step(t, s, where="post", color=colours[i], label=legend, zorder=3, clip_on=False,
                              gid=f"curve-{i}")
            handles.append(line)
            obstacles.append(lambda a, b, t=t, s=s: step_range(t, s, a, b))
            if show_ci:
                lo = np.concatenate(([1.0], np.nan_to_num(d["lower"].to_numpy()[keep], nan=0.0)))
                hi = np.concatenate(([1.0], np.nan_to_num(d["upper"].to_numpy()[keep], nan=1.0)))
                if not keep.all():
                    lo, hi = np.append(lo, lo[-1]), np.append(hi, hi[-1])
                ax.fill_between(t, lo, hi, step="post", color=colours[i], alpha=0.15, linewidth=0,
                                zorder=1, gid=f"ci-{i}")
                obstacles.append(lambda a, b, t=t, lo=lo: step_range(t, lo, a, b))
                obstacles.append(lambda a, b, t=t, hi=hi: step_range(t, hi, a, b))
            cens = d[(d["n_censor"] > 0).to_numpy() & keep]
            ct, cs, _ = _censor_points(cens["time"].to_numpy() / unit_days, cens["survival"].to_numpy(),
                                       xmax, max_censor_marks)
            ax.plot(ct, cs, linestyle="none", marker="|", markersize=base * 0.75,
                    markeredgewidth=plt.rcParams["lines.linewidth"] * 0.8, color=colours[i], zorder=4,
                    clip_on=False, gid=f"censor-{i}")
            if show_median and np.isfinite(m["median"]) and m["median"] / unit_days <= max_time:
                x = m["median"] / unit_days
                ax.plot([0, x, x], [0.5, 0.5, 0], linestyle=(0, (3, 2)), linewidth=0.7, color=colours[i],
                        zorder=2, gid=f"median-{i}")
                obstacles += [(0, x, 0.5, 0.5), (x, x, 0, 0.5)]
        ax.set_ylim(0, 1.0)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
        ax.set_xlim(0, xmax * 1.02)
        ax.set_xticks(ticks, [f"{x:g}" for x in ticks])
        ax.set_xlabel(xlabel or f"Time since start ({unit_label})")
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", color="#e8e8e8", linewidth=0.5, zorder=0)
        if title:  # top left of the figure, above the legend (the top margin has a row for it)
            fig.text(ax.get_position().x0, 1 - 0.05 / fig.get_size_inches()[1], title, ha="left", va="top",
                     fontsize=base + 1, fontweight="bold", gid="title")
        if n_groups > 1:
            ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.02), ncol=ncol, frameon=False,
                      handlelength=1.8, borderaxespad=0.2, columnspacing=1.4, title=legend_title,
                      alignment="left", title_fontproperties={"size": small, "weight": "bold"})
        if annotation:
            _annotate(fig, ax, annotation, obstacles, small)
        _risk_table(fig, axr, rows, cells, colours, ticks, sub, small, gap, label_w, risk_title)
    return fig


def _wrap(text: str, max_pt: float, size: float, weight: str = "normal") -> str:
    """``text`` broken between words into lines at most ``max_pt`` points wide."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width_pt(f"{lines[-1]} {word}", size, weight) <= max_pt:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


def _shorten(text: str, max_pt: float, size: float) -> str:
    """``text`` cut with an ellipsis to at most ``max_pt`` points wide."""
    if text_width_pt(text, size) <= max_pt:
        return text
    while len(text) > 4 and text_width_pt(text + "\u2026", size) > max_pt:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def _margins(base, small, label_pt, ticks, cells, pad=0.05) -> tuple[float, float]:
    """Left margin (inches) fitting the y-axis label and ticks and the risk-table labels; right margin
    fitting half of the last column's widest count."""
    tick = (3.0 + 3.5) / 72
    ytick_w = text_width_pt("100%", small) / 72
    left = max(pad + base * 1.2 / 72 + 4 / 72 + ytick_w + tick, pad + label_pt / 72)
    last_w = max([text_width_pt(f"{ticks[-1]:g}", small)] +
                 [text_width_pt(x, small) for c in cells.values() for x in c[-1]]) / 72 if len(ticks) else 0.1
    return left, pad + max(last_w / 2, 0.05)


def _axes(width, size, base, small, n_rows, label_pt, legend_labels, extra_rows, ticks, cells):
    """Fixed layout in inches (no layout engine): the left margin fits both the y-axis labels and the
    risk-table labels, so both axes share the same left edge; the right margin fits the last count."""
    pad = 0.05
    tick = (3.0 + 3.5) / 72
    left, right = _margins(base, small, label_pt, ticks, cells)
    plot_w = width - left - right
    ncol, legend_rows = legend_columns(legend_labels, (plot_w + right - pad) * 72, small, 4.2)
    plot_h = width * (0.48 if size == "double" else 0.6)
    top = pad + (0.7 * small + legend_rows * small * 1.7 + (0.4 * small if legend_rows else 0)
                 + extra_rows * base * 1.6) / 72  # half a tick label above 100%, then the legend
    below = tick + (small * 1.25 + 4 + base * 1.25) / 72 + 0.1
    table_h = n_rows * small * 1.6 / 72
    height = top + plot_h + below + table_h + pad
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes([left / width, (pad + table_h + below) / height, plot_w / width, plot_h / height], label="km")
    axr = fig.add_axes([left / width, pad / height, plot_w / width, table_h / height], sharex=ax,
                       label="risk_table")
    return fig, ax, axr, ncol


def _annotate(fig, ax, text, obstacles, small):
    """In the first corner the curves, bands and median lines leave free; else above the axes."""
    bbox = ax.get_window_extent()
    lines = text.split("\n")
    w_pt = max(text_width_pt(x, small) for x in lines) + 2 * 0.35 * small + 2
    h_pt = len(lines) * small * 1.25 + 2 * 0.35 * small + 2
    px = fig.dpi / 72
    corner = free_corner(obstacles, w_pt * px / bbox.width, h_pt * px / bbox.height, ax.get_xlim(), ax.get_ylim())
    box = {"boxstyle": "round,pad=0.35", "facecolor": "white", "edgecolor": "#bbbbbb", "linewidth": 0.5}
    if corner is not None:
        (x, y), ha, va = CORNER_ANCHOR[corner]
        t = ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=small, bbox=box, zorder=6,
                    gid="annotation")
        t.set_in_layout(False)
    else:  # above the plot and its legend: the figure grows by the text's height
        leg = ax.get_legend()
        grow = h_pt / 72 + 0.03
        w_in, h_in = fig.get_size_inches()
        for a in fig.axes:
            x0, y0, w, h = a.get_position().bounds
            a.set_position([x0, y0 * h_in / (h_in + grow), w, h * h_in / (h_in + grow)])
        fig.set_size_inches(w_in, h_in + grow)
        bbox = ax.get_window_extent()
        y = 1.02 if leg is None else 1.02 + leg.get_window_extent(fig.canvas.get_renderer()).height / bbox.height
        # from the axes' left edge, moved left (not past the figure's margin) when it would run off the right
        room = fig.bbox.width - 0.05 * fig.dpi - bbox.x0
        x = 0.0 if w_pt * px <= room else max(0.05 * fig.dpi - bbox.x0, room - w_pt * px) / bbox.width
        t = ax.text(x, y, text, transform=ax.transAxes, ha="left", va="bottom", fontsize=small,
                    gid="annotation")
        t.set_in_layout(False)


def _table_rows(data, groups, labels, mode, sub, ticks, small):
    """Row specs (label, colour-index or None, bold, group i, sub-row j), cell texts per group, and the
    gap between the labels and the first column (half the widest first count plus an em)."""
    multi = len(groups) > 1
    rows = []
    for i, g in enumerate(groups):
        if mode == "kmunicate":
            if multi:
                rows.append((labels[g], i, True, None, None))
            rows += [(name, i if multi else None, False, i, j) for j, name in enumerate(sub)]
        else:
            rows.append((labels[g], i if multi else None, False, i, 0))
    cells, widest_first = {}, 0.0
    for i, g in enumerate(groups):
        d = data[data["group"] == g]
        cells[i] = [_cell(r, mode) for r in d.itertuples()]
        if len(d) and ticks[0] <= 1e-9:
            widest_first = max(widest_first, max(text_width_pt(c, small) for c in cells[i][0]))
    return rows, cells, widest_first / 2 + 0.9 * small


def _risk_table(fig, axr, rows, cells, colours, ticks, sub, small, gap, label_w, title):
    """Counts centred under each tick; labels right-aligned a clear em before the first count."""
    n_rows = len(rows) + 1
    trans = blended_transform_factory(axr.transAxes, axr.transData)
    label_trans = offset_copy(trans, fig=fig, x=-gap, units="points")
    title_trans = offset_copy(trans, fig=fig, x=-gap - label_w, units="points")
    axr.text(0, n_rows - 1, title, transform=title_trans, ha="left", va="center", fontsize=small,
             fontweight="bold", gid="risk-title")
    for k, (label, ci, bold, i, j) in enumerate(rows):
        y = n_rows - 2 - k
        colour = "black" if ci is None else colours[ci]
        axr.text(0, y, label, transform=label_trans, ha="right", va="center", fontsize=small, color=colour,
                 fontweight="bold" if bold else "normal", gid=f"risk-label-{k}")
        if i is None:
            continue
        for c, (x, cell) in enumerate(zip(ticks, cells[i])):
            gid = f"risk-{i}-{c}" if j == 0 else f"risk-{i}-{c}-{sub[j].lower()}"
            axr.text(x, y, cell[j], ha="center", va="center", fontsize=small, color=colour, gid=gid)
    axr.set_ylim(-0.5, n_rows - 0.5)
    axr.tick_params(left=False, bottom=False, labelleft=False, labelbottom=False)
    for side in ("left", "bottom", "top", "right"):
        axr.spines[side].set_visible(False)
    axr.patch.set_visible(False)
