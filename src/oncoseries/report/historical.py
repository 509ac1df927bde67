"""Report section "Comparison with published results" (results.json ``historical_controls``; study.yaml
``historical_controls:``; docs/historical-control.md): the survival and ORR comparison tables, the Results and
Methods sentences, the caveat, and the overlay figure (the series' Kaplan-Meier curve with each reference)."""

from __future__ import annotations

import numpy as np

from . import numbers as nb
from .context import ReportContext

SECTION = ("historical", "Comparison with published results", None)
KIND = {"summary": "published summary numbers", "curve": "reconstructed from the published curve (Guyot)",
        "ipd": "patient data"}


def _items(data: dict, survival: bool) -> list[tuple[int, dict]]:
    return [(i, r) for i, r in enumerate(data.get("historical_controls") or [])
            if (r["endpoint"] != "ORR") == survival]


def caveat(ctx: ReportContext) -> list[str]:
    """The plain statement shown under the section heading."""
    from ..analysis.historical import CAVEAT

    return [CAVEAT] if ctx.data.get("historical_controls") else []


def _pct(x) -> str:
    return nb.format_pct(x, 0) if nb.is_number(x) else nb.MISSING


def survival_table(ctx: ReportContext):
    from .tables import ReportTable

    items = _items(ctx.data, True)
    if not items:
        return None
    t = ReportTable("historical_survival", "Comparison with published results: survival", SECTION[0],
                    ["Endpoint", "Published result", "Reference curve", "Median, series (95% CI)",
                     "Survival: published / reference / series (95% CI)", "Events observed / expected",
                     "SMR (95% CI)", "P (one-sample log-rank)"])
    for _, r in items:
        if "error" in r:
            t.add([r["endpoint"], r["label"], f"not compared: {r['error']}", "", "", "", "", ""])
            continue
        ref = r["reference"]
        pub = []
        if r.get("published_median") is not None:
            pub.append(f"median {nb.format_time(r['published_median'], ctx.unit)} {ctx.unit}")
        pub += [f"{_pct(m['published'])} at {nb.format_num(m['time'])} {ctx.unit}" for m in r["landmarks"]
                if m.get("published") is not None]
        shown = f"{r['label']}" + (f": {', '.join(pub)}" if pub else "")
        marks = "; ".join(f"{nb.format_num(m['time'])} {ctx.unit}: {_pct(m['published'])} / {_pct(m['reference'])}"
                          f" / {_pct(m['series'])} ({ctx.pct_ci(m['lower'], m['upper'], r['series']['n'])})"
                          for m in r["landmarks"])
        s, o = r["series"], r["one_sample"]
        until = "" if r.get("horizon") is None else f" (to {nb.format_num(r['horizon'])} {ctx.unit})"
        t.add([r["endpoint"], shown, f"{KIND[r['source']]}: {ref['description']}",
               ctx.median(s["median"], s["lower"], s["upper"]), marks,
               f"{o['observed']} / {nb.fixed(o['expected'], 1)}{until}",
               f"{nb.fixed(o['smr'], 2)} ({nb.fixed(o['smr_lower'], 2)}{nb.DASH}{nb.fixed(o['smr_upper'], 2)})",
               ctx.p(o["p_value"], prefix=False)])
        for note in r.get("notes") or []:
            t.notes.append(f"{r['endpoint']}, {r['label']}: {note}.")
    t.notes.append("One-sample log-rank test (Breslow 1975; Finkelstein et al. 2003): events observed in the series "
                   "against those expected under the reference curve (the sum of its cumulative hazard at each "
                   "patient's follow-up), up to the last time the published numbers describe; SMR = observed / "
                   "expected with its exact Poisson 95% CI; SMR < 1: fewer events than the reference predicts. "
                   "Reference curves from one published number are exponential, from two Weibull, from more "
                   "piecewise exponential.")
    t.notes.append("Each row cites its source: " + "; ".join(dict.fromkeys(f"{r['label']}: {r['citation']}"
                                                                          for _, r in items)) + ".")
    return t


def two_sample_table(ctx: ReportContext):
    from .tables import ReportTable

    items = [(i, r) for i, r in _items(ctx.data, True) if r.get("two_sample")]
    if not items:
        return None
    t = ReportTable("historical_two_sample", "Series against reconstructed published patients", SECTION[0],
                    ["Endpoint", "Reference", "Patients (events): series / reference", "HR (95% CI)", "P (Cox)",
                     "P (log-rank)", "Reconstruction: largest / mean difference from the curve"])
    for _, r in items:
        c, fit = r["two_sample"], r.get("reconstruction") or {}
        t.add([r["endpoint"], r["label"], f"{c['n_series']} ({c['events_series']}) / {c['n_reference']} "
               f"({c['events_reference']})", ctx.hr_ci(c["hr"], c["lower"], c["upper"]),
               ctx.p(c["p"], prefix=False), ctx.p(c["logrank"]["p"], prefix=False),
               "" if not fit else f"{nb.fixed(100 * fit['max_abs_diff'], 1)} / {nb.fixed(100 * fit['mean_abs_diff'], 2)}"
               " percentage points"])
    t.notes.append("HR of the series against the reference patients (Cox regression, Efron ties, Wald 95% CI; "
                   "HR < 1: the series does better). Reconstructed patients (Guyot et al. 2012) reproduce the "
                   "published curve and numbers at risk, not the original data.")
    return t


