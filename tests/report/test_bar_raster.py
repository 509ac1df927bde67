"""The dense waterfall image (report/bar_raster.py): every pixel holds the bar area it covers."""

import numpy as np
import pandas as pd
import pytest
import matplotlib.pyplot as plt

from oncoseries.report.bar_raster import bar_image
from oncoseries.report.waterfall import RASTER_DPI, waterfall_data, waterfall_figure


def test_area_is_conserved_and_colours_are_the_bars():
    rng = np.random.default_rng(3)
    n, width, height = 5000, 700, 300
    values = np.sort(rng.uniform(-90, 90, n))[::-1]
    codes = (values < 0).astype(int)                      # red above zero, blue below
    img = bar_image(values, codes, ["#FF0000", "#0000FF"], (-0.7, n - 0.3), (-100, 100), width, height)
    dx, dy = (n + 0.4) / width, 200 / height
    # the image's covered area (pixels x alpha) is the bars' area in pixel units
    assert img[:, :, 3].sum() == pytest.approx(np.abs(values).sum() / (dx * dy), rel=1e-5)
    above = img[height // 2 + 5:, :, :]                   # rows above y = 0: only red bars reach them
    seen = above[:, :, 3] > 0
    assert np.allclose(above[seen][:, :3], [1, 0, 0], atol=1e-6)
    below = img[: height // 2 - 5, :, :]
    seen = below[:, :, 3] > 0
    assert np.allclose(below[seen][:, :3], [0, 0, 1], atol=1e-6)


def test_a_full_column_and_a_partial_row():
    # 10 bars of height 5.25 in each of 10 columns, rows of height 1 from 0: rows 0-4 covered, row 5 a quarter
    n = 100
    img = bar_image(np.full(n, 5.25), np.zeros(n, int), ["black"], (-0.5, n - 0.5), (0, 10), 10, 10)
    assert np.allclose(img[:5, :, 3], 1.0)
    assert np.allclose(img[5, :, 3], 0.25)
    assert np.allclose(img[6:, :, 3], 0.0)
    assert np.allclose(img[:6, :, :3], 0.0)


def test_a_bar_split_between_two_columns():
    # 3 bars over 2 columns (dx = 1.5): the middle bar is half in each column
    img = bar_image(np.array([1.0, 1.0, 1.0]), np.array([0, 1, 0]), ["#FF0000", "#00FF00"], (-0.5, 2.5), (0, 1),
                    2, 1)
    assert np.allclose(img[0, :, 3], 1.0)
    assert np.allclose(img[0, 0, :3], [2 / 3, 1 / 3, 0])  # 1 red + 0.5 green over 1.5
    assert np.allclose(img[0, 1, :3], [2 / 3, 1 / 3, 0])


def test_fewer_bars_than_pixels_is_refused():
    with pytest.raises(ValueError, match="one bar per pixel column"):
        bar_image(np.ones(10), np.zeros(10, int), ["black"], (-0.5, 9.5), (0, 1), 100, 10)


def test_registry_waterfall_is_one_image_with_the_counts():
    n = 20000
    rng = np.random.default_rng(5)
    v = rng.normal(0, 40, n)
    best = pd.DataFrame({"patient_id": [f"P{i}" for i in range(n)], "best_pct_change": v,
                         "bor": np.where(v < -30, "PR", np.where(v > 20, "PD", "SD"))})
    fig = waterfall_figure(waterfall_data(best))
    ax = fig.axes[0]
    images = [im for im in ax.images if im.get_gid() == "bars"]
    assert len(images) == 1 and not [c for c in ax.collections if c.get_gid() == "bars"]
    arr = images[0].get_array()
    assert arr.shape[1] == round(ax.get_position().width * fig.get_figwidth() * RASTER_DPI)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [f"PR ({(v < -30).sum()})", f"SD ({((v >= -30) & (v <= 20)).sum()})", f"PD ({(v > 20).sum()})"]
    plt.close(fig)
