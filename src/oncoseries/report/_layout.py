"""Small layout helpers shared by the figure modules: text widths, nice ticks, free-space search."""

from __future__ import annotations

import numpy as np

_RENDERER = None   # a RendererAgg at 72 dpi (one pixel is one point), made on first use: importing this module
                   # does not import matplotlib (the command's process never draws; report/worker.py)

#: Tick steps per display unit, smallest first (months: multiples of 3 where the range allows).
TICK_STEPS = {
    "months": [1, 2, 3, 6, 12, 24, 36, 48, 60, 120],
    "days": [7, 14, 30, 60, 90, 180, 365, 730, 1825],
    "weeks": [1, 2, 4, 8, 12, 26, 52, 104, 260],
    "years": [0.25, 0.5, 1, 2, 5, 10, 20],
}


def text_width_pt(text: str, size: float, weight: str = "normal") -> float:
    """Width of a one-line text in points, with the current rc font (no figure needed)."""
    global _RENDERER
    from matplotlib.font_manager import FontProperties

    if _RENDERER is None:
        from matplotlib.backends.backend_agg import RendererAgg

        _RENDERER = RendererAgg(100, 100, 72.0)
    lines = str(text).split("\n")
    prop = FontProperties(size=size, weight=weight)
    return max(_RENDERER.get_text_width_height_descent(s, prop, ismath=False)[0] for s in lines)


def nice_ticks(max_time: float, unit: str = "months", max_ticks: int = 10) -> np.ndarray:
    """Ticks 0, s, 2s, ... covering [0, max_time]: the smallest step of ``TICK_STEPS[unit]`` giving at
    most ``max_ticks`` ticks (months: 3, 6, 12, ... once the follow-up exceeds 8 months)."""
    if not np.isfinite(max_time) or max_time <= 0:
        return np.array([0.0])
    steps = TICK_STEPS.get(unit, [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000])
    if unit == "months" and max_time > 8:
        steps = [s for s in steps if s % 3 == 0]
    step = next((s for s in steps if max_time / s <= max_ticks - 1), None)
    if step is None:  # beyond the table: a power-of-ten multiple
        raw = max_time / (max_ticks - 1)
        mag = 10 ** np.floor(np.log10(raw))
        step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    n = int(np.floor(max_time / step + 1e-9))
    return np.arange(n + 1) * float(step)


def step_range(t: np.ndarray, y: np.ndarray, a: float, b: float) -> tuple[float, float] | None:
    """The y-range a right-continuous step curve (t ascending, t[0] = 0) covers on [a, b], drops
    included; None when the curve has ended before ``a``."""
    if len(t) == 0 or a > t[-1]:
        return None
    i0 = max(int(np.searchsorted(t, a, side="right")) - 1, 0)
    i1 = int(np.searchsorted(t, b, side="right"))
    seg = y[i0:max(i1, i0 + 1)]
    seg = seg[np.isfinite(seg)]
    if seg.size == 0:
        return None
    return float(seg.min()), float(seg.max())


def free_corner(obstacles, box_w: float, box_h: float, xlim, ylim, candidates=None,
                margin: float = 0.02) -> str | None:
    """First corner ("lower left", "upper right", ...) where a box of ``box_w`` x ``box_h`` (axes
    fractions) clears every obstacle; obstacles are callables (a, b) -> (ymin, ymax) | None in data
    units, or (x0, x1, y0, y1) rectangles. None when no corner is free."""
    x0, x1 = xlim
    y0, y1 = ylim
    candidates = candidates or ["lower left", "upper right", "lower right", "center right"]
    for c in candidates:
        fx = margin if "left" in c else 1 - margin - box_w
        if c.startswith("lower"):
            fy = margin
        elif c.startswith("upper"):
            fy = 1 - margin - box_h
        else:
            fy = 0.5 - box_h / 2
        a, b = x0 + (fx - margin) * (x1 - x0), x0 + (fx + box_w + margin) * (x1 - x0)
        lo, hi = y0 + (fy - margin) * (y1 - y0), y0 + (fy + box_h + margin) * (y1 - y0)
        clear = True
        for ob in obstacles:
            if callable(ob):
                r = ob(a, b)
                if r is not None and r[1] >= lo and r[0] <= hi:
                    clear = False
            else:
                ox0, ox1, oy0, oy1 = ob
                if ox1 >= a and ox0 <= b and oy1 >= lo and oy0 <= hi:
                    clear = False
            if not clear:
                break
        if clear:
            return c
    return None


CORNER_ANCHOR = {
    "lower left": ((0.02, 0.02), "left", "bottom"), "upper right": ((0.98, 0.98), "right", "top"),
    "lower right": ((0.98, 0.02), "right", "bottom"), "center right": ((0.98, 0.5), "right", "center"),
    "upper left": ((0.02, 0.98), "left", "top"), "center left": ((0.02, 0.5), "left", "center"),
}


def legend_columns(labels, avail_pt: float, size: float, extra_em: float = 3.4) -> tuple[int, int]:
    """Columns and rows of a legend whose entries (text plus ``extra_em`` ems for the handle, its pad
    and the column spacing) fit in ``avail_pt`` points: as many columns as fit, at least one."""
    if not labels:
        return 0, 0
    widths = [text_width_pt(x, size) + extra_em * size for x in labels]
    for ncol in range(len(labels), 0, -1):
        # matplotlib fills a legend column by column: the first len % ncol columns take one entry more
        rows, large = divmod(len(labels), ncol)
        per = [rows + 1] * large + [rows] * (ncol - large)
        bounds = np.cumsum([0] + per)
        cols = [max(widths[bounds[c]:bounds[c + 1]]) for c in range(ncol) if per[c]]
        if sum(cols) <= avail_pt or ncol == 1:
            return ncol, -(-len(labels) // ncol)
    return 1, len(labels)


def count(n) -> str:
    """Counts with a thousands separator from 10,000 on ("9999", "10,000")."""
    n = int(n)
    return f"{n:,}" if abs(n) >= 10000 else str(n)