def orr_table(ctx: ReportContext):
    from .tables import ReportTable

    items = _items(ctx.data, False)
    if not items:
        return None
    t = ReportTable("historical_orr", "Comparison with published results: objective response rate", SECTION[0],
                    ["Published result", "Benchmark ORR", "ORR of the series (95% CI)", "P (exact binomial)"])
    for _, r in items:
        if "error" in r:
            t.add([r["label"], "", f"not compared: {r['error']}", ""])
            continue
        b = r["test"]
        t.add([r["label"], _pct(r["benchmark"]),
               f"{b['successes']}/{b['n']} ({ctx.pct(b['estimate'], b['n'])}; {ctx.pct_ci(b['lower'], b['upper'], b['n'])})",
               ctx.p(b["p_value"], prefix=False)])
    t.notes.append("Exact two-sided binomial test of the series' ORR (" + items[0][1].get("headline", "unconfirmed")
                   + " best overall response) against the published rate; Clopper-Pearson 95% CI. Sources: "
                   + "; ".join(dict.fromkeys(f"{r['label']}: {r['citation']}" for _, r in items)) + ".")
    return t


def results_pieces(w) -> list:
    """'Compared with Palmerini 2020, PFS events were 26 observed vs 27.0 expected (SMR 0.96, 95% CI ..., P ...)'."""
    out: list = []
    for i, r in _items(w.data, True):
        if "error" in r:
            continue
        base = f"historical_controls[{i}].one_sample"
        until = [] if r.get("horizon") is None else [
            " up to ", w.num(f"historical_controls[{i}].horizon", "time"), f" {w.ctx.unit}"]
        out += [f" Against {r['label']} ({r['endpoint']}), the series had ", w.num(f"{base}.observed", "int"),
                " events", *until, " where the reference curve predicts ", w.num(f"{base}.expected", "num"),
                " (SMR ", w.num(f"{base}.smr", "hr"), ", 95% CI ", w.num(f"{base}.smr_lower", "hr"), nb.DASH,
                w.num(f"{base}.smr_upper", "hr"), "; one-sample log-rank ", w.num(f"{base}.p_value", "p"), ")"]
        if r.get("two_sample"):
            two = f"historical_controls[{i}].two_sample"
            out += ["; against its reconstructed patients, HR ", w.num(f"{two}.hr", "hr"), " (95% CI ",
                    w.num(f"{two}.lower", "hr"), nb.DASH, w.num(f"{two}.upper", "hr"), ", ",
                    w.num(f"{two}.p", "p"), ")"]
        out.append(".")
    for i, r in _items(w.data, False):
        if "error" in r:
            continue
        base = f"historical_controls[{i}].test"
        out += [f" The ORR was consistent with {r['label']}'s " if r["test"]["p_value"] >= 0.05
                else f" The ORR differed from {r['label']}'s ", w.num(f"historical_controls[{i}].benchmark", "pct0"),
                " (exact binomial ", w.num(f"{base}.p_value", "p"), ")."]
    return out


def methods_pieces(w) -> list:
    if not w.data.get("historical_controls"):
        return []
    return [" The series was compared with published results by the one-sample log-rank test (Finkelstein et "
            "al., 2003) against a reference survival curve built from the published summary numbers "
            "(exponential from one number, Weibull from two, piecewise exponential from more), from patient data "
            "reconstructed from the published Kaplan-Meier curve and numbers at risk (Guyot et al., 2012), or "
            "from patient data, up to the last time the published numbers describe; the "
            "standardised mortality ratio (observed / expected events) has an exact Poisson CI. Reconstructed "
            "patients were also compared with the series by the log-rank test and Cox regression, and the ORR by "
            "the exact binomial test against the published rate. " + _caveat_short()]


def _caveat_short() -> str:
    return ("Such comparisons are not randomised and are subject to selection and era bias.")


