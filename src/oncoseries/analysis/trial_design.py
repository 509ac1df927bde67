"""results.json ``design``: the next trial with this series' regimen as the control arm (study.yaml
``design:``; docs/trial-design.md).

The control arm's survival is the series' own curve for ``design.endpoint``: piecewise exponential
through its Kaplan-Meier estimate (``control: km``; ``pieces`` equal intervals up to the time when fewer
than max(5, 10% of the patients) remain at risk, the last hazard continuing) or exponential from its
median (``control: exponential``). For each hazard ratio: Lachin-Foulkes patients and events (or
Schoenfeld/Freedman), the expected time of the final analysis, group-sequential events when ``looks`` > 1,
the one-sample log-rank size of a single-arm trial against the same curve, and the power curve over
hazard ratios; Simon and A'Hern designs for the ORR when ``single_arm``. A design that cannot be made (e.g.
too few events in the series) is reported with its reason, never an error of the whole analysis.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..design._common import DesignError

POWER_GRID = np.round(np.arange(0.30, 1.0001, 0.02), 2)


def _control(cfg, adtte: pd.DataFrame, scale: float):
    from ..design import PiecewiseExponential, control_from_km
    from ..stats.kaplan_meier import kaplan_meier

    d = adtte[adtte["paramcd"] == cfg.endpoint]
    df = pd.DataFrame({"time": d["aval"].to_numpy(float) / scale, "event": (d["cnsr"] == 0).to_numpy(int)})
    n, events = len(df), int(df["event"].sum())
    if events < 5:
        raise DesignError(f"{cfg.endpoint} has {events} events in the series; at least 5 are needed to use "
                          "its curve as the control arm")
    km = kaplan_meier(df, "time", "event")
    med = float(km.medians["median"].iloc[0])
    info = {"endpoint": cfg.endpoint, "n": n, "events": events, "km_median": med if np.isfinite(med) else None,
            "model": cfg.control}
    if cfg.control == "exponential":
        if not np.isfinite(med):
            raise DesignError(f"the {cfg.endpoint} median is not reached in the series; use control: km")
        model = PiecewiseExponential.exponential(med)
    else:
        tab = km.table
        enough = tab[(tab["n_risk"] >= max(5, math.ceil(0.1 * n))) & (tab["survival"] > 0)]
        if enough.empty or not (enough["time"] > 0).any():
            raise DesignError(f"too few {cfg.endpoint} patients remain at risk to model the Kaplan-Meier curve; "
                              "use control: exponential")
        t_max = float(min(enough["time"].max(), tab.loc[tab["n_event"] > 0, "time"].max()))
        breaks = np.linspace(0.0, t_max, cfg.pieces + 1)
        model = control_from_km(tab["time"], tab["survival"], breaks)
        info.update({"breaks": [float(b) for b in breaks], "t_max": t_max})
    info.update(model.to_dict())
    info["model_median"] = model.median()
    return model, info


def _orr(response: dict | None):
    if not response:
        return None
    key = "confirmed" if str(response.get("headline", "")).startswith("confirmed") else "unconfirmed"
    row = next((r for r in response.get(key) or [] if r.get("category") == "ORR"), None)
    return None if row is None else {"p0": float(row["proportion"]), "n": int(row["n"]), "N": int(row["N"])}


def _single_arm(cfg, response) -> dict:
    from ..design import ahern, simon_two_stage

    orr = _orr(response)
    if orr is None:
        return {"message": "no objective response rate in the series"}
    p0 = round(orr["p0"], 2)
    p1 = round(p0 + cfg.orr_improvement, 2)
    if not 0 < p0 < p1 < 1:
        return {**orr, "message": f"ORR {p0:.2f} + {cfg.orr_improvement:g} is not a usable pair of response rates"}
    out = {**orr, "p0_rounded": p0, "p1": p1}
    try:
        out["simon_optimal"] = simon_two_stage(p0, p1, cfg.phase2_alpha, cfg.power, "optimal").to_dict()
        out["simon_minimax"] = simon_two_stage(p0, p1, cfg.phase2_alpha, cfg.power, "minimax").to_dict()
        out["ahern"] = ahern(p0, p1, cfg.phase2_alpha, cfg.power).to_dict()
    except DesignError as exc:
        out["message"] = str(exc)
    return out


def _design(cfg, model) -> dict:
    from ..design import (design_survival, dropout_hazard, group_sequential, one_sample_logrank_n,
                          power_survival, time_to_events)
    from ..design.text import seq_events, seq_patients

    eta = dropout_hazard(cfg.dropout, cfg.dropout_time)
    seq = group_sequential(cfg.looks, cfg.alpha, cfg.power, cfg.sides, cfg.spending) if cfg.looks > 1 else None
    grid = POWER_GRID[np.abs(POWER_GRID - 1) > 1e-9]
    rows = []
    for hr in cfg.hr:
        d = design_survival(hr, model, cfg.accrual, cfg.follow_up, cfg.alpha, cfg.power, cfg.ratio, cfg.sides,
                            eta, cfg.method)
        row = d.to_dict()
        row.pop("control", None)
        if seq is not None:
            nc, ne = seq_patients(d, seq)
            ev = seq_events(d, seq)
            row["sequential"] = {"events": ev, "patients": nc + ne, "n_control": nc, "n_experimental": ne,
                                 "times": [time_to_events(e, nc, ne, hr, model, cfg.accrual, eta) for e in ev]}
        if cfg.single_arm and hr < 1:
            o = one_sample_logrank_n(hr, model, cfg.accrual, cfg.follow_up, cfg.phase2_alpha, cfg.power, eta)
            row["one_sample"] = o.to_dict()
        pw = power_survival(grid, d.patients_planned, model, cfg.accrual, cfg.follow_up, cfg.alpha, cfg.ratio,
                            cfg.sides, eta, cfg.method)
        row["power_curve"] = {"hr": [float(x) for x in grid] + [1.0],
                              "power": [float(x) for x in pw] + [cfg.alpha / cfg.sides]}
        rows.append(row)
    return {"rows": rows, "sequential": seq.to_dict() if seq is not None else None, "dropout_rate": eta}


def design_section(cfg, adtte: pd.DataFrame, scale: float, response: dict | None) -> dict | None:
    """The ``design`` section of results.json, or None without ``design:`` in study.yaml."""
    if cfg is None:
        return None
    out = {"settings": cfg.model_dump(mode="json")}
    try:
        model, out["control"] = _control(cfg, adtte, scale)
        out.update(_design(cfg, model))
        if cfg.simulate:
            from ..design.simulate import simulate_design
            from ..design import design_survival, group_sequential

            first = out["rows"][0]
            d = design_survival(first["hr"], model, cfg.accrual, cfg.follow_up, cfg.alpha, cfg.power, cfg.ratio,
                                cfg.sides, out["dropout_rate"], cfg.method)
            seq = group_sequential(cfg.looks, cfg.alpha, cfg.power, cfg.sides, cfg.spending) \
                if cfg.looks > 1 else None
            sim = simulate_design(d, model, cfg.accrual, cfg.simulate, cfg.seed, seq)
            out["simulation"] = {k: v.to_dict() for k, v in sim.items()}
        if cfg.single_arm:
            out["single_arm"] = _single_arm(cfg, response)
    except DesignError as exc:
        out["message"] = str(exc)
        return out
    except Exception as exc:  # a design must never cost the user the analysis; the reason is reported
        out["message"] = f"the design could not be computed ({type(exc).__name__}: {exc})"
        return out
    return out
