"""Figure time axes (cut rule, breaks), the swimmer by response at each time, editable text, extra formats,
and every text of every figure of the bundled example inside its canvas."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.text import Text
from PIL import Image

from oncoseries.analysis import analyze
from oncoseries.config import StudyConfig
from oncoseries.examples import example_study_path
from oncoseries.report.axis import AxisCut, km_cut, time_breaks, times_cut
from oncoseries.report.figures import figure_options, make_figures
from oncoseries.report.km_plot import km_figure
from oncoseries.report.swimmer import NOT_ASSESSED, swimmer_data, swimmer_figure

MONTH = 30.4375


@pytest.fixture(scope="module")
def hdifo():
    return analyze(example_study_path("hdifo"))


# ------------------------------------------------------------------------------------------ the cut rule

def test_cut_rule_stops_where_fewer_than_10_percent_or_5_remain():
    times = np.arange(1.0, 21.0)             # 20 patients, one leaving at each time
    # 10% of 20 = 2 < 5: the 5-patient floor comes first; at t = 16 five remain (16..20), at 17 four
    assert times_cut(times, AxisCut()) == 16.0
    # 50%: at least 10 at risk -> t = 11 (11..20)
    assert times_cut(times, AxisCut(0.5, None)) == 11.0
    # 200 patients: 10% = 20 comes first
    many = np.arange(1.0, 201.0)
    assert times_cut(many, AxisCut()) == 181.0
    assert times_cut(times, None) is None
    assert times_cut(times, AxisCut(None, 0)) is None    # nothing to cut
    assert "fewer than 10% of the patients or fewer than 5 patients, whichever came first" in AxisCut().describe()


def test_km_cut_counts_all_groups_at_risk(hdifo):
    km = hdifo.curves[("OS", "cr2")]
    cut = km_cut(km, AxisCut())
    at = km.at([cut, cut + 1e-6])
    n0 = int(km.medians["n"].sum())
    need = max(0.10 * n0, 5)
    assert at.groupby("time")["n_risk"].sum().iloc[0] >= need
    later = np.unique(km.table["time"])
    later = later[later > cut]
    assert km.at(later[:1]).n_risk.sum() < need
    # the same as the rule on the OS times (no late entry)
    os_ = hdifo.derived["adtte"].query("paramcd == 'OS'")["aval"].to_numpy(float)
    assert times_cut(os_, AxisCut()) == pytest.approx(cut)


def test_km_figure_axis_and_curves_stop_at_the_cut(hdifo):
    km = hdifo.curves[("OS", None)]
    cut = km_cut(km, AxisCut()) / MONTH
    fig = km_figure(km, axis_cut=AxisCut())
    ax = fig.axes[0]
    assert ax.get_xlim()[1] == pytest.approx(max(cut, ax.get_xticks()[-1]) * 1.02)
    assert ax.get_xticks()[-1] <= cut + 1e-9
    curve = next(ln for ln in ax.lines if ln.get_gid() == "curve-0")
    assert max(curve.get_xdata()) == pytest.approx(cut)
    assert float(km.table["time"].max()) / MONTH > cut + 12     # there was a long tail to cut
    plt.close(fig)


@pytest.mark.parametrize("span, step", [(3.5, 1), (8, 2), (12, 3), (30, 6), (48, 6), (53, 12), (130, 12), (147, 24)])
def test_month_breaks_by_range(span, step):
    b = time_breaks(span, "months")
    assert b[0] == 0 and np.all(np.diff(b) == step) and b[-1] <= span < b[-1] + step


def test_breaks_widen_when_too_many_and_other_units():
    assert np.diff(time_breaks(48, "months", max_ticks=5))[0] == 12
    assert list(time_breaks(0, "months")) == [0.0]
    assert np.diff(time_breaks(700, "days"))[0] in (90, 180)


# ----------------------------------------------------------------------------------------- swimmer

def test_swimmer_coloured_by_response_at_each_scan(hdifo):
    tp = hdifo.derived["timepoints"]
    sw = swimmer_data(hdifo.derived["adtte"], tp, hdifo.study.patients, hdifo.derived["best_response"], "bor",
                      MONTH, treatments=hdifo.study.tables["treatments"],
                      changes={"CR2": ("new_therapy_date", "cr2", ["yes"])}, axis_cut=AxisCut())
    seg = sw.segments
    # HDIFO-001: SD then CR at the scan after the surgery; best response (before new therapy) is SD
    p = seg[seg["patient_id"] == "HDIFO-001"]
    assert p["state"].iloc[0] == NOT_ASSESSED
    scans = tp[tp["patient_id"] == "HDIFO-001"].sort_values("date")
    first_pd = scans.index[scans["overall"] == "PD"]
    upto = scans.loc[: first_pd[0]] if len(first_pd) else scans
    assert p["state"].iloc[1:].tolist() == upto["overall"].iloc[:-1].tolist()
    assert "CR" in set(p["state"]) and hdifo.derived["best_response"].set_index("patient_id").loc["HDIFO-001", "bor"] == "SD"
    # no coloured piece after a patient's first PD scan
    start = hdifo.study.patients.set_index("patient_id")["start_date"]
    pd_t = tp[tp["overall"] == "PD"].groupby("patient_id")["date"].min()
    pd_t = ((pd_t - start.reindex(pd_t.index)).dt.days / MONTH)
    stops = seg.groupby("patient_id")["stop"].max()
    common = stops.index.intersection(pd_t.index)
    assert (stops[common] <= pd_t[common] + 1e-9).all()
    # surgery markers: every CR2 patient with a date, at that date
    pts = hdifo.study.patients
    want = pts[(pts["cr2"] == "yes") & pts["new_therapy_date"].notna()]
    assert set(sw.changes["patient_id"]) == set(want["patient_id"])
    # treatment: last cycle + the median cycle interval
    tr = hdifo.study.tables["treatments"]
    r = sw.rows.set_index("patient_id")
    last = tr.groupby("patient_id")["date"].max()
    gap = tr.sort_values(["patient_id", "date"]).groupby("patient_id")["date"].diff().dt.days.median()
    pid = r.index[0]
    expect = ((last[pid] - start[pid]).days + gap) / MONTH
    assert r.loc[pid, "treatment_end"] == pytest.approx(min(expect, r.loc[pid, "end"]))
    fig = swimmer_figure(sw)
    ax = fig.axes[0]
    assert ax.get_xlim()[1] == pytest.approx(sw.cut)
    cut_labels = [t for t in ax.texts if t.get_gid() == "cut-labels"]
    assert len(cut_labels) == int((sw.rows["end"] > sw.cut).sum()) > 0
    assert {t.get_text() for t in cut_labels} == {f"{e:.0f}" for e in sw.rows["end"][sw.rows["end"] > sw.cut]}
    assert _outside(fig) == []
    plt.close(fig)


# ------------------------------------------------------------------- every figure: text inside, files

def _outside(fig) -> list[str]:
    """Every visible text artist (ticks, legends, tables, annotations) whose rendered extent leaves the canvas."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    box = fig.bbox
    bad = []
    hidden = set()      # labels of ticks outside the view interval exist but are not drawn
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo - 1e-9 * (1 + abs(hi)) <= tick.get_loc() <= hi + 1e-9 * (1 + abs(hi)):
                    hidden |= {id(tick.label1), id(tick.label2)}
    for t in fig.findobj(Text):
        if not t.get_visible() or not t.get_text().strip() or id(t) in hidden:
            continue
        e = t.get_window_extent(r)
        if e.x0 < box.x0 - 0.5 or e.x1 > box.x1 + 0.5 or e.y0 < box.y0 - 0.5 or e.y1 > box.y1 + 0.5:
            bad.append(t.get_text())
    return bad


