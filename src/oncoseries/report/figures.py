"""All report figures, drawn from Results only, written as PNG (300 dpi) and SVG.

``make_figures(results, out_dir)`` returns one FigureInfo per figure, in report order; the HTML and
DOCX writers embed them by name. Figure names: ``km_<endpoint>`` and ``km_<endpoint>_by_<covariate>``
(one per ``results.curves`` key), ``forest_<endpoint>`` (Cox models), ``waterfall``, ``spider``,
``swimmer``. See docs/figures.md.

Importing this module does not import matplotlib (the drawing modules import it when they draw,
style.pyplot): the command's process prepares what the figure worker draws and reads the FigureInfo it
sends back without paying for matplotlib (report/worker.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .context import VARIABLE_LABELS, label
from .context import label as _label  # where a local name shadows label
from ._layout import count
from .axis import AxisCut, km_cut
from .pformat import format_hr, format_p
from . import spider, swimmer, waterfall
from .spider import MAX_SPIDER_PATIENTS
from .swimmer import MAX_SWIMMER_PATIENTS
from .style import check_size, wait_for_figures
from .style import save_figure as _save_now

YLABELS = {"PFS": "Progression-free survival", "OS": "Overall survival", "DOR": "Remaining in response",
           "TTP": "Free from progression", "IPFS": "Progression-free survival (iRECIST)"}
EVENTS = {"PFS": "progression or death", "OS": "death", "DOR": "progression or death after response",
          "TTP": "progression", "IPFS": "iRECIST progression (iUPD confirmed or not reset) or death"}


DEFAULT_CUT = AxisCut()   # 10% or 5 patients (docs/figures.md)


@dataclass
class FigureInfo:
    name: str          # file stem, e.g. "km_pfs"
    title: str         # short title for the report
    caption: str       # legend text for the report
    png: Path
    svg: Path
    section: str       # "survival", "response", "regression"
    kind: str = ""     # "km", "forest", "waterfall", "spider", "swimmer"
    endpoint: str | None = None
    covariate: str | None = None
    n: int | None = None   # patients drawn
    alt: str = ""      # one-sentence alternative text for HTML
    extra: list = field(default_factory=list)   # PDF / TIFF files asked for (study.yaml report.figures.formats)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", str(text)).strip("_").lower() or "x"


def _num(x, digits: int = 1) -> str:
    return "NR" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _level(g: str) -> str:
    """A numeric level as written ("1.0" -> "1"): covariates read as numbers come back as float text."""
    try:
        v = float(g)
    except ValueError:
        return g
    return f"{v:g}" if np.isfinite(v) else g


def covariate_labels(covariate: str, levels) -> dict[str, str]:
    """Group labels "covariate: level" (a bare "yes"/"no" says nothing about what it answers)."""
    name = label(covariate) if covariate in VARIABLE_LABELS.get() else covariate
    return {g: f"{name}: {_level(g)}" for g in levels}


def level_labels(levels) -> dict[str, str]:
    """Legend entries under a legend titled with the covariate: the level as written, a lower-case word
    capitalised ("yes" -> "Yes", "1.0" -> "1"; a level label from study.yaml is kept as given)."""
    out = {}
    for g in levels:
        text = _level(g)
        out[g] = text[:1].upper() + text[1:] if re.fullmatch(r"[a-z][a-z ]*", text) else text
    return out


def cut_sentence(cut_days, scale: float, unit: str, rule: AxisCut | None) -> str:
    """The caption sentence stating where and why the time axis stops."""
    if cut_days is None or rule is None:
        return ""
    return (f" The time axis stops at {cut_days / scale:.1f} {unit}: beyond it {rule.describe()} "
            "(Pocock et al. 2002).")


TD_SUFFIX = " (time-dependent)"


def _shown_covariate(cov: str) -> str:
    """A covariate as the captions name it: its label; a Simon-Makuch key as '<label> over time'."""
    if cov.endswith(TD_SUFFIX):
        return f"{label(cov[: -len(TD_SUFFIX)], False)} as it happened (time-dependent)"
    return label(cov, False)


def _simon_makuch_text(sections: dict, ep: str, cov: str, opts) -> tuple[str | None, dict]:
    """Annotation (time-dependent HR) and group labels of a Simon-Makuch figure."""
    labels = {"after": "After", "before": "Before"}   # under a legend title naming the covariate
    res = next((r for r in sections.get("time_dependent", [])
                if r["endpoint"] == ep and r["covariate"] == cov), None)
    tdc = (res or {}).get("time_dependent")
    if not tdc:
        return None, labels
    text = (f"HR (time-dependent) {format_hr(tdc['hr'], tdc['lower'], tdc['upper'])}, "
            f"{format_p(tdc['p'], opts['p_style'])}")
    return text, labels


def _legend_title(cov: str | None) -> str | None:
    """The covariate a by-group legend answers ("Surgical CR2"; Simon-Makuch: "... at each time")."""
    if cov is None:
        return None
    if cov.endswith(TD_SUFFIX):
        return label(cov[: -len(TD_SUFFIX)])
    return label(cov)


def _univariable(sections: dict, endpoint: str, covariate: str) -> dict | None:
    for m in sections.get("cox", []):
        if (m.get("endpoint") == endpoint and m.get("model") == "univariable" and m.get("covariates") == [covariate]
                and "skipped" not in m):
            return m
    return None


def hr_lines(model: dict | None) -> tuple[list[str], bool]:
    """'HR yes vs no 19.1 (95% CI 1.87–2583)' per coefficient of a univariable Cox model; a separated
    coefficient shows its Firth estimate, marked. Returns the lines and whether Firth was used."""
    if model is None:
        return [], False
    firth = {t["coefficient"]: t for t in (model.get("firth") or {}).get("terms", [])}
    sep = set(model.get("separation") or [])
    lines, used = [], False
    for t in model["terms"]:
        src, mark = t, ""
        if t["coefficient"] in sep and t["coefficient"] in firth:
            src, mark, used = firth[t["coefficient"]], " (Firth)", True
        what = f"{t['level']} vs {t['reference']}" if t.get("level") is not None else f"per unit of {t['term']}"
        lines.append(f"HR {what}{mark}: {format_hr(src['hr'], src['lower'], src['upper'])}")
    return lines, used


def _risk_times(risk_times, endpoint):
    if isinstance(risk_times, dict):
        return risk_times.get(endpoint)
    return risk_times


def km_prepare(results, part: int = 0, parts: int = 1) -> dict:
    """What the Kaplan-Meier figures of ``part`` of ``parts`` (that contiguous share of the curves, report
    order) read: their curves, the time unit, and of the sections the survival summaries, log-rank tests,
    univariable Cox models and time-dependent results of their endpoints (not the Cox models' lists of
    patients left out, which are 10^6 ids at registry size)."""
    curves = list(results.curves.items())
    lo, hi = len(curves) * part // parts, len(curves) * (part + 1) // parts
    curves = curves[lo:hi]
    eps = {ep for (ep, _), _ in curves}
    sec = results.sections
    cox = [{k: v for k, v in m.items() if k != "dropped_patients"} for m in sec.get("cox") or []
           if m.get("endpoint") in eps and m.get("model") == "univariable"]
    return {"unit": results.study.config.time_unit, "scale": results.study.config.days_per_unit, "curves": curves,
            "sections": {"survival": {ep: v for ep, v in (sec.get("survival") or {}).items() if ep in eps},
                         "logrank": [r for r in sec.get("logrank") or [] if r.get("endpoint") in eps], "cox": cox,
                         "time_dependent": [r for r in sec.get("time_dependent") or [] if r.get("endpoint") in eps]}}


def _km_infos(prepared: dict, out_dir, opts) -> list[FigureInfo]:
    """Kaplan-Meier figures of ``km_prepare``'s curves."""
    from .km_plot import MAX_CENSOR_MARKS, km_figure

    unit, scale, sections = prepared["unit"], prepared["scale"], prepared["sections"]
    survival = sections.get("survival", {})
    logranks = {(r["endpoint"], r["covariate"]): r for r in sections.get("logrank", [])}
    infos = []
    for (ep, cov), km in prepared["curves"]:
        name = f"km_{ep.lower()}" if cov is None else f"km_{ep.lower()}_by_{_slug(cov)}"
        label = survival.get(ep, {}).get("name", ep)
        show_ci = opts["show_ci"] if opts["show_ci"] is not None else cov is None
        med = km.medians
        n, events = int(med["n"].sum()), int(med["events"].sum())
        firth = False
        if cov is None:
            m = survival.get(ep, {}).get("median") or {}
            value = m.get("value")
            annotation = ("Median not reached" if value is None else
                          f"Median {_num(value)} {unit} (95% CI {_num(m.get('lower'))}–{_num(m.get('upper'))})")
            labels = None
        elif cov.endswith(TD_SUFFIX):  # Simon-Makuch: by the state at each time
            annotation, labels = _simon_makuch_text(sections, ep, cov[: -len(TD_SUFFIX)], opts)
        else:
            lr = logranks.get((ep, cov))
            lines = [] if lr is None else [f"Log-rank {format_p(lr['p'], opts['p_style'])}" if lr.get("p") is not None
                                           else "Log-rank test not estimable"]
            hr, firth = hr_lines(_univariable(sections, ep, cov))
            annotation = "\n".join(lines + hr) or None
            labels = level_labels(km.groups)
        xlabel = f"Time since first response ({unit})" if ep == "DOR" else f"Time since start of treatment ({unit})"
        shown = None if cov is None else _shown_covariate(cov)
        cut = km_cut(km, opts["axis_cut"])
        fig = km_figure(km, unit_days=scale, unit_label=unit, ylabel=YLABELS.get(ep, label), show_ci=show_ci,
                        annotation=annotation, group_labels=labels, size=opts["size"],
                        risk_table=opts["risk_table"], risk_times=_risk_times(opts["risk_times"], ep),
                        xlabel=xlabel, min_at_risk=opts["min_at_risk"], axis_cut=opts["axis_cut"],
                        legend_title=_legend_title(cov),
                        single_label="Responders" if ep == "DOR" else "All patients")
        png, svg, *extra = save_figure(fig, out_dir / name, dpi=opts["dpi"], formats=opts["formats"])
        title = label if cov is None else f"{label} by {shown}"
        parts = [f"Kaplan-Meier estimate of {label.lower()} (event: {EVENTS.get(ep, 'event')})"
                 + ("" if cov is None else f" by {shown}") + f"; {count(n)} patients, {count(events)} events."]
        if show_ci:
            parts.append(f"Shaded band: pointwise {100 * km.conf_level:g}% CI ({km.conf_type} transformation, "
                         "Greenwood variance).")
        parts.append("Tick marks: censored patients"
                     + (f" (marks closer than 1/{MAX_CENSOR_MARKS} of the axis drawn once)"
                        if _many_censored(km) else "") + ".")
        if (np.isfinite(med["median"])).any():
            parts.append("Dashed lines: median, drawn only where the curve reaches 50%.")
        table = {"simple": "Number at risk (patients still followed at each time)",
                 "events": "Number at risk (cumulative events in brackets)",
                 "kmunicate": "Numbers at risk, censored and with an event (cumulative) at each time"}
        parts.append(f"{table[opts['risk_table']]} below the axis.")
        if opts["min_at_risk"] is not None:
            parts.append(f"The time axis ends where fewer than {opts['min_at_risk']} patients remain at risk.")
        if cut is not None and opts["min_at_risk"] is None:
            parts.append(cut_sentence(cut, scale, unit, opts["axis_cut"]).strip())
        if cov is not None and cov.endswith(TD_SUFFIX):
            parts.append("Simon-Makuch estimate: patients count in the 'before' curve until the date of the change "
                         "and in the 'after' curve from then on (late entry), so no time before the change is "
                         "credited to it. HR: time-dependent Cox regression (Efron ties, Wald 95% CI).")
        elif cov is not None:
            lr = logranks.get((ep, cov))
            if lr is not None and lr.get("n_missing"):
                parts.append(f"{lr['n_missing']} patient(s) with {shown} missing are not shown.")
            parts.append("P: log-rank test; HR: univariable Cox regression (Efron ties, Wald 95% CI)"
                         + ("; Firth: penalised-likelihood estimate with profile-likelihood 95% CI, used "
                            "because the standard fit diverges (monotone likelihood)" if firth else "") + ".")
        infos.append(FigureInfo(name, title, " ".join(parts), png, svg, "survival", "km", ep, cov, n,
                                f"Kaplan-Meier curve of {label.lower()}" + ("" if cov is None else f" by {shown}"),
                                extra))
    return infos


