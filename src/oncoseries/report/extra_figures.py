"""The cycles-per-patient figure (issue 14) as FigureInfo for make_figures: ``prepare(results, opts)``
computes the rows drawn (at most exposure_plot.MAX_PATIENTS patients' cycles; the figure worker is sent only
that, report/worker.py) and ``draw(prepared, out_dir, opts)`` draws and captions them. The oncoprint's
prepare/draw are in oncoprint.py."""

from __future__ import annotations

from ._layout import count


def prepare(results, opts) -> dict | None:
    """The cycles of the patients drawn (most cycles first), their order and the patients in total; None
    without cycles."""
    from .exposure_plot import exposure_rows

    cycles = results.derived.get("cycles")
    if cycles is None or not len(cycles):
        return None
    rows, order, total = exposure_rows(cycles)
    return {"rows": rows, "order": order, "total": total}


def draw(prepared: dict | None, out_dir, opts) -> list:
    """The cycles-per-patient figure and its FigureInfo (none when ``prepare`` found no cycles)."""
    from .exposure_plot import exposure_figure
    from .figures import FigureInfo, save_figure

    if prepared is None:
        return []
    order, total = prepared["order"], prepared["total"]
    fig = exposure_figure(prepared["rows"], order, size=opts["size"])
    png, svg, *extra = save_figure(fig, out_dir / "exposure", dpi=opts["dpi"], formats=opts.get("formats", ()))
    cap = ("Cycles given per patient, one square per cycle in the order given: full dose or reduced dose "
           "(below the planned dose by more than the study's threshold); outlined: delayed beyond the "
           "planned interval; dot: delay or reduction attributed to toxicity; symbol at the end of a row: "
           "reason for stopping treatment.")
    cap += (f" The {len(order)} patients with the most cycles of {count(total)} are drawn." if len(order) < total
            else f" {total} patients.")
    return [FigureInfo("exposure", "Cycles per patient, with delays and reductions", cap, png, svg,
                       "exposure", "exposure", None, None, len(order),
                       "Cycles per patient with dose reductions and delays", extra)]
