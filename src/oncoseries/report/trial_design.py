"""Report section "Designing a trial with this regimen as control" (results.json ``design``; study.yaml
``design:``; docs/trial-design.md): the assumptions in words, a table of events and patients over the hazard
ratios, the single-arm designs, the simulation check, a power-curve figure, and the Results/Methods
sentences."""

from __future__ import annotations

from pathlib import Path

TITLE = "Designing a trial with this regimen as control"
METHOD_WORDS = {"lachin-foulkes": "Lachin and Foulkes (1986)", "schoenfeld": "Schoenfeld (1981)",
                "freedman": "Freedman (1982)"}
ENDPOINT = {"PFS": "progression-free survival", "OS": "overall survival"}


def _d(ctx) -> dict | None:
    return ctx.data.get("design")


def _f(x, digits: int = 1) -> str:
    return f"{x:.{digits}f}"


def _control_words(d: dict, unit: str) -> str:
    c = d["control"]
    ep = ENDPOINT.get(c["endpoint"], c["endpoint"])
    km_med = f"median {_f(c['km_median'])} {unit}" if c.get("km_median") is not None else "median not reached"
    if c["model"] == "exponential":
        return (f"the {ep} of this series ({c['n']} patients, {c['events']} events; Kaplan-Meier {km_med}) as an "
                "exponential curve with the same median")
    pieces = ", ".join(f"{_f(a)}-{_f(b)}: {_f(r, 3)}" for a, b, r in
                       zip(c["breaks"][:-1], c["breaks"][1:], c["rates"]))
    return (f"the {ep} of this series ({c['n']} patients, {c['events']} events; Kaplan-Meier {km_med}) as a "
            f"piecewise exponential curve through its Kaplan-Meier estimate (hazard per {unit[:-1] if unit.endswith('s') else unit} "
            f"over {pieces} {unit}, the last hazard continuing; model median {_f(c['model_median'])} {unit})")


def section_text(ctx) -> list[str]:
    """Paragraphs under the heading: the assumptions and the sentence to paste into a protocol."""
    d = _d(ctx)
    if not d:
        return []
    if "rows" not in d:
        return [f"No design could be computed: {d.get('message', 'unknown reason')}."]
    from ..design.survival import SurvivalDesign
    from ..design.text import dropout_words, survival_sentence

    s, unit = d["settings"], ctx.unit
    alloc = "1:1" if s["ratio"] == 1 else f"{s['ratio']:g}:1 (experimental:control)"
    out = [f"Assumptions: the control arm behaves like {_control_words(d, unit)}; proportional hazards; "
           f"{alloc} randomisation; accrual uniform over {s['accrual']:g} {unit}; at least {s['follow_up']:g} "
           f"{unit} of follow-up after the last patient is enrolled; {dropout_words(d['dropout_rate'], unit)}; "
           f"log-rank test at a {'two' if s['sides'] == 2 else 'one'}-sided alpha of {s['alpha']:g} with "
           f"{100 * s['power']:.0f}% power; sample size by {METHOD_WORDS[s['method']]}."]
    first = dict(d["rows"][0])
    for k in ("sequential", "one_sample", "power_curve"):
        first.pop(k, None)
    seq = None
    if d.get("sequential"):
        from ..design.sequential import SequentialDesign
        seq = SequentialDesign(**d["sequential"])
    c = d["control"]
    med = f"Kaplan-Meier median {_f(c['km_median'])} {unit}" if c.get("km_median") is not None else \
        "median not reached"
    short = (f"a control arm like this series ({ENDPOINT.get(c['endpoint'], c['endpoint'])}, {med}; "
             f"{'piecewise exponential through the Kaplan-Meier curve' if c['model'] == 'km' else 'exponential'})")
    sentence = survival_sentence(SurvivalDesign(**first), s["endpoint"], unit, short, seq)
    out.append("For the protocol (target hazard ratio " + f"{first['hr']:g}): " + sentence)
    if d.get("message"):
        out.append(f"Part of the design could not be computed: {d['message']}.")
    return out


