"""A wide biomarkers table (issue 9): the bundled hdifo study with N extra biomarker columns, analysed and
written (report.docx timed on its own). Before the fix the DOCX writer was quadratic in table rows.

    PYTHONPATH=src python benchmarks/bench_wide_biomarkers.py [--markers 3000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--markers", type=int, default=3000)
    args = ap.parse_args()
    from oncoseries.analysis import analyze
    from oncoseries.examples import example_study_path
    from oncoseries.report.document import build_document
    from oncoseries.report.docx import write_docx

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "hdifo"
        shutil.copytree(example_study_path().parent / "hdifo", folder)
        b = pd.read_csv(folder / "biomarkers.csv", dtype=str, keep_default_na=False)
        rng = np.random.default_rng(9)
        extra = {f"m{i}": np.round(rng.normal(size=len(b)), 3).astype(str) if i % 2 else
                 rng.choice(["lo", "hi"], size=len(b)) for i in range(args.markers)}
        pd.concat([b, pd.DataFrame(extra)], axis=1).to_csv(folder / "biomarkers.csv", index=False)
        t0 = time.perf_counter()
        res = analyze(folder)
        t1 = time.perf_counter()
        doc = build_document(res, [], None)
        t2 = time.perf_counter()
        write_docx(doc, Path(tmp) / "report.docx", res)
        t3 = time.perf_counter()
        rows = max(len(t.rows) for t in doc.tables)
    print(json.dumps({"markers": args.markers, "analyse_s": round(t1 - t0, 1), "document_s": round(t2 - t1, 1),
                      "docx_s": round(t3 - t2, 1), "largest_table_rows": rows}))


if __name__ == "__main__":
    main()
