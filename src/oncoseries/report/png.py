"""PNG files of the figures, written from the Agg RGBA buffer with numpy and zlib (PNG 1.2 / ISO 15948).

The pixels are those matplotlib's ``savefig(format="png")`` writes (8-bit RGBA, no interlace, the
resolution in a pHYs chunk, no text chunks, so no date and no software version): every row gets the
"Up" filter (type 2, the byte above subtracted, computed in one numpy operation) and the whole image
one zlib stream at level ``COMPRESS_LEVEL``. Pillow's encoder, which matplotlib calls, chooses a
filter per row (adaptive filtering) in a C loop over the rows: for the report figures (mostly white)
it took about 3 times as long for files of the same size (docs/benchmarks.md). zlib releases the GIL
while it compresses, so a writer thread overlaps the drawing of the next figure.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

__all__ = ["encode_png", "write_png", "COMPRESS_LEVEL"]

#: zlib level: 3 compresses the report figures as small as 1-2 and as fast; 4 and above cost 3 times
#: as much time for files about 25% smaller.
COMPRESS_LEVEL = 3
_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(tag)))


def encode_png(rgba: np.ndarray, dpi: float | None = None, level: int = COMPRESS_LEVEL) -> bytes:
    """The PNG bytes of an (height, width, 4) uint8 RGBA image, with ``dpi`` (pixels per inch) in pHYs
    as Pillow writes it (pixels per metre, rounded)."""
    a = np.ascontiguousarray(rgba, dtype=np.uint8)
    if a.ndim != 3 or a.shape[2] != 4:
        raise ValueError(f"expected an (height, width, 4) RGBA array, got shape {a.shape}")
    h, w, _ = a.shape
    rows = a.reshape(h, w * 4)
    raw = np.empty((h, w * 4 + 1), np.uint8)
    raw[:, 0] = 2                                    # filter type Up on every row
    if h:
        raw[0, 1:] = rows[0]                         # the row above the first is zero
        np.subtract(rows[1:], rows[:-1], out=raw[1:, 1:])   # uint8 wraps modulo 256, as the filter does
    out = [_SIGNATURE, _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))]
    if dpi:
        ppm = int(dpi / 0.0254 + 0.5)
        out.append(_chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)))
    out.append(_chunk(b"IDAT", zlib.compress(raw, level)))
    out.append(_chunk(b"IEND", b""))
    return b"".join(out)


def write_png(path: Path, rgba: np.ndarray, dpi: float | None = None) -> Path:
    """Write ``rgba`` to ``path`` as PNG (see :func:`encode_png`); returns the path."""
    Path(path).write_bytes(encode_png(rgba, dpi))
    return Path(path)