def design_table(ctx):
    from .tables import ReportTable

    d = _d(ctx)
    if not d or "rows" not in d:
        return None
    s, unit = d["settings"], ctx.unit
    seq = d.get("sequential")
    cols = ["Hazard ratio", f"Median, control / experimental ({unit})", "Events", "Patients (control + experimental)",
            f"Final analysis expected at ({unit})"]
    if seq:
        cols.append(f"With {len(seq['timing'])} analyses: events at each look (expected time, {unit}); patients")
    single = any("one_sample" in r for r in d["rows"])
    if single:
        cols.append("Single-arm trial instead: patients (events)")
    t = ReportTable("trial_design", f"Events and patients needed for a randomised trial against this regimen "
                    f"({s['endpoint']})", "design", cols)
    for r in d["rows"]:
        cells = [f"{r['hr']:g}", f"{_f(r['control_median'])} / {_f(r['experimental_median'])}", r["events_planned"],
                 f"{r['patients_planned']} ({r['n_control']} + {r['n_experimental']})",
                 f"{_f(r['time_to_events_h1'])} ({_f(r['time_to_events_h0'])} if no difference)"]
        if seq:
            q = r["sequential"]
            cells.append(", ".join(f"{e} ({_f(t)})" for e, t in zip(q["events"], q["times"])) + f"; {q['patients']}")
        if single:
            o = r.get("one_sample")
            cells.append(f"{o['n_planned']} ({o['events_h1']:.0f})" if o else "")
        t.add(cells)
    t.notes.append(f"Events and patients rounded up; {METHOD_WORDS[s['method']]} sample size with the control arm "
                   f"taken from this series ({s['endpoint']}); time of the final analysis from the start of "
                   "accrual, when the expected number of events is reached.")
    if seq:
        kind = "O'Brien-Fleming-like" if seq["spending"] == "obf" else "Pocock-like"
        bounds = ", ".join(f"{b:.3f}" for b in seq["bounds"])
        t.notes.append(f"Group-sequential: {kind} Lan-DeMets alpha spending (one-sided {seq['alpha']:g}), looks at "
                       f"equal information, efficacy z boundaries {bounds}; inflation factor {seq['inflation']:.3f}.")
    if single:
        t.notes.append(f"Single-arm trial: one-sample log-rank test against this series' curve (one-sided alpha "
                       f"{s['phase2_alpha']:g}, same power, accrual and follow-up; Wu 2015); events expected if the "
                       "new regimen has the stated hazard ratio.")
    sim = d.get("simulation")
    if sim:
        h1, h0 = sim["h1"], sim["h0"]
        alpha = h0["rejection_either_side"] if s["sides"] == 2 else h0["rejection_rate"]
        q = h1["time_quantiles"]
        t.notes.append(f"Simulation of the design for hazard ratio {h1['hr']:g} ({h1['n_sim']} trials, seed "
                       f"{h1['seed']}): power {h1['rejection_rate']:.3f} (Monte Carlo SE {h1['rejection_se']:.3f}), "
                       f"type I error {alpha:.3f}; final analysis at a median {_f(q['50%'])} {unit} "
                       f"(5-95%: {_f(q['5%'])}-{_f(q['95%'])}).")
    return t


def single_arm_table(ctx):
    from .tables import ReportTable

    d = _d(ctx)
    sa = (d or {}).get("single_arm") or {}
    if "simon_optimal" not in sa:
        return None
    t = ReportTable("trial_design_single_arm", f"Single-arm phase II designs for the response rate (to beat "
                    f"{sa['p0_rounded']:.2f}, hoping for {sa['p1']:.2f})", "design",
                    ["Design", "Stage 1: stop if responses <=", "Total patients", "Promising if responses >",
                     "Expected patients if p0", "Type I error", "Power"])
    for key, name in (("simon_optimal", "Simon optimal two-stage"), ("simon_minimax", "Simon minimax two-stage")):
        x = sa[key]
        t.add([name, f"{x['r1']} of {x['n1']}", x["n"], x["r"], _f(x["en0"]), f"{x['actual_alpha']:.3f}",
               f"{x['actual_power']:.3f}"])
    a = sa["ahern"]
    t.add(["A'Hern single-stage", "", a["n"], a["r"] - 1, a["n"], f"{a['actual_alpha']:.3f}", f"{a['actual_power']:.3f}"])
    t.notes.append(f"p0 is this series' objective response rate ({sa['n']}/{sa['N']}, rounded to "
                   f"{sa['p0_rounded']:.2f}); p1 = p0 + {d['settings']['orr_improvement']:g}. Exact binomial designs "
                   f"(Simon 1989; A'Hern 2001), one-sided alpha {d['settings']['phase2_alpha']:g}.")
    return t


