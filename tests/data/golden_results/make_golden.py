"""Regenerate the golden results.json of the bundled example studies (after an intended change only).

    .venv/bin/python tests/data/golden_results/make_golden.py

Review the diff (`git diff tests/data/golden_results`) before committing: every changed number must be
explained by the change. The statistics inside are checked against R elsewhere (tests/golden/*.R);
these files pin the whole pipeline (intake -> RECIST -> endpoints -> statistics -> results.json).
"""

from __future__ import annotations

import json
from pathlib import Path

from oncoseries.analysis import analyze
from oncoseries.examples import example_study_path

HERE = Path(__file__).resolve().parent
STUDIES = ("mini", "hdifo")


def golden(name: str) -> dict:
    data = analyze(example_study_path(name)).to_dict()
    data.pop("software", None)  # the version changes with every release
    return data


if __name__ == "__main__":
    for name in STUDIES:
        (HERE / f"{name}.json").write_text(json.dumps(golden(name), indent=1, sort_keys=True) + "\n")
        print(f"wrote {name}.json")