def _many_censored(km) -> bool:
    from .km_plot import MAX_CENSOR_MARKS

    t = km.table
    return bool(((t["n_censor"] > 0).groupby(t["group"]).sum() > MAX_CENSOR_MARKS).any())


def _forest_infos(results, out_dir, opts) -> list[FigureInfo]:
    from .forest import forest_figure, forest_rows

    infos = []
    models = results.sections.get("cox", [])
    survival = results.sections.get("survival", {})
    planned = results.study.config.cox
    screened = results.study.config.regression.screen == "all"
    for ep in dict.fromkeys(m["endpoint"] for m in models):
        shown = models
        if screened and planned.get(ep):  # the screen of every variable is in the Cox table, not the figure
            keep = set(planned[ep])
            shown = [m for m in models if m["endpoint"] != ep or m["model"] != "univariable"
                     or set(m["covariates"]) <= keep]
        rows = forest_rows(shown, ep, p_style=opts["p_style"], digits=3 if opts["size"] == "double" else 2)
        if not (rows["kind"] == "estimate").any():
            continue
        fig = forest_figure(rows, size=opts["size"])
        name = f"forest_{ep.lower()}"
        png, svg, *extra = save_figure(fig, out_dir / name, dpi=opts["dpi"], formats=opts["formats"])
        label = survival.get(ep, {}).get("name", ep)
        fitted = [m for m in shown if m["endpoint"] == ep and "skipped" not in m]
        kinds = sorted({m["model"] for m in fitted}, reverse=True)
        parts = [f"Hazard ratios for {label.lower()} from {' and '.join(kinds)} Cox regression "
                 "(Efron ties; Wald 95% CI; log scale; vertical line: HR = 1)."
                 + (" Univariable models of the planned covariates only; every screened variable is in the Cox "
                    "table." if shown is not models else "") +
                 " Categorical covariates: HR of each level against its reference level;"
                 " a P on a covariate's own row is the likelihood-ratio test of all its levels."
                 " n: patients and events in each univariable model."]
        if rows["firth"].any():
            parts.append("†: Firth penalised-likelihood estimate with profile-likelihood 95% CI, shown because "
                         "the standard fit diverges (monotone likelihood).")
        if rows["clipped"].any():
            parts.append("Arrows: CI extends beyond the axis.")
        dropped = [m for m in fitted if m.get("n_dropped")]
        for m in dropped:
            parts.append(f"{m['model'].capitalize()} model of {', '.join(_label(c, False) for c in m['covariates'])}: "
                         f"{m['n_dropped']} "
                         "patient(s) with missing values excluded.")
        skipped = [m for m in shown if m["endpoint"] == ep and "skipped" in m]
        if skipped:
            parts.append("Not modelled: " + "; ".join(f"{_label(m['covariates'][0], False)} ({m['skipped']})"
                                                      for m in skipped) + ".")
        n = max((m["n"] for m in fitted), default=None)
        infos.append(FigureInfo(name, f"Cox regression: {label}", " ".join(parts), png, svg, "regression",
                                "forest", ep, None, n, f"Forest plot of hazard ratios for {label.lower()}", extra))
    return infos


