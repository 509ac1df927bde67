"""Six costs of matplotlib 3.11's drawing removed, each giving the same objects and the same bytes.

Installed once per process by :func:`install` (from ``style.pyplot``, after matplotlib is imported), only for
the matplotlib minor version they were written against (``MATPLOTLIB_VERSION``); with another version nothing is
patched and matplotlib behaves as shipped. tests/report/test_mpl_patches.py checks each against matplotlib's own.

1. **Fonts read from memory.** ``FT2Font`` reads its font file through a Python file object: every FreeType
   stream access (each glyph laid out or rendered) is a Python ``seek`` and ``read``, i.e. an ``lseek`` and a
   ``read`` system call (176,000 and 83,000 in one ``oncoseries analyze``). ``font_manager._get_font`` is
   replaced by a copy that gives ``FT2Font`` an ``io.BytesIO`` of the file's bytes, read once per process.
   FreeType sees the same bytes, so glyphs and metrics are the same. The copy's cache is not emptied at
   ``fork`` (matplotlib empties its own because a file object's offset is shared with the parent; a
   ``BytesIO`` is the process's own memory): a drawer forked from a warm process keeps its fonts, with the
   auto-hinter's per-face globals already computed. Such a font's ``fname`` is the ``BytesIO``, not a path;
   the PDF backend embeds the font from ``fname``, so PDF files are written inside :func:`font_files`, which
   puts matplotlib's own ``_get_font`` back for the duration.
2. **Line metrics of a font read once.** ``Text._get_layout`` reads the font's "OS/2" and "head" tables
   (``FT2Font.get_sfnt_table``, which builds a new dict each time) for every text laid out: 5,800 calls in the
   bundled study's figures. ``matplotlib.text.get_font`` (used there and nowhere else in that module) is
   replaced by a function returning, per font file list, an object whose ``get_sfnt_table`` returns the
   tables read once from that font (the values are those of the font file, which does not change).
3. **Tick markers copied without ``deepcopy``.** A new tick copies the first tick's lines
   (``Axis._copy_tick_props`` -> ``Line2D.update_from`` -> ``MarkerStyle(other_marker)``), and
   ``MarkerStyle._set_marker`` deep-copies the other marker's ``__dict__`` (about 50 nested copies: paths,
   transforms, a bound method and through it the marker again). For a marker made from a named marker
   (``"o"``, ``TICKDOWN``, ``""``) with no user transform, the copy is rebuilt the way the original was made
   (same fill style, cap and join style, marker function): the same paths, transforms and flags.
4. **Font files found once per font properties.** ``FontManager._find_fonts_by_props`` (4,100 calls for the
   bundled study's figures: every text measured, laid out or drawn) copies the properties per family and calls
   ``findfont``, which reads 11 rc settings and hashes the properties for its own cache each time. The list
   it returns is kept per (font properties, arguments, the same rc settings, ``MPL_IGNORE_SYSTEM_FONTS``,
   the number of fonts the manager knows); a lookup that logged a missing family or fell back to the default
   family is not kept (it runs, and warns, as before).
5. **Agg text: a string laid out once, a glyph rendered once per sub-pixel position.** ``RendererAgg.draw_text``
   laid each string out with FreeType (``FT2Font._layout``, ~0.2 ms a string) every time it was drawn, and
   ``_draw_text_glyphs_and_boxes`` rendered every glyph afresh (``set_size``, a numpy 2x2 matrix product,
   ``_set_transform``, ``_render_glyph``: ~45 microseconds a glyph; 4,800 glyphs in the bundled study's figures).
   The layout (the glyphs and their offsets from the text's origin) is kept per (font, size, dpi, string, hinting
   flags, font features, language). A glyph's bitmap is kept per (font, size, dpi, glyph, hinting flags,
   antialiasing, transform matrix, and the *fractional* part of its 26.6 pen position): FreeType translates the
   hinted outline by the pen position before rasterising, so a shift by whole pixels (multiples of 64) gives the
   same bitmap with ``left`` and ``top`` shifted by those pixels (tests/report/test_mpl_patches.py checks this
   byte for byte for every glyph of a text, upright and rotated, at many positions). An empty bitmap (a space)
   has ``left == top == 0`` wherever it is, so it is not kept: it is rendered as before. The transform matrix is
   computed once per (angle, slant, extend) with matplotlib's own expression. What reaches
   ``draw_text_image`` is what matplotlib passes: the same buffers at the same pixels.
6. **A text's layout kept.** ``Text._get_layout`` (its lines, their widths, ascents and descents, the rotated and
   aligned box) ran 2,900 times for the bundled study's figures, for 650 different texts: each tick label is
   laid out three times per drawing (the axis's sibling boxes, its label boxes, its draw) and the same labels
   recur in every figure. The result is kept per everything the method reads: the text, its font properties,
   the rc settings that choose and hint the font (those of report/text_metrics.py), its alignments, rotation
   (as ``get_rotation`` returns it), rotation mode, line spacing, multi-alignment and ``parse_math``, the
   figure's dpi, and the measuring renderer's type and dpi (through a ``MixedModeRenderer`` to the one it
   draws with). Only for ``Text`` and ``Annotation`` measured by Agg or the SVG renderer, without TeX or
   wrapping; each caller gets its own copy of the box. The one way it can differ from matplotlib: matplotlib's
   own cache of measurements (per renderer) ignores the rc settings, so after a font setting changes, a renderer
   that measured a string before still gives the old font's sizes, and a layout kept here may carry such sizes
   to another renderer (or another renderer's up-to-date sizes to it). The drawing code changes no font
   setting while a renderer is in use.
"""

