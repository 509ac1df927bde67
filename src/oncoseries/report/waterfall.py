"""Waterfall plot: best % change of the target-lesion sum from baseline, one bar per patient.

Bars are sorted descending (largest increase on the left), coloured by best overall response, with
dashed lines at −30% (RECIST PR) and +20% (the PD threshold over the nadir, drawn against baseline as
is customary). Patients without a measurable change are counted, not drawn. Above ``DENSE_BARS``
patients the bars are drawn edge to edge as one rasterised collection (the SVG embeds that layer as an
image); from one bar per pixel column at 300 dpi (about 1,800 patients) on, they are one image computed by
report/bar_raster.py, each pixel coloured by the bar area it covers (10^6 bars in well under a second).

``prepare(results, opts)`` computes what the figure draws (one value and category per patient; the figure
worker is sent only that, report/worker.py) and ``draw(prepared, out_dir, opts)`` draws and captions it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._layout import count, legend_columns, text_width_pt
from .bar_raster import bar_image
from .patient_rows import pack_texts, unpack_texts
from .style import BOR_COLOURS, BOR_LABELS, BOR_ORDER, WIDTHS, font_sizes, rc

DENSE_BARS = 400
RASTER_DPI = 300   # the report's PNG resolution: above one bar per pixel column at it, the bars are an image
CAP = 100.0  # bars above +100% are cut at the axis


@dataclass
class WaterfallData:
    patient_id: np.ndarray
    values: np.ndarray      # best % change, sorted descending
    bor: np.ndarray         # response category per bar
    n_missing: int          # patients without a measurable change
    cap: float = CAP

    def __getstate__(self):    # pickled compactly (the figure worker is sent 10^6 bars): categories as codes,
        codes, kinds = pd.factorize(self.bor)          # the ids as one text (report/patient_rows.py)
        return {**self.__dict__, "bor": (codes.astype(np.int8 if len(kinds) < 128 else np.int32),
                                         np.asarray(kinds, dtype=object)), "patient_id": pack_texts(self.patient_id)}

    def __setstate__(self, state):
        codes, kinds = state["bor"]
        ids = np.empty(len(state["patient_id"][1]), dtype=object)
        ids[:] = unpack_texts(state["patient_id"])
        self.__dict__.update({**state, "bor": kinds[codes], "patient_id": ids})

    @property
    def n_clipped(self) -> int:
        return int((self.values > self.cap).sum())

    @property
    def dense(self) -> bool:
        return len(self.values) > DENSE_BARS


def waterfall_data(best: pd.DataFrame, column: str = "bor", cap: float = CAP) -> WaterfallData:
    """Bars from ``best_response`` (``best_pct_change`` and the response ``column``), sorted descending;
    ties by patient_id, so the order is deterministic."""
    for c in ("patient_id", "best_pct_change", column):
        if c not in best.columns:
            raise ValueError(f"best_response has no column {c!r}; the waterfall plot needs it")
    v = pd.to_numeric(best["best_pct_change"], errors="coerce").to_numpy(float)
    ok = np.isfinite(v)
    ids = best["patient_id"].astype(str).to_numpy()[ok]
    bor = best[column].fillna("MISSING").astype(str).to_numpy()[ok]
    order = np.lexsort((ids, -v[ok]))
    return WaterfallData(ids[order], v[ok][order], bor[order], int((~ok).sum()), float(cap))


def prepare(results, opts) -> dict | None:
    """The waterfall's data from ``results`` (best responses; the headline response column): the bars and
    which response rule colours them. None when there is nothing to draw."""
    column = (results.sections.get("response") or {}).get("headline", "bor")
    best = results.derived.get("best_response")
    if best is None or best.empty or "best_pct_change" not in best.columns:
        return None
    wf = waterfall_data(best, column)
    return {"data": wf, "confirmed": column == "confirmed_bor"} if len(wf.values) else None


def draw(prepared: dict | None, out_dir, opts) -> list:
    """The waterfall figure and its FigureInfo from ``prepare``'s data (none when it found nothing)."""
    from .figures import FigureInfo, save_figure

    if prepared is None:
        return []
    wf, which = prepared["data"], "confirmed" if prepared["confirmed"] else "unconfirmed"
    fig = waterfall_figure(wf, size=opts["size"])
    png, svg, *extra = save_figure(fig, out_dir / "waterfall", dpi=opts["dpi"], formats=opts["formats"])
    cap = (f"Best percentage change from baseline in the sum of target-lesion diameters, one bar per patient "
           f"({count(len(wf.values))} patients, largest increase on the left), coloured by best overall response "
           f"(RECIST 1.1, {which}). Dashed lines: −30% (partial response) and +20% (progression threshold). "
           "A PD bar can lie below +20% when progression came from new or non-target lesions.")
    if wf.n_missing:
        cap += f" {wf.n_missing} patient(s) without a measurable change from baseline are not shown."
    if wf.n_clipped:
        cap += f" {wf.n_clipped} bar(s) above +{wf.cap:g}% are cut at the axis (value printed)."
    if wf.dense:
        cap += (" Bars are drawn edge to edge as a raster (too many patients for separate bars); a pixel shared by"
                " several bars mixes their colours in proportion.")
    return [FigureInfo("waterfall", "Waterfall plot of best tumour change", cap, png, svg, "response",
                       "waterfall", None, None, len(wf.values),
                       "Waterfall plot of the best change in target-lesion sum per patient", extra)]


def _yticks(lo: float, hi: float) -> list[float]:
    step = 20 if hi - lo <= 160 else 25 if hi - lo <= 260 else 50
    return list(np.arange(np.ceil(lo / step) * step, hi + 1e-9, step))