def figure_options(report_config) -> dict:
    """make_figures keywords from study.yaml ``report: figures:`` (axis cut, risk table, size, formats)."""
    fc = getattr(report_config, "figures", None)
    if fc is None:
        return {}
    cut = None if fc.axis_cut is None else AxisCut(fc.axis_cut.fraction, fc.axis_cut.min_patients)
    return {"axis_cut": cut, "risk_table": fc.risk_table, "size": fc.size, "formats": tuple(fc.formats)}


def save_figure(fig, stem: Path, **kw) -> list[Path]:
    """style.save_figure without waiting for the PNG (make_figures waits once at the end)."""
    return _save_now(fig, stem, wait=False, **kw)


def make_figures(results, out_dir: Path, *, size: str = "double", risk_table: str = "simple",
                 risk_times=None, show_ci: bool | None = None, p_style: str = "default", dpi: int = 300,
                 max_spider: int = MAX_SPIDER_PATIENTS, max_swimmer: int = MAX_SWIMMER_PATIENTS,
                 min_at_risk: int | None = None, axis_cut: AxisCut | None = DEFAULT_CUT,
                 formats=()) -> list[FigureInfo]:
    """Draw every report figure from ``results`` into ``out_dir`` (PNG at ``dpi`` and SVG).

    Parameters
    ----------
    results : Results
        What ``oncoseries.analyze`` returns.
    out_dir : path
    size : {"double", "single"}
        Print width 7 or 3.5 inches (fonts at their printed size).
    risk_table : {"simple", "events", "kmunicate"}
        Kaplan-Meier table style (see ``km_figure``).
    risk_times : sequence or dict, optional
        Risk-table times in the study's time unit, for all endpoints or per endpoint (``{"OS": [...]}``).
    show_ci : bool, optional
        CI bands on Kaplan-Meier curves; default on for single curves, off for curves by covariate.
    p_style : {"default", "nejm", "jama"}
        P-value style (``format_p``).
    max_spider, max_swimmer : int
        Patients drawn at most in the spider (a seeded random sample) and swimmer (the longest) plots.
    min_at_risk : int, optional
        Cut Kaplan-Meier time axes where fewer patients remain at risk (Pocock et al. 2002).
    axis_cut : AxisCut or None
        Stop the Kaplan-Meier and swimmer time axes where fewer than ``fraction`` of the patients or
        fewer than ``min_patients`` remain at risk, whichever comes first (default 10% or 5); None: the
        whole follow-up.
    formats : sequence of {"pdf", "tiff"}
        Extra files beside PNG and SVG: PDF (TrueType text) and 600-dpi TIFF (LZW), in ``FigureInfo.extra``.

    Returns
    -------
    list of FigureInfo
        In report order: Kaplan-Meier, forest, waterfall, spider, swimmer.
    """
    VARIABLE_LABELS.set(dict(getattr(results.study, "labels", None) or {}))  # labels in every caption/legend
    out_dir = Path(out_dir)
    opts = figure_opts(size=size, risk_table=risk_table, risk_times=risk_times, show_ci=show_ci, p_style=p_style,
                       dpi=dpi, max_spider=max_spider, max_swimmer=max_swimmer, min_at_risk=min_at_risk,
                       axis_cut=axis_cut, formats=formats)
    try:
        from . import worker

        w = worker.current()
        if w is not None:       # a forked worker draws its share (report/worker.py), early ones already
            return w.draw_all(results, out_dir, opts)
        from .parallel import run_groups

        groups = [lambda name=name: draw_group(name, results, out_dir, opts) for name in GROUPS]
        # a forked child draws response, marker/exposure and historical figures (about half the work)
        child = [GROUPS.index(n) for n in ("response", "oncoprint", "exposure", "historical")]
        return [info for group in run_groups(groups, child=child) for info in group]
    finally:
        wait_for_figures()  # every PNG is on disk when this returns


