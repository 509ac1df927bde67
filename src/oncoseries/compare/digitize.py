"""Kaplan-Meier curves read from an image (PNG/JPEG) by colour, for ``reconstruct_ipd`` (docs/historical-control.md).

Rules:
- The axes are the longest dark horizontal line (the bottom-most of the long ones: the x axis) and the longest
  dark vertical line (the left-most: the y axis). ``x_range`` and ``y_range`` are the values printed at the
  first and last tick mark of each axis; the tick marks are found just outside the axis lines. Without tick
  marks, the ranges are taken to span the axis lines.
- A curve is the set of pixels within ``tolerance`` (RGB distance) of its colour; without ``colors`` every
  saturated colour with enough pixels is a curve. Only the connected pieces of a colour that carry the curve are
  kept (legend samples and dashed guide lines of the same colour are separate pieces and dropped).
- In each pixel column the survival is the foot of the line (its lowest pixel less half the line's thickness),
  so a drop is read at its foot (as Guyot's algorithm expects); censor ticks (which rise above the line on both
  sides) keep the level before them, and thin lines of the same colour hanging below the curve are removed by a
  running median.
- Points are returned where the level changes (and at the ends of each flat run); survival is a proportion (a
  y axis up to 100 is read as percent).
Black or grey curves cannot be told from the axes by colour; give them a colour in the figure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["digitize_km", "read_image"]


def read_image(image) -> np.ndarray:
    """An image as an (height, width, 3) uint8 RGB array (a path to a PNG/JPEG, or an array)."""
    if isinstance(image, np.ndarray):
        arr = image
    else:
        from PIL import Image, UnidentifiedImageError

        path = Path(image)
        if not path.is_file():
            raise ValueError(f"{path}: file not found (expected a PNG or JPEG image of a Kaplan-Meier plot)")
        try:
            with Image.open(path) as im:
                if im.mode in ("RGBA", "LA", "P"):
                    im = im.convert("RGBA")
                    white = Image.new("RGBA", im.size, (255, 255, 255, 255))
                    im = Image.alpha_composite(white, im)
                arr = np.asarray(im.convert("RGB"))
        except (UnidentifiedImageError, OSError) as exc:
            raise ValueError(f"{path}: not a readable image ({exc})") from None
    if arr.dtype.kind == "f":
        arr = np.round(np.clip(arr, 0, 1) * 255).astype(np.uint8)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] < 3:
        raise ValueError("the image must be RGB")
    return np.ascontiguousarray(arr[:, :, :3]).astype(np.uint8)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longest run of True along axis 1 of a 2-D mask: (length, start) per row."""
    m = np.pad(mask.astype(np.int8), ((0, 0), (1, 1)))
    d = np.diff(m, axis=1)
    best_len = np.zeros(mask.shape[0], int)
    best_start = np.zeros(mask.shape[0], int)
    rows, starts = np.nonzero(d == 1)
    _, ends = np.nonzero(d == -1)
    if rows.size:
        lengths = ends - starts
        order = np.lexsort((lengths, rows))
        rows, starts, lengths = rows[order], starts[order], lengths[order]
        last = np.r_[rows[1:] != rows[:-1], True]
        best_len[rows[last]] = lengths[last]
        best_start[rows[last]] = starts[last]
    return best_len, best_start


def _band(lengths: np.ndarray, pick_last: bool) -> tuple[int, int]:
    """The rows (or columns) of the axis line: the last (or first) band of lines at least half the longest."""
    long = lengths >= 0.5 * lengths.max()
    idx = np.nonzero(long)[0]
    end = idx[-1] if pick_last else idx[0]
    lo = hi = end
    step = -1 if pick_last else 1
    while 0 <= lo + step < lengths.size and long[lo + step]:
        lo += step
    return (min(lo, hi), max(lo, hi))


