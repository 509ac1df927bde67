"""Benchmark: comparison with published results (docs/historical-control.md).

Usage: PYTHONPATH=src python benchmarks/bench_compare.py [--repeat 3]

- ``digitize_km`` on a 300 dpi PNG of two arms of 1000 patients drawn by ``km_figure`` (the report's size);
- ``reconstruct_ipd`` on the points of one arm (the algorithm is sequential over the points) and on the
  KEYNOTE-189 placebo curve (tests/data/published_km);
- ``one_sample_logrank`` of 1,000,000 patients against a Weibull reference.
Requirements checked: a figure digitised and reconstructed in under 5 s; the one-sample test of a million
patients under 1 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _best(fn, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import oncoseries as osr
    from tests.compare._roundtrip import draw, simulate

    df = simulate("exponential", 1000, "heavy", seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        d = draw(df, "oncoseries", Path(tmp) / "km.png", dpi=300)
        t_dig, pts = _best(lambda: osr.digitize_km(d.path, d.x_range, d.y_range, colors=d.colours), args.repeat)
    curve = pts.loc[pts["curve"] == d.colours[0], ["time", "survival"]]
    sub = df[df["arm"] == "A"]
    at = pd.DataFrame({"time": d.ticks, "n_risk": [(sub["time"] >= t).sum() for t in d.ticks]})
    t_rec, _ = _best(lambda: osr.reconstruct_ipd(curve, at), args.repeat)
    data = ROOT / "tests" / "data" / "published_km"
    pc, pa = pd.read_csv(data / "gandhi_placebo_curve.csv"), pd.read_csv(data / "gandhi_placebo_at_risk.csv")
    t_pub, _ = _best(lambda: osr.reconstruct_ipd(pc, pa), args.repeat)
    rng = np.random.default_rng(7)
    big = pd.DataFrame({"time": rng.exponential(20, 1_000_000), "event": rng.random(1_000_000) < 0.6})
    ref = osr.reference_curve(median=15, landmarks={24: 0.3})
    t_one, _ = _best(lambda: osr.one_sample_logrank(big, "time", "event", ref), args.repeat)
    print(f"digitize_km, 300 dpi PNG, 2 curves of 1000 patients: {t_dig:.3f} s ({len(pts)} points)")
    print(f"reconstruct_ipd, one arm of those points ({len(curve)} points, 1000 patients): {t_rec:.3f} s")
    print(f"reconstruct_ipd, KEYNOTE-189 placebo ({len(pc)} points, 206 patients): {t_pub:.3f} s")
    print(f"one_sample_logrank, 1,000,000 patients, Weibull reference: {t_one:.3f} s")
    ok = t_dig + t_rec < 5 and t_one < 1
    print("requirements met" if ok else "REQUIREMENT NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
