"""report/mpl_patches.py: fonts from memory, font tables read once, tick markers copied without deepcopy, font
files found once, Agg text layouts and glyph bitmaps kept; each gives what matplotlib gives, and the files are
the same bytes with and without them."""

from __future__ import annotations

import io
import os
import pickle

import matplotlib
import matplotlib.font_manager as fm
import matplotlib.markers as mmarkers
import matplotlib.text as mtext
import numpy as np
import pytest
from matplotlib.font_manager import FontProperties
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.markers import MarkerStyle

from oncoseries.report import mpl_patches, style, text_metrics

style.pyplot()      # installs the patches

pytestmark = pytest.mark.skipif(not matplotlib.__version__.startswith(mpl_patches.MATPLOTLIB_VERSION + "."),
                                reason="the patches apply to matplotlib " + mpl_patches.MATPLOTLIB_VERSION)


def _dejavu():
    return fm.fontManager._find_fonts_by_props(FontProperties(family="DejaVu Sans"))


def test_installed():
    assert mpl_patches.installed()
    assert fm._get_font is mpl_patches._get_font
    assert mtext.get_font is mpl_patches._layout_font
    assert mmarkers.MarkerStyle._set_marker is mpl_patches._set_marker
    assert RendererAgg.draw_text is mpl_patches._agg_draw_text
    assert RendererAgg._draw_text_glyphs_and_boxes is mpl_patches._agg_glyphs
    assert mtext.Text._get_layout is mpl_patches._text_layout


def test_font_read_from_memory_lays_out_and_renders_as_from_its_file():
    font = fm.get_font(_dejavu())
    assert isinstance(font.fname, io.BytesIO)
    with mpl_patches.font_files():
        from_file = fm.get_font(_dejavu())
    assert os.fspath(from_file.fname).endswith("DejaVuSans.ttf")
    assert fm._get_font is mpl_patches._get_font           # put back after the block
    for f in (font, from_file):
        f.clear()
        f.set_size(8.0, 300)
        f.set_text("Progression-free survival 0.13 (0.06\u20130.28)", 0.0)
        f.draw_glyphs_to_bitmap()
    assert font.get_width_height() == from_file.get_width_height()
    assert font.get_descent() == from_file.get_descent()
    assert font.get_bitmap_offset() == from_file.get_bitmap_offset()
    assert np.array_equal(font.get_image(), from_file.get_image())
    assert font.get_image().any()


def test_font_bytes_read_once():
    fm.get_font(_dejavu())
    path = os.path.realpath(_dejavu()[0].path)
    assert mpl_patches._font_bytes[path] == open(path, "rb").read()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_fonts_kept_in_a_forked_child():
    font = fm.get_font(_dejavu())
    font.set_size(8.0, 300)
    font.set_text("HDIFO-051", 0.0)
    parent = (id(font), font.get_width_height(), font.get_descent())
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                        # pragma: no cover  (the child)
        try:
            f = fm.get_font(_dejavu())
            f.set_size(8.0, 300)
            f.set_text("HDIFO-051", 0.0)
            os.write(w, pickle.dumps((id(f), f.get_width_height(), f.get_descent())))
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        child = pickle.loads(fh.read())
    os.waitpid(pid, 0)
    assert child == parent                              # the same object, the same measurements


def test_font_tables_read_once_equal_the_fonts():
    paths = _dejavu()
    tables = mtext.get_font(paths)
    real = fm.get_font(paths)
    for name in ("OS/2", "hhea", "head"):
        assert tables.get_sfnt_table(name) == real.get_sfnt_table(name)
        assert tables.get_sfnt_table(name) is tables.get_sfnt_table(name)
    assert mtext.get_font(list(paths)) is tables


MARKERS = [m for m in MarkerStyle.markers if not (isinstance(m, str) and m.count("$") >= 2)]


def _state(m: MarkerStyle) -> tuple:
    def path(p):
        return None if p is None else (p.vertices.tolist(), None if p.codes is None else p.codes.tolist())

    def tr(t):
        return None if t is None else t.get_matrix().tolist()

    return (m.get_marker(), m.get_fillstyle(), m.is_filled(), m.get_joinstyle(), m.get_capstyle(),
            path(m.get_path()), tr(m.get_transform()), path(m._alt_path), tr(m._alt_transform),
            m.get_snap_threshold(), m._user_transform, m._user_capstyle, m._user_joinstyle)


