"""`oncoseries design ...`: sample size, power and simulation for the next trial (docs/trial-design.md).
Each command prints a table and the sentence to paste into a protocol; bad input is one line, exit 2."""

from __future__ import annotations

import functools

import typer

design_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                         help="Design the next trial: events, patients, Simon/A'Hern designs, simulation.")


def _guard(fn):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        from ._common import DesignError

        try:
            return fn(*args, **kwargs)
        except DesignError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(2) from None
    return run


def _sides(sides: int) -> int:
    from ._common import check_sides
    return check_sides(sides)


@design_app.command("events")
@_guard
def events_cmd(hr: float = typer.Option(..., help="Hazard ratio to detect (experimental vs control), e.g. 0.67"),
               alpha: float = typer.Option(0.05, help="Significance level"),
               power: float = typer.Option(0.8, help="Power, between 0 and 1"),
               ratio: float = typer.Option(1.0, help="Patients on experimental per patient on control"),
               sides: int = typer.Option(2, help="2: alpha is two-sided; 1: one-sided"),
               method: str = typer.Option("schoenfeld", help="schoenfeld or freedman")) -> None:
    """Events needed for a log-rank comparison (Schoenfeld; Freedman as an option)."""
    import math

    from . import text
    from .events import events_needed

    rows = []
    for m in ("schoenfeld", "freedman"):
        d = events_needed(hr, alpha, power, ratio, _sides(sides), m)
        rows.append((text.METHOD[m] + (" (chosen)" if m == method else ""), f"{d:.2f}", math.ceil(d - 1e-9)))
    chosen = events_needed(hr, alpha, power, ratio, sides, method)
    typer.echo(text.format_table(rows, ("Method", "Events (exact)", "Events (planned)")))
    typer.echo("")
    typer.echo(text.events_sentence(hr, math.ceil(chosen - 1e-9), alpha, power, ratio, sides, method))


@design_app.command("survival")
@_guard
def survival_cmd(control_median: float = typer.Option(..., help="Median survival on the control arm"),
                 hr: float = typer.Option(..., help="Hazard ratio to detect"),
                 accrual: float = typer.Option(..., help="Accrual period (same time unit as the median)"),
                 follow_up: float = typer.Option(..., help="Minimum follow-up after the last patient enters"),
                 alpha: float = typer.Option(0.05), power: float = typer.Option(0.8),
                 ratio: float = typer.Option(1.0), sides: int = typer.Option(2),
                 dropout: float = typer.Option(0.0, help="Proportion lost to follow-up by --dropout-time"),
                 dropout_time: float = typer.Option(12.0, help="Time by which --dropout is lost"),
                 method: str = typer.Option("lachin-foulkes", help="lachin-foulkes, schoenfeld or freedman"),
                 looks: int = typer.Option(1, help="Analyses in total (>1: group-sequential, equally spaced)"),
                 spending: str = typer.Option("obf", help="obf (O'Brien-Fleming-like) or pocock"),
                 simulate: int = typer.Option(0, help="Simulate this many trials (e.g. 10000)"),
                 seed: int = typer.Option(20240501, help="Seed of the simulation"),
                 unit: str = typer.Option("months", help="Name of the time unit in the sentence")) -> None:
    """Patients, events and duration of a randomised time-to-event trial (Lachin-Foulkes)."""
    from . import text
    from .sequential import group_sequential
    from .survival import design_survival, dropout_hazard

    d = design_survival(hr, control_median, accrual, follow_up, alpha, power, ratio, _sides(sides),
                        dropout_hazard(dropout, dropout_time), method)
    rows = [("Control median", f"{d.control_median:.2f}"), ("Experimental median", f"{d.experimental_median:.2f}"),
            ("P(event) control / experimental", f"{d.prob_event_control:.3f} / {d.prob_event_experimental:.3f}"),
            ("Patients (exact)", f"{d.patients:.2f}"), ("Patients (planned)",
                                                       f"{d.patients_planned} ({d.n_control} + {d.n_experimental})"),
            ("Events (exact)", f"{d.events:.2f}"), ("Events (planned)", d.events_planned),
            ("Accrual rate per time unit", f"{d.accrual_rate:.2f}"),
            ("Expected time of final analysis", f"{d.time_to_events_h1:.1f} ({d.time_to_events_h0:.1f} if no "
                                                "difference)")]
    seq = None
    if looks > 1:
        seq = group_sequential(looks, alpha, power, sides, spending)
        nc, ne = text.seq_patients(d, seq)
        rows.append(("Group-sequential patients (inflation factor)", f"{nc + ne} ({nc} + {ne}; "
                                                                       f"{seq.inflation:.4f})"))
        for i, (t, b, n) in enumerate(zip(seq.timing, seq.bounds, text.seq_events(d, seq)), 1):
            rows.append((f"Look {i}: events / z bound / nominal p", f"{n} / {b:.3f} / {seq.nominal_p[i - 1]:.4f}"))
    if simulate:
        from .simulate import simulate_design

        sim = simulate_design(d, control_median, accrual, n_sim=simulate, seed=seed, sequential=seq)
        h1, h0 = sim["h1"], sim["h0"]
        rows += [(f"Simulated power ({simulate} trials)", f"{h1.rejection_rate:.3f} (MC SE {h1.rejection_se:.3f})"),
                 ("Simulated type I error", f"{h0.rejection_either_side if sides == 2 else h0.rejection_rate:.4f}"),
                 ("Simulated time of final analysis, median (5%-95%)",
                  f"{h1.time_quantiles['50%']:.1f} ({h1.time_quantiles['5%']:.1f}-{h1.time_quantiles['95%']:.1f})")]
    typer.echo(text.format_table(rows, ("Quantity", "Value")))
    typer.echo("")
    typer.echo(text.survival_sentence(d, "", unit, f"a median of {d.control_median:g} {unit} on the control arm "
                                                  "(exponential)", seq).replace("  ", " "))


