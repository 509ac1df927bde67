"""The vectorised derivation equals a plain per-patient transcription of INTERFACE §5 on random data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncoseries.endpoints import EndpointSettings, derive_endpoints

RESPONSES = np.array(["CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE"])
BASE = pd.Timestamp("2015-01-01")


def random_study(seed: int, n: int = 300):
    rng = np.random.default_rng(seed)
    ids = [f"S{i:03d}" for i in range(n)]
    start = BASE + pd.to_timedelta(rng.integers(0, 400, n), unit="D")

    def maybe(p, lo, hi):
        days = rng.integers(lo, hi, n)
        return pd.Series(np.where(rng.random(n) < p, start + pd.to_timedelta(days, unit="D"), pd.NaT),
                         dtype="datetime64[ns]")

    patients = pd.DataFrame({
        "patient_id": ids, "start_date": start,
        "last_contact_date": maybe(0.95, 1, 700), "death_date": maybe(0.4, 1, 700),
        "progression_date": maybe(0.15, 1, 500), "new_therapy_date": maybe(0.3, 1, 500),
    })
    rows = []
    for i in range(n):
        k = rng.integers(0, 7)
        days = np.sort(rng.choice(np.arange(-5, 600), size=k, replace=False))
        for d in days:
            rows.append((ids[i], start[i] + pd.Timedelta(days=int(d)), str(rng.choice(RESPONSES))))
    tp = pd.DataFrame(rows, columns=["patient_id", "date", "overall"])
    tp["date"] = tp["date"].astype("datetime64[ns]")
    first = tp[tp.overall.isin(["CR", "PR"]) & (tp.date > patients.set_index("patient_id").start_date
                                                  .reindex(tp.patient_id).to_numpy())]
    first = first.groupby("patient_id").date.min()
    br = pd.DataFrame({"patient_id": ids})
    br["first_response_date"] = br.patient_id.map(first).astype("datetime64[ns]")
    known = pd.DataFrame({"patient_id": rng.choice(ids, 60), "date": BASE + pd.to_timedelta(
        rng.integers(0, 1200, 60), unit="D")})
    return patients, tp, br, known


def reference(patients, tp, br, known, settings):
    """Straightforward per-patient reading of the rules (slow, for testing only)."""
    out = {}
    ma = settings.missed_assessments
    for p in patients.itertuples():
        start = p.start_date
        scans = tp[(tp.patient_id == p.patient_id) & (tp.date > start)].sort_values("date")
        alive = [d for d in [p.last_contact_date] if pd.notna(d)]
        others = list(tp.date[tp.patient_id == p.patient_id])
        others += list(known.date[known.patient_id == p.patient_id])
        others += [d for d in (p.progression_date, p.new_therapy_date) if pd.notna(d)]
        if pd.notna(p.death_date):
            out[(p.patient_id, "OS")] = (p.death_date, 0)
        else:
            cands = alive + others
            out[(p.patient_id, "OS")] = (max(cands) if cands else start, 1)
        resp = br.first_response_date[br.patient_id == p.patient_id].iloc[0]
        for param, origin, with_death in (("PFS", start, True), ("TTP", start, False), ("DOR", resp, True)):
            if pd.isna(origin):
                continue
            s = scans[scans.date >= origin]
            adequate = s[s.overall != "NE"]
            events = [d for d in [s.date[s.overall == "PD"].min(), p.progression_date] if pd.notna(d)]
            if with_death and pd.notna(p.death_date):
                events.append(p.death_date)
            event = min(events) if events else None
            nt = p.new_therapy_date
            if settings.censor_at_new_therapy and pd.notna(nt) and (event is None or nt < event):
                before = adequate.date[adequate.date < nt]
                out[(p.patient_id, param)] = (before.max() if len(before) else origin, 1)
                continue
            if event is not None:
                if ma is not None:
                    before = adequate.date[adequate.date < event]
                    ref = before.max() if len(before) else origin
                    if (event - ref).days > ma.interval_days * ma.max_missed:
                        out[(p.patient_id, param)] = (ref, 1)
                        continue
                out[(p.patient_id, param)] = (event, 0)
            else:
                out[(p.patient_id, param)] = (adequate.date.max() if len(adequate) else origin, 1)
    return out


@pytest.mark.parametrize("seed, settings", [
    (1, EndpointSettings()),
    (2, EndpointSettings(censor_at_new_therapy=False)),
    (3, EndpointSettings(missed_assessments=(42, 2))),
    (4, EndpointSettings(censor_at_new_therapy=False, missed_assessments=(21, 3))),
])
def test_vectorised_equals_reference(seed, settings):
    patients, tp, br, known = random_study(seed)
    res = derive_endpoints(patients, tp, br, settings, known_alive=known)
    ref = reference(patients, tp, br, known, settings)
    got = {(r.patient_id, r.paramcd): (r.adt, r.cnsr) for r in res.adtte.itertuples()}
    assert got == ref
    a = res.adtte
    assert ((a.adt - a.startdt).dt.days + 1 == a.aval).all()
    # every patient has OS, PFS and TTP; DOR exactly for responders
    counts = a.groupby("paramcd").size()
    assert counts["OS"] == counts["PFS"] == counts["TTP"] == len(patients)
    assert counts["DOR"] == br.first_response_date.notna().sum()
