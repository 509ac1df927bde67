"""XPT v5 writing (issue 17): ``io.fast_xpt.write_xport`` against ``pyreadstat.write_xport`` on an
ADRS-like table (text ids and codes, numbers, dates with missing values), same run, same bytes.

    PYTHONPATH=src python benchmarks/bench_xpt.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def adrs_like(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    pid = np.array([f"PT-{i:07d}" for i in range(max(1, n // 10))], dtype=object)[rng.integers(0, max(1, n // 10), n)]
    codes = np.array(["CR", "PR", "SD", "PD", "NE"], dtype=object)[rng.integers(0, 5, n)]
    adt = pd.Series(pd.to_datetime("2015-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), "D"))
    adt[rng.random(n) < 0.02] = pd.NaT
    return pd.DataFrame({"STUDYID": "ONCOSERIES", "USUBJID": pid, "PARAMCD": "OVR", "AVALC": codes,
                         "AVAL": rng.integers(1, 6, n).astype(float), "ADT": adt, "ASEQ": np.arange(n) + 1.0})


def main() -> None:
    import pyreadstat

    from oncoseries.io.fast_xpt import write_xport

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    n = ap.parse_args().rows
    df = adrs_like(n)
    args = dict(file_label="Tumor Response Analysis Dataset", table_name="ADRS", variable_format={"ADT": "DATE9"})
    with tempfile.TemporaryDirectory() as d:
        x = df.copy()   # pyreadstat takes dates as Python dates: converted before its timer starts
        x["ADT"] = [None if pd.isna(v) else v.date() for v in x["ADT"]]
        t = time.perf_counter()
        pyreadstat.write_xport(x, os.path.join(d, "a.xpt"), file_format_version=5, **args)
        t_peer = time.perf_counter() - t
        t = time.perf_counter()
        write_xport(df, os.path.join(d, "b.xpt"), ["ADT"], **args)
        t_ours = time.perf_counter() - t
        stamp = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")
        same = stamp.sub(b"", Path(d, "a.xpt").read_bytes()) == stamp.sub(b"", Path(d, "b.xpt").read_bytes())
    print(f"{n:,} rows; load average {os.getloadavg()[0]:.1f}: pyreadstat {t_peer:.2f} s, fast_xpt {t_ours:.2f} s, {t_peer / t_ours:.1f}x; same bytes apart from time stamps: {same}")


if __name__ == "__main__":
    main()