from __future__ import annotations

import io
import math
import os
from contextlib import contextmanager
from functools import lru_cache

__all__ = ["install", "installed", "font_files", "MATPLOTLIB_VERSION"]

#: The matplotlib minor version these patches copy the internals of.
MATPLOTLIB_VERSION = "3.11"

_installed = False
_font_bytes: dict[str, bytes] = {}   # font file path -> its bytes, read once per process, kept across fork
_originals: dict = {}


def installed() -> bool:
    """Whether :func:`install` patched matplotlib in this process."""
    return _installed


def install() -> bool:
    """Apply the six patches (once per process; harmless to call again). Returns whether they are in place
    (False with a matplotlib other than ``MATPLOTLIB_VERSION``)."""
    global _installed
    if _installed:
        return True
    import matplotlib

    if ".".join(matplotlib.__version__.split(".")[:2]) != MATPLOTLIB_VERSION:
        return False
    import matplotlib.font_manager as fm
    import matplotlib.markers as mmarkers
    import matplotlib.text as mtext
    from matplotlib.backends.backend_agg import RendererAgg

    _originals.update(get_font_internal=fm._get_font, text_get_font=mtext.get_font,
                      set_marker=mmarkers.MarkerStyle._set_marker,
                      find_fonts=fm.FontManager._find_fonts_by_props,
                      agg_draw_text=RendererAgg.draw_text,
                      agg_glyphs=RendererAgg._draw_text_glyphs_and_boxes,
                      text_layout=mtext.Text._get_layout)
    fm._get_font = _get_font
    mtext.get_font = _layout_font
    mmarkers.MarkerStyle._set_marker = _set_marker
    fm.FontManager._find_fonts_by_props = _find_fonts_by_props
    RendererAgg.draw_text = _agg_draw_text
    RendererAgg._draw_text_glyphs_and_boxes = _agg_glyphs
    mtext.Text._get_layout = _text_layout
    _installed = True
    return True


# 1. fonts from memory ------------------------------------------------------------------------------------

def _stream(path) -> io.BytesIO:
    key = os.fspath(path)
    data = _font_bytes.get(key)
    if data is None:
        with open(key, "rb") as f:
            data = _font_bytes[key] = f.read()
    return io.BytesIO(data)


