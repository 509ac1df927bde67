"""Seeded generator of a SYNTHETIC study in the native layout, calibrated to Palmerini et al. 2020.

"High-dose ifosfamide in relapsed and unresectable high-grade osteosarcoma", Cells 9(11):2389: 51
patients, ORR 10/51 (1 CR + 9 PR), median PFS 6 months, 6-month PFS 51%, median OS 15 months, 2-year
OS 30%, CR2 in 26, Cox PFS ~ prior ifosfamide HR 2.0, Cox OS ~ CR2 HR 0.13, no PARP1/NGS association.
Not patient data: every value is drawn from distributions (docs/example-study.md).

Usage::

    python -m oncoseries.examples.generator --out DIR [--patients N] [--seed S] [--centres C]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import _outcomes as O
from ._calibrate import (NO_ASSOCIATION_P, calibrated_markers, calibrated_outcomes, marker_tables,
                         smallest_p)
from ._clinical import AE_TERMS, covariates, cycles_and_toxicity
from ._dosing import dosing_columns
from ._lesions import LESION_IDS, ORGANS, ROLES, SITES, STATES, lesion_rows, plan_lesions

AE_TERM_NAMES = [t for t, _, _ in AE_TERMS]
TITLE = ("High-dose ifosfamide in relapsed and unresectable high-grade osteosarcoma "
         "(SYNTHETIC data, not patients)")

STUDY_YAML = """\
# SYNTHETIC example study (not patient data), made by oncoseries.examples.generator with
#   --patients {n} --seed {seed} --centres {centres}
# Calibrated to the published aggregates of Palmerini et al. 2020, Cells 9(11):2389.
title: {title}
time_unit: months
pfs:
  # the metastasectomy of CR2 patients is new_therapy_date; it is part of the treatment strategy,
  # so PFS runs on through it (best response uses only the scans before it)
  censor_at_new_therapy: false
landmarks: {{PFS: [6], OS: [12, 24]}}
cox:
  PFS: [prior_ifosfamide, ecog, age]
  OS: [cr2]
# Table 1 by prior ifosfamide, with P values as gtsummary add_p (chi-square/Fisher, Wilcoxon)
table1: {{by: prior_ifosfamide}}
# the Cox table: every Table 1 variable screened univariably beside the planned model; HRs per 10 years
# of age and per interquartile range of the relapse-free interval
regression:
  screen: all
  per: {{age: 10, relapse_free_interval_months: iqr, parp1_ihc: iqr}}
# surgical CR2 happens months after the start: analysed as it happened (time-dependent Cox, landmark,
# Simon-Makuch) beside the naive comparison; the CR2 date is the metastasectomy (new_therapy_date)
time_dependent:
  cr2: {{date: new_therapy_date}}
labels:
  centre: Centre
  age: {{label: Age, unit: years}}
  sex: {{label: Sex, levels: {{female: Female, male: Male}}}}
  primary_site: Primary tumour site
  relapse_site: Site of relapse
  n_lesions: Number of lesions at relapse
  relapse_free_interval_months: {{label: Relapse-free interval, unit: months}}
  prior_ifosfamide: {{label: Prior ifosfamide, levels: {{no: No, yes: Yes}}}}
  line_of_therapy: Line of therapy
  ecog: {{label: ECOG performance status, categorical: true}}
  cr2: Surgical second complete remission (CR2)
  parp1_ihc: {{label: PARP1 immunohistochemistry, unit: H-score}}
  parp1_category: PARP1 expression
  ngs_tested: Tumour sequenced (NGS)
# the seed publication's own summary numbers as historical controls (docs/historical-control.md); the series
# was calibrated to them, so the comparison should show agreement
historical_controls:
  - endpoint: PFS
    citation: Palmerini E et al. Cells 2020;9(11):2389
    label: Palmerini 2020
    median: 6
    landmarks: {{6: 0.51}}
  - endpoint: OS
    citation: Palmerini E et al. Cells 2020;9(11):2389
    label: Palmerini 2020
    median: 15
    landmarks: {{24: 0.30}}
  - endpoint: ORR
    citation: Palmerini E et al. Cells 2020;9(11):2389
    label: Palmerini 2020
    responders: 10
    n: 51
# the next trial with this regimen as control (docs/trial-design.md): a table of events and patients
# for each hazard ratio, single-arm designs, a simulation check and a power curve
design:
  endpoint: PFS
  hr: [0.67, 0.6, 0.5]
  alpha: 0.05
  power: 0.8
  accrual: 24
  follow_up: 12
  dropout: 0.05
  simulate: 2000