@pytest.mark.parametrize("fillstyle", ["full", "left", "none"])
@pytest.mark.parametrize("marker", MARKERS)
def test_marker_copy_equals_matplotlibs_deepcopy(marker, fillstyle, monkeypatch):
    original = MarkerStyle(marker, fillstyle, capstyle="round" if marker == "o" else None)
    fast = MarkerStyle(original)
    monkeypatch.setattr(MarkerStyle, "_set_marker", mpl_patches._originals["set_marker"])
    deep = MarkerStyle(original)
    assert _state(fast) == _state(deep) == _state(original)


def test_marker_with_a_transform_still_deep_copied():
    from matplotlib.transforms import Affine2D

    original = MarkerStyle("s", transform=Affine2D().rotate_deg(30))
    copied = MarkerStyle(original)
    assert copied._user_transform is not original._user_transform
    assert _state(copied)[5:7] == _state(original)[5:7]
    assert np.array_equal(copied.get_transform().get_matrix(), original.get_transform().get_matrix())


def _figure_bytes(tmp_path, name, formats=()):
    plt = style.pyplot()
    with style.style("double"):
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(7, 3))
        ax.step([0, 3, 6, 12, 24], [1, 0.8, 0.6, 0.45, 0.3], where="post", label="High-dose ifosfamide")
        ax.plot([2, 7, 13], [0.9, 0.7, 0.5], "+", color="black", label="Censored")
        ax.set_xticks(np.arange(0, 25, 3))
        ax.set_xlabel("Months since start of treatment")
        ax.set_ylabel("Progression-free survival")
        ax.legend(loc="lower left")
        bx.barh(np.arange(6), [-100, -45, -30, 5, 20, 60], color=style.PALETTE[:6])
        bx.set_yticks(np.arange(6), [f"HDIFO-0{i}" for i in range(10, 16)])
        bx.scatter([-90, 10], [0, 4], marker="D", s=12, zorder=3)
        bx.text(0.5, 1.02, "Best change (%)\nline two", transform=bx.transAxes, ha="center", weight="bold")
        for i, (x, y) in enumerate([(1.0, 0.9), (1.5, 0.9), (1.25, 0.63), (1.2, 0.61)]):   # the same strings
            ax.text(x, y, "HR 0.62 (0.41\u20130.93)", fontsize=7)                        # at 4 positions
            ax.text(x * 6, y - 0.5, "Censored", rotation=(0, 90, 30, 90)[i], fontsize=6)   # rotated
        ax.text(13, 0.95, "P = 0.004", antialiased=False)                                  # a monochrome text
        ax.set_title(r"$\hat{S}(t)$ at $t = 12$ months, $\alpha = 0.05$")                    # mathtext
        paths = style.save_figure(fig, tmp_path / name, formats=formats)
    return [p.read_bytes() for p in paths]


def test_figure_files_identical_with_and_without_the_patches(tmp_path, monkeypatch):
    text_metrics.clear()
    mpl_patches._layouts.clear()
    mpl_patches._bitmaps.clear()
    mpl_patches._text_layouts.clear()
    patched = _figure_bytes(tmp_path, "f")
    assert mpl_patches._layouts and mpl_patches._bitmaps and mpl_patches._text_layouts
    again = _figure_bytes(tmp_path, "f")        # drawn again: every string and most glyphs from the dictionaries
    assert again == patched
    monkeypatch.setattr(fm, "_get_font", mpl_patches._originals["get_font_internal"])
    monkeypatch.setattr(mtext, "get_font", mpl_patches._originals["text_get_font"])
    monkeypatch.setattr(MarkerStyle, "_set_marker", mpl_patches._originals["set_marker"])
    monkeypatch.setattr(RendererAgg, "draw_text", mpl_patches._originals["agg_draw_text"])
    monkeypatch.setattr(RendererAgg, "_draw_text_glyphs_and_boxes", mpl_patches._originals["agg_glyphs"])
    monkeypatch.setattr(mtext.Text, "_get_layout", mpl_patches._originals["text_layout"])
    text_metrics.clear()
    plain = _figure_bytes(tmp_path, "f")
    assert patched[0] == plain[0]
    assert patched[1] == plain[1]


def test_pdf_embeds_the_font_from_its_file(tmp_path):
    fm.get_font(_dejavu())                               # a memory font in the cache
    png, svg, pdf = _figure_bytes(tmp_path, "p", formats=("pdf",))
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf and b"DejaVuSans" in pdf
    assert fm._get_font is mpl_patches._get_font