@lru_cache(64)
def _get_font(font_filepaths, *, _kerning_factor, thread_id, enable_last_resort):
    """matplotlib 3.11's ``font_manager._get_font`` with each font file given as an ``io.BytesIO``."""
    from matplotlib import cbook, ft2font
    from matplotlib.font_manager import _cached_realpath

    (first_fontpath, first_fontindex), *rest = font_filepaths
    fallback_list = [ft2font.FT2Font(_stream(fpath), face_index=index, _kerning_factor=_kerning_factor)
                     for fpath, index in rest]
    last_resort_path = _cached_realpath(cbook._get_data_path("fonts", "ttf", "LastResortHE-Regular.ttf"))
    try:
        last_resort_index = font_filepaths.index((last_resort_path, 0))
    except ValueError:
        last_resort_index = -1
        if enable_last_resort:
            fallback_list.append(ft2font.FT2Font(_stream(last_resort_path), _kerning_factor=_kerning_factor,
                                                 _warn_if_used=True))
            last_resort_index = len(fallback_list)
    font = ft2font.FT2Font(_stream(first_fontpath), face_index=first_fontindex, _fallback_list=fallback_list,
                           _kerning_factor=_kerning_factor)
    if last_resort_index == 0:
        font.set_charmap(0)
    elif last_resort_index > 0:
        fallback_list[last_resort_index - 1].set_charmap(0)
    return font


@contextmanager
def font_files():
    """Within: matplotlib's own ``_get_font`` (fonts opened from their files, ``fname`` a path), for the
    backends that embed a font from ``fname`` (PDF, PostScript). Only the main thread draws."""
    if not _installed:
        yield
        return
    import matplotlib.font_manager as fm

    fm._get_font = _originals["get_font_internal"]
    try:
        yield
    finally:
        fm._get_font = _get_font


# 2. line metrics read once -------------------------------------------------------------------------------

class _FontTables:
    """The sfnt tables ``Text._get_layout`` reads, read once from a font."""

    __slots__ = ("_font", "_tables")

    def __init__(self, font):
        self._font = font
        self._tables: dict = {}

    def get_sfnt_table(self, name):
        try:
            return self._tables[name]
        except KeyError:
            table = self._tables[name] = self._font.get_sfnt_table(name)
            return table


_layout_fonts: dict = {}


def _layout_font(font_filepaths):
    """``matplotlib.text.get_font`` for ``Text._get_layout``: the font's tables, read once per font list."""
    try:
        key = tuple((os.fspath(p), getattr(p, "face_index", 0)) for p in font_filepaths)
    except TypeError:           # a single path rather than a list
        key = ((os.fspath(font_filepaths), getattr(font_filepaths, "face_index", 0)),)
    tables = _layout_fonts.get(key)
    if tables is None:
        tables = _layout_fonts[key] = _FontTables(_originals["text_get_font"](font_filepaths))
    return tables


# 3. tick markers copied without deepcopy -------------------------------------------------------------------

def _set_marker(self, marker):
    """``MarkerStyle._set_marker``; another MarkerStyle made from a named marker with no user transform is
    copied by making it again (matplotlib deep-copies its ``__dict__``)."""
    from matplotlib.markers import MarkerStyle

    if type(marker) is MarkerStyle and marker._user_transform is None and marker._marker_function is not None:
        spec = marker._marker
        try:
            name = MarkerStyle.markers.get(spec) if not isinstance(spec, (list, tuple)) else None
        except TypeError:       # unhashable spec (an array of vertices)
            name = None
        if name is not None and not (isinstance(spec, str) and spec.count("$") >= 2):
            self._user_transform = None
            self._user_capstyle = marker._user_capstyle
            self._user_joinstyle = marker._user_joinstyle
            self._fillstyle = marker._fillstyle
            self._marker_function = getattr(self, "_set_" + name)
            self._marker = spec
            self._recache()
            return
    _originals["set_marker"](self, marker)


# 4. font files found once per font properties -------------------------------------------------------------