"""

README = """\
# A SYNTHETIC high-dose ifosfamide study (not patient data)

{n} invented patients with relapsed high-grade osteosarcoma treated with high-dose ifosfamide
(3 g/m2/day continuous infusion, days 1-5 every 21 days), in the oncoseries native layout
(patients, lesions, biomarkers, mutations, treatments, adverse_events, study.yaml).

Every value is drawn from distributions calibrated to the published aggregates of Palmerini et al.
2020, "High-dose ifosfamide in relapsed and unresectable high-grade osteosarcoma", Cells 9(11):2389.
No patient data were used. See docs/example-study.md.

Made by (from the repository root, deterministic: the same call writes byte-identical files):

    {call}

Intended: {bor}; CR2 in {cr2}. Statistics of the intended outcomes found by the generator's search
(attempt {attempt}), months:

| statistic | value |
|---|---|
{table}

Biomarkers and mutations are independent of outcome by design. Up to 5000 patients, the generator
checks them with the `biomarkers` section of `oncoseries analyze` (every biomarker column and every gene
mutated in >= 3 patients, versus response, PFS and OS) and redraws them until no test has P < {threshold}.
{markers}
"""


def _dates(start: np.ndarray, day: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """ISO dates start + day; blank where not valid."""
    text = (start + day.astype("timedelta64[D]")).astype(str)
    return text if valid is None else np.where(valid, text, "")


def _ids(n: int) -> np.ndarray:
    width = max(3, len(str(n)))
    return np.char.add("HDIFO-", np.char.zfill(np.arange(1, n + 1).astype(str), width))


def _write(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n")


def _codes(codes: np.ndarray, labels) -> pd.Categorical:
    """A column written from integer codes (memory: no string per row until the CSV is written)."""
    return pd.Categorical.from_codes(codes, categories=list(labels))


def _date_column(start: np.ndarray, day: np.ndarray) -> pd.Categorical:
    """Dates start + day as a categorical of their distinct ISO strings."""
    uniq, inv = np.unique(start + day.astype("timedelta64[D]"), return_inverse=True)
    return pd.Categorical.from_codes(inv, categories=uniq.astype(str))


def _int_or_blank(values: np.ndarray) -> pd.Series:
    return pd.Series(values).astype("Int64").mask(values < 0)


def _markers_text(s) -> str:
    """The README paragraph on the marker search (calibrated_markers)."""
    if s.section is None:
        return "More than 5000 patients: the first draw of the markers is kept, unchecked."
    return (f"Result: {s.section['n_tests']} tests, smallest P = {smallest_p(s.section):.3g} (draw {s.draw}, "
            f"then {s.rounds} round(s) of redraws).\nWho has tissue and who was sequenced, tested the same "
            f"way as yes/no markers: smallest P = {smallest_p(s.availability):.3g}.")


def _check_args(n_patients, seed, centres) -> None:
    for name, value, low in (("n_patients", n_patients, 1), ("seed", seed, 0), ("centres", centres, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be a whole number, got {value!r}")
        if value < low:
            raise ValueError(f"{name} must be >= {low}, got {value}")


def generate_study(out_dir, n_patients: int = 51, seed: int = 2020, centres: int = 3) -> Path:
    """Write a synthetic HD-ifosfamide study (CSV files, study.yaml, README.md) to ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write (created if needed; files of the same names are overwritten).
    n_patients : int, default 51
        Patients. Response and CR2 counts are round(n * 1/51, 9/51, 26/51); for n <= 5000 the outcome
        draw is searched until the published aggregates hold (see ``_calibrate.TARGETS``).
    seed : int, default 2020
        The same (n_patients, seed, centres) always writes byte-identical files.
    centres : int, default 3

    Returns
    -------
    Path
        ``out_dir``.
    """
    _check_args(n_patients, seed, centres)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out_dir {out} is a file; expected a folder to write the study into")
    out.mkdir(parents=True, exist_ok=True)
    n = int(n_patients)
    o, stats, attempt = calibrated_outcomes(int(seed), n)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 1]))
    cov = covariates(rng, o, int(centres))
    site = cov["relapse_site"]
    plan = plan_lesions(rng, site, o.cr2 | (o.cr_scan > 0))
    baseline_day = -rng.integers(2, 28, n)
    les = lesion_rows(rng, o, plan, site, baseline_day)
    cyc = cycles_and_toxicity(rng, o, cov["age"], cov["sex"])
    dose = dosing_columns(int(seed), o, cyc, cov["age"], cov["sex"])   # own random stream
    nt_gap = rng.integers(7, 36, n)
    ids = _ids(n)
    yaml_text = STUDY_YAML.format(n=n, seed=seed, centres=centres, title=TITLE)
    (out / "study.yaml").write_text(yaml_text, encoding="utf-8")
    search = calibrated_markers(int(seed), o, ids, out / "study.yaml")
    mk = search.markers
    later_line = (o.surgery_day < 0) & (o.prog_day >= 0) & (o.prog_day + nt_gap <= o.last_day)
    new_therapy = np.where(o.surgery_day >= 0, o.surgery_day, np.where(later_line, o.prog_day + nt_gap, -1))
    patients = pd.DataFrame({
        "patient_id": ids,
        "centre": cov["centre"],
        "start_date": o.start.astype(str),
        "last_contact_date": _dates(o.start, o.last_day),
        "death_date": _dates(o.start, o.death_day, o.dead),
        "progression_date": _dates(o.start, o.prog_day, o.clinical),
        "new_therapy_date": _dates(o.start, new_therapy, new_therapy >= 0),
        "age": cov["age"], "sex": cov["sex"], "primary_site": cov["primary_site"],
        "relapse_site": np.array(SITES)[site],
        "n_lesions": plan.n_target + plan.n_non_target,
        "relapse_free_interval_months": cov["relapse_free_interval_months"],
        "prior_ifosfamide": cov["prior_ifosfamide"], "line_of_therapy": cov["line_of_therapy"],
        "ecog": cov["ecog"], "cr2": cov["cr2"], "height_cm": dose["height_cm"],
    })
    _write(patients, out / "patients.csv")
    _write(pd.DataFrame({
        "patient_id": _codes(les.patient, ids), "date": _date_column(o.start[les.patient], les.day),
        "lesion_id": _codes(les.lesion_id, LESION_IDS), "role": _codes(les.role, ROLES),
        "organ": _codes(les.organ, ORGANS), "nodal": _codes(les.nodal.astype(np.int8), ("false", "true")),
        "diameter_mm": _int_or_blank(les.diameter), "state": _codes(les.state, STATES),
    }), out / "lesions.csv")
    del les
    for name, table in zip(("biomarkers", "mutations"), marker_tables(ids, mk)):
        _write(table, out / f"{name}.csv")
    del table
    _write(pd.DataFrame({
        "patient_id": _codes(cyc.patient, ids), "cycle": cyc.cycle,
        "date": _date_column(o.start[cyc.patient], cyc.day),
        "drug": "ifosfamide", "weight_kg": dose["weight_kg"], "dose_mg_m2": cyc.dose.astype(np.int64),
        "planned_dose_mg_m2": 15000, "modification_reason": dose["modification_reason"],
        "stop_reason": dose["stop_reason"],
    }), out / "treatments.csv")
    _write(pd.DataFrame({
        "patient_id": _codes(cyc.ae_patient, ids), "term": _codes(cyc.ae_term, AE_TERM_NAMES),
        "grade": cyc.ae_grade, "date": _date_column(o.start[cyc.ae_patient], cyc.ae_day),
        "cycle": cyc.ae_cycle,
    }), out / "adverse_events.csv")
    call = (f"python -m oncoseries.examples.generator --out {out_dir} --patients {n} --seed {seed} "
            f"--centres {centres}")
    counts = {b: int((o.bor == b).sum()) for b in ("CR", "PR", "SD", "PD")}
    bor = ", ".join(f"{v} {k}" for k, v in counts.items())
    table = "\n".join(f"| {k} | {v:.3g} |" for k, v in stats.items())
    markers_text = _markers_text(search)
    (out / "README.md").write_text(README.format(n=n, call=call, bor=bor, cr2=int(o.cr2.sum()),
                                                 attempt=attempt, table=table, markers=markers_text,
                                                 threshold=NO_ASSOCIATION_P),
                                   encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m oncoseries.examples.generator --out DIR [--patients N] [--seed S] [--centres C]``."""
    ap = argparse.ArgumentParser(prog="python -m oncoseries.examples.generator",
                                 description="Write a SYNTHETIC high-dose ifosfamide study "
                                             "(not patient data).")
    ap.add_argument("--out", required=True, type=Path, help="output folder")
    ap.add_argument("--patients", type=int, default=51, help="number of patients (default 51)")
    ap.add_argument("--seed", type=int, default=2020, help="random seed (default 2020)")
    ap.add_argument("--centres", type=int, default=3, help="number of centres (default 3)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        out = generate_study(args.out, args.patients, args.seed, args.centres)
    except (TypeError, ValueError) as exc:
        ap.error(str(exc))
    print(f"Wrote a SYNTHETIC study of {args.patients} patients to {out} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
