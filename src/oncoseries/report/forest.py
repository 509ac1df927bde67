"""Forest plot of Cox hazard ratios (univariable and multivariable) for one endpoint.

Rows come from ``results.sections["cox"]`` only. Each categorical covariate shows its reference level
as "reference" and one row per other level; a numeric covariate one row (HR per unit). Where the
standard fit diverges (monotone likelihood, ``separation``), the row shows the Firth estimate with its
profile-likelihood CI, marked † and drawn as an open diamond (Heinze & Schemper 2001). HRs are on a log
axis with a line at 1; a CI beyond the axis ends in an arrow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.transforms import blended_transform_factory, offset_copy

from ._layout import text_width_pt
from .context import label as var_label
from .pformat import format_hr, format_p
from .style import WIDTHS, font_sizes, rc, pyplot

plt = pyplot()   # matplotlib with the Agg backend and cached text measurements (style.pyplot)

#: Widest axis range drawn: CIs beyond are arrows.
AXIS_LIMITS = (1e-3, 1e3)
_TICKS = [0.001, 0.01, 0.1, 0.25, 0.5, 1, 2, 4, 10, 100, 1000]
_COLUMNS = ["label", "indent", "kind", "hr", "lower", "upper", "hr_text", "p_text", "firth", "clipped"]


def _finite(x) -> float:
    return float(x) if x is not None and np.isfinite(x) else np.nan


def _term_rows(model: dict, p_style: str, digits: int) -> list[dict]:
    firth = {t["coefficient"]: t for t in (model.get("firth") or {}).get("terms", [])}
    sep = set(model.get("separation") or [])
    rows: list[dict] = []
    by_term: dict[str, list[dict]] = {}
    for t in model["terms"]:
        by_term.setdefault(t["term"], []).append(t)
    univariable = model["model"] == "univariable"
    for term, terms in by_term.items():
        categorical = terms[0].get("level") is not None
        counts = f"n={model['n']}, {model['events']} events" if univariable else ""
        # a factor with several levels: its likelihood-ratio test P on the covariate's own row
        overall = format_p(model["lr_test"]["p"], p_style, prefix=False) if univariable and len(terms) > 1 else ""
        rows.append({"label": var_label(term), "indent": 0, "kind": "covariate", "hr_text": counts, "p_text": overall})
        if categorical:
            rows.append({"label": str(terms[0]["reference"]), "indent": 1, "kind": "reference",
                         "hr_text": "reference"})
        for t in terms:
            per = t.get("per") or {}          # study.yaml regression.per: "per 10 years", "per IQR"
            label = str(t["level"]) if categorical else (per.get("text") or "per unit")
            src, is_firth = ({**t, **{k: per[k] for k in ("hr", "lower", "upper")}} if per else t), False
            if t["coefficient"] in sep:
                if t["coefficient"] not in firth:
                    rows.append({"label": label, "indent": 1, "kind": "skipped",
                                 "hr_text": "not estimable (separation)"})
                    continue
                src, is_firth = firth[t["coefficient"]], True
            rows.append({"label": label, "indent": 1, "kind": "estimate", "hr": _finite(src["hr"]),
                         "lower": _finite(src["lower"]), "upper": _finite(src["upper"]), "firth": is_firth,
                         "hr_text": format_hr(src["hr"], src["lower"], src["upper"])
                         + (" †" if is_firth else ""),
                         "p_text": format_p(src["p"], p_style, prefix=False)})
    return rows


def forest_rows(models: list[dict], endpoint: str, p_style: str = "default", digits: int = 3) -> pd.DataFrame:
    """The forest plot's rows for one endpoint (pure function of ``results.sections["cox"]``).

    Columns ``label, indent, kind, hr, lower, upper, hr_text, p_text, firth, clipped``; ``kind`` is
    "section", "covariate", "reference", "estimate" or "skipped"; ``clipped`` marks a CI reaching
    beyond ``AXIS_LIMITS`` or unbounded.
    """
    rows: list[dict] = []
    for kind in ("univariable", "multivariable"):
        ms = [m for m in models if m.get("endpoint") == endpoint and m.get("model") == kind]
        fitted = [m for m in ms if "skipped" not in m]
        if not ms:
            continue
        if kind == "univariable":
            rows.append({"label": "Univariable", "indent": 0, "kind": "section"})
        for m in ms:
            if "skipped" in m:
                # the reason is in the Cox table's notes; a long reason would widen the figure
                rows.append({"label": var_label(m["covariates"][0]), "indent": 0, "kind": "skipped",
                             "hr_text": "not modelled"})
                continue
            if kind == "multivariable":
                rows.append({"label": f"Multivariable ({m['n']} patients, {m['events']} events)", "indent": 0,
                             "kind": "section"})
            rows += _term_rows(m, p_style, digits)
        if not fitted and kind == "multivariable":
            rows.pop()
    df = pd.DataFrame(rows, columns=_COLUMNS)
    df["indent"] = df["indent"].fillna(0).astype(int)
    df["firth"] = df["firth"].map(lambda v: v is True)
    for c in ("hr_text", "p_text"):
        df[c] = df[c].fillna("")
    for c in ("hr", "lower", "upper"):
        df[c] = df[c].astype(float)
    est = df["kind"] == "estimate"
    lo, hi = AXIS_LIMITS
    df["clipped"] = est & (~np.isfinite(df["lower"]) | ~np.isfinite(df["upper"]) | (df["lower"] < lo)
                           | (df["upper"] > hi) | (df["lower"] <= 0))
    return df


def forest_limits(rows: pd.DataFrame) -> tuple[float, float]:
    """Log-axis range covering every finite HR and CI bound and 1, within AXIS_LIMITS, padded."""
    est = rows[rows["kind"] == "estimate"]
    vals = np.concatenate([est["hr"], est["lower"], est["upper"], [1.0]])
    vals = vals[np.isfinite(vals) & (vals > 0)]
    lo, hi = max(vals.min(), AXIS_LIMITS[0]), min(vals.max(), AXIS_LIMITS[1])
    lo, hi = min(lo, 0.5), max(hi, 2.0)
    return lo / 1.35, hi * 1.35


def _thin_ticks(ticks, lo, hi, plot_pt, small):
    """Keep 1, then ticks outward from it whose labels stay at least a label width plus an em apart."""
    pos = {t: (np.log(t) - np.log(lo)) / (np.log(hi) - np.log(lo)) * plot_pt for t in ticks}
    need = {t: text_width_pt(f"{t:g}", small) for t in ticks}
    keep = [1] if 1 in pos else []
    for side in ([t for t in ticks if t > 1], [t for t in ticks if t < 1][::-1]):
        last = 1
        for t in side:
            if abs(pos[t] - pos[last]) >= (need[t] + need[last]) / 2 + small:
                keep.append(t)
                last = t
    return sorted(keep)


def forest_figure(rows: pd.DataFrame, *, size: str = "double", xlabel: str = "Hazard ratio (95% CI)"):
    """Draw the forest plot of ``forest_rows``; returns the Figure (axes label "forest"; points carry gids
    ``hr-<row>``, Firth points ``firth-<row>``)."""
    base, small = font_sizes(size)
    width = WIDTHS[size]
    n = len(rows)
    with plt.rc_context(rc(size)):
        indent_pt = 1.2 * small
        # section headers have no numbers and may run on over the plot column
        label_w = max([text_width_pt(r.label, small) + r.indent * indent_pt
                       for r in rows.itertuples() if r.kind != "section"] + [0.0])
        hr_w = max([text_width_pt(x, small) for x in rows["hr_text"]] + [text_width_pt("HR (95% CI)", small, "bold")])
        p_w = max([text_width_pt(x, small) for x in rows["p_text"]] + [text_width_pt("P", small, "bold")])
        pad, gap = 0.05, 1.4 * small / 72
        left = pad + label_w / 72 + gap
        right = 2 * pad + hr_w / 72 + gap + p_w / 72 + gap
        min_plot = 1.0 if size == "single" else 1.6
        if width - left - right < min_plot:  # long labels: the plot keeps a usable width
            width = left + right + min_plot
        row_h = small * 1.9 / 72
        header = small * 2.0 / 72
        below = (3.0 + 3.5 + small * 1.25 + 4 + base * 1.25) / 72 + 0.04
        height = pad + header + n * row_h + below + pad
        fig = plt.figure(figsize=(width, height))
        ax = fig.add_axes([left / width, (pad + below) / height, (width - left - right) / width,
                           n * row_h / height], label="forest")
        lo, hi = forest_limits(rows)
        ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        ax.set_ylim(n - 0.5, -0.5)
        ticks = _thin_ticks([t for t in _TICKS if lo <= t <= hi], lo, hi, (width - left - right) * 72, small)
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.xaxis.set_minor_locator(plt.NullLocator())
        ax.axvline(1.0, color="#555555", linewidth=0.7, zorder=1)
        ax.set_xlabel(xlabel)
        ax.tick_params(left=False, labelleft=False)
        for side in ("left", "top", "right"):
            ax.spines[side].set_visible(False)
        band_t = blended_transform_factory(fig.transFigure, ax.transData)
        for i in range(1, n, 2):  # zebra bands across the whole row, labels and numbers included
            ax.add_patch(plt.Rectangle((pad / width, i - 0.5), 1 - 2 * pad / width, 1.0, transform=band_t,
                                       facecolor="#f2f2f2", edgecolor="none", zorder=0, clip_on=False))
        for i, r in enumerate(rows.itertuples()):
            if r.kind != "estimate":
                continue
            lo_c = r.lower if np.isfinite(r.lower) and r.lower > lo else lo
            hi_c = r.upper if np.isfinite(r.upper) and r.upper < hi else hi
            ax.plot([lo_c, hi_c], [i, i], color="black", linewidth=0.9, zorder=2, solid_capstyle="butt")
            for edge, end, marker in ((lo_c, lo, "<"), (hi_c, hi, ">")):
                if edge == end:
                    ax.plot([end], [i], marker=marker, color="black", markersize=small * 0.6, zorder=3, clip_on=False)
            if np.isfinite(r.hr) and lo <= r.hr <= hi:
                if r.firth:
                    ax.plot([r.hr], [i], marker="D", markersize=small * 0.75, markerfacecolor="white",
                            markeredgecolor="black", markeredgewidth=0.9, zorder=4, gid=f"firth-{i}")
                else:
                    ax.plot([r.hr], [i], marker="s", markersize=small * 0.75, color="black", zorder=4, gid=f"hr-{i}")
        left_t = offset_copy(blended_transform_factory(ax.transAxes, ax.transData), fig=fig,
                             x=-(left - pad) * 72, units="points")
        hr_t = offset_copy(blended_transform_factory(ax.transAxes, ax.transData), fig=fig, x=gap * 72, units="points")
        p_t = offset_copy(blended_transform_factory(ax.transAxes, ax.transData), fig=fig,
                          x=(gap * 2) * 72 + hr_w, units="points")
        for i, r in enumerate(rows.itertuples()):
            x_off = offset_copy(left_t, fig=fig, x=r.indent * indent_pt, units="points")
            weight = "bold" if r.kind == "section" else "normal"
            colour = "#555555" if r.kind in ("reference", "skipped", "covariate") else "black"
            ax.text(0, i, r.label, transform=x_off, ha="left", va="center", fontsize=small, fontweight=weight,
                    gid=f"label-{i}")
            ax.text(1, i, r.hr_text, transform=hr_t, ha="left", va="center", fontsize=small, color=colour,
                    fontstyle="italic" if r.kind in ("reference", "skipped") else "normal")
            ax.text(1, i, r.p_text, transform=p_t, ha="left", va="center", fontsize=small)
        for text, tr in (("HR (95% CI)", hr_t), ("P", p_t)):
            ax.text(1, -0.5 - header / row_h / 2, text, transform=tr, ha="left", va="center",
                    fontsize=small, fontweight="bold", clip_on=False)
    return fig