@pytest.mark.parametrize("table, size", [("simple", "double"), ("kmunicate", "double"), ("events", "single")])
def test_example_figures_text_inside_canvas(hdifo, tmp_path, figure_spy, table, size):
    from oncoseries.report import figures

    outside = figure_spy(_outside)
    infos = figures.make_figures(hdifo, tmp_path, risk_table=table, size=size, dpi=60)
    assert len(outside) == len(infos) >= 10 and "swimmer" in outside
    assert {k: v for k, v in outside.items() if v} == {}
    km = next(f for f in infos if f.name == "km_os")
    assert "The time axis stops at" in km.caption and "whichever came first" in km.caption


def test_svg_text_editable_and_extra_formats(hdifo, tmp_path):
    infos = make_figures(hdifo, tmp_path, formats=("pdf", "tiff"), dpi=60)
    for f in infos:
        svg = f.svg.read_text(encoding="utf-8")
        assert re.search(r"<text\b", svg), f.name
        assert "<path" in svg and "glyph" not in svg.split("<text", 1)[0][-2000:]
        pdf, tiff = f.extra
        assert pdf.suffix == ".pdf" and pdf.read_bytes().startswith(b"%PDF")
        with Image.open(tiff) as im:
            assert im.mode == "RGB" and tuple(round(x) for x in im.info["dpi"]) == (600, 600)
            assert im.size[0] == round(7.0 * 600)
    km = next(f for f in infos if f.name == "km_os")
    assert b"/FontFile2" in km.extra[0].read_bytes()   # TrueType text, editable


def test_study_yaml_figure_options():
    cfg = StudyConfig.model_validate({"report": {"figures": {"axis_cut": {"fraction": 0.2, "min_patients": None},
                                                             "risk_table": "kmunicate", "formats": ["pdf"]}}})
    opts = figure_options(cfg.report)
    assert opts["axis_cut"] == AxisCut(0.2, None) and opts["risk_table"] == "kmunicate"
    assert opts["formats"] == ("pdf",)
    assert figure_options(StudyConfig.model_validate({"report": {"figures": {"axis_cut": None}}}).report)["axis_cut"] is None
    assert figure_options(StudyConfig().report)["axis_cut"] == AxisCut(0.10, 5)
    with pytest.raises(Exception, match="formats"):
        StudyConfig.model_validate({"report": {"figures": {"formats": ["jpeg"]}}})
    with pytest.raises(Exception, match="cut"):
        StudyConfig.model_validate({"report": {"figures": {"cut": 3}}})