def figure_opts(*, size: str = "double", risk_table: str = "simple", risk_times=None, show_ci: bool | None = None,
                p_style: str = "default", dpi: int = 300, max_spider: int = MAX_SPIDER_PATIENTS,
                max_swimmer: int = MAX_SWIMMER_PATIENTS, min_at_risk: int | None = None,
                axis_cut: AxisCut | None = DEFAULT_CUT, formats=()) -> dict:
    """The options every figure group reads (the keywords of make_figures, checked)."""
    check_size(size)
    return {"size": size, "risk_table": risk_table, "risk_times": risk_times, "show_ci": show_ci,
            "p_style": p_style, "dpi": int(dpi), "max_spider": int(max_spider), "max_swimmer": int(max_swimmer),
            "min_at_risk": min_at_risk, "axis_cut": axis_cut, "formats": tuple(formats)}


#: Figure groups in report order; "km_a"/"km_b": the first and second half of the Kaplan-Meier curves.
GROUPS = ("km_a", "km_b", "forest", "response", "oncoprint", "exposure", "historical", "design")


@dataclass
class Prepared:
    """What one figure group draws (``prepare_group``): small, picklable data computed from the Results, which
    the figure worker can be sent."""
    group: str
    labels: dict       # study.yaml variable labels (captions and legends)
    data: object


