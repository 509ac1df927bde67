"""Round trip of the comparison tools: simulate two arms, draw their Kaplan-Meier curves (oncoseries' km_figure
or a plain matplotlib step plot) to a PNG, digitise it (digitize_km), reconstruct the patients (reconstruct_ipd,
with the numbers at risk the figure prints) and compare medians, landmark survival and the HR with the truth.

Used by tests/compare/test_roundtrip.py (a few cases) and tests/compare/make_accuracy_table.py (the table in
docs/historical-control.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import oncoseries as osr

MONTH = 30.4375
SHAPES = ("exponential", "weibull", "cure")
LANDMARKS = (12.0, 24.0)
HR_TRUE = 0.7


def simulate(shape: str, n: int, censoring: str, seed: int) -> pd.DataFrame:
    """Two arms of n patients (times in months): control median 12 months; experimental HR 0.7.
    exponential; weibull (shape 1.5, rising hazard); cure (30% never have the event, the rest exponential).
    Censoring: light = accrual over 24 months and analysis at 48 (follow-up 24-48); heavy = the same plus
    exponential loss to follow-up (median 18 months), about half censored."""
    rng = np.random.default_rng(seed)
    arm = np.repeat([0, 1], n)
    u = rng.uniform(size=2 * n)
    hr = np.where(arm == 1, HR_TRUE, 1.0)
    lam = np.log(2) / 12
    if shape == "exponential":
        t = -np.log(u) / (lam * hr)
    elif shape == "weibull":
        k = 1.5
        scale = 12 / np.log(2) ** (1 / k)
        t = scale * (-np.log(u) / hr) ** (1 / k)
    elif shape == "cure":
        cured = rng.uniform(size=2 * n) < 0.3
        t = np.where(cured, np.inf, -np.log(u) / (lam * 1.6 * hr))
    else:
        raise ValueError(shape)
    c = rng.uniform(24, 48, 2 * n)
    if censoring == "heavy":
        c = np.minimum(c, rng.exponential(18 / np.log(2), 2 * n))
    time = np.round(np.minimum(t, c), 3)
    return pd.DataFrame({"time": np.maximum(time, 0.01), "event": (t <= c).astype(int),
                         "arm": np.where(arm == 1, "B", "A")})


@dataclass
class Drawn:
    path: Path
    x_range: tuple
    y_range: tuple
    ticks: np.ndarray
    colours: list


def draw(df: pd.DataFrame, style: str, path: Path, dpi: int = 150) -> Drawn:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if style == "oncoseries":
        from oncoseries.report.km_plot import km_figure
        from oncoseries.report.style import PALETTE

        km = osr.kaplan_meier(df.assign(days=df["time"] * MONTH), "days", "event", by="arm")
        fig = km_figure(km, show_ci=False)
        ax = fig.axes[0]
        colours = PALETTE[:2]
    else:
        fig, ax = plt.subplots(figsize=(6.4, 4.8))
        colours = ["C0", "C1"]
        for g, col in zip(("A", "B"), colours):
            km = osr.kaplan_meier(df[df["arm"] == g], "time", "event")
            tab = km.table
            t = np.r_[0.0, tab["time"].to_numpy()]
            s = np.r_[1.0, tab["survival"].to_numpy()]
            ax.step(t, s, where="post", color=col, label=g)
            cen = tab[tab["n_censor"] > 0]
            ax.plot(cen["time"], cen["survival"], "|", color=col, markersize=6)
        ax.set_xlabel("Months")
        ax.set_ylabel("Survival")
        ax.legend()
    fig.canvas.draw()
    xt = [x for x in ax.get_xticks() if ax.get_xlim()[0] - 1e-9 <= x <= ax.get_xlim()[1] + 1e-9]
    yt = [y for y in ax.get_yticks() if ax.get_ylim()[0] - 1e-9 <= y <= ax.get_ylim()[1] + 1e-9]
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return Drawn(Path(path), (xt[0], xt[-1]), (yt[0], yt[-1]), np.asarray(xt, float), colours)


def _at_risk(df: pd.DataFrame, ticks: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"time": ticks, "n_risk": [(df["time"] >= t).sum() for t in ticks]})


def _summary(df: pd.DataFrame) -> tuple[float, np.ndarray]:
    km = osr.kaplan_meier(df, "time", "event")
    return float(km.medians["median"].iloc[0]), km.at(list(LANDMARKS))["survival"].to_numpy(float)


def _loghr(df: pd.DataFrame) -> float:
    return float(osr.cox(df, "time", "event", ["arm"]).summary.loc["armB", "coef"])


def round_trip(shape: str, n: int, censoring: str, style: str, seed: int, folder: Path) -> dict:
    """One case: errors of the reconstructed arms against the true data."""
    df = simulate(shape, n, censoring, seed)
    drawn = draw(df, style, Path(folder) / f"{shape}_{n}_{censoring}_{style}_{seed}.png")
    pts = osr.digitize_km(drawn.path, drawn.x_range, drawn.y_range, colors=drawn.colours)
    arms, med_err, lm_err, fit_err = [], [], [], []
    for g, col in zip(("A", "B"), drawn.colours):
        sub = df[df["arm"] == g]
        curve = pts.loc[pts["curve"] == col, ["time", "survival"]]
        ipd = osr.reconstruct_ipd(curve, _at_risk(sub, drawn.ticks[drawn.ticks <= sub["time"].max()]),
                                  events_total=int(sub["event"].sum()))
        arms.append(ipd.assign(arm=g))
        (m_true, s_true), (m_rec, s_rec) = _summary(sub), _summary(ipd)
        if np.isfinite(m_true) and np.isfinite(m_rec):
            med_err.append(abs(m_rec - m_true))
        elif np.isfinite(m_true) != np.isfinite(m_rec):
            med_err.append(np.inf)
        lm_err.extend(np.abs(s_rec - s_true)[np.isfinite(s_true) & np.isfinite(s_rec)])
        fit_err.append(ipd.attrs["fit"]["max_abs_diff"])
    rec = pd.concat(arms, ignore_index=True)
    hr_true, hr_rec = np.exp(_loghr(df)), np.exp(_loghr(rec))
    return {"shape": shape, "n": n, "censoring": censoring, "style": style, "seed": seed,
            "censored": float(1 - df["event"].mean()),
            "median_error": max(med_err) if med_err else np.nan,
            "landmark_error": max(lm_err) if lm_err else np.nan,
            "hr_true": hr_true, "hr_reconstructed": hr_rec, "hr_error": abs(hr_rec / hr_true - 1),
            "curve_fit": max(fit_err)}
