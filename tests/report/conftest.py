"""Small synthetic studies for the report tests (made here, deterministic; no patient data)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tests.conftest import write_study


def _d(start: dt.date, days: int) -> str:
    return (start + dt.timedelta(days=int(days))).isoformat()


def assessments_study(folder, n: int = 24, seed: int = 7, treatments: bool = True, yaml: str | None = None):
    """Patients + investigator responses only (no lesions), optionally treatments and adverse events.

    Covariates: ``arm`` (A/B), ``age`` (numbers) and ``stage`` (III/IV with two missing values, so models
    leave patients out and Table 1 has a Missing row).
    """
    rng = np.random.RandomState(seed)
    base = dt.date(2019, 1, 7)
    patients, scans, cycles, aes = [], [], [], []
    responses = ["PR", "PR", "SD", "SD", "PD", "CR", "SD", "PD"]
    for i in range(n):
        pid = f"S{i + 1:02d}"
        start = base + dt.timedelta(days=14 * i)
        arm = "A" if i % 2 else "B"
        best = responses[i % len(responses)]
        n_scans = 1 + rng.randint(1, 5)
        days = [56 * (k + 1) for k in range(n_scans)]
        seq = [best] * n_scans
        if best in ("PR", "CR", "SD") and i % 3 == 0:
            seq[-1] = "PD"
        for day, resp in zip(days, seq):
            scans.append({"patient_id": pid, "date": _d(start, day), "response": resp})
        last = days[-1] + 30 + int(rng.randint(0, 300))
        dead = i % 4 != 0
        patients.append({"patient_id": pid, "start_date": start.isoformat(),
                         "last_contact_date": _d(start, last),
                         "death_date": _d(start, last) if dead else "",
                         "arm": arm, "age": str(40 + (i * 7) % 31),
                         "stage": "" if i in (3, 10) else ("IV" if i % 3 else "III")})
        if treatments:
            for c in range(1 + i % 6):
                cycles.append({"patient_id": pid, "cycle": c + 1, "date": _d(start, 21 * c),
                               "dose_mg_m2": 3000 if c < 3 else 2500, "planned_dose_mg_m2": 3000})
            aes.append({"patient_id": pid, "term": "Neutropenia", "grade": 3 + i % 2})
            aes.append({"patient_id": pid, "term": "Nausea", "grade": 1 + i % 3})
            if i % 5 == 0:
                aes.append({"patient_id": pid, "term": "Fatigue", "grade": 2})
    tables = {"patients": patients, "assessments": scans}
    if treatments:
        tables.update(treatments=cycles, adverse_events=aes)
    if yaml is not None:
        tables["study.yaml"] = yaml
    return write_study(folder, **tables)


RICH_YAML = """title: Assessments-only SYNTHETIC test study
time_unit: months
response:
  confirmation: true
landmarks: {PFS: [6], OS: [12, 60]}
cox:
  PFS: [arm, stage]
  OS: [arm, age]
multivariable: true
report:
  p_style: jama
"""


@pytest.fixture(scope="session")
def rich_study(tmp_path_factory):
    return assessments_study(tmp_path_factory.mktemp("rich") / "study", yaml=RICH_YAML)


@pytest.fixture(scope="session")
def plain_study(tmp_path_factory):
    """Assessments only, no treatments or adverse events, no study.yaml (default plan)."""
    return assessments_study(tmp_path_factory.mktemp("plain") / "study", n=16, seed=3, treatments=False)


@pytest.fixture
def figure_spy(monkeypatch):
    """``figure_spy(check)``: every figure make_figures saves in this process is passed to ``check(fig)``
    first; returns the dict {file stem: check's result} that fills as figures are saved."""
    from oncoseries.report import figures

    def install(check):
        real, seen = figures.save_figure, {}

        def checked(fig, stem, **kw):
            seen[stem.name] = check(fig)
            return real(fig, stem, **kw)

        monkeypatch.setattr(figures, "save_figure", checked)
        monkeypatch.setenv("ONCOSERIES_FIGURE_PROCESSES", "1")   # the spy sees this process only
        return seen

    return install
