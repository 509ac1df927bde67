"""Spider plot: % change of the target-lesion sum from baseline over time, one line per patient.

Each line starts at 0% at the start of treatment and follows the post-baseline scans
(``timepoints.pct_from_baseline``), coloured by best overall response. Scans assessed as PD are
crosses; scans with new lesions triangles. Beyond ``MAX_SPIDER_PATIENTS`` patients a random sample
with a fixed seed is drawn (reruns draw the same patients) and the caption says so.

``prepare(results, opts)`` computes the points of the patients drawn (the figure worker is sent only
that, report/worker.py) and ``draw(prepared, out_dir, opts)`` draws and captions them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._layout import count, legend_columns, text_width_pt
from .axis import time_breaks
from .patient_rows import coded, members, text
from .style import BOR_COLOURS, BOR_LABELS, BOR_ORDER, WIDTHS, font_sizes, rc

MAX_SPIDER_PATIENTS = 100
SAMPLE_SEED = 20020518
CAP = 150.0


@dataclass
class SpiderData:
    points: pd.DataFrame    # patient_id, t (display units), pct, pd, new, bor; baseline (0, 0) rows included
    n_total: int            # patients with at least one measurable change
    n_shown: int
    cap: float = CAP
    n_after_new_therapy: int = 0   # scans left out: on or after the start of a new therapy


def spider_data(timepoints: pd.DataFrame, patients: pd.DataFrame, best: pd.DataFrame | None,
                column: str = "bor", days_per_unit: float = 30.4375,
                max_patients: int = MAX_SPIDER_PATIENTS, study=None) -> SpiderData:
    """Points per patient from ``timepoints`` (date, pct_from_baseline, overall, new_lesions) and the
    patients' start_date; a seeded sample of ``max_patients`` when there are more. ``study``: whose patient
    codes select the rows (report/patient_rows.py; without it the tables are coded here)."""
    for c in ("patient_id", "date", "pct_from_baseline"):
        if c not in timepoints.columns:
            raise ValueError(f"timepoints has no column {c!r}; the spider plot needs it")
    # The rows are chosen on integer codes of the patients (ranks in id order), and only the chosen rows are
    # copied: at registry size the time points are 10^7 rows and the figure draws 100 patients.
    uniq, coded_ = coded({"timepoints": timepoints, "patients": patients, "best": best}, study)
    codes, pcodes = coded_["timepoints"], coded_["patients"]
    keep = np.isfinite(pd.to_numeric(timepoints["pct_from_baseline"], errors="coerce").to_numpy(float))
    keep &= codes >= 0
    n_after = 0
    if "new_therapy_date" in patients.columns:  # scans on or after new therapy do not count (INTERFACE §5)
        nt_of = _first_per_code(pcodes, pd.to_datetime(patients["new_therapy_date"]).to_numpy("datetime64[ns]"),
                                len(uniq), np.datetime64("NaT", "ns"))
        after = keep & (pd.to_datetime(timepoints["date"]).to_numpy("datetime64[ns]") >= nt_of[codes])
        n_after = int(after.sum())
        keep &= ~after
    chosen = np.unique(codes[keep])                                   # sorted codes: sorted ids
    n_total = len(chosen)
    if n_total > max_patients:
        rng = np.random.default_rng(SAMPLE_SEED)
        chosen = np.sort(rng.choice(chosen, size=max_patients, replace=False))
    ids = text(uniq, chosen).to_numpy(object)
    rows = keep & members(len(uniq), chosen)[codes]
    tp = timepoints.loc[rows, ["patient_id", "date", "pct_from_baseline"]]
    tp = tp.assign(pd=timepoints["overall"].to_numpy()[rows] == "PD" if "overall" in timepoints else False,
                   new=timepoints["new_lesions"].to_numpy()[rows] == "yes" if "new_lesions" in timepoints
                   else False)
    start = _first_per_code(pcodes, pd.to_datetime(patients["start_date"]).to_numpy("datetime64[ns]"), len(uniq),
                            np.datetime64("NaT", "ns"))
    t = (pd.to_datetime(tp["date"]) - pd.Series(start[codes[rows]], index=tp.index)).dt.days / days_per_unit
    pts = pd.DataFrame({"patient_id": tp["patient_id"].astype(str).to_numpy(), "t": t.to_numpy(float),
                        "pct": tp["pct_from_baseline"].to_numpy(float), "pd": tp["pd"].to_numpy(bool),
                        "new": tp["new"].to_numpy(bool)})
    base = pd.DataFrame({"patient_id": ids, "t": 0.0, "pct": 0.0, "pd": False, "new": False})
    pts = pd.concat([base, pts], ignore_index=True).sort_values(["patient_id", "t"], kind="stable")
    if best is None:
        bor = pd.Series(dtype=object)
    else:   # the drawn patients' rows of the best responses only
        b = best.loc[members(len(uniq), chosen)[coded_["best"]], ["patient_id", column]]
        bor = b.assign(patient_id=b["patient_id"].astype(str)).set_index("patient_id")[column]
    pts["bor"] = pts["patient_id"].map(bor).fillna("MISSING").astype(str)
    return SpiderData(pts.reset_index(drop=True), n_total, len(ids), n_after_new_therapy=n_after)


def _first_per_code(codes: np.ndarray, values: np.ndarray, n_ids: int, missing) -> np.ndarray:
    """values[first row of each code], indexed by code (n_ids + 1 entries; ``missing`` where a code has no
    row, and at code -1): a patient's first row, as ``drop_duplicates("patient_id")`` keeps."""
    out = np.full(n_ids + 1, missing, dtype=values.dtype)
    ok = codes >= 0
    out[codes[ok][::-1]] = values[ok][::-1]          # written last to first: the first row wins
    return out