def _tick_centres(strip: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Centres of the groups of dark positions in a 1-D strip between lo and hi."""
    pos = np.nonzero(strip[lo:hi + 1])[0] + lo
    if pos.size == 0:
        return pos.astype(float)
    groups = np.split(pos, np.nonzero(np.diff(pos) > 1)[0] + 1)
    return np.array([g.mean() for g in groups if g.size <= 0.05 * (hi - lo + 1) + 2])


def _axes(rgb: np.ndarray):
    a = rgb.astype(int)
    dark = (a.max(axis=2) < 110) & (a.max(axis=2) - a.min(axis=2) < 40)
    h, w = dark.shape
    row_len, row_start = _runs(dark)
    col_len, col_start = _runs(dark.T)
    if row_len.max() < 0.2 * w or col_len.max() < 0.2 * h:
        raise ValueError("no axis lines found (expected a dark x axis and y axis, as in a Kaplan-Meier plot)")
    r0, r1 = _band(row_len, pick_last=True)            # x axis rows
    c0, c1 = _band(col_len, pick_last=False)           # y axis columns
    x_left = c0
    x_right = int(row_start[r1] + row_len[r1] - 1)
    y_top = int(col_start[c0])
    gap = max(2, r1 - r0 + 2)
    # tick marks: the row (column) just outside the axis with the most marks (a curve drawn over the axis end
    # can hide a mark in the row nearest to it); inside the axes when there are none outside
    def best(lines, strip, lo, hi):
        found = [_tick_centres(strip(i), lo, hi) for i in lines if 0 <= i < (h if strip is row else w)]
        return max(found, key=len, default=np.array([]))

    def row(i):
        return dark[i]

    def col(i):
        return dark[:, i]

    xt = best(range(r1 + gap, r1 + gap + 5), row, max(0, x_left - 2), w - 1)
    if xt.size < 2:
        xt = best(range(r0 - gap - 4, r0 - gap + 1), row, max(0, x_left - 2), w - 1)
    yt = best(range(c0 - gap - 4, c0 - gap + 1), col, 0, min(h - 1, r1 + 2))
    if yt.size < 2:
        yt = best(range(c1 + gap, c1 + gap + 5), col, 0, min(h - 1, r1 + 2))
    xpix = (xt[0], xt[-1]) if xt.size >= 2 else ((c0 + c1) / 2, float(x_right))
    ypix = (yt[-1], yt[0]) if yt.size >= 2 else ((r0 + r1) / 2, float(y_top))   # (bottom, top)
    return {"rows": (int(min(y_top, ypix[1])), r0), "cols": (c1 + 1, x_right), "xpix": xpix, "ypix": ypix,
            "dark": dark}


def _colour(value) -> np.ndarray:
    from matplotlib.colors import to_rgb

    try:
        return np.array(to_rgb(value)) * 255
    except ValueError:
        raise ValueError(f"{value!r} is not a colour (expected a name like 'tab:blue' or '#0072B2')") from None


def _auto_colours(px: np.ndarray, tolerance: float) -> list[np.ndarray]:
    a = px.astype(int)
    sat = (a.max(axis=1) - a.min(axis=1) > 80) & (a.min(axis=1) < 200)
    cand = px[sat].astype(float)
    out = []
    first = None
    while cand.shape[0]:
        q = np.round(cand / 16).astype(int)
        keys, counts = np.unique(q[:, 0] * 10_000 + q[:, 1] * 100 + q[:, 2], return_counts=True)
        top = keys[np.argmax(counts)]
        centre = np.array([top // 10_000, (top // 100) % 100, top % 100]) * 16.0
        near = np.linalg.norm(cand - centre, axis=1) < tolerance
        count = int(near.sum())
        first = first or count
        if count < max(40, 0.05 * first):
            break
        out.append(np.median(cand[near], axis=0))
        cand = cand[~near]
    return out


def _keep_curve(mask: np.ndarray) -> np.ndarray:
    """The largest connected piece of a colour plus the pieces beside it in x (a curve is cut where another is
    drawn over it); legend samples and dashes overlap a kept piece's span and are dropped."""
    from scipy import ndimage

    lab, n = ndimage.label(mask, structure=np.ones((3, 3), int))
    if n <= 1:
        return mask
    sizes = np.bincount(lab.ravel())[1:]
    slices = ndimage.find_objects(lab)
    order = np.argsort(-sizes)
    keep = [order[0]]
    spans = [(slices[order[0]][1].start, slices[order[0]][1].stop)]
    slack = 3
    for i in order[1:]:
        if sizes[i] < 8:
            break
        s = slices[i][1]
        if all(s.start >= hi - slack or s.stop <= lo + slack for lo, hi in spans):
            keep.append(i)
            spans.append((s.start, s.stop))
    return np.isin(lab, np.array(keep) + 1)


def _levels(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(columns, survival row) of a curve mask: per column the foot of the line (its lowest pixel less half the
    line's thickness), so that a drop is read at its foot. A censor tick rises above the line on both sides, so a
    column whose top is well above the tops to its left and to its right keeps the level before it; thin guide
    lines hanging below the curve (a dashed median line) are removed by a running median as wide as the line."""
    h = mask.shape[0]
    has = mask.any(axis=0)
    cols = np.nonzero(has)[0]
    top = np.argmax(mask, axis=0).astype(float)[cols]
    bottom = (h - 1 - np.argmax(mask[::-1], axis=0)).astype(float)[cols]
    thick = float(np.median(bottom - top + 1))
    win = int(np.ceil(3 * thick))
    pad = np.full(win, -np.inf)
    tp = np.r_[pad, top, pad]
    idx = np.arange(cols.size)[:, None] + np.arange(win)[None, :]
    left = tp[idx].max(axis=1)                 # the lowest top among the win columns to the left
    right = tp[idx + win + 1].max(axis=1)      # ... and to the right
    tick = (top < left - 0.5 * thick) & (top < right - 0.5 * thick)
    level = np.where(tick, np.nan, bottom - (thick - 1) / 2.0)
    level = pd.Series(level).ffill().bfill().to_numpy()
    k = int(2 * np.ceil(thick) + 1)
    level = pd.Series(level).rolling(k, center=True, min_periods=1).median().to_numpy()
    return cols, level


def digitize_km(image, x_range, y_range, colors=None, tolerance: float = 60.0) -> pd.DataFrame:
    """Points (``curve``, ``time``, ``survival``) of the Kaplan-Meier curves in an image, found by colour.

    Parameters
    ----------
    image : path or array
        PNG or JPEG of the plot (or an RGB array).
    x_range, y_range : (float, float)
        Values at the first and last tick mark of the x axis and of the y axis (e.g. (0, 60) and (0, 1) or
        (0, 100)).
    colors : list of colours, optional
        One per curve ('tab:blue', '#D55E00', (0, 0.45, 0.7)); default: every saturated colour found.
    tolerance : float
        RGB distance (0-441) within which a pixel belongs to a colour.
    """
    x0, x1 = _pair(x_range, "x_range")
    y0, y1 = _pair(y_range, "y_range")
    rgb = read_image(image)
    ax = _axes(rgb)
    (top, bottom), (left, right) = ax["rows"], ax["cols"]
    top = max(0, top - 3)
    crop = rgb[top:bottom, left:right + 3].astype(float)
    if crop.size == 0:
        raise ValueError("the plot area between the axes is empty")
    name = str(image) if not isinstance(image, np.ndarray) else "the image"
    if colors is None:
        targets = _auto_colours(crop.reshape(-1, 3), tolerance)
        if not targets:
            raise ValueError(f"{name}: no coloured curve found between the axes (black or grey curves need a "
                             "colour; give colors=...)")
        names = ["#%02x%02x%02x" % tuple(int(round(v)) for v in c) for c in targets]
    else:
        colors = [colors] if isinstance(colors, str) else list(colors)
        targets = [_colour(c) for c in colors]
        names = [c if isinstance(c, str) else "#%02x%02x%02x" % tuple(int(round(v)) for v in _colour(c))
                 for c in colors]
    (xp0, xp1), (yp0, yp1) = ax["xpix"], ax["ypix"]
    frames = []
    for label, target in zip(names, targets):
        mask = np.linalg.norm(crop - target, axis=2) < tolerance
        if mask.sum() < 20:
            raise ValueError(f"{name}: no curve of colour {label} found between the axes")
        cols, rows = _levels(_keep_curve(mask))
        if cols.size < 2:
            raise ValueError(f"{name}: the curve of colour {label} has fewer than 2 readable columns")
        t = x0 + (cols + left - xp0) / (xp1 - xp0) * (x1 - x0)
        s = y0 + (yp0 - (rows + top)) / (yp0 - yp1) * (y1 - y0)
        keep = np.r_[True, np.abs(np.diff(rows)) > 0.5]          # where the level changes ...
        keep |= np.r_[np.abs(np.diff(rows)) > 0.5, True]         # ... and the end of each flat run
        frames.append(pd.DataFrame({"curve": label, "time": np.maximum(t[keep], 0.0), "survival": s[keep]}))
    out = pd.concat(frames, ignore_index=True)
    if y1 > 1.5:
        out["survival"] = out["survival"] / 100.0
    out["survival"] = out["survival"].clip(0.0, 1.0)
    return out


def _pair(value, name: str) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be two numbers (first and last tick), got {value!r}") from None
    if not (np.isfinite(a) and np.isfinite(b)) or b <= a:
        raise ValueError(f"{name} must be two increasing numbers, got {value!r}")
    return a, b