def historical_infos(results, out_dir, opts) -> list:
    """One overlay figure per endpoint with a survival reference: the series' Kaplan-Meier curve, the
    reconstructed reference patients' curves (numbers at risk below), the parametric references dashed."""
    import pandas as pd

    from ..stats.kaplan_meier import kaplan_meier
    from .figures import YLABELS, FigureInfo, save_figure
    from .km_plot import km_figure

    items = [(i, r) for i, r in enumerate(results.sections.get("historical_controls") or [])
             if r["endpoint"] != "ORR" and "error" not in r]
    if not items:
        return []
    scale = results.study.config.days_per_unit
    unit = results.study.config.time_unit
    ipd = results.derived.get("historical_ipd")
    adtte = results.derived["adtte"]
    infos = []
    for ep in dict.fromkeys(r["endpoint"] for _, r in items):
        mine = [(i, r) for i, r in items if r["endpoint"] == ep]
        d = adtte[adtte["paramcd"] == ep]
        frame = [pd.DataFrame({"time": d["aval"].to_numpy(float), "event": (d["cnsr"] == 0).to_numpy(int),
                               "group": "This series"})]
        for i, r in mine:
            if ipd is not None and (ipd["reference"] == i).any():
                sub = ipd[ipd["reference"] == i]
                frame.append(pd.DataFrame({"time": sub["time"].to_numpy(float) * scale,
                                           "event": sub["event"].to_numpy(int),
                                           "group": r["label"]}))
        both = pd.concat(frame, ignore_index=True)
        order = list(dict.fromkeys(both["group"]))
        both["group"] = pd.Categorical(both["group"], categories=order)
        km = kaplan_meier(both, "time", "event", by="group" if len(order) > 1 else None)
        labels = None if len(order) > 1 else {km.groups[0]: "This series"}
        fig = km_figure(km, unit_days=scale, unit_label=unit, ylabel=YLABELS.get(ep, ep), show_ci=len(order) == 1,
                        group_labels=labels, size=opts["size"], xlabel=f"Time since start of treatment ({unit})",
                        single_label="This series", show_median=False, axis_cut=opts.get("axis_cut"))
        ax = fig.axes[0]
        x1 = ax.get_xlim()[1]
        grid = np.linspace(0, x1, 400)
        from ..compare.reference import ReferenceCurve
        drawn = []
        handles = ax.get_legend_handles_labels()[0] if len(order) > 1 else [ax.get_lines()[0]]
        for k, (i, r) in enumerate([(i, r) for i, r in mine if r["source"] == "summary"]):
            ref = r["reference"]
            curve = _curve_of(ref, ReferenceCurve)
            style = (0, (4, 2)) if k % 2 == 0 else ":"
            h = r.get("horizon") or x1
            inside, beyond = grid[grid <= h], grid[grid >= h]
            (line,) = ax.plot(inside, curve.survival(inside), color="0.25", linestyle=style, linewidth=1.2,
                              zorder=2, gid=f"reference-{i}", label=f"{r['label']} (reference curve)")
            if beyond.size > 1:   # past the published numbers: an extrapolation, drawn light
                ax.plot(beyond, curve.survival(beyond), color="0.7", linestyle=style, linewidth=1.0, zorder=2,
                        gid=f"reference-{i}-extrapolated")
            pts = ref["points"]
            ax.plot([p["time"] for p in pts], [p["survival"] for p in pts], linestyle="none", marker="o",
                    markersize=4, color="0.25", zorder=5, gid=f"published-{i}")
            drawn.append(line)
        if drawn:
            if len(order) == 1:
                handles[0].set_label("This series")
            ax.legend(handles=handles + drawn, loc="upper right", frameon=False, fontsize="small")
        name = f"historical_{ep.lower()}"
        png, svg, *extra = save_figure(fig, out_dir / name, dpi=opts["dpi"], formats=opts.get("formats", ()))
        refs = "; ".join(f"{r['label']} ({KIND[r['source']]}: {r['citation']})" for _, r in mine)
        cap = (f"Kaplan-Meier estimate of the series ({ep}) with the published results it is compared with: {refs}. "
               "Dashed or dotted line: reference curve built from the published numbers (dots), light grey past the "
               "last published time (an extrapolation, not used by the test); patients reconstructed from a published "
               "curve are drawn as a second Kaplan-Meier curve with their numbers at risk. Tick marks: censored "
               "patients. Historical comparisons are subject to selection and era bias.")
        from .axis import km_cut
        from .figures import cut_sentence
        cut = km_cut(km, opts.get("axis_cut"))
        if cut is not None:
            cap += " " + cut_sentence(cut, scale, unit, opts["axis_cut"]).strip()
        infos.append(FigureInfo(name, f"{YLABELS.get(ep, ep)}: series and published results", cap, png, svg,
                                "historical", "km", ep, None, len(d),
                                f"Kaplan-Meier curve of the series with published reference curves ({ep})",
                                extra))
    return infos


def _curve_of(ref: dict, cls):
    params = dict(ref["params"])
    if ref["kind"] == "piecewise":
        pts = ref["points"]
        times = [0.0] + [p["time"] for p in pts]
        hz = [0.0] + [-np.log(p["survival"]) for p in pts]
        params.update(times=times, cumhaz=hz)
    return cls(ref["kind"], params, tuple((p["time"], p["survival"]) for p in ref["points"]))
