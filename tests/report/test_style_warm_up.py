"""report/style.py: warm_up() measures the common strings ahead and changes no file; save_figure hands the Agg
buffer to the PNG writer without copying it (the canvas lets the renderer go), and a later draw of the same figure
does not overwrite it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.textpath import TextToPath

from oncoseries.report import style, text_metrics


def _figure(plt, extra: bool = False):
    with style.style("double"):
        fig, ax = plt.subplots(figsize=(7, 2.5))
        ax.step([0, 3, 6, 12, 24], [1, 0.8, 0.6, 0.45, 0.3], where="post", label="All patients")
        ax.set_xticks(np.arange(0, 25, 3))
        ax.set_xlabel("Months")
        ax.set_ylabel("Overall survival")
        ax.legend(loc="lower left")
        if extra:
            ax.axvspan(2, 20, color="black")
    return fig


def _bytes(paths):
    return [p.read_bytes() for p in paths]


def test_warm_up_fills_the_cache_and_changes_no_file(tmp_path):
    plt = style.pyplot()
    text_metrics.clear()
    cold = _bytes(style.save_figure(_figure(plt), tmp_path / "cold"))
    text_metrics.clear()
    style.warm_up(freeze_gc=False)
    keys = list(text_metrics._cache)
    measured = {(k[0], k[2]) for k in keys}
    for s in ("0", "12", "0.5", "100%", "\u221230", "+20", "Number at risk"):
        assert (RendererAgg, s) in measured and (text_metrics.TextToPath_, s) in measured
    assert any(k[0] is RendererAgg and k[1] == 300 for k in keys)
    assert any(k[0] is RendererAgg and k[1] == 72 for k in keys)          # report/_layout.text_width_pt
    n = len(text_metrics._cache)
    warm = _bytes(style.save_figure(_figure(plt), tmp_path / "cold"))
    assert warm == cold
    new = [k for k in text_metrics._cache if k not in set(keys)]
    assert len(text_metrics._cache) - n == len(new)
    assert all(k[2] not in ("0", "3", "6", "12", "24") for k in new)     # the tick labels were measured ahead


def test_warm_up_freezes_the_garbage_collector():
    code = ("import gc; from oncoseries.report import style; assert gc.get_freeze_count() == 0; style.warm_up(); "
            "print(gc.get_freeze_count())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert int(out) > 10_000


def test_png_buffer_not_overwritten_by_a_later_draw(tmp_path):
    plt = style.pyplot()
    reference = _bytes(style.save_figure(_figure(plt), tmp_path / "ref"))
    fig = _figure(plt)
    first = style.save_figure(fig, tmp_path / "first", close=False, wait=False)   # PNG still being written
    fig.axes[0].axvspan(2, 20, color="black")
    second = style.save_figure(fig, tmp_path / "second")                          # the same canvas drawn again
    assert _bytes(first) == reference
    assert _bytes(second)[0] != reference[0]
    assert _bytes(second)[0] == _bytes(style.save_figure(_figure(plt, extra=True), tmp_path / "x"))[0]


def test_canvas_lets_the_renderer_go_once_the_png_is_taken(tmp_path, monkeypatch):
    import gc
    import weakref

    plt = style.pyplot()
    taken = []

    def take(canvas):
        taken.append(weakref.ref(canvas.renderer))
        rgba = original(canvas)
        assert not hasattr(canvas, "renderer") and canvas._lastKey is None
        return rgba

    original = style._take_buffer
    monkeypatch.setattr(style, "_take_buffer", take)
    fig = _figure(plt)
    gc.disable()                              # freed by reference counts, not by a collection
    try:
        first = style.save_figure(fig, tmp_path / "first", close=False)
        assert taken[0]() is None             # its 12 MB buffer is gone once the PNG is written
        again = style.save_figure(fig, tmp_path / "again", close=False)   # a new renderer: the same files
    finally:
        gc.enable()
    assert len(taken) == 2 and _bytes(again) == _bytes(first)
