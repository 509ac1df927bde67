"""Thousands of edge-to-edge bars as one image, computed with numpy (the waterfall of a registry).

Above a few thousand patients a waterfall has several bars per printed pixel; drawing 10^5-10^6 polygons
twice (PNG and SVG) costs seconds to minutes and shows nothing more. :func:`bar_image` gives, for each pixel
of a ``width`` x ``height`` grid over the axes' data limits, the area of the pixel that each bar colour
covers (what an anti-aliased renderer computes for the same polygons, here exactly and in one pass):

- bar i spans x in [i - 0.5, i + 0.5] and y between 0 and its value; with at least one bar per pixel column
  (the only case this is used for) a bar overlaps at most two columns, its width split between them;
- the covered fraction of pixel row r by the interval [A, B] (in row units) is
  g_r(B) - g_r(A) with g_r(P) = clip(P - r, 0, 1), and the sum of g_r over bars is the number of bars with
  P >= r + 1 plus the fractional parts of those with r <= P < r + 1 (two bincounts and a suffix sum);
- the pixel's colour is the coverage-weighted mean of the bar colours, its opacity the covered fraction
  (bars never overlap, so the fractions add up to at most 1).
"""

from __future__ import annotations

import numpy as np

__all__ = ["bar_image"]


def _row_sums(p: np.ndarray, cols: np.ndarray, weight: np.ndarray, width: int, height: int) -> np.ndarray:
    """For every (column, row): the sum over bars of weight * clip(p - row, 0, 1); ``p`` in row units."""
    p = np.clip(p, 0.0, float(height))
    fl = np.minimum(np.floor(p).astype(np.int64), height)
    flat = cols * (height + 1) + fl
    size = width * (height + 1)
    count = np.bincount(flat, weights=weight, minlength=size).reshape(width, height + 1)
    frac = np.bincount(flat, weights=weight * (p - fl), minlength=size).reshape(width, height + 1)
    at_least = np.cumsum(count[:, ::-1], axis=1)[:, ::-1]         # [r]: weight of bars with floor(p) >= r
    return at_least[:, 1:] + frac[:, :height]


def bar_image(values: np.ndarray, codes: np.ndarray, palette, xlim: tuple[float, float],
              ylim: tuple[float, float], width: int, height: int) -> np.ndarray:
    """RGBA image (``height`` x ``width`` x 4, float, row 0 at ``ylim[0]``) of bars ``values`` at x = 0..n-1,
    bar i in colour ``palette[codes[i]]`` (matplotlib colours); ``xlim``/``ylim``: the data range covered."""
    from matplotlib.colors import to_rgb

    values = np.asarray(values, float)
    n = values.size
    x0, x1 = map(float, xlim)
    lo, hi = map(float, ylim)
    dx, dy = (x1 - x0) / width, (hi - lo) / height
    if n and dx < 1.0:
        raise ValueError("bar_image needs at least one bar per pixel column")
    left = (np.arange(n) - 0.5 - x0) / dx                          # bar edges in column units
    col = np.floor(left).astype(np.int64)
    w_left = np.minimum(1.0, (col + 1 - left) * dx)                # bar width inside its first column
    a = (np.minimum(values, 0.0) - lo) / dy
    b = (np.maximum(values, 0.0) - lo) / dy
    codes = np.asarray(codes, dtype=np.int64)
    rgb = np.array([to_rgb(c) for c in palette]).reshape(-1, 3)
    fracs = np.zeros((len(rgb), width, height), np.float32)        # covered area per colour and pixel
    for k in range(len(rgb)):
        sel = codes == k
        c, wl, ak, bk = col[sel], w_left[sel], a[sel], b[sel]
        for cols, w in ((c, wl), (c + 1, 1.0 - wl)):               # the two columns a bar may touch
            inside = (cols >= 0) & (cols < width) & (w > 0)
            if inside.any():
                cc, ww = cols[inside], w[inside]
                fracs[k] += _row_sums(bk[inside], cc, ww, width, height) - _row_sums(ak[inside], cc, ww, width, height)
    np.clip(fracs / np.float32(dx), 0.0, 1.0, out=fracs)
    fracs[fracs < 1e-6] = 0.0                                      # rounding left by g(B) - g(A)
    cover = fracs.sum(axis=0)
    paint = np.tensordot(rgb.T.astype(np.float32), fracs, axes=1)  # (3, width, height)
    image = np.zeros((height, width, 4), np.float32)
    seen = cover > 0
    image[:, :, :3] = np.where(seen, paint / np.where(seen, cover, 1.0), 0.0).transpose(2, 1, 0)
    image[:, :, 3] = np.minimum(cover, 1.0).T
    return image
