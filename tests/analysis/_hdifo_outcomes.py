"""The per-patient outcomes of the bundled hdifo study as oncoseries derives them, for the R golden
tests/golden/association.R (which reads them from tests/golden/association_hdifo.csv beside the example's
biomarkers.csv and mutations.csv).

Regenerate (from the repository root): PYTHONPATH=src python -m tests.analysis._hdifo_outcomes
The test test_biomarkers.py::test_hdifo_outcomes_csv_is_current checks the committed file is what the
analysis derives now.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

CSV = Path(__file__).resolve().parents[1] / "golden" / "association_hdifo.csv"


def hdifo_outcomes(results) -> pd.DataFrame:
    """patient_id, responder (1 = CR/PR by the headline BOR; empty when not response-evaluable), and PFS/OS
    time (days, ADTTE aval) and event (1 = event)."""
    sec = results.sections["biomarkers"]
    best = results.derived["best_response"][["patient_id", sec["headline"]]]
    out = results.study.patients[["patient_id"]].merge(best, on="patient_id", how="left")
    out["responder"] = out[sec["headline"]].map(lambda v: None if pd.isna(v) else int(v in ("CR", "PR")))
    out = out.drop(columns=[sec["headline"]]).astype({"responder": "Int64"})
    adtte = results.derived["adtte"]
    for ep in ("PFS", "OS"):
        d = adtte.loc[adtte["paramcd"] == ep, ["patient_id", "aval", "cnsr"]]
        d = d.assign(**{f"{ep.lower()}_time": d["aval"].astype(int),
                        f"{ep.lower()}_event": (d["cnsr"] == 0).astype(int)}).drop(columns=["aval", "cnsr"])
        out = out.merge(d, on="patient_id", how="left")
    return out.sort_values("patient_id").reset_index(drop=True)


if __name__ == "__main__":
    from oncoseries.analysis import analyze
    from oncoseries.examples import example_study_path

    hdifo_outcomes(analyze(example_study_path("hdifo"))).to_csv(CSV, index=False, lineterminator="\n")
    print(f"wrote {CSV}")
