"""The validation tables of docs/trial-design.md: oncoseries.design against the R goldens (rpact and the
independent base-R script) and against published Simon (1989) rows, and the seeded simulation against the
formulas. Run from the repo root (prints Markdown):

    PYTHONPATH=src python tests/golden/design_tables.py > /tmp/tables.md
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from oncoseries.design import (Accrual, PiecewiseExponential, ahern, design_survival, dropout_hazard,
                               events_needed, group_sequential, one_sample_logrank_n, power_events,
                               simon_two_stage)
from oncoseries.design.simulate import simulate_design

ROOT = Path(__file__).resolve().parents[2]
RP = json.loads((ROOT / "tests/golden/design_rpact.json").read_text())
FO = json.loads((ROOT / "tests/golden/design_formulas.json").read_text())


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def md(rows, header):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def reference_table():
    rows = []
    ev = pd.DataFrame(RP["events"])
    for m in ("Schoenfeld", "Freedman"):
        e = ev[ev.method == m]
        worst = max(rel(events_needed(r.hr, r.alpha, r.power, r.ratio, int(r.sides), m.lower()), r.events)
                    for r in e.itertuples())
        rows.append((f"Events, {m}", f"rpact {RP['rpact_version']} getSampleSizeSurvival", len(e), f"{worst:.1e}"))
    worst = 0.0
    for s in RP["patients"]:
        d = design_survival(s["hr"], PiecewiseExponential(tuple(s["starts"]), tuple(s["rates"])),
                            Accrual(tuple(s["acc_dur"]), tuple(s["acc_rate"])), s["fu"], s["alpha"], s["power"],
                            s["ratio"], int(s["sides"]), dropout_hazard(s["drop"], s["drop_time"]), "schoenfeld")
        worst = max(worst, rel(d.patients, s["patients"]), rel(d.events, s["events"]))
    rows.append(("Patients for the events (accrual, dropout, piecewise hazards)", "rpact getSampleSizeSurvival",
                 len(RP["patients"]), f"{worst:.1e}"))
    worst = 0.0
    for g in RP["sequential"]:
        d = group_sequential(int(g["k"]), g["alpha"], g["power"], 1, {"asOF": "obf", "asP": "pocock"}[g["type"]],
                             g["timing"])
        worst = max([worst, rel(d.inflation, g["inflation"])] + [rel(a, b) for a, b in zip(d.bounds, g["bounds"])])
    rows.append(("Lan-DeMets boundaries and inflation factor (OBF-, Pocock-like)",
                 "rpact getDesignGroupSequential / getDesignCharacteristics", len(RP["sequential"]), f"{worst:.1e}"))
    worst = 0.0
    for s in FO["lachin_foulkes"]:
        d = design_survival(s["hr"], PiecewiseExponential(tuple(s["starts"]), tuple(s["rates"])),
                            Accrual(tuple(s["dur"]), tuple(s["rate"])), s["fu"], s["alpha"], s["power"], s["ratio"],
                            int(s["sides"]), s["eta"])
        worst = max(worst, rel(d.patients, s["patients"]), rel(d.events, s["events"]))
    rows.append(("Lachin-Foulkes patients and events", "design_formulas.R (gsDesign nSurv formula, base R)",
                 len(FO["lachin_foulkes"]), f"{worst:.1e}"))
    same, n = 0, 0
    for s in FO["simon"]:
        for k in ("optimal", "minimax"):
            d = simon_two_stage(s["p0"], s["p1"], s["alpha"], 1 - s["beta"], k, nmax=int(s["nmax"]))
            r = s[k]
            n += 1
            same += (d.r1, d.n1, d.r, d.n) == (r["r1"], r["n1"], r["r"], r["n"]) and rel(d.en0, r["en0"]) < 1e-9
    rows.append(("Simon optimal/minimax designs", "design_formulas.R (brute-force enumeration)", n,
                 f"{same}/{n} identical"))
    a = pd.DataFrame(FO["ahern"])
    same = sum((ahern(r.p0, r.p1, r.alpha, r.power).n, ahern(r.p0, r.p1, r.alpha, r.power).r) == (r.n, r.r)
               for r in a.itertuples())
    rows.append(("A'Hern single-stage designs", "design_formulas.R", len(a), f"{same}/{len(a)} identical"))
    worst = 0.0
    for s in FO["one_sample"]:
        d = one_sample_logrank_n(s["hr"], PiecewiseExponential(tuple(s["starts"]), tuple(s["rates"])),
                                 Accrual(tuple(s["dur"]), tuple(s["rate"])), s["fu"], s["alpha"], s["power"],
                                 s["eta"])
        worst = max(worst, rel(d.n, s["n"]))
    rows.append(("One-sample log-rank sample size", "design_formulas.R (integrate())", len(FO["one_sample"]),
                 f"{worst:.1e}"))
    t = pd.read_csv(ROOT / "tests/data/simon1989/table1.csv")
    same = sum((lambda d: (d.r1, d.n1, d.r, d.n) == (r.r1, r.n1, r.r, r.n) and round(d.en0, 1) == r.en0
                and round(d.pet0, 2) == r.pet0)(simon_two_stage(r.p0, r.p1, r.alpha, 1 - r.beta, r.design))
               for r in t.itertuples())
    rows.append(("Simon designs, published", "Simon (1989) Table 1", len(t), f"{same}/{len(t)} identical"))
    return md(rows, ("Quantity", "Reference", "Cases", "Largest relative difference"))


def simulation_table(n_sim=10000, seed=2024):
    from oncoseries.design import time_to_events
    from oncoseries.design.text import seq_patients

    rows = []
    for i, (hr, med, acc, fu, eta, looks) in enumerate(((0.67, 6, 24, 12, 0.0, 1), (0.6, 6, 24, 12, 0.005, 1),
                                         (0.75, 12, 30, 18, 0.0, 1), (0.5, 8, 18, 12, 0.0, 1),
                                         (0.7, 8, 24, 12, 0.0, 3))):
        d = design_survival(hr, med, acc, fu, alpha=0.05, power=0.8, dropout_rate=eta, method="schoenfeld")
        seq = group_sequential(looks, 0.05, 0.8, 2, "obf") if looks > 1 else None
        sim = simulate_design(d, med, acc, n_sim=n_sim, seed=seed + i, sequential=seq)
        h1, h0 = sim["h1"], sim["h0"]
        formula = power_events(hr, d.events_planned) if seq is None else sum(seq.prob_cross_h1)
        n_c, n_e = (d.n_control, d.n_experimental) if seq is None else seq_patients(d, seq)
        expected = time_to_events(h1.events[-1], n_c, n_e, hr, med, acc, eta)
        rows.append((f"{hr:g}", f"{med:g}", f"{acc:g}/{fu:g}", f"{eta:g}", looks, n_c + n_e,
                     h1.events[-1], f"{formula:.3f}", f"{h1.rejection_rate:.3f} ± {h1.rejection_se:.3f}",
                     f"{h0.rejection_either_side:.4f}" if seq is None else f"{h0.rejection_rate:.4f} (one-sided 0.025)",
                     f"{expected:.1f}", f"{h1.time_quantiles['50%']:.1f}"))
    return md(rows, ("HR", "Control median", "Accrual/follow-up", "Dropout rate", "Looks", "Patients", "Events",
                     "Power, formula (Schoenfeld; group-sequential: crossing probability)", f"Power, simulated ({n_sim} trials)", "Type I error, simulated",
                     "Final analysis, expected", "Final analysis, simulated median"))


if __name__ == "__main__":
    print("## Formula vs reference\n")
    print(reference_table())
    print("\n## Simulation vs formula\n")
    print(simulation_table())
