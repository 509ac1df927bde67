"""Read, validate, RECIST and endpoints of ``oncoseries analyze`` on a registry-size study (issue 17).

    python benchmarks/bench_intake_scale.py STUDY [--digest FILE]

Runs what ``oncoseries analyze`` runs (``read_study``, the command line's transient Study, then
``run_analysis``) and stops when the endpoints stage ends (the statistics are another benchmark's), with
the per-stage wall time, resident size at the stage's end and peak so far (``--timings``' columns).
``--digest FILE`` writes a SHA-256 of every output of these stages (problems, patient flow, RECIST
tables, ADTTE), one line each, to compare two versions of the code on the same study (A/B).
Hold ``flock /tmp/scale-1e6.lock`` for a 10^6 study (shared machine).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path


class _Stop(Exception):
    pass


def _digest(obj) -> str:
    import pandas as pd

    h = hashlib.sha256()
    if isinstance(obj, pd.DataFrame):
        df = obj.reset_index(drop=True)
        for c in df.columns:   # values as text: a categorical and its object column hash the same
            h.update(str(c).encode())
            h.update(pd.util.hash_array(df[c].astype(object).to_numpy(), categorize=True).tobytes())
    else:
        h.update(repr(obj).encode())
    return h.hexdigest()[:16]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("study")
    ap.add_argument("--digest")
    args = ap.parse_args()

    from oncoseries import timings as tm
    from oncoseries.analysis import run
    from oncoseries.study import read_study

    captured: dict = {}
    real_lap = run.lap

    def lap(stage: str) -> None:
        real_lap(stage)
        if stage == "endpoints":
            captured.update(sys._getframe(1).f_locals)
            raise _Stop

    run.lap = lap
    t0 = time.perf_counter()
    tm.start()
    study = read_study(args.study)
    study.transient = True
    try:
        run.run_analysis(study)
    except _Stop:
        pass
    wall = time.perf_counter() - t0
    print(tm.format_table(tm.stop()))
    print(f"read..endpoints {wall:.1f} s; load {os.getloadavg()}")
    if args.digest:
        rec, end, flow = captured["recist"], captured["endpoints"], captured["flow"]
        lines = {"problems": _digest([(p.file, p.row, p.column, p.message, p.rule) for p in study.problems])}
        for name in ("timepoints", "best_response", "population"):
            lines[f"recist.{name}"] = _digest(getattr(rec, name))
        lines["recist.lesion_table"] = _digest(rec.lesion_table)
        lines["recist.warnings"] = _digest(rec.warnings)
        lines["adtte"] = _digest(end.adtte)
        lines["flow"] = _digest(flow.table)
        Path(args.digest).write_text("".join(f"{k} {v}\n" for k, v in lines.items()))


if __name__ == "__main__":
    main()
