"""The oncoprint and the cycles-per-patient figure (issue 14), as FigureInfo for make_figures."""

from __future__ import annotations

from ._layout import count


def marker_and_exposure_infos(results, out_dir, opts, FigureInfo, save_figure,
                              which=("oncoprint", "exposure")) -> list:
    """Oncoprint (section biomarkers) and cycles per patient (section exposure), when the data allow;
    ``which``: only these of the two (the oncoprint needs no statistic, so it can be drawn early)."""
    from .exposure_plot import exposure_figure, exposure_rows
    from .oncoprint import MIN_CARRIERS, oncoprint_data, oncoprint_figure
    from ..analysis.biomarkers import sequenced_patients

    infos = []
    study = results.study
    resp = results.sections.get("response") or {}
    column = resp.get("headline", "bor")
    d = None
    if "oncoprint" in which and study.mutations is not None:   # (10^6 patients: the best responses as a dict)
        treated = list(study.flow.included("all_treated")) if study.flow is not None else \
            list(study.patients["patient_id"])
        best = results.derived.get("best_response")
        bor = {} if best is None or best.empty else dict(zip(best["patient_id"].astype(str), best[column].astype(str)))
        d = oncoprint_data(study.mutations, treated, sequenced_patients(study), bor)
    if d is not None:
        fig = oncoprint_figure(d, size=opts["size"])
        png, svg, *extra = save_figure(fig, out_dir / "oncoprint", dpi=opts["dpi"], formats=opts.get("formats", ()))
        ns = len(d.patients) - d.n_sequenced
        cap = (f"Mutations in genes altered in at least {MIN_CARRIERS} patients ({len(d.genes)} genes, most "
               f"frequent at the top), one column per treated patient ({count(len(d.patients))}), coloured by the "
               "variant's classification (the most severe when a patient has several). Top tracks: best overall "
               f"response (RECIST 1.1, {'confirmed' if column == 'confirmed_bor' else 'unconfirmed'}) and "
               "sequencing status. Right: percentage of the sequenced patients with a mutation in the gene.")
        if ns:
            cap += (f" The {ns} patients whose tumour was not sequenced are hatched at the right: their mutation "
                    "status is unknown, not wild type.")
        infos.append(FigureInfo("oncoprint", "Oncoprint of recurrent mutations", cap, png, svg, "biomarkers",
                                "oncoprint", None, None, len(d.patients), "Oncoprint of mutations per patient", extra))
    cycles = results.derived.get("cycles") if "exposure" in which else None
    if cycles is not None and len(cycles):
        rows, order, total = exposure_rows(cycles)
        fig = exposure_figure(rows, order, size=opts["size"])
        png, svg, *extra = save_figure(fig, out_dir / "exposure", dpi=opts["dpi"], formats=opts.get("formats", ()))
        cap = ("Cycles given per patient, one square per cycle in the order given: full dose or reduced dose "
               "(below the planned dose by more than the study's threshold); outlined: delayed beyond the "
               "planned interval; dot: delay or reduction attributed to toxicity; symbol at the end of a row: "
               "reason for stopping treatment.")
        cap += (f" The {len(order)} patients with the most cycles of {count(total)} are drawn." if len(order) < total
                else f" {total} patients.")
        infos.append(FigureInfo("exposure", "Cycles per patient, with delays and reductions", cap, png, svg,
                                "exposure", "exposure", None, None, len(order),
                                "Cycles per patient with dose reductions and delays", extra))
    return infos
