"""report/png.py: the PNG writer gives back the pixels and resolution matplotlib's savefig writes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from oncoseries.report.png import encode_png


def _decode(data: bytes) -> tuple[np.ndarray, dict]:
    im = Image.open(io.BytesIO(data))
    im.load()
    return np.asarray(im), im.info


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (40, 17)])
def test_round_trip_of_random_pixels(shape):
    rgba = np.random.default_rng(sum(shape)).integers(0, 256, (*shape, 4), dtype=np.uint8)
    pixels, info = _decode(encode_png(rgba, 300))
    assert pixels.dtype == np.uint8 and pixels.shape == (*shape, 4)
    assert np.array_equal(pixels, rgba)            # the Up filter wraps modulo 256 in both directions
    assert info["dpi"] == pytest.approx((300, 300), abs=0.01)
    assert not [k for k in info if k not in ("dpi",)]   # no text chunks: no date, no software


def test_same_pixels_as_savefig_and_deterministic(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1, 2], [0, 1, 0.5], color="#D55E00")
    ax.fill_between([0, 1, 2], 0, [0.2, 0.4, 0.1], alpha=0.3)
    ax.set_title("Überschrift")
    fig.savefig(tmp_path / "mpl.png", dpi=150)
    buf = io.BytesIO()
    fig.savefig(buf, format="rgba", dpi=150)
    rgba = np.frombuffer(buf.getvalue(), np.uint8).reshape(225, 300, 4)
    plt.close(fig)
    ours, info = _decode(encode_png(rgba, 150))
    theirs = np.asarray(Image.open(tmp_path / "mpl.png"))
    assert np.array_equal(ours, theirs)
    assert info["dpi"] == pytest.approx(Image.open(tmp_path / "mpl.png").info["dpi"])
    assert encode_png(rgba, 150) == encode_png(rgba.copy(), 150)


def test_rejects_what_is_not_rgba():
    with pytest.raises(ValueError, match="RGBA"):
        encode_png(np.zeros((4, 4, 3), np.uint8))
