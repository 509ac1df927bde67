"""Make subset/: the rows of ~20 subjects from pharmaversesdtm's sdtm_{dm,tu,tr,rs}_onco CSVs, verbatim.

Usage: ``python make_subset.py SOURCE_DIR`` where SOURCE_DIR holds the full CSV exports of
pharmaversesdtm (sdtm_dm.csv, sdtm_tu_onco.csv, sdtm_tr_onco.csv, sdtm_rs_onco.csv). Lines are copied
byte for byte (header plus every line of a chosen subject), so values keep their original spelling.
Not run by the tests.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

# chosen for coverage: partial dates (1015), an invalid OVRLRESP "CHECK" (1143), equivocal/unequivocal
# new lesions (1028, 1287, 1440), deaths (1211, 1445, 1083), tumour data without RS (1023, 1033),
# NOT DONE assessments (1034); then the first subjects of RS in sorted order up to 20.
CHOSEN = ["01-701-1015", "01-711-1143", "01-701-1028", "01-701-1287", "01-701-1440", "01-701-1211",
          "01-704-1445", "01-710-1083", "01-701-1023", "01-701-1033", "01-701-1034"]
N_SUBJECTS = 20
FILES = ["sdtm_dm.csv", "sdtm_tu_onco.csv", "sdtm_tr_onco.csv", "sdtm_rs_onco.csv"]


def subject_of(line: str, col: int) -> str:
    return next(csv.reader([line]))[col]


def main(src: Path, dst: Path) -> None:
    rs_lines = (src / "sdtm_rs_onco.csv").read_text().splitlines()
    col = next(csv.reader([rs_lines[0]])).index("USUBJID")
    chosen = list(CHOSEN)
    for s in sorted({subject_of(line, col) for line in rs_lines[1:]}):
        if len(chosen) >= N_SUBJECTS:
            break
        if s not in chosen:
            chosen.append(s)
    keep = set(chosen)
    dst.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        lines = (src / name).read_text().splitlines(keepends=True)
        col = next(csv.reader([lines[0]])).index("USUBJID")
        out = [lines[0]] + [line for line in lines[1:] if subject_of(line, col) in keep]
        (dst / name).write_text("".join(out))
        print(f"{name}: {len(out) - 1} rows")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(__file__).resolve().parent / "subset")
