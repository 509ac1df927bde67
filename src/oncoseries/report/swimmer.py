"""Swimmer plot: time on study per patient (start of treatment to death or last contact, the OS time).

One row per patient, longest at the top. The thick bar runs from the start to the last assessment up to
and including the first progression, coloured by the response *at each time* (the time-point overall
response of a scan holds until the next scan; before the first scan: "not yet assessed"), never by the
best response. A thin line carries the follow-up after it to death (cross) or last contact (arrow). A
thin dark bar under it marks the treatment period (first to last cycle plus the study's median cycle
length), diamonds the date of a change during follow-up (study.yaml ``time_dependent``, e.g. surgical
CR2, or a ``surgery_date`` column), squares the first progression (first PD scan or clinical
progression, whichever is earlier), triangles the first response. The time axis follows the report's
cut rule (``axis.AxisCut``); a bar running past it ends in a break mark with its length written beside
it. At most ``MAX_SWIMMER_PATIENTS`` rows (the longest follow-up) stay readable.

``prepare(results, opts)`` computes the rows, pieces and markers of the patients drawn (the figure worker
is sent only that, report/worker.py) and ``draw(prepared, out_dir, opts)`` draws and captions them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._layout import legend_columns, text_width_pt
from .axis import AxisCut, time_breaks, times_cut
from .patient_rows import coded, members, text
from .style import BOR_COLOURS, BOR_LABELS, BOR_ORDER, WIDTHS, font_sizes, rc

MAX_SWIMMER_PATIENTS = 60
MAX_PLOT_HEIGHT = 7.6  # inches: with legend and axis the figure stays within a journal page (~9 in)
NOT_ASSESSED = "NOT YET ASSESSED"
STATE_COLOURS = {**BOR_COLOURS, NOT_ASSESSED: "#E6E6E6"}
STATE_LABELS = {**BOR_LABELS, NOT_ASSESSED: "Not yet assessed"}
STATE_ORDER = [NOT_ASSESSED] + BOR_ORDER


@dataclass
class SwimmerData:
    rows: pd.DataFrame   # patient_id, end, death, response, progression, bor, assessed_to, treatment_end
    n_total: int
    segments: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["patient_id", "start", "stop", "state"]))   # coloured bar pieces (display units)
    changes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["patient_id", "time", "what"]))              # surgery / time-dependent change markers
    cut: float | None = None                                # axis end (display units); None: no cut
    all_ends: np.ndarray | None = None                      # OS time of every patient (display units)


def _of(df: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """The rows of ``df`` where ``keep`` (the shown patients' rows, chosen by code: report/patient_rows.py),
    with patient_id as text. A registry's tables have 10^6-10^7 rows, the figure shows a few dozen."""
    out = df.loc[keep]
    return out.assign(patient_id=out["patient_id"].astype(str))


def _days(later, start) -> np.ndarray:
    return (pd.to_datetime(later) - pd.to_datetime(start)).dt.days.to_numpy(float)


def _segments(tp: pd.DataFrame | None, ids: pd.Series, start: pd.Series, prog: np.ndarray, end: np.ndarray,
              scale: float, keep: np.ndarray | None) -> tuple[pd.DataFrame, np.ndarray]:
    """Bar pieces from the time-point responses up to the first progression (inclusive): each scan's
    response holds until the next scan; [0, first scan) is "not yet assessed". Returns the pieces and
    the time each patient's assessed bar ends (the last scan used; 0 without scans). ``keep``: the shown
    patients' rows of ``tp``."""
    cols = ["patient_id", "start", "stop", "state"]
    assessed_to = np.zeros(len(ids))
    if tp is None or tp.empty or "overall" not in tp.columns:
        return pd.DataFrame(columns=cols), assessed_to
    pos = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    d = _of(tp, keep)[["patient_id", "date", "overall"]].copy()   # the shown patients' rows, then columns
    k = pos.loc[d["patient_id"]].to_numpy()
    d["t"] = (pd.to_datetime(d["date"]).to_numpy() - pd.to_datetime(start).to_numpy()[k]) / np.timedelta64(1, "D")
    d["t"] = d["t"] / scale
    d["end"] = end[k]
    d["prog"] = prog[k]
    d = d[(d["t"] >= 0) & (d["t"] <= d["end"] + 1e-9)].sort_values(["patient_id", "t"], kind="stable")
    first_pd = d.loc[d["overall"] == "PD"].groupby("patient_id")["t"].min()
    d = d[d["t"] <= d["patient_id"].map(first_pd).fillna(np.inf)]
    if d.empty:
        return pd.DataFrame(columns=cols), assessed_to
    d["stop"] = d.groupby("patient_id")["t"].shift(-1)
    last = d["stop"].isna()
    d.loc[last, "stop"] = d.loc[last, "t"]          # the last scan closes the bar
    pieces = d.loc[d["stop"] > d["t"], ["patient_id", "t", "stop", "overall"]].set_axis(cols, axis=1)
    first = d.groupby("patient_id", sort=False)["t"].min()
    lead = pd.DataFrame({"patient_id": first.index, "start": 0.0, "stop": first.to_numpy(), "state": NOT_ASSESSED})
    out = pd.concat([lead[lead["stop"] > 0], pieces], ignore_index=True)
    ends = d.groupby("patient_id")["t"].max()
    assessed_to[pos.loc[ends.index].to_numpy()] = ends.to_numpy()
    return out.reset_index(drop=True), assessed_to


def _treatment_end(treatments: pd.DataFrame | None, ids: pd.Series, start: pd.Series, scale: float,
                   codes: np.ndarray | None, keep: np.ndarray | None, shown: np.ndarray) -> np.ndarray:
    """Last cycle date plus the study's median interval between consecutive cycles (the last cycle's
    length), from the start of treatment; NaN without treatment rows. ``codes``: the treatments' patient
    codes, ``keep``: their rows of the shown patients, ``shown``: the codes of ``ids``, in order
    (report/patient_rows.py)."""
    out = np.full(len(ids), np.nan)
    if treatments is None or treatments.empty or "date" not in treatments.columns:
        return out
    date = treatments["date"]
    ok = (codes >= 0) & date.notna().to_numpy()               # rows with a patient and a date
    k_all, when_all = codes[ok], date.to_numpy()[ok]
    order = np.lexsort((when_all, k_all))                     # patient, then date (every patient: the median)
    k, when = k_all[order], when_all[order]
    step = (k[1:] == k[:-1]) & (when[1:] != when[:-1])       # consecutive distinct dates of one patient
    gaps = pd.Series(when[1:][step] - when[:-1][step]).dt.days
    length = float(gaps.median()) if len(gaps) else 1.0
    mine = keep[ok]
    last = pd.Series(when_all[mine]).groupby(k_all[mine]).max()
    out = _days(pd.Series(last.reindex(shown).to_numpy()), start) + length
    return out / scale


def _changes(patients: pd.DataFrame, ids: pd.Series, start: pd.Series, changes: dict | None,
             scale: float, keep: np.ndarray) -> pd.DataFrame:
    """Markers of changes during follow-up: {name: (date column, covariate column or None, values)};
    ``keep``: the shown patients' rows of ``patients``."""
    rows = []
    pts = _of(patients, keep).drop_duplicates("patient_id")
    pts = pts.set_index("patient_id").reindex(ids)
    for what, (date_col, cov, values) in (changes or {}).items():
        if date_col not in pts.columns:
            continue
        t = _days(pts[date_col].reset_index(drop=True), start) / scale
        ok = np.isfinite(t) & (t >= 0)
        if cov is not None and cov in pts.columns:
            wanted = {str(v).strip().lower() for v in values}
            ok &= pts[cov].astype(str).str.strip().str.lower().isin(wanted).to_numpy()
        rows.append(pd.DataFrame({"patient_id": ids.to_numpy()[ok], "time": t[ok], "what": what}))
    if not rows:
        return pd.DataFrame(columns=["patient_id", "time", "what"])
    return pd.concat(rows, ignore_index=True)


def swimmer_data(adtte: pd.DataFrame | None, timepoints: pd.DataFrame | None, patients: pd.DataFrame,
                 best: pd.DataFrame | None, column: str = "bor", days_per_unit: float = 30.4375,
                 max_patients: int = MAX_SWIMMER_PATIENTS, treatments: pd.DataFrame | None = None,
                 changes: dict | None = None, axis_cut: AxisCut | None = None, study=None) -> SwimmerData | None:
    """Rows from the ADTTE OS rows (``aval`` days, ``cnsr``), the time-point responses, the first PD scan
    and ``patients.progression_date``, ``best_response.first_response_date``, the treatment cycles and
    the change dates (``changes``: marker name -> (date column, covariate column or None, values)); the
    ``max_patients`` longest (ties by patient_id). None without OS rows. ``study``: whose patient codes
    select the shown patients' rows (report/patient_rows.py; without it the tables are coded here)."""
    if adtte is None or adtte.empty or not (adtte["paramcd"] == "OS").any():
        return None
    has_tp = timepoints is not None and not timepoints.empty
    uniq, codes = coded({"adtte": adtte, "patients": patients, "timepoints": timepoints if has_tp else None,
                         "best": best, "treatments": treatments}, study)
    is_os = (adtte["paramcd"] == "OS").to_numpy()
    os_codes = codes["adtte"][is_os]
    n_total = len(os_codes)
    all_ends = adtte["aval"].to_numpy(float)[is_os] / days_per_unit
    top = np.lexsort((os_codes, -all_ends))[:max_patients]   # longest first, ties by patient_id (code order)
    shown = os_codes[top]
    ids = text(uniq, shown).rename("patient_id")
    keep = members(len(uniq), shown)
    pts = _of(patients, keep[codes["patients"]]).drop_duplicates("patient_id")
    pts = pts.set_index("patient_id").reindex(ids)
    start = pts["start_date"].reset_index(drop=True)
    prog = np.full(len(shown), np.nan)
    if "progression_date" in pts.columns:
        prog = _days(pts["progression_date"].reset_index(drop=True), start)
    tp_keep = keep[codes["timepoints"]] if has_tp else None
    if has_tp and "overall" in timepoints.columns:
        mine = _of(timepoints, tp_keep)            # the shown patients' rows first: a registry has 10^7
        first_pd = mine.loc[mine["overall"] == "PD"].groupby("patient_id")["date"].min()
        scan = _days(ids.map(first_pd), start)
        prog = np.fmin(prog, scan)
    resp = np.full(len(shown), np.nan)
    bor = np.full(len(shown), "MISSING", dtype=object)
    if best is not None and not best.empty:
        b = _of(best, keep[codes["best"]]).drop_duplicates("patient_id").set_index("patient_id")
        if "first_response_date" in b.columns:
            resp = _days(ids.map(b["first_response_date"]), start)
        bor = ids.map(b[column]).fillna("MISSING").astype(str).to_numpy(object)
    end = all_ends[top]
    segments, assessed_to = _segments(timepoints, ids, start, prog / days_per_unit, end, days_per_unit, tp_keep)
    t_codes = codes.get("treatments")
    treated_to = _treatment_end(treatments, ids, start, days_per_unit, t_codes,
                                None if t_codes is None else keep[t_codes], shown)
    rows = pd.DataFrame({"patient_id": ids.to_numpy(), "end": end,
                         "death": adtte["cnsr"].to_numpy()[is_os][top] == 0, "response": resp / days_per_unit,
                         "progression": prog / days_per_unit, "bor": bor, "assessed_to": assessed_to,
                         "treatment_end": treated_to})
    # a marker after the bar's end (e.g. a scan after the last contact date) is drawn at the end
    for c in ("response", "progression", "treatment_end"):
        rows.loc[rows[c] > rows["end"], c] = rows["end"]
    cut = times_cut(all_ends, axis_cut)
    return SwimmerData(rows, n_total, segments,
                       _changes(patients, ids, start, changes, days_per_unit, keep[codes["patients"]]), cut, all_ends)


def _changes_of(results) -> dict:
    """Swimmer markers: each study.yaml ``time_dependent`` covariate at its date (e.g. surgical CR2), and a
    ``surgery_date`` column of patients when there is one."""
    from .context import label

    out = {}
    for cov, spec in (results.study.config.time_dependent or {}).items():
        out[label(cov)] = (spec.date, cov, list(spec.values))
    if "surgery_date" in results.study.patients.columns and not any(d == "surgery_date" for d, _, _ in out.values()):
        out["Surgery"] = ("surgery_date", None, [])
    return out


def prepare(results, opts) -> dict | None:
    """The swimmer plot's data from ``results`` (ADTTE OS rows, time points, patients, best responses,
    treatment dates, change dates): the rows of the patients drawn. None without OS rows."""
    column = (results.sections.get("response") or {}).get("headline", "bor")
    cfg = results.study.config
    sw = swimmer_data(results.derived.get("adtte"), results.derived.get("timepoints"), results.study.patients,
                      results.derived.get("best_response"), column, cfg.days_per_unit,
                      max_patients=opts["max_swimmer"], treatments=results.study.tables.get("treatments"),
                      changes=_changes_of(results), axis_cut=opts["axis_cut"], study=results.study)
    if sw is None or not len(sw.rows):
        return None
    sw.all_ends = None   # read by swimmer_data only (the axis cut): not sent with the figure's data
    return {"data": sw, "unit": cfg.time_unit, "days_per_unit": cfg.days_per_unit}


def draw(prepared: dict | None, out_dir, opts) -> list:
    """The swimmer figure and its FigureInfo from ``prepare``'s data (none when it found nothing)."""
    from .figures import FigureInfo, save_figure

    if prepared is None:
        return []
    sw = prepared["data"]
    fig = swimmer_figure(sw, unit=prepared["unit"], size=opts["size"])
    png, svg, *extra = save_figure(fig, out_dir / "swimmer", dpi=opts["dpi"], formats=opts["formats"])
    return [FigureInfo("swimmer", "Swimmer plot of time on study", _caption(prepared, opts), png, svg, "response",
                       "swimmer", None, None, len(sw.rows),
                       "Swimmer plot of follow-up, response at each scan, treatment and progression", extra)]


def _caption(prepared: dict, opts) -> str:
    from ._layout import count
    from .figures import cut_sentence

    sw, unit, scale = prepared["data"], prepared["unit"], prepared["days_per_unit"]
    cap = ("Time on study per patient, from the start of treatment to death or last contact (overall survival "
           "time), longest at the top. Thick bar: the response at each scan (RECIST 1.1 time-point response, "
           "held until the next scan; not the best response) up to the first progression; thin line: follow-up "
           "after progression or after the last scan.")
    if sw.rows["treatment_end"].notna().any():
        cap += (" Black bar: on treatment (first to last cycle, plus the study's median interval between "
                "cycles).")
    if len(sw.changes):
        cap += f" Diamonds: {', '.join(dict.fromkeys(sw.changes['what']))} (date)."
    cap += (" Markers: first response (CR or PR), first progression (scan or clinical), death; arrow: alive at "
            "last contact.")
    if sw.cut is not None and (sw.rows["end"] > sw.cut + 1e-9).any():
        cap += cut_sentence(sw.cut * scale, scale, unit, opts["axis_cut"]).replace("remained at risk",
                                                                                    "were still followed")
        cap += f" Longer bars end in a break mark with their length ({unit}) beside it."
    if len(sw.rows) < sw.n_total:
        cap += f" The {len(sw.rows)} patients with the longest follow-up of {count(sw.n_total)} are drawn."
    else:
        cap += f" {sw.n_total} patients."
    return cap


def _legend_handles(data: SwimmerData, ms: float):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    r = data.rows
    states = set(data.segments["state"]) if len(data.segments) else set()
    present = [s for s in STATE_ORDER if s in states] + sorted(states - set(STATE_ORDER))
    handles = [Patch(facecolor=STATE_COLOURS.get(s, "#999999"), label=STATE_LABELS.get(s, s)) for s in present]
    handles.append(Line2D([], [], color="#555555", linewidth=0.9, label="Follow-up after progression or last scan"))
    if r["treatment_end"].notna().any():
        handles.append(Line2D([], [], color="black", linewidth=1.6, solid_capstyle="butt", label="On treatment"))
    marks = [("response", "^", "white", "First response (CR/PR)"), ("progression", "s", "black", "Progression")]
    for col, marker, face, label in marks:
        if r[col].notna().any():
            handles.append(Line2D([], [], marker=marker, markerfacecolor=face, markeredgecolor="black",
                                  linestyle="none", markersize=ms, label=label))
    for what in dict.fromkeys(data.changes["what"]):
        handles.append(Line2D([], [], marker="D", markerfacecolor="#F0E442", markeredgecolor="black",
                              linestyle="none", markersize=ms * 0.9, label=what))
    if r["death"].any():
        handles.append(Line2D([], [], marker="X", markerfacecolor="black", markeredgecolor="black",
                              linestyle="none", markersize=ms, label="Death"))
    if (~r["death"]).any():
        handles.append(Line2D([], [], marker=">", color="black", linestyle="none", markersize=ms * 0.8,
                              label="Alive at last contact"))
    return handles, marks


def _runs(row, start, stop, state):
    """Abutting pieces of one row in the same state drawn as one bar (a patient followed for years has
    dozens of scans in the same state; one rectangle also has no seams), pieces of no width dropped.
    Returns (row, start, stop, state) of the bars."""
    keep = stop > start
    order = np.lexsort((start[keep], row[keep]))
    row, start, stop, state = row[keep][order], start[keep][order], stop[keep][order], state[keep][order]
    if not row.size:
        return row, start, stop, state
    new = np.r_[True, (row[1:] != row[:-1]) | (state[1:] != state[:-1]) | (start[1:] != stop[:-1])]
    first = np.flatnonzero(new)
    return row[first], start[first], np.maximum.reduceat(stop, first), state[first]


def _bars(x0, x1, y, height: float, colours, **kw) -> PolyCollection:
    """Horizontal bars [x0, x1] centred on y as one collection: the pixels of ``barh``'s Rectangle patches
    (mitred corners, no outline), drawn and saved several times faster."""
    from matplotlib.collections import PolyCollection

    lo, hi = np.asarray(y, float) - height / 2, np.asarray(y, float) + height / 2
    x0, x1 = np.asarray(x0, float), np.asarray(x1, float)
    verts = np.stack([np.column_stack([x0, lo]), np.column_stack([x0, hi]), np.column_stack([x1, hi]),
                      np.column_stack([x1, lo])], axis=1)
    return PolyCollection(verts, closed=True, facecolors=colours, edgecolors="none", joinstyle="miter", **kw)


def swimmer_figure(data: SwimmerData, *, unit: str = "months", size: str = "double"):
    """Draw the swimmer plot; returns the Figure (axes label "swimmer"; gids "follow-up" (the lines, one
    per row from the top), "states" (the coloured pieces), "treatment-bars" (these three collections),
    "response-marks", "progression-marks", "change-marks", "death-marks", "alive-arrows", "cut-labels")."""
    from matplotlib.collections import LineCollection

    from .style import pyplot
    plt = pyplot()

    base, small = font_sizes(size)
    width = WIDTHS[size]
    r = data.rows
    n = len(r)
    cut = data.cut
    xmax = float(r["end"].max()) if n else 1.0
    if cut is not None:
        xmax = min(xmax, cut)
    with plt.rc_context(rc(size)):
        ms = small * 0.85
        handles, marks = _legend_handles(data, ms)
        pad = 0.05
        id_w = max([text_width_pt(x, small * 0.9) for x in r["patient_id"]] + [10.0])
        left = pad + (base * 1.2 + 4 + id_w + 5) / 72
        ncol, legend_rows = legend_columns([h.get_label() for h in handles], (width - 2 * pad) * 72, small)
        row_h = min(small * 1.55 / 72, MAX_PLOT_HEIGHT / max(n, 1))
        long = r["end"].to_numpy() > xmax + 1e-9
        cut_w = max([text_width_pt(f"{x:.0f}", small * 0.85) for x in r["end"][long]] + [0.0])
        right = pad + 0.12 + (cut_w + 6) / 72
        top = pad + (legend_rows * small * 1.7 + 0.5 * small) / 72
        bottom = pad + (3 + 3.5 + small * 1.25 + 4 + base * 1.25) / 72
        plot_h = max(n, 2) * row_h + 0.1
        height = top + plot_h + bottom
        fig = plt.figure(figsize=(width, height))
        ax = fig.add_axes([left / width, bottom / height, (width - left - right) / width, plot_h / height],
                          label="swimmer")
        y = np.arange(n, dtype=float)
        row_of = pd.Series(y, index=r["patient_id"].to_numpy())
        ends = np.minimum(r["end"].to_numpy(float), xmax)
        # the follow-up line of each row under the coloured pieces
        ax.add_collection(LineCollection(np.stack([np.column_stack([np.zeros(n), y]), np.column_stack([ends, y])],
                                                  axis=1), colors="#555555", linewidths=0.9, capstyle="butt",
                                         zorder=1, gid="follow-up"))
        seg = data.segments
        if len(seg):
            sy, s0, s1, state = _runs(row_of.loc[seg["patient_id"].astype(str)].to_numpy(),
                                      np.minimum(seg["start"].to_numpy(float), xmax),
                                      np.minimum(seg["stop"].to_numpy(float), xmax), seg["state"].to_numpy(object))
            ax.add_collection(_bars(s0, s1, sy, 0.56, [STATE_COLOURS.get(s, "#999999") for s in state],
                                    zorder=2, gid="states"))
        tr = r["treatment_end"].to_numpy(float)
        has = np.isfinite(tr)
        if has.any():
            ax.add_collection(_bars(np.zeros(int(has.sum())), np.minimum(tr[has], xmax), y[has] + 0.36, 0.14,
                                    "black", zorder=3, gid="treatment-bars"))
        for col, marker, face, _ in marks:
            m = r[col].notna().to_numpy() & (r[col].to_numpy(float) <= xmax + 1e-9)
            ax.plot(r[col].to_numpy(float)[m], y[m], linestyle="none", marker=marker, markerfacecolor=face,
                    markeredgecolor="black", markeredgewidth=0.7, markersize=ms, zorder=5, gid=f"{col}-marks",
                    clip_on=False)
        ch = data.changes[data.changes["time"] <= xmax + 1e-9] if len(data.changes) else data.changes
        cy = row_of.loc[ch["patient_id"].astype(str)].to_numpy() if len(ch) else np.array([])
        ax.plot(ch["time"].to_numpy(float) if len(ch) else [], cy, linestyle="none", marker="D",
                markerfacecolor="#F0E442", markeredgecolor="black", markeredgewidth=0.6, markersize=ms * 0.9,
                zorder=5, gid="change-marks", clip_on=False)
        death = r["death"].to_numpy(bool) & ~long
        ax.plot(ends[death], y[death], linestyle="none", marker="X", markerfacecolor="black",
                markeredgecolor="black", markersize=ms, zorder=5, gid="death-marks", clip_on=False)
        alive = ~r["death"].to_numpy(bool) & ~long
        ax.plot(ends[alive] + xmax * 0.012, y[alive], linestyle="none", marker=">", color="black",
                markersize=ms * 0.8, zorder=5, gid="alive-arrows", clip_on=False)
        if long.any():  # bars past the axis end: a break mark and the full length beside it
            ax.plot(np.full(int(long.sum()), xmax), y[long], linestyle="none", marker=(2, 0, 20), color="black",
                    markersize=ms * 1.1, markeredgewidth=1.0, zorder=6, gid="cut-marks", clip_on=False)
            for yy, e in zip(y[long], r["end"].to_numpy(float)[long]):
                ax.annotate(f"{e:.0f}", (xmax, yy), xytext=(5, 0), textcoords="offset points", ha="left",
                            va="center", fontsize=small * 0.85, color="#333333", gid="cut-labels",
                            annotation_clip=False)
        ax.set_ylim(max(n, 2) - 0.4, -0.6)
        ax.set_yticks(y, r["patient_id"].tolist(), fontsize=small * 0.9)
        ax.tick_params(axis="y", length=0, pad=3)
        ax.set_xlim(0, xmax * (1.0 if long.any() else 1.04))
        ticks = time_breaks(xmax, unit, 12)
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.set_xlabel(f"Time since start of treatment ({unit})")
        ax.set_ylabel("Patient")
        ax.spines["left"].set_visible(False)
        ax.grid(axis="x", color="#e8e8e8", linewidth=0.5, zorder=0)
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(pad / width, (bottom + plot_h) / height),
                  bbox_transform=fig.transFigure, ncol=ncol, frameon=False, borderpad=0.1,
                  handlelength=1.2, columnspacing=1.2, borderaxespad=0.2, alignment="left")
    return fig
