"""--timings: each stage's wall time with the resident size at its end and the peak so far (registry scale)."""

import re
import sys

import pytest

from oncoseries import timings


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/statm is Linux's")
def test_stage_table_has_rss_and_peak():
    before, _ = timings._rss_gb()
    timings.start()
    block = b"\x01" * (64 * 2 ** 20)          # 64 MB written: resident, so the stage's end sees it
    timings.lap("big")
    del block
    timings.lap("after")
    table = timings.format_table(timings.stop())
    lines = table.splitlines()
    assert lines[0].split()[-4:] == ["rss", "GB", "peak", "GB"]
    big = re.match(r"big\s+([0-9.]+)\s+\d+%\s+([0-9.]+)\s+([0-9.]+)$", lines[1])
    assert big, lines[1]
    rss, peak = float(big.group(2)), float(big.group(3))
    assert rss >= before + 0.05 and rss <= peak   # 64 MB = 0.0625 GB, shown to 0.01
    assert lines[-1].startswith("total")