def results_pieces(w) -> list:
    d = w.data.get("design") or {}
    if "rows" not in d:
        return []
    r = d["rows"][0]
    return [" Used as the control arm of a randomised trial, this regimen's ",
            d["settings"]["endpoint"], " would call for ", w.num("design.rows[0].patients_planned", "int"),
            " patients and ", w.num("design.rows[0].events_planned", "int"),
            f" events to detect a hazard ratio of {r['hr']:g} with {100 * r['power']:.0f}% power."]


def methods_pieces(w) -> list:
    d = w.data.get("design") or {}
    if "rows" not in d:
        return []
    s = d["settings"]
    return [f" The next trial was designed with this regimen as the control arm: the series' "
            f"{ENDPOINT.get(s['endpoint'], s['endpoint'])} curve was modelled as "
            + ("a piecewise exponential through its Kaplan-Meier estimate" if s["control"] == "km" else
               "an exponential with its median")
            + f", patients and events for each hazard ratio were computed by {METHOD_WORDS[s['method']]} with "
              "uniform accrual, minimum follow-up and exponential dropout, group-sequential boundaries by Lan-DeMets "
              "alpha spending (Lan & DeMets, 1983), single-arm designs by the one-sample log-rank test (Wu, 2015) "
              "and Simon's two-stage (Simon, 1989) and A'Hern's exact binomial designs (A'Hern, 2001)."]


def design_figures(results, out_dir: Path, opts: dict) -> list:
    """The power curve: power against the true hazard ratio for each designed trial."""
    d = results.sections.get("design") or {}
    if "rows" not in d:
        return []
    from .figures import FigureInfo, save_figure
    from .style import PALETTE, WIDTHS, pyplot, rc

    plt = pyplot()

    s = d["settings"]
    size = opts.get("size", "double")
    with plt.rc_context(rc(size)):
        fig, ax = plt.subplots(figsize=(WIDTHS[size], WIDTHS[size] * 0.55))
        for i, r in enumerate(d["rows"]):
            c = PALETTE[i % len(PALETTE)]
            pc = r["power_curve"]
            ax.plot(pc["hr"], pc["power"], color=c, lw=1.6,
                    label=f"{r['patients_planned']} patients, {r['events_planned']} events (designed for HR {r['hr']:g})")
            ax.plot([r["hr"]], [r["power"]], "o", color=c, ms=4)
        ax.axhline(s["power"], color="#777777", lw=0.8, ls="--")
        ax.axhline(s["alpha"] / s["sides"], color="#777777", lw=0.8, ls=":")
        ax.set_xlim(0.3, 1.0)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("True hazard ratio (experimental vs control)")
        ax.set_ylabel("Power")
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(loc="upper right", frameon=False)
        fig.tight_layout()
        png, svg, *extra = save_figure(fig, Path(out_dir) / "trial_design_power", dpi=opts.get("dpi", 300),
                                       formats=opts.get("formats", ()))
    cap = (f"Power of each designed trial (patients and events as in the design table) against the true hazard "
           f"ratio, with this series' {s['endpoint']} as the control arm and the same accrual, follow-up and "
           f"dropout; dots: the hazard ratio each trial was designed for; dashed line: the target power "
           f"({100 * s['power']:.0f}%); dotted line: one-sided alpha ({s['alpha'] / s['sides']:g}).")
    return [FigureInfo("trial_design_power", "Power of the designed trials", cap, png, svg, "design", "power",
                       s["endpoint"], None, None, "Power curves of the designed trials against the hazard ratio",
                       extra)]