_FONT_RC = tuple(f"font.{k}" for k in ("family", "style", "variant", "weight", "stretch", "size", "serif",
                                       "sans-serif", "cursive", "fantasy", "monospace"))
_found: dict = {}


def _find_fonts_by_props(self, prop, fontext="ttf", directory=None, fallback_to_default=True,
                         rebuild_if_missing=True):
    """``FontManager._find_fonts_by_props``, its list kept per properties, arguments and font rc settings."""
    from matplotlib import rcParams
    from matplotlib.font_manager import FontProperties

    if type(prop) is not FontProperties:
        return _originals["find_fonts"](self, prop, fontext, directory, fallback_to_default, rebuild_if_missing)
    rc = [dict.get(rcParams, k) for k in _FONT_RC]
    key = (id(self), len(self.ttflist), len(self.afmlist), tuple(prop.get_family()), prop.get_style(),
           prop.get_variant(), prop.get_weight(), prop.get_stretch(), prop.get_size(), prop.get_file(),
           fontext, directory, fallback_to_default, rebuild_if_missing, os.environ.get("MPL_IGNORE_SYSTEM_FONTS"),
           tuple([tuple(v) if type(v) is list else v for v in rc]))
    found = _found.get(key)
    if found is None:
        found = _originals["find_fonts"](self, prop, fontext, directory, fallback_to_default, rebuild_if_missing)
        if len(found) != len(prop.get_family()):
            return found                 # a family was missing (logged) or the default used: not kept
        if len(_found) >= 4096:
            _found.clear()
        _found[key] = tuple(found)
        return found
    return list(found)


# 5. Agg text: layouts and glyph bitmaps kept ------------------------------------------------------------------

#: Each dictionary is emptied when it holds this many entries (the bundled study: ~300 strings, ~2,700 glyphs).
MAX_GLYPHS = 50_000
_layouts: dict = {}     # (font, size, dpi, string, flags, features, language) -> the glyph tuples drawn
_bitmaps: dict = {}     # (font, size, dpi, glyph, flags, antialiased, matrix, x % 64, y % 64) -> (buffer, left, top)
_matrices: dict = {}    # (cos, sin, slant, extend) -> (the matrix given to FreeType, the same as a tuple)


def _agg_draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
    """``RendererAgg.draw_text`` with the string's layout kept (the glyph tuples matplotlib makes from it)."""
    if ismath:
        return self.draw_mathtext(gc, x, y, s, prop, angle)
    from matplotlib.backends.backend_agg import get_hinting_flag

    font = self._prepare_font(prop)
    flags = get_hinting_flag()
    features = mtext.get_fontfeatures() if mtext is not None else None
    language = mtext.get_language() if mtext is not None else None
    size = prop.get_size_in_points()
    key = (font, size, self.dpi, s, flags, features, language)
    try:
        glyphs = _layouts.get(key)
    except TypeError:               # unhashable features or language (a list): laid out every time
        key = glyphs = None
    if glyphs is None:
        glyphs = tuple((item.ft_object, size, item.glyph_index, 0, 1, item.x, item.y)
                       for item in font._layout(s, flags=flags, features=features, language=language))
        if key is not None:
            if len(_layouts) >= MAX_GLYPHS:
                _layouts.clear()
            _layouts[key] = glyphs
    self._draw_text_glyphs_and_boxes(gc, x, y, angle, glyphs, [])


def _matrix(cos, sin, slant, extend):
    key = (cos, sin, slant, extend)
    m = _matrices.get(key)
    if m is None:
        import numpy as np

        a = (0x10000 * np.array([[cos, -sin], [sin, cos]]) @ [[extend, extend * slant], [0, 1]]).round().astype(int)
        if len(_matrices) >= 1024:
            _matrices.clear()
        m = _matrices[key] = (a, tuple(a.ravel().tolist()))
    return m


