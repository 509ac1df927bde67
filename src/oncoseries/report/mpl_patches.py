"""Four costs of matplotlib 3.11's drawing removed, each giving the same objects and the same bytes.

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
"""

from __future__ import annotations

import io
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
    """Apply the four patches (once per process; harmless to call again). Returns whether they are in place
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

    _originals.update(get_font_internal=fm._get_font, text_get_font=mtext.get_font,
                      set_marker=mmarkers.MarkerStyle._set_marker,
                      find_fonts=fm.FontManager._find_fonts_by_props)
    fm._get_font = _get_font
    mtext.get_font = _layout_font
    mmarkers.MarkerStyle._set_marker = _set_marker
    fm.FontManager._find_fonts_by_props = _find_fonts_by_props
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