def prepare(results, opts) -> dict | None:
    """The spider plot's data from ``results`` (time points with lesion measurements, the patients' start
    and new-therapy dates, best responses): the sampled patients' points. None when there is nothing to
    draw (a study of investigator assessments has no % change)."""
    tp = results.derived.get("timepoints")
    if tp is None or tp.empty or "pct_from_baseline" not in tp.columns:
        return None
    column = (results.sections.get("response") or {}).get("headline", "bor")
    cfg = results.study.config
    sp = spider_data(tp, results.study.patients, results.derived.get("best_response"), column,
                     cfg.days_per_unit, max_patients=opts["max_spider"], study=results.study)
    return {"data": sp, "confirmed": column == "confirmed_bor", "unit": cfg.time_unit} if sp.n_shown else None


def draw(prepared: dict | None, out_dir, opts) -> list:
    """The spider figure and its FigureInfo from ``prepare``'s data (none when it found nothing)."""
    from .figures import FigureInfo, save_figure

    if prepared is None:
        return []
    sp, which = prepared["data"], "confirmed" if prepared["confirmed"] else "unconfirmed"
    fig = spider_figure(sp, unit=prepared["unit"], size=opts["size"])
    png, svg, *extra = save_figure(fig, out_dir / "spider", dpi=opts["dpi"], formats=opts["formats"])
    cap = (f"Percentage change from baseline in the sum of target-lesion diameters over time, one line per "
           f"patient, coloured by best overall response (RECIST 1.1, {which}); each line starts at 0% at "
           "the start of treatment. Crosses: scans assessed as progression; triangles: new lesions. "
           "Dashed lines: −30% and +20%.")
    if sp.n_after_new_therapy:
        cap += (" Scans on or after the start of a new anticancer therapy are not drawn (they do not count "
                "for response).")
    if sp.n_shown < sp.n_total:
        cap += (f" A random sample of {sp.n_shown} of the {count(sp.n_total)} patients with a measurable change "
                f"is drawn (fixed seed, so reruns draw the same patients).")
    else:
        cap += f" {sp.n_total} patients."
    return [FigureInfo("spider", "Spider plot of tumour change over time", cap, png, svg, "response",
                       "spider", None, None, sp.n_shown, "Spider plot of target-lesion change over time", extra)]