def _agg_glyphs(self, gc, x, y, angle, glyphs, boxes):
    """``RendererAgg._draw_text_glyphs_and_boxes`` with each glyph's bitmap kept per sub-pixel position."""
    from matplotlib.backends.backend_agg import get_hinting_flag
    from matplotlib.ft2font import RenderMode

    cos = math.cos(math.radians(angle))
    sin = math.sin(math.radians(angle))
    load_flags = get_hinting_flag()
    antialiased = gc.get_antialiased()
    mode = RenderMode.NORMAL if antialiased else RenderMode.MONO
    dpi, height = self.dpi, self.height
    draw = self._renderer.draw_text_image
    for font, size, glyph_index, slant, extend, dx, dy in glyphs:  # dy is upwards.
        matrix, matrix_key = _matrix(cos, sin, slant, extend)
        px = round(0x40 * (x + dx * cos - dy * sin))
        py = round(0x40 * (height - y + dx * sin + dy * cos))    # FreeType's y is upwards.
        key = (font, size, dpi, glyph_index, load_flags, antialiased, matrix_key, px & 63, py & 63)
        kept = _bitmaps.get(key)
        if kept is None:
            font.set_size(size, dpi)
            font._set_transform(matrix, [px, py])
            bitmap = font._render_glyph(glyph_index, load_flags, mode)
            buffer, left, top = bitmap.buffer, bitmap.left, bitmap.top
            if not antialiased:
                buffer *= 0xff
            if buffer.size:
                if len(_bitmaps) >= MAX_GLYPHS:
                    _bitmaps.clear()
                _bitmaps[key] = (buffer, left - (px >> 6), top - (py >> 6))
        else:
            buffer, left, top = kept
            left += px >> 6
            top += py >> 6
        # draw_text_image's y is downwards & the bitmap bottom side.
        draw(buffer, left, int(height) - top + buffer.shape[0], 0, gc)
    if boxes:
        _originals["agg_glyphs"](self, gc, x, y, angle, (), boxes)


# 6. a text's layout kept ----------------------------------------------------------------------------------------

_text_layouts: dict = {}     # everything Text._get_layout reads -> (bbox, lines, text box)
_types: list = []            # [MixedModeRenderer, (RendererAgg, RendererSVG), (Text, Annotation)], on first use


def _measurer(renderer):
    """The renderer whose ``get_text_width_height_descent`` a layout calls (a ``MixedModeRenderer`` passes it
    on to the one it currently draws with), or None when its layouts are not kept."""
    mixed, kept, _ = _types
    while type(renderer) is mixed:
        renderer = renderer._renderer
    return renderer if type(renderer) in kept else None


def _text_layout(self, renderer):
    """``Text._get_layout``, its result kept per everything it reads (see patch 6)."""
    if not _types:
        from matplotlib.backends.backend_agg import RendererAgg
        from matplotlib.backends.backend_mixed import MixedModeRenderer
        from matplotlib.backends.backend_svg import RendererSVG
        from matplotlib.text import Annotation, Text

        _types.extend([MixedModeRenderer, (RendererAgg, RendererSVG), (Text, Annotation)])
    measurer = _measurer(renderer) if type(self) in _types[2] else None
    if measurer is None or self._usetex or self._wrap:
        return _originals["text_layout"](self, renderer)
    from .text_metrics import _prop_key, _rc_state

    key = (type(self), type(measurer), getattr(measurer, "dpi", None), self.get_figure(root=True).dpi,
           self._text, self._parse_math, self._linespacing, self._multialignment, self._horizontalalignment,
           self._verticalalignment, self.get_rotation(), self._rotation_mode, _prop_key(self._fontproperties),
           _rc_state())
    try:
        kept = _text_layouts.get(key)
    except TypeError:                # an unhashable setting: laid out as matplotlib does
        return _originals["text_layout"](self, renderer)
    if kept is None:
        kept = _originals["text_layout"](self, renderer)
        if len(_text_layouts) >= MAX_GLYPHS:
            _text_layouts.clear()
        _text_layouts[key] = kept
    bbox, lines, box = kept
    return bbox.frozen(), list(lines), box
