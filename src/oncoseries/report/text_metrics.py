"""Text metrics measured once per process (issue 13: figures are most of ``oncoseries analyze``).

Matplotlib measures every text (tick labels, risk-table numbers, legends, captions) several times per
figure: for the layout, for the alignment and again when drawing, with a new renderer per ``savefig``, so
its own cache (keyed by the renderer) never serves a second figure or the SVG of the same figure. Each
measurement lays the string out with FreeType (``FT2Font.set_text``: about 40 microseconds a glyph with
matplotlib 3.11's hinted layout), which was about a fifth of the drawing time of the bundled study.

The width, height and descent of a string are a function of the string, the font properties, the
resolution, whether it is mathtext, and the rc settings that choose and hint the font: :func:`install`
wraps ``RendererAgg.get_text_width_height_descent`` and ``TextToPath.get_text_width_height_descent`` (the
SVG's measurements) with a dictionary keyed by exactly those, so every value is the one matplotlib would
compute and the files are byte-identical (tests/report/test_text_metrics.py). TeX text is not cached. The SVG's
plain-text measurements are cached without the size (``_memoised_svg``: matplotlib lays them out at one size
and scales the result).
"""

from __future__ import annotations

import matplotlib as mpl

__all__ = ["install", "clear", "MAX_ENTRIES"]

#: The cache is emptied when it holds this many strings (a figure of the bundled study measures ~100).
MAX_ENTRIES = 20_000

#: rc settings that decide which font file is used and how its glyphs are hinted and kerned.
_RC_KEYS = ("font.family", "font.serif", "font.sans-serif", "font.cursive", "font.fantasy", "font.monospace",
            "font.variant", "font.weight", "font.stretch", "font.style", "text.hinting", "text.hinting_factor",
            "text.kerning_factor", "mathtext.fontset", "mathtext.default", "mathtext.fallback", "mathtext.rm",
            "mathtext.it", "mathtext.bf", "mathtext.sf", "mathtext.tt", "mathtext.cal", "mathtext.bfit")

_cache: dict = {}
_installed = False


def _rc_state(_get=dict.get, _keys=_RC_KEYS) -> tuple:
    """The values of ``_RC_KEYS`` (None for a key this matplotlib lacks), lists as tuples. Read with
    ``dict.get``, as ``RcParams._get`` reads: ``rcParams[k]`` only adds a check of the "backend" key."""
    rc = mpl.rcParams
    return tuple([tuple(v) if type(v) is list else v for v in [_get(rc, k) for k in _keys]])


def _prop_key(prop) -> tuple:
    """What FontProperties.__hash__ hashes (family, slant, variant, weight, stretch, size, file, math family)."""
    return (tuple(prop.get_family()), prop.get_slant(), prop.get_variant(), prop.get_weight(), prop.get_stretch(),
            prop.get_size(), prop.get_file(), prop.get_math_fontfamily())


def _memoised(original, resolution):
    def get_text_width_height_descent(self, s, prop, ismath):
        if ismath == "TeX":
            return original(self, s, prop, ismath)
        key = (type(self), resolution(self), s, bool(ismath), _prop_key(prop), _rc_state())
        value = _cache.get(key)
        if value is None:
            if len(_cache) >= MAX_ENTRIES:
                _cache.clear()
            value = _cache[key] = original(self, s, prop, ismath)
        return value

    get_text_width_height_descent.__wrapped__ = original
    get_text_width_height_descent.__doc__ = original.__doc__
    return get_text_width_height_descent


def _memoised_svg(original, math):
    """TextToPath's measurement: the font is laid out at ``FONT_SCALE`` points whatever the text's size and the
    result multiplied by size / FONT_SCALE, so the layout is cached without the size (a string shown at two
    sizes is laid out once) and scaled as matplotlib scales it: (w / 64) * (size / FONT_SCALE)."""
    def get_text_width_height_descent(self, s, prop, ismath):
        if ismath:
            return math(self, s, prop, ismath)
        pk = _prop_key(prop)
        key = (TextToPath_, self.DPI, s, False, pk[:5] + pk[6:] + (self.FONT_SCALE,), _rc_state())
        unit = _cache.get(key)
        if unit is None:
            if len(_cache) >= MAX_ENTRIES:
                _cache.clear()
            at_scale = prop.copy()
            at_scale.set_size(self.FONT_SCALE)
            unit = _cache[key] = original(self, s, at_scale, ismath)     # scale 1: w / 64, h / 64, d / 64
        scale = prop.get_size_in_points() / self.FONT_SCALE
        return unit[0] * scale, unit[1] * scale, unit[2] * scale

    get_text_width_height_descent.__wrapped__ = original
    get_text_width_height_descent.__doc__ = original.__doc__
    return get_text_width_height_descent


TextToPath_ = "TextToPath at FONT_SCALE"


def install() -> None:
    """Wrap the two text measurements (once per process; harmless to call again)."""
    global _installed
    if _installed:
        return
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.textpath import TextToPath

    RendererAgg.get_text_width_height_descent = _memoised(RendererAgg.get_text_width_height_descent,
                                                          lambda r: r.dpi)
    original = TextToPath.get_text_width_height_descent
    TextToPath.get_text_width_height_descent = _memoised_svg(original, _memoised(original, lambda r: r.DPI))
    _installed = True


def clear() -> None:
    """Forget every measured string."""
    _cache.clear()
