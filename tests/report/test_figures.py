"""Report figures: every figure for the mini study and a larger synthetic one; files, size, dpi, SVG,
determinism; the number-at-risk table against km.at; median lines; nothing drawn outside the figure."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from oncoseries.analysis import analyze
from oncoseries.examples import example_study_path
from oncoseries.report._layout import free_corner, nice_ticks, step_range
from oncoseries.report.figures import FigureInfo, covariate_labels, hr_lines, make_figures
from oncoseries.report.forest import forest_figure, forest_rows
from oncoseries.report.km_plot import km_figure, risk_table_data
from oncoseries.report.spider import spider_data, spider_figure
from oncoseries.report.swimmer import swimmer_data, swimmer_figure
from oncoseries.report.waterfall import DENSE_BARS, waterfall_data, waterfall_figure
from tests.report._synthetic import write_study

MONTH = 30.4375


@pytest.fixture(scope="module")
def mini():
    return analyze(example_study_path("mini"))


@pytest.fixture(scope="module")
def larger(tmp_path_factory):
    return analyze(write_study(tmp_path_factory.mktemp("synthetic") / "study", n=80))


@pytest.fixture(scope="module")
def mini_figures(mini, tmp_path_factory):
    out = tmp_path_factory.mktemp("mini_figs")
    return out, make_figures(mini, out)


def _texts(fig):
    return [t for ax in fig.axes for t in ax.texts] + list(fig.texts)


def _inside_figure(fig) -> list[str]:
    """Texts (tick labels, legends included) whose extent leaves the figure: clipped on saving."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    box = fig.bbox
    bad = []
    artists = _texts(fig) + [t for ax in fig.axes for t in ax.get_xticklabels() + ax.get_yticklabels()
                             if t.get_text()]
    artists += [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    artists += [ax.xaxis.label for ax in fig.axes if ax.xaxis.label.get_text()]
    artists += [ax.yaxis.label for ax in fig.axes if ax.yaxis.label.get_text()]
    for a in artists:
        e = a.get_window_extent(r)
        if e.x0 < box.x0 - 0.5 or e.x1 > box.x1 + 0.5 or e.y0 < box.y0 - 0.5 or e.y1 > box.y1 + 0.5:
            bad.append(getattr(a, "get_text", lambda: type(a).__name__)())
    return bad


# ---------------------------------------------------------------- files: names, size, dpi, SVG, determinism

def test_mini_figure_names_and_files(mini_figures):
    out, infos = mini_figures
    names = [f.name for f in infos]
    assert names == ["km_pfs", "km_pfs_by_prior_ifosfamide", "km_os", "km_os_by_cr2", "km_dor", "km_ttp",
                     "forest_pfs", "forest_os", "waterfall", "spider", "swimmer"]
    for f in infos:
        assert isinstance(f, FigureInfo) and f.title and f.caption and f.section in ("survival", "response",
                                                                                      "regression")
        assert f.png == out / f"{f.name}.png" and f.svg == out / f"{f.name}.svg"
        with Image.open(f.png) as im:
            assert im.width == 2100  # 7 inches at 300 dpi: saved at its print width, no tight bbox
            assert im.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        root = ET.parse(f.svg).getroot()
        assert root.tag.endswith("svg") and root.get("width") == "504pt"


def test_rerun_is_byte_identical(mini, mini_figures, tmp_path):
    out, infos = mini_figures
    again = make_figures(mini, tmp_path)
    for a, b in zip(infos, again):
        assert a.png.read_bytes() == b.png.read_bytes(), a.name
        assert a.svg.read_bytes() == b.svg.read_bytes(), a.name


def test_larger_study_every_figure_single_column(larger, tmp_path):
    infos = make_figures(larger, tmp_path, size="single", risk_table="kmunicate")
    names = {f.name for f in infos}
    assert {"km_pfs", "km_os", "km_dor", "km_ttp", "km_pfs_by_arm", "km_pfs_by_site", "km_os_by_arm",
            "km_os_by_site", "forest_pfs", "forest_os", "waterfall", "spider", "swimmer"} <= names
    for f in infos:
        with Image.open(f.png) as im:
            assert im.width == 1050, f.name  # 3.5 inches at 300 dpi
        ET.parse(f.svg)
    swim = next(f for f in infos if f.name == "swimmer")
    assert swim.n == 60 and "The 60 patients with the longest follow-up of 80" in swim.caption


# ---------------------------------------------------------------- Kaplan-Meier

@pytest.mark.parametrize("key", [("PFS", None), ("OS", "cr2"), ("PFS", "prior_ifosfamide"), ("DOR", None)])
@pytest.mark.parametrize("size", ["double", "single"])
def test_risk_table_counts_are_km_at_ticks(mini, key, size):
    km = mini.curves[key]
    fig = km_figure(km, size=size)
    ax, axr = fig.axes
    ticks = ax.get_xticks()
    at = km.at(ticks * MONTH)
    for i, g in enumerate(km.groups):
        texts = {t.get_gid(): t for t in axr.texts}
        cells = [texts[f"risk-{i}-{j}"] for j in range(len(ticks))]
        assert [int(t.get_text()) for t in cells] == at.loc[at["group"] == g, "n_risk"].astype(int).tolist()
        assert [t.get_position()[0] for t in cells] == pytest.approx(list(ticks))  # centred on the ticks
    assert ax.get_ylim() == (0.0, 1.0)
    assert _inside_figure(fig) == []
    plt.close(fig)


def test_risk_table_custom_times_and_kmunicate(larger):
    km = larger.curves[("OS", "arm")]
    fig = km_figure(km, risk_times=[0, 3, 7, 12, 24], risk_table="kmunicate")
    ax, axr = fig.axes
    assert list(ax.get_xticks()) == [0, 3, 7, 12, 24]
    want = risk_table_data(km, [0, 3, 7, 12, 24])
    texts = {t.get_gid(): t.get_text() for t in axr.texts}
    for i, g in enumerate(km.groups):
        w = want[want["group"] == g]
        assert [int(texts[f"risk-{i}-{j}"]) for j in range(5)] == w["n_risk"].tolist()
        assert [int(texts[f"risk-{i}-{j}-censored"]) for j in range(5)] == w["n_censor"].tolist()
        assert [int(texts[f"risk-{i}-{j}-events"]) for j in range(5)] == w["n_event"].tolist()
    assert _inside_figure(fig) == []
    plt.close(fig)


def test_risk_labels_clear_of_first_count(larger):
    km = larger.curves[("PFS", "site")]
    labels = covariate_labels("site", km.groups)
    for size in ("double", "single"):
        fig = km_figure(km, group_labels=labels, size=size)
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        axr = fig.axes[1]
        texts = {t.get_gid(): t for t in axr.texts}
        for k in range(len(km.groups)):
            label = texts[f"risk-label-{k}"].get_window_extent(r)
            first = texts[f"risk-{k}-0"].get_window_extent(r)
            assert first.x0 - label.x1 >= 0.8 * fig.dpi * 6.5 / 72  # at least ~an em of white space
            assert label.x0 >= 0
        assert _inside_figure(fig) == []
        plt.close(fig)


def test_median_line_only_where_reached(mini):
    # DOR: no events -> "not reached": no median line
    fig = km_figure(mini.curves[("DOR", None)])
    assert not [ln for ln in fig.axes[0].lines if (ln.get_gid() or "").startswith("median")]
    plt.close(fig)
    # OS by cr2: "no" reaches 50%, "yes" has no events
    km = mini.curves[("OS", "cr2")]
    med = km.medians.set_index("group")["median"]
    assert np.isfinite(med["no"]) and not np.isfinite(med["yes"])
    fig = km_figure(km)
    gids = sorted(ln.get_gid() for ln in fig.axes[0].lines if (ln.get_gid() or "").startswith("median"))
    assert gids == ["median-0"]
    line = next(ln for ln in fig.axes[0].lines if ln.get_gid() == "median-0")
    assert line.get_xdata()[1] == pytest.approx(med["no"] / MONTH)
    plt.close(fig)


def test_by_covariate_annotation_and_labels(mini, mini_figures):
    km = mini.curves[("PFS", "prior_ifosfamide")]
    lines, firth = hr_lines(next(m for m in mini.sections["cox"] if m["covariates"] == ["prior_ifosfamide"]))
    assert firth and lines == ["HR yes vs no (Firth): 19.1 (1.9–2582.6)"]
    fig = km_figure(km, annotation="Log-rank P = 0.00673\n" + lines[0],
                    group_labels=covariate_labels("prior_ifosfamide", km.groups))
    ax = fig.axes[0]
    note = next(t for t in ax.texts if t.get_gid() == "annotation")
    assert note.get_text().startswith("Log-rank P = 0.00673")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["prior_ifosfamide: no (n=4, 1 event)", "prior_ifosfamide: yes (n=4, 4 events)"]
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    assert ax.get_legend().get_window_extent(r).y0 >= ax.get_window_extent(r).y1  # above the curves
    plt.close(fig)
    info = next(f for f in mini_figures[1] if f.name == "km_pfs_by_prior_ifosfamide")
    assert "log-rank" in info.caption and "Firth" in info.caption


def test_annotation_goes_to_a_free_corner():
    t = np.array([0.0, 2.0, 5.0, 8.0])
    s = np.array([1.0, 0.8, 0.6, 0.55])
    curve = [lambda a, b: step_range(t, s, a, b)]
    assert free_corner(curve, 0.3, 0.1, (0, 10), (0, 1)) == "lower left"
    low = np.array([1.0, 0.1, 0.05, 0.02])  # falls to the floor at once: lower corners taken
    curve = [lambda a, b: step_range(t, low, a, b)]
    assert free_corner(curve, 0.3, 0.1, (0, 10), (0, 1)) == "upper right"
    assert step_range(t, s, 9, 10) is None  # past the curve's end


def test_nice_ticks_months_are_multiples_of_three():
    assert list(nice_ticks(22.1, "months")) == [0, 3, 6, 9, 12, 15, 18, 21]
    assert list(nice_ticks(49, "months")) == [0, 6, 12, 18, 24, 30, 36, 42, 48]
    assert list(nice_ticks(5, "months")) == [0, 1, 2, 3, 4, 5]
    assert list(nice_ticks(400, "days")) == [0, 60, 120, 180, 240, 300, 360]


# ---------------------------------------------------------------- forest

def test_forest_rows_reference_and_firth(mini):
    rows = forest_rows(mini.sections["cox"], "PFS")
    assert rows["kind"].tolist() == ["section", "covariate", "reference", "estimate"]
    assert rows.loc[2, "hr_text"] == "reference" and rows.loc[2, "label"] == "no"
    firth = next(m for m in mini.sections["cox"] if m["endpoint"] == "PFS")["firth"]["terms"][0]
    est = rows.iloc[3]
    assert est["firth"] and est["hr"] == firth["hr"] and est["upper"] == firth["upper"]
    assert est["hr_text"] == "19.1 (1.9–2582.6) †" and est["p_text"] == "0.010"
    fig = forest_figure(rows)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert [ln.get_gid() for ln in ax.lines if (ln.get_gid() or "").startswith(("hr-", "firth-"))] == ["firth-3"]
    assert _inside_figure(fig) == []
    plt.close(fig)


def test_forest_multivariable_levels(larger):
    rows = forest_rows(larger.sections["cox"], "PFS")
    assert "Multivariable (80 patients" in " ".join(rows["label"])
    multi = next(m for m in larger.sections["cox"] if m["endpoint"] == "PFS" and m["model"] == "multivariable")
    est = rows[rows["kind"] == "estimate"].tail(len(multi["terms"]))
    assert est["hr"].tolist() == [t["hr"] for t in multi["terms"]]
    assert (rows["kind"] == "reference").sum() == 4  # arm and site, in both models
    for size in ("double", "single"):
        fig = forest_figure(forest_rows(larger.sections["cox"], "PFS", digits=2 if size == "single" else 3),
                            size=size)
        assert _inside_figure(fig) == []
        plt.close(fig)


# ---------------------------------------------------------------- waterfall, spider, swimmer

def test_waterfall_sorted_coloured_and_counts(mini, mini_figures):
    best = mini.derived["best_response"]
    wf = waterfall_data(best, "bor")
    assert wf.n_missing == int(best["best_pct_change"].isna().sum()) == 1
    assert list(wf.values) == sorted(wf.values, reverse=True)
    for size in ("double", "single"):
        fig = waterfall_figure(wf, size=size)
        ax = fig.axes[0]
        bars = [p for p in ax.patches if (p.get_gid() or "").startswith("bar-")]
        assert [b.get_height() for b in bars] == pytest.approx(list(wf.values))
        assert {ln.get_gid() for ln in ax.lines} >= {"line-30", "line+20"}
        assert _inside_figure(fig) == []
        plt.close(fig)
    info = next(f for f in mini_figures[1] if f.name == "waterfall")
    assert "1 patient(s) without a measurable change" in info.caption


def test_waterfall_dense_and_clipped():
    n = DENSE_BARS * 3   # below one bar per pixel column: still a collection (test_bar_raster.py above)
    rng = np.random.default_rng(1)
    best = pd.DataFrame({"patient_id": [f"X{i}" for i in range(n)], "best_pct_change": rng.normal(0, 40, n),
                         "bor": rng.choice(["PR", "SD", "PD"], n)})
    best.loc[0, "best_pct_change"] = 240.0
    wf = waterfall_data(best)
    assert wf.dense and wf.n_clipped >= 1
    fig = waterfall_figure(wf)
    coll = [c for c in fig.axes[0].collections if c.get_gid() == "bars"]
    assert len(coll) == 1 and coll[0].get_rasterized() and len(coll[0].get_paths()) == n
    plt.close(fig)


def test_spider_sample_is_capped_and_seeded(larger):
    args = (larger.derived["timepoints"], larger.study.patients, larger.derived["best_response"], "bor", MONTH)
    full = spider_data(*args)
    assert full.n_shown == full.n_total
    a, b = spider_data(*args, max_patients=20), spider_data(*args, max_patients=20)
    assert a.n_shown == 20 and a.n_total == full.n_total
    assert a.points.equals(b.points)
    assert (a.points.groupby("patient_id")["t"].min() == 0).all()  # each line starts at (0, 0%)
    for size in ("double", "single"):
        fig = spider_figure(a, size=size)
        gids = {c.get_gid() for c in fig.axes[0].collections}
        assert any(g.startswith("lines-") for g in gids)
        assert _inside_figure(fig) == []
        plt.close(fig)


def test_swimmer_longest_patients_and_markers(mini):
    sw = swimmer_data(mini.derived["adtte"], mini.derived["timepoints"], mini.study.patients,
                      mini.derived["best_response"], "bor", MONTH, max_patients=5)
    assert sw.n_total == 8 and len(sw.rows) == 5
    os_ = mini.derived["adtte"].query("paramcd == 'OS'").sort_values("aval", ascending=False)
    assert sw.rows["patient_id"].tolist() == os_["patient_id"].head(5).tolist()
    assert sw.rows["end"].tolist() == pytest.approx((os_["aval"].head(5) / MONTH).tolist())
    assert sw.rows["death"].tolist() == (os_["cnsr"].head(5) == 0).tolist()
    p01 = sw.rows.set_index("patient_id").loc["P01"]  # PR from 2019-02-28, start 2019-01-10
    assert p01["response"] == pytest.approx(49 / MONTH)
    for size in ("double", "single"):
        fig = swimmer_figure(sw, size=size)
        ax = fig.axes[0]
        arrows = next(ln for ln in ax.lines if ln.get_gid() == "alive-arrows")
        assert len(arrows.get_xdata()) == int((~sw.rows["death"]).sum())
        assert _inside_figure(fig) == []
        plt.close(fig)


def test_bad_options_raise(mini, tmp_path):
    with pytest.raises(ValueError, match="size must be one of"):
        make_figures(mini, tmp_path, size="a4")
    with pytest.raises(ValueError, match="risk_table must be one of"):
        km_figure(mini.curves[("OS", None)], risk_table="full")
    with pytest.raises(ValueError, match="best_response has no column 'best_pct_change'"):
        waterfall_data(pd.DataFrame({"patient_id": ["a"], "bor": ["PR"]}))


def test_min_at_risk_cuts_the_axis(larger):
    km = larger.curves[("OS", None)]
    fig = km_figure(km, min_at_risk=10)
    ax = fig.axes[0]
    right = ax.get_xlim()[1] / 1.02
    assert km.at([right * MONTH])["n_risk"].sum() >= 10 or right <= ax.get_xticks()[-1]
    last = float(km.table["time"].max()) / MONTH
    assert right < last
    curve = next(ln for ln in ax.lines if ln.get_gid() == "curve-0")
    assert curve.get_xdata().max() <= right + 1e-9
    assert km.at([ax.get_xticks()[-1] * MONTH])["n_risk"].sum() >= 10
    plt.close(fig)


def test_numeric_levels_read_as_written():
    assert covariate_labels("ecog", ["0.0", "1.0", "2.5"]) == {"0.0": "ecog: 0", "1.0": "ecog: 1", "2.5": "ecog: 2.5"}
    assert covariate_labels("sex", ["female"]) == {"female": "sex: female"}


@pytest.mark.parametrize("study, size, table", [("larger", "double", "simple"), ("larger", "single", "events"),
                                                ("larger", "single", "kmunicate"), ("mini", "single", "simple")])
def test_nothing_drawn_outside_any_figure(request, tmp_path, figure_spy, study, size, table):
    import oncoseries.report.figures as figures

    outside = figure_spy(_inside_figure)
    infos = figures.make_figures(request.getfixturevalue(study), tmp_path, size=size, risk_table=table, dpi=100)
    assert len(outside) == len(infos) >= 11
    assert {k: v for k, v in outside.items() if v} == {}


def test_title_and_legend_title_do_not_collide(larger):
    km = larger.curves[("OS", "site")]
    fig = km_figure(km, title="Overall survival by site", legend_title="Site", size="single",
                    annotation="Log-rank P = 0.5\nHR lung vs bone: 1.00 (0.500–2.00)")
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    title = next(t for t in fig.texts if t.get_gid() == "title").get_window_extent(r)
    legend = fig.axes[0].get_legend().get_window_extent(r)
    assert title.y0 >= legend.y1 - 1
    assert _inside_figure(fig) == []
    plt.close(fig)


def test_swimmer_pieces_in_the_same_state_are_one_bar():
    from oncoseries.report.swimmer import _runs

    row = np.array([1.0, 0, 0, 0, 0, 1])
    start = np.array([0.0, 0, 1, 2, 4, 1])
    stop = np.array([1.0, 1, 2, 3, 5, 1])            # row 0: a gap from 3 to 4; row 1: a piece of no width
    state = np.array(["SD", "SD", "SD", "PR", "PR", "PD"], dtype=object)
    r, s0, s1, st = _runs(row, start, stop, state)
    assert r.tolist() == [0, 0, 0, 1]
    assert s0.tolist() == [0, 2, 4, 0] and s1.tolist() == [2, 3, 5, 1]
    assert st.tolist() == ["SD", "PR", "PR", "SD"]