def spider_figure(data: SpiderData, *, unit: str = "months", size: str = "double"):
    """Draw the spider plot; returns the Figure (axes label "spider"; one LineCollection per response
    category with gid ``lines-<BOR>``, markers gids "pd-marks" and "new-lesion-marks")."""
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    from .style import pyplot
    plt = pyplot()

    base, small = font_sizes(size)
    width = WIDTHS[size]
    pts = data.points
    shown = np.minimum(pts["pct"].to_numpy(), data.cap)
    with plt.rc_context(rc(size)):
        present = [b for b in BOR_ORDER if b in set(pts["bor"])] + sorted(set(pts["bor"]) - set(BOR_ORDER))
        per = pts.drop_duplicates("patient_id")["bor"].value_counts()
        handles = [Line2D([], [], color=BOR_COLOURS.get(b, "#999999"), label=f"{BOR_LABELS.get(b, b)} ({count(per[b])})")
                   for b in present]
        if pts["pd"].any():
            handles.append(Line2D([], [], color="black", marker="x", linestyle="none", markersize=small * 0.8,
                                  label="PD scan"))
        if pts["new"].any():
            handles.append(Line2D([], [], color="black", marker="^", markerfacecolor="white", linestyle="none",
                                  markersize=small * 0.8, label="New lesion"))
        pad = 0.05
        left = pad + (base * 1.2 + 4 + text_width_pt("+100", small) + 6.5) / 72
        ncol, rows = legend_columns([h.get_label() for h in handles], (width - left - pad) * 72, small)
        right = pad + text_width_pt("+20%", small) / 72 + 0.06
        top = pad + (rows * small * 1.7 + 0.5 * small) / 72
        bottom = pad + (3 + 3.5 + small * 1.25 + 4 + base * 1.25) / 72
        plot_h = width * (0.45 if size == "double" else 0.6)
        height = top + plot_h + bottom
        fig = plt.figure(figsize=(width, height))
        ax = fig.add_axes([(left) / width, bottom / height, (width - left - right) / width, plot_h / height],
                          label="spider")
        ids = pts["patient_id"].to_numpy()
        cut = np.flatnonzero(ids[1:] != ids[:-1]) + 1
        xy = np.column_stack([pts["t"].to_numpy(), shown])
        lines = np.split(xy, cut)
        line_bor = pts["bor"].to_numpy()[np.concatenate(([0], cut))]
        lw = plt.rcParams["lines.linewidth"] * (0.8 if data.n_shown > 40 else 1.0)
        for b in present:
            segs = [seg for seg, lb in zip(lines, line_bor) if lb == b]
            ax.add_collection(LineCollection(segs, colors=BOR_COLOURS.get(b, "#999999"), linewidths=lw,
                                             alpha=0.9, zorder=3, gid=f"lines-{b}"))
        mpd, mnew = pts["pd"].to_numpy() & ~pts["new"].to_numpy(), pts["new"].to_numpy()
        ax.plot(pts["t"].to_numpy()[mpd], shown[mpd], linestyle="none", marker="x", color="black",
                markersize=small * 0.8, markeredgewidth=0.9, zorder=4, gid="pd-marks")
        ax.plot(pts["t"].to_numpy()[mnew], shown[mnew], linestyle="none", marker="^", markerfacecolor="white",
                markeredgecolor="black", markersize=small * 0.8, markeredgewidth=0.8, zorder=4,
                gid="new-lesion-marks")
        tmax = float(pts["t"].max()) if len(pts) else 1.0
        ax.set_xlim(0, max(tmax, 1e-9) * 1.03)
        ticks = time_breaks(tmax, unit, 12)
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        lo = max(min(-40.0, float(shown.min())) - 5, -105.0)
        hi = max(40.0, float(shown.max())) + 8
        ax.set_ylim(lo, hi)
        ax.axhline(0, color="black", linewidth=0.6, zorder=2)
        for y, label in ((-30, "−30%"), (20, "+20%")):
            ax.axhline(y, color="#444444", linewidth=0.7, linestyle=(0, (4, 3)), zorder=2)
            ax.text(1.005, y, label, transform=ax.get_yaxis_transform(), ha="left", va="center", fontsize=small,
                    color="#444444")
        ax.set_xlabel(f"Time since start of treatment ({unit})")
        ax.set_ylabel("Change from baseline (%)")
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=ncol, frameon=False,
                  handlelength=1.6, columnspacing=1.2, borderaxespad=0.2)
    return fig