@pytest.mark.parametrize("prop", [FontProperties(family="DejaVu Sans", size=8.0),
                                  FontProperties(family=["sans-serif", "serif"], size=6.5, weight="bold"),
                                  FontProperties(family="monospace", style="italic", size=8.5),
                                  FontProperties(family="serif", stretch="condensed", variant="small-caps")])
def test_fonts_found_once_equal_matplotlibs(prop):
    mgr = fm.fontManager
    original = mpl_patches._originals["find_fonts"]
    first = mgr._find_fonts_by_props(prop)
    again = mgr._find_fonts_by_props(prop.copy())       # served by the patch's dictionary
    assert first == again == original(mgr, prop)
    assert again is not first                           # a new list each time, as matplotlib returns
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Serif"], "font.serif": ["DejaVu Sans"]}):
        assert mgr._find_fonts_by_props(prop) == original(mgr, prop)


def test_missing_family_still_warns_every_time(caplog):
    prop = FontProperties(family=["No Such Family 7f3a", "DejaVu Sans"], size=8.0)
    for _ in range(2):
        caplog.clear()
        with caplog.at_level("WARNING", logger="matplotlib.font_manager"):
            found = fm.fontManager._find_fonts_by_props(prop)
        assert len(found) == 1 and "No Such Family 7f3a" in caplog.text


def _render(font, glyph, px, py, angle=0.0, mode=None):
    from matplotlib.backends.backend_agg import get_hinting_flag
    from matplotlib.ft2font import RenderMode

    cos, sin = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    font.set_size(7.0, 300)
    font._set_transform((0x10000 * np.array([[cos, -sin], [sin, cos]])).round().astype(int), [px, py])
    bitmap = font._render_glyph(glyph, get_hinting_flag(), mode or RenderMode.NORMAL)
    return bitmap.buffer.copy(), bitmap.left, bitmap.top


@pytest.mark.parametrize("angle", [0.0, 90.0, 30.0])
def test_glyph_bitmap_shifted_by_whole_pixels_is_the_same_bitmap(angle):
    """The rule patch 5 rests on: a pen position moved by whole pixels (multiples of 64 in 26.6) renders the same
    bitmap with left and top moved by those pixels; an empty bitmap (the space) sits at (0, 0) wherever it is."""
    from matplotlib.backends.backend_agg import get_hinting_flag
    from matplotlib.ft2font import RenderMode

    font = fm.get_font(_dejavu())
    font.set_size(7.0, 300)
    glyphs = {item.glyph_index for item in font._layout("Months since start 0.62 (\u2212%) Wg",
                                                        flags=get_hinting_flag())}
    assert len(glyphs) > 15
    for glyph in glyphs:
        for fx, fy in [(0, 0), (13, 51), (32, 32), (63, 1), (41, 7)]:
            base = _render(font, glyph, 64 * 300 + fx, 64 * 500 + fy, angle)
            for sx, sy in [(1, 0), (0, 1), (37, -11), (-250, 400)]:
                moved = _render(font, glyph, 64 * (300 + sx) + fx, 64 * (500 + sy) + fy, angle)
                assert np.array_equal(moved[0], base[0])
                if base[0].size:
                    assert (moved[1] - base[1], moved[2] - base[2]) == (sx, sy)
                else:
                    assert moved[1:] == base[1:] == (0, 0)
        mono = _render(font, glyph, 64 * 300 + 5, 64 * 500 + 9, angle, RenderMode.MONO)
        assert np.array_equal(mono[0], _render(font, glyph, 64 * 301 + 5, 64 * 499 + 9, angle, RenderMode.MONO)[0])


def _agg_text_pixels(texts):
    from matplotlib.backends.backend_agg import RendererAgg as Agg

    r = Agg(400, 200, 300)
    gc = r.new_gc()
    for x, y, s, angle, aa in texts:
        gc.set_antialiased(aa)
        r.draw_text(gc, x, y, s, FontProperties(family="DejaVu Sans", size=7.0), angle)
    return np.asarray(r.buffer_rgba()).copy()


