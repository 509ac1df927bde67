"""--timings: each stage's wall time with the resident size at its end and the peak so far (registry scale)."""

import gc
import mmap
import re
import sys

import pytest

from oncoseries import timings


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/statm is Linux's")
def test_stage_table_has_rss_and_peak():
    gc.collect()          # garbage of earlier tests freed now, not while the stages are measured
    timings.start()
    # 64 MB mapped and written: resident at the end of "big", given back by close() before "after".
    # (A bytes object could reuse a free, already resident part of malloc's heap left by earlier tests,
    # and stay there when freed: then the size would not move.)
    size, chunk = 64 * 2 ** 20, b"\x01" * 2 ** 20
    block = mmap.mmap(-1, size)
    for i in range(0, size, len(chunk)):
        block[i:i + len(chunk)] = chunk
    timings.lap("big")
    block.close()
    timings.lap("after")
    table = timings.format_table(timings.stop())
    lines = table.splitlines()
    assert lines[0].split()[-4:] == ["rss", "GB", "peak", "GB"]
    row = r"\s+([0-9.]+)\s+\d+%\s+([0-9.]+)\s+([0-9.]+)$"
    big, after = re.match("big" + row, lines[1]), re.match("after" + row, lines[2])
    assert big and after, lines
    rss, peak = float(big.group(2)), float(big.group(3))
    # 64 MB = 0.0625 GB, shown to 0.01: resident at the end of "big", gone at the end of "after"
    assert rss >= float(after.group(2)) + 0.05 and rss <= peak <= float(after.group(3))
    assert lines[-1].startswith("total")