def waterfall_figure(data: WaterfallData, *, size: str = "double"):
    """Draw the waterfall of ``waterfall_data``; returns the Figure (axes label "waterfall"; the bars are
    ``ax.patches`` with gids ``bar-<i>`` or, when dense, one collection or (a bar or more
    per pixel column) one image with gid "bars")."""
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    from .style import pyplot
    plt = pyplot()

    base, small = font_sizes(size)
    width = WIDTHS[size]
    n = len(data.values)
    shown = np.minimum(data.values, data.cap)
    codes, kinds = pd.factorize(data.bor)                  # hashed once: a registry has 10^6 bars
    palette = [BOR_COLOURS.get(b, "#999999") for b in kinds]
    colours = np.array(palette, dtype=object)[codes]
    present = [b for b in BOR_ORDER if b in set(kinds)] + sorted(set(kinds) - set(BOR_ORDER))
    counts = pd.Series(np.bincount(codes, minlength=len(kinds)), index=kinds)
    with plt.rc_context(rc(size)):
        handles = [Patch(facecolor=BOR_COLOURS.get(b, "#999999"), edgecolor="none",
                         label=f"{BOR_LABELS.get(b, b)} ({count(counts[b])})") for b in present]
        pad = 0.05
        left = pad + (base * 1.2 + 4 + text_width_pt("−100", small) + 6.5) / 72
        ncol, legend_rows = legend_columns([h.get_label() for h in handles], (width - left - pad) * 72, small)
        right = pad + text_width_pt("+20%", small) / 72 + 0.06
        clip_h = 0.0  # room above the axes for the printed value of a cut bar (vertical text when crowded)
        if data.n_clipped:
            widest = max((f"+{v:.0f}%" for v in data.values[data.values > data.cap]), key=len)
            clip_h = (text_width_pt(widest, small * 0.9) if n > 12 else small * 1.3) / 72 + 0.08
        top = pad + (legend_rows * small * 1.7 + 0.5 * small) / 72 + clip_h
        bottom = pad + (base * 1.25 + 8) / 72
        plot_h = width * (0.42 if size == "double" else 0.55)
        height = top + plot_h + bottom
        fig = plt.figure(figsize=(width, height))
        ax = fig.add_axes([left / width, bottom / height, (width - left - right) / width, plot_h / height],
                          label="waterfall")
        hi = max(30.0, float(shown.max()) if n else 30.0) + 8
        lo = min(-40.0, float(shown.min()) if n else -40.0) - 5
        lo = max(lo, -105.0)
        px_w, px_h = round((width - left - right) * RASTER_DPI), round(plot_h * RASTER_DPI)
        if data.dense and n + 0.4 >= px_w:     # a bar or more per printed pixel: one image (bar_raster.py)
            image = bar_image(shown, codes, palette, (-0.7, n - 0.3), (lo, hi), px_w, px_h)
            ax.imshow(image, origin="lower", extent=(-0.7, n - 0.3, lo, hi), aspect="auto", interpolation="none",
                      zorder=2, gid="bars")
        elif data.dense:
            x = np.arange(n, dtype=float)
            verts = np.stack([np.column_stack([x - 0.5, np.zeros(n)]), np.column_stack([x - 0.5, shown]),
                              np.column_stack([x + 0.5, shown]), np.column_stack([x + 0.5, np.zeros(n)])], axis=1)
            coll = PolyCollection(verts, facecolors=list(colours), edgecolors="none", linewidths=0, gid="bars")
            coll.set_rasterized(True)
            ax.add_collection(coll)
        else:
            bars = ax.bar(np.arange(n), shown, width=0.8 if n > 1 else 0.5, color=list(colours), linewidth=0,
                          zorder=2)
            for i, b in enumerate(bars):
                b.set_gid(f"bar-{i}")
            flat = np.flatnonzero(np.abs(shown) < 0.75)  # a bar of ~0% would be invisible: a coloured dash
            ax.scatter(flat, np.zeros(flat.size), marker="_", s=(0.8 * (width - 1) * 72 / max(n, 1)) ** 2,
                       c=list(colours[flat]), linewidths=2.2, zorder=4, gid="flat-bars")
        for i in [] if data.dense else np.flatnonzero(data.values > data.cap):  # the value over a cut bar
            ax.text(i, data.cap + 1.5, f"+{data.values[i]:.0f}%", ha="center", va="bottom", fontsize=small * 0.9,
                    rotation=90 if n > 12 else 0, clip_on=False)
        ax.set_xlim(-0.7, n - 0.3)
        ax.set_ylim(lo, hi)
        ax.set_yticks(_yticks(lo, hi), [f"{t:+.0f}".replace("-", "\u2212") if t else "0" for t in _yticks(lo, hi)])
        ax.axhline(0, color="black", linewidth=0.7, zorder=3)
        for y, label in ((-30, "−30%"), (20, "+20%")):
            ax.axhline(y, color="#444444", linewidth=0.7, linestyle=(0, (4, 3)), zorder=3, gid=f"line{y:+d}")
            ax.text(1.005, y, label, transform=ax.get_yaxis_transform(), ha="left", va="center", fontsize=small,
                    color="#444444")
        ax.set_xticks([])
        ax.spines["bottom"].set_visible(False)
        ax.set_ylabel("Best change from baseline (%)")
        ax.set_xlabel(f"Patients (n = {count(n)}), ordered by best change")
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0 + clip_h / plot_h),
                  ncol=ncol, frameon=False, handlelength=1.0, handleheight=0.8, columnspacing=1.2,
                  borderaxespad=0.2)
    return fig