def test_agg_text_pixels_equal_matplotlibs(monkeypatch):
    texts = [(x, y, s, angle, aa) for (x, y) in [(10.0, 50.0), (10.25, 50.0), (11.0, 51.5), (130.6, 77.3)]
             for s, angle, aa in [("12 (0.41\u20130.93)", 0.0, True), ("HDIFO-051", 90.0, True),
                                  ("Censored", 30.0, True), ("P = 0.004", 0.0, False)]]
    mpl_patches._bitmaps.clear()
    mpl_patches._layouts.clear()
    patched = _agg_text_pixels(texts)
    glyphs = sum(len(s.replace(" ", "")) for _, _, s, _, _ in texts)
    assert 0 < len(mpl_patches._bitmaps) < glyphs      # glyphs at the same sub-pixel position rendered once
    assert len(mpl_patches._layouts) == 4               # each string laid out once
    monkeypatch.setattr(RendererAgg, "draw_text", mpl_patches._originals["agg_draw_text"])
    monkeypatch.setattr(RendererAgg, "_draw_text_glyphs_and_boxes", mpl_patches._originals["agg_glyphs"])
    plain = _agg_text_pixels(texts)
    assert patched[..., 3].any()
    assert np.array_equal(patched, plain)


def _layouts_of(texts, renderer):
    return [(tuple(b.bounds), lines, box) for b, lines, box in (t._get_layout(renderer) for t in texts)]


def test_text_layouts_kept_equal_matplotlibs(tmp_path):
    """Patch 6: the same layouts as ``Text._get_layout`` for texts that differ in one setting at a time, with
    Agg at two resolutions and the SVG renderer; a kept layout is a copy each caller may change."""
    from matplotlib.backends.backend_svg import RendererSVG

    plt = style.pyplot()
    with style.style("double"):
        fig, ax = plt.subplots(figsize=(4, 3))
        specs = [dict(), dict(ha="right"), dict(va="top"), dict(va="center_baseline"), dict(rotation=90),
                 dict(rotation=30, rotation_mode="anchor"), dict(fontsize=11), dict(weight="bold"),
                 dict(style="italic"), dict(family="serif"), dict(linespacing=2.0), dict(multialignment="right")]
        texts = [ax.text(0.5, 0.5, s, **kw) for kw in specs for s in ("12", "HR 0.62\n(0.41\u20130.93)")]
        texts += [ax.text(0.2, 0.2, r"$\hat{S}(t) = 0.5$"), ax.text(0.1, 0.1, "$5", parse_math=False),
                  ax.annotate("Median 12.4", (0.3, 0.3)), fig.text(0.5, 0.9, "Figure text", ha="center")]
        renderers = [RendererAgg(1200, 900, 300), RendererAgg(288, 216, 72)]
        with open(tmp_path / "x.svg", "w") as fh:
            renderers.append(RendererSVG(288, 216, fh))
            mpl_patches._text_layouts.clear()
            kept = [_layouts_of(texts, r) for r in renderers]
            again = [_layouts_of(texts, r) for r in renderers]           # from the dictionary
            n_kept = len(mpl_patches._text_layouts)
            original = mpl_patches._originals["text_layout"]
            plain = [[(tuple(b.bounds), lines, box) for b, lines, box in (original(t, r) for t in texts)]
                     for r in renderers]
    assert kept == again == plain
    assert n_kept == 3 * len(texts)          # each setting, each renderer (type and dpi) a layout of its own
    assert len({tuple(x[0]) for x in kept[0]}) > len(specs)
    first = texts[0]._get_layout(renderers[0])[0]
    first.x0 = -1e6                          # a caller changing its box changes no one else's
    assert texts[0]._get_layout(renderers[0])[0].x0 != -1e6
    plt.close(fig)


def test_text_layout_of_a_changed_text_is_new():
    plt = style.pyplot()
    with style.style("double"):
        fig, ax = plt.subplots(figsize=(4, 3))
        t = ax.text(0.5, 0.5, "Number at risk", family="sans-serif")
        r = RendererAgg(1200, 900, 300)
        short = t._get_layout(r)[0].width
        t.set_text("Number at risk (cumulative events)")
        w = t._get_layout(r)[0].width
        assert w > short
        t.set_fontsize(4)
        assert t._get_layout(r)[0].width == mpl_patches._originals["text_layout"](t, r)[0].width < w
        sans = t._get_layout(r)[0].width
        with matplotlib.rc_context({"font.sans-serif": ["DejaVu Serif"]}):   # another font file, a new
            serif = t._get_layout(RendererAgg(1200, 900, 300))[0].width     # renderer (see patch 6)
            assert serif == mpl_patches._originals["text_layout"](t, RendererAgg(1200, 900, 300))[0].width
        assert serif != sans == t._get_layout(RendererAgg(1200, 900, 300))[0].width
    plt.close(fig)