_RESPONSE = (("waterfall", waterfall), ("spider", spider), ("swimmer", swimmer))   # the "response" group
#: Groups prepared into small data (what they draw), so that they can be sent to the figure worker: all of them.
SMALL = GROUPS


def prepare_group(name: str, results, opts: dict) -> Prepared:
    """What group ``name`` (``GROUPS``) draws, computed from ``results``: the Kaplan-Meier curves of its
    half and the sections their captions quote; the waterfall's bars, the spider's sampled patients and the
    swimmer's rows (each module's ``prepare``); the oncoprint's matrix; the cycles drawn; for the forest,
    historical and design groups the part of the Results they read (``results_view``)."""
    if name not in GROUPS:
        raise ValueError(f"unknown figure group {name!r}")
    labels = dict(getattr(results.study, "labels", None) or {})
    VARIABLE_LABELS.set(labels)  # labels in every caption/legend (the swimmer's markers are named here)
    if name in ("km_a", "km_b"):
        data = km_prepare(results, part=name == "km_b", parts=2)
    elif name == "response":
        best = results.derived.get("best_response")
        data = {} if best is None or best.empty else \
            {key: m.prepare(results, opts) for key, m in _RESPONSE}
    elif name == "oncoprint":
        from . import oncoprint

        data = oncoprint.prepare(results, opts)
    elif name == "exposure":
        from . import extra_figures

        data = extra_figures.prepare(results, opts)
    else:
        data = results_view(name, results)
    return Prepared(name, labels, data)


