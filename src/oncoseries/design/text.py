"""Words for the designs: the sentence to paste into a protocol and the rows of a summary table (shared by
the `oncoseries design` commands and the report section)."""

from __future__ import annotations


def _pct(x: float) -> str:
    v = 100 * x
    return f"{v:.0f}%" if abs(v - round(v)) < 1e-9 else f"{v:.1f}%"


def _num(x: float, d: int = 1) -> str:
    return f"{x:.{d}f}"


def _alpha(alpha: float, sides: int) -> str:
    return f"a {'two' if sides == 2 else 'one'}-sided alpha of {alpha:g}"


def _ratio(ratio: float) -> str:
    return "1:1" if ratio == 1 else f"{ratio:g}:1 (experimental:control)"


METHOD = {"schoenfeld": "Schoenfeld 1981", "freedman": "Freedman 1982", "lachin-foulkes": "Lachin and Foulkes 1986"}


def events_sentence(hr, events, alpha, power, ratio, sides, method="schoenfeld") -> str:
    return (f"With {_alpha(alpha, sides)} and {_pct(power)} power, detecting a hazard ratio of {hr:g} "
            f"(experimental vs control, {_ratio(ratio)} allocation) with a log-rank test requires "
            f"{events} events ({METHOD[method]}).")


def dropout_words(rate: float, unit: str = "months") -> str:
    if rate <= 0:
        return "no loss to follow-up"
    import math
    return f"{_pct(-math.expm1(-12 * rate))} lost to follow-up per 12 {unit} (exponential)"


def survival_sentence(d, endpoint: str = "PFS", unit: str = "months", control_words: str | None = None,
                      seq=None) -> str:
    control = control_words or f"a median {endpoint} of {_num(d.control_median)} {unit} on the control arm " \
                               "(exponential)"
    looks = ""
    if seq is not None and len(seq.timing) > 1:
        kind = "O'Brien-Fleming-like" if seq.spending == "obf" else "Pocock-like"
        k = len(seq.timing) - 1
        looks = (f" With {k} interim {'analysis' if k == 1 else 'analyses'} for efficacy at "
                 f"{', '.join(str(x) for x in seq_events(d, seq)[:-1])} events ({kind} Lan-DeMets alpha spending), "
                 f"the final analysis needs {seq_events(d, seq)[-1]} events in {sum(seq_patients(d, seq))} "
                 "patients.")
    return (f"Assuming {control}, a hazard ratio of {d.hr:g} (a median of {_num(d.experimental_median)} {unit} "
            f"on the experimental arm), accrual over {_num(d.accrual, 0)} {unit}, at least "
            f"{_num(d.follow_up, 0)} {unit} of follow-up after the last patient is enrolled and "
            f"{dropout_words(d.dropout_rate, unit)}, a log-rank test at {_alpha(d.alpha, d.sides)} has "
            f"{_pct(d.power)} power with {d.events_planned} {endpoint} events in {d.patients_planned} patients "
            f"({d.n_control} control, {d.n_experimental} experimental; {METHOD[d.method]}); the final analysis "
            f"is expected about {_num(d.time_to_events_h1)} {unit} after the first patient is enrolled.{looks}")


def seq_events(d, seq) -> list:
    import math
    return [math.ceil(d.events * seq.inflation * t - 1e-9) for t in seq.timing]


def seq_patients(d, seq) -> tuple:
    """Patients per arm (control, experimental) inflated by the group-sequential inflation factor."""
    import math
    share = d.ratio / (1 + d.ratio)
    n = d.patients * seq.inflation
    return math.ceil(n * (1 - share) - 1e-9), math.ceil(n * share - 1e-9)


def simon_sentence(s) -> str:
    n2 = s.n - s.n1
    return (f"Simon's {s.design} two-stage design (p0 = {s.p0:g}, p1 = {s.p1:g}, one-sided alpha {s.alpha:g}, "
            f"power {_pct(s.power)}): enrol {s.n1} patients; stop for futility if {s.r1} or fewer respond; "
            f"otherwise enrol {n2} more ({s.n} in total); the regimen is worth further study if more than "
            f"{s.r} of the {s.n} respond. Under p0 the expected sample size is {s.en0:.1f} and the probability "
            f"of stopping early {s.pet0:.2f}; exact type I error {s.actual_alpha:.3f}, power {s.actual_power:.3f}.")


def ahern_sentence(a) -> str:
    return (f"A single-stage design (A'Hern 2001; p0 = {a.p0:g}, p1 = {a.p1:g}, one-sided alpha {a.alpha:g}, "
            f"power {_pct(a.power)}) enrols {a.n} patients; the regimen is worth further study if {a.r} or more "
            f"respond (exact type I error {a.actual_alpha:.3f}, power {a.actual_power:.3f}).")


def one_sample_sentence(o, endpoint: str = "PFS", unit: str = "months", control_words: str | None = None) -> str:
    control = control_words or f"a reference median {endpoint} of {_num(o.reference_median)} {unit} (exponential)"
    return (f"Against {control}, a single-arm trial powered ({_pct(o.power)}, one-sided alpha {o.alpha:g}) to "
            f"detect a hazard ratio of {o.hr:g} (median {_num(o.experimental_median)} {unit}) with the one-sample "
            f"log-rank test needs {o.n_planned} patients enrolled over {_num(o.accrual, 0)} {unit} with "
            f"{_num(o.follow_up, 0)} {unit} of further follow-up (Wu 2015); about {o.events_h1:.0f} events are "
            "expected.")


def format_table(rows: list[tuple], header: tuple | None = None) -> str:
    """Plain aligned text table for the terminal."""
    rows = [tuple(str(c) for c in r) for r in ([header] if header else []) + list(rows)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in rows]
    if header:
        lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