@design_app.command("simon")
@_guard
def simon_cmd(p0: float = typer.Option(..., help="Response rate to beat (no interest at or below it)"),
              p1: float = typer.Option(..., help="Response rate worth detecting"),
              alpha: float = typer.Option(0.05, help="One-sided type I error"),
              power: float = typer.Option(0.8), design: str = typer.Option("both", help="optimal, minimax or both")) -> None:
    """Simon's optimal and minimax two-stage designs for a response rate."""
    from . import text
    from .single_arm import simon_two_stage

    kinds = ["optimal", "minimax"] if design == "both" else [design]
    ds = [simon_two_stage(p0, p1, alpha, power, k) for k in kinds]
    typer.echo(text.format_table([(s.design, f"{s.r1}/{s.n1}", f"{s.r}/{s.n}", f"{s.en0:.1f}", f"{s.pet0:.3f}",
                                   f"{s.actual_alpha:.4f}", f"{s.actual_power:.4f}") for s in ds],
                                 ("Design", "r1/n1", "r/n", "EN(p0)", "PET(p0)", "Alpha", "Power")))
    for s in ds:
        typer.echo("")
        typer.echo(text.simon_sentence(s))


@design_app.command("ahern")
@_guard
def ahern_cmd(p0: float = typer.Option(...), p1: float = typer.Option(...), alpha: float = typer.Option(0.05),
              power: float = typer.Option(0.8)) -> None:
    """Single-stage exact binomial design (A'Hern)."""
    from . import text
    from .single_arm import ahern

    a = ahern(p0, p1, alpha, power)
    typer.echo(text.format_table([(a.n, a.r, f"{a.actual_alpha:.4f}", f"{a.actual_power:.4f}")],
                                 ("Patients", "Responses needed (>=)", "Alpha", "Power")))
    typer.echo("")
    typer.echo(text.ahern_sentence(a))


@design_app.command("one-sample")
@_guard
def one_sample_cmd(control_median: float = typer.Option(..., help="Reference (historical) median"),
                   hr: float = typer.Option(..., help="Hazard ratio to detect (< 1)"),
                   accrual: float = typer.Option(...), follow_up: float = typer.Option(...),
                   alpha: float = typer.Option(0.05, help="One-sided"), power: float = typer.Option(0.8),
                   unit: str = typer.Option("months")) -> None:
    """Single-arm trial against a reference curve: one-sample log-rank sample size."""
    from . import text
    from .single_arm import one_sample_logrank_n

    o = one_sample_logrank_n(hr, control_median, accrual, follow_up, alpha, power)
    typer.echo(text.format_table([("Patients (exact)", f"{o.n:.2f}"), ("Patients (planned)", o.n_planned),
                                  ("Expected events", f"{o.events_h1:.1f}")], ("Quantity", "Value")))
    typer.echo("")
    typer.echo(text.one_sample_sentence(o, "", unit, f"a reference median of {control_median:g} {unit} "
                                                     "(exponential)"))