@dataclass
class ResultsView:
    """What the forest, historical and design groups read of a Results (``results_view``): the attributes they
    use, under the same names (``.sections``, ``.derived``, ``.study.config``), so their drawing code is the same
    whether it is given this view or the Results, and the view can be sent to the figure worker."""
    sections: dict
    derived: dict
    study: object


@dataclass
class _StudyView:
    config: object


@dataclass
class _RegressionView:
    screen: str


@dataclass
class _ConfigView:
    cox: dict
    regression: _RegressionView    # the setting read (not study.yaml's pydantic model: the worker would import
                                   # pydantic and the configuration, ~0.14 s, to unpickle it)
    days_per_unit: float
    time_unit: str


def results_view(name: str, results) -> ResultsView:
    """The part of ``results`` group ``name`` ("forest", "historical", "design") draws: the Cox models and survival
    summaries; the historical comparisons with, when one is drawn, the reconstructed patients and the times and
    events of its endpoints (three columns of the ADTTE); the design section; and the few study.yaml settings they
    read. Small and picklable (never the study's tables), so the figure worker draws these groups too."""
    sec, config = results.sections, results.study.config
    derived = {}
    if name == "forest":
        sections = {k: sec[k] for k in ("cox", "survival") if k in sec}
    elif name == "historical":
        sections = {k: sec[k] for k in ("historical_controls",) if k in sec}
        eps = {r["endpoint"] for r in sec.get("historical_controls") or [] if r["endpoint"] != "ORR" and "error" not in r}
        if eps:
            adtte = results.derived["adtte"]
            derived["adtte"] = adtte.loc[adtte["paramcd"].isin(sorted(eps)), ["paramcd", "aval", "cnsr"]]
            if results.derived.get("historical_ipd") is not None:
                derived["historical_ipd"] = results.derived["historical_ipd"]
    elif name == "design":
        sections = {k: sec[k] for k in ("design",) if k in sec}
    else:
        raise ValueError(f"no results view for figure group {name!r}")
    return ResultsView(sections, derived, _StudyView(_ConfigView(
        {k: list(v) for k, v in config.cox.items()}, _RegressionView(config.regression.screen), config.days_per_unit,
        config.time_unit)))


def draw_prepared(prepared: Prepared, out_dir: Path, opts: dict) -> list[FigureInfo]:
    """Draw one group from ``prepare_group``'s data into ``out_dir``; returns their FigureInfo in report order."""
    name, data = prepared.group, prepared.data
    VARIABLE_LABELS.set(prepared.labels)
    if name in ("km_a", "km_b"):
        return _km_infos(data, out_dir, opts)
    if name == "response":
        return [info for key, m in _RESPONSE if key in data for info in m.draw(data[key], out_dir, opts)]
    if name == "oncoprint":
        from . import oncoprint

        return oncoprint.draw(data, out_dir, opts)
    if name == "exposure":
        from . import extra_figures

        return extra_figures.draw(data, out_dir, opts)
    if name == "forest":
        return _forest_infos(data, out_dir, opts)
    if name == "historical":
        from .historical import historical_infos

        return historical_infos(data, out_dir, opts)
    if name == "design":
        from .trial_design import design_figures

        return design_figures(data, out_dir, opts)
    raise ValueError(f"unknown figure group {name!r}")


def draw_group(name: str, results, out_dir: Path, opts: dict) -> list[FigureInfo]:
    """Draw one group of figures (``GROUPS``) into ``out_dir``; returns their FigureInfo in report order.
    The same path whichever process draws: ``prepare_group`` then ``draw_prepared``."""
    return draw_prepared(prepare_group(name, results, opts), out_dir, opts)


def report_figure_options(results) -> dict:
    """The make_figures keywords of the report (study.yaml ``report:``), as write_report passes them."""
    rc = results.study.config.report
    return {"p_style": rc.p_style, "risk_times": rc.risk_times or None, **figure_options(rc)}
