"""report/text_metrics.py: cached text measurements equal matplotlib's own, and the files are the same."""

from __future__ import annotations

import matplotlib as mpl
import pytest
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

from oncoseries.report import style, text_metrics  # noqa: F401  style installs the cache

STRINGS = ["0", "12", "Number at risk", "Progression-free survival (months)", "HR 0.13 (95% CI 0.04-0.42)",
           r"$\chi^2$ = 4.1", "ä ß ñ", ""]
PROPS = [FontProperties(family="DejaVu Sans", size=8.0), FontProperties(family="DejaVu Sans", size=6.5,
                                                                         weight="bold"),
         FontProperties(family="sans-serif", size=8.5, style="italic")]


def test_installed():
    assert hasattr(RendererAgg.get_text_width_height_descent, "__wrapped__")
    assert hasattr(TextToPath.get_text_width_height_descent, "__wrapped__")


@pytest.mark.parametrize("dpi", [72, 100, 300])
def test_agg_measurements_equal_matplotlib(dpi):
    text_metrics.clear()
    renderer = RendererAgg(50, 50, dpi)
    original = RendererAgg.get_text_width_height_descent.__wrapped__
    for s in STRINGS:
        for prop in PROPS:
            ismath = s.startswith("$")
            first = renderer.get_text_width_height_descent(s, prop, ismath)
            again = renderer.get_text_width_height_descent(s, prop.copy(), ismath)   # served by the cache
            assert first == again == original(renderer, s, prop, ismath)


def test_svg_measurements_equal_matplotlib():
    text_metrics.clear()
    t2p = TextToPath()
    original = TextToPath.get_text_width_height_descent.__wrapped__
    for s in STRINGS:
        for prop in PROPS:
            ismath = s.startswith("$")
            assert t2p.get_text_width_height_descent(s, prop, ismath) == original(t2p, s, prop, ismath)
            assert t2p.get_text_width_height_descent(s, prop, ismath) == original(t2p, s, prop, ismath)


def test_rc_settings_are_part_of_the_key():
    text_metrics.clear()
    renderer = RendererAgg(50, 50, 300)
    original = RendererAgg.get_text_width_height_descent.__wrapped__
    prop = FontProperties(family="sans-serif", size=8.0)
    s = "Overall survival, months"
    default = renderer.get_text_width_height_descent(s, prop, False)
    with mpl.rc_context({"text.hinting": "none", "text.hinting_factor": 1}):
        unhinted = renderer.get_text_width_height_descent(s, prop, False)
        assert unhinted == original(renderer, s, prop, False)
    with mpl.rc_context({"font.sans-serif": ["DejaVu Serif"]}):
        serif = renderer.get_text_width_height_descent(s, prop, False)
        assert serif == original(renderer, s, prop, False)
    assert serif != default
    assert renderer.get_text_width_height_descent(s, prop, False) == default


def test_cache_is_bounded(monkeypatch):
    text_metrics.clear()
    monkeypatch.setattr(text_metrics, "MAX_ENTRIES", 5)
    renderer = RendererAgg(50, 50, 100)
    prop = PROPS[0]
    for i in range(12):
        renderer.get_text_width_height_descent(str(i), prop, False)
    assert 0 < len(text_metrics._cache) <= 5


def _figure_bytes(tmp_path, name):
    import matplotlib.pyplot as plt

    with style.style("double"):
        fig, ax = plt.subplots(figsize=(7, 3))
        ax.step([0, 3, 6, 12, 24], [1, 0.8, 0.6, 0.45, 0.3], where="post", label="High-dose ifosfamide")
        ax.set_xlabel("Months since start of treatment")
        ax.set_ylabel("Progression-free survival")
        ax.set_title(r"Median 6 months ($n$ = 51)")
        ax.legend()
        for x in (0, 6, 12, 18, 24):
            ax.text(x, -0.25, str(51 - 2 * x), ha="center", transform=ax.get_xaxis_transform())
        fig.tight_layout()
        paths = style.save_figure(fig, tmp_path / name)
    return [p.read_bytes() for p in paths]


def test_figure_files_identical_with_and_without_the_cache(tmp_path, monkeypatch):
    text_metrics.clear()
    cached = _figure_bytes(tmp_path, "cached")
    again = _figure_bytes(tmp_path, "again")          # every string served by the cache
    monkeypatch.setattr(RendererAgg, "get_text_width_height_descent",
                        RendererAgg.get_text_width_height_descent.__wrapped__)
    monkeypatch.setattr(TextToPath, "get_text_width_height_descent",
                        TextToPath.get_text_width_height_descent.__wrapped__)
    plain = _figure_bytes(tmp_path, "plain")
    svg = [b.replace(b"cached", b"X").replace(b"again", b"X").replace(b"plain", b"X") for b in
           (cached[1], again[1], plain[1])]
    assert cached[0] == again[0] == plain[0]
    assert svg[0] == svg[1] == svg[2]


def test_svg_layout_shared_between_sizes():
    text_metrics.clear()
    t2p = TextToPath()
    original = TextToPath.get_text_width_height_descent.__wrapped__
    for size in (6.5, 8.0, 8.5, 10.0, 7.2):
        prop = FontProperties(family="sans-serif", size=size)
        got = t2p.get_text_width_height_descent("HDIFO-051 (n=26, 24 events)", prop, False)
        assert got == original(t2p, "HDIFO-051 (n=26, 24 events)", prop, False)
    assert len(text_metrics._cache) == 1          # laid out once, at FONT_SCALE
    bold = FontProperties(family="sans-serif", size=8.0, weight="bold")
    assert t2p.get_text_width_height_descent("HDIFO-051 (n=26, 24 events)", bold, False) == \
        original(t2p, "HDIFO-051 (n=26, 24 events)", bold, False)
    assert len(text_metrics._cache) == 2
