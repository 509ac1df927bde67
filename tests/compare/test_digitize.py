"""digitize_km: curves read back from PNGs drawn by oncoseries and by plain matplotlib; bad input."""

from __future__ import annotations

import numpy as np
import pytest

import oncoseries as osr
from tests.compare._roundtrip import draw, round_trip, simulate


def test_reads_both_curves_of_an_oncoseries_figure(tmp_path):
    df = simulate("exponential", 60, "light", seed=5)
    d = draw(df, "oncoseries", tmp_path / "km.png")
    pts = osr.digitize_km(d.path, d.x_range, d.y_range, colors=d.colours)
    assert list(pts.columns) == ["curve", "time", "survival"] and set(pts["curve"]) == set(d.colours)
    for g, col in zip(("A", "B"), d.colours):
        km = osr.kaplan_meier(df[df["arm"] == g], "time", "event")
        c = pts[pts["curve"] == col]
        # every point read lies on the true step function, within 2 pixels of time and 1 pixel of survival
        t, got = c["time"].to_numpy(), c["survival"].to_numpy()
        delta = 2 * (d.x_range[1] - d.x_range[0]) / 800
        near = np.min([np.abs(got - km.at(np.clip(t + k * delta, 0, None))["survival"].to_numpy())
                       for k in (-1, 0, 1)], axis=0)
        ok = np.isfinite(near)
        assert ok.mean() > 0.9 and np.quantile(near[ok], 0.95) < 0.004
    top = pts[pts["curve"] == d.colours[-1]]     # drawn last: its start at 100% is not hidden by the other
    assert top["survival"].max() > 0.97 and top["time"].min() < 1


def test_auto_colours_find_each_curve(tmp_path):
    d = draw(simulate("weibull", 50, "light", seed=2), "matplotlib", tmp_path / "km.png")
    pts = osr.digitize_km(d.path, d.x_range, d.y_range)
    assert pts["curve"].nunique() == 2


def test_percent_axis(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.step([0, 10, 20, 30], [100, 80, 50, 50], where="post", color="tab:red")
    ax.set_xlim(0, 30)
    ax.set_ylim(-2, 105)
    ax.set_yticks([0, 25, 50, 75, 100])
    fig.savefig(tmp_path / "p.png", dpi=100)
    plt.close(fig)
    pts = osr.digitize_km(tmp_path / "p.png", (0, 30), (0, 100), colors=["tab:red"])
    assert pts["survival"].max() == pytest.approx(1.0, abs=0.01)
    mid = pts[(pts["time"] > 12) & (pts["time"] < 18)]
    assert mid["survival"].between(0.78, 0.82).all()


def test_round_trip_within_tolerance(tmp_path):
    """The CI part of the accuracy suite (the whole table: tests/compare/make_accuracy_table.py)."""
    for style in ("oncoseries", "matplotlib"):
        r = round_trip("exponential", 150, "heavy", style, seed=11, folder=tmp_path)
        assert r["landmark_error"] < 0.03, r
        assert r["median_error"] < 2.0, r
        assert r["hr_error"] < 0.10, r


@pytest.mark.parametrize("make, kw, msg", [
    (lambda p: p, {"colors": ["tab:green"]}, "no curve of colour tab:green"),
    (lambda p: p.with_name("missing.png"), {}, "file not found"),
    (lambda p: (p.with_name("x.png").write_text("not an image"), p.with_name("x.png"))[1], {}, "not a readable image"),
    (lambda p: p, {"colors": ["notacolour"]}, "is not a colour"),
])
def test_bad_input(tmp_path, make, kw, msg):
    d = draw(simulate("exponential", 30, "light", seed=1), "matplotlib", tmp_path / "km.png")
    with pytest.raises(ValueError, match=msg):
        osr.digitize_km(make(d.path), d.x_range, d.y_range, **kw)


def test_bad_ranges(tmp_path):
    d = draw(simulate("exponential", 30, "light", seed=1), "matplotlib", tmp_path / "km.png")
    with pytest.raises(ValueError, match="x_range must be two increasing"):
        osr.digitize_km(d.path, (10, 0), (0, 1))
    with pytest.raises(ValueError, match="y_range must be two numbers"):
        osr.digitize_km(d.path, (0, 10), "zero to one")


def test_blank_image_has_no_axes(tmp_path):
    from PIL import Image

    Image.new("RGB", (200, 100), "white").save(tmp_path / "w.png")
    with pytest.raises(ValueError, match="no axis lines found"):
        osr.digitize_km(tmp_path / "w.png", (0, 1), (0, 1))
