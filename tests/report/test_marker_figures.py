"""Oncoprint and cycles-per-patient figures: what they draw (data functions) and that they are drawn."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from oncoseries.report.exposure_plot import exposure_figure, exposure_rows
from oncoseries.report.oncoprint import oncoprint_data, oncoprint_figure

MUT = pd.DataFrame({"patient_id": ["A", "A", "B", "C", "C", "D", "B"],
                    "gene": ["TP53", "RB1", "TP53", "TP53", "TP53", "RB1", "MYC"],
                    "classification": ["pathogenic", "VUS", "likely pathogenic", "VUS", "pathogenic",
                                       "pathogenic", "pathogenic"]})


def test_oncoprint_rows_columns_and_not_sequenced():
    d = oncoprint_data(MUT, ["A", "B", "C", "D", "E", "F"], {"A", "B", "C", "D", "E"},
                       {"A": "PR", "B": "SD", "C": "PD", "D": "PR", "E": "SD", "F": "CR"})
    assert d.genes == ["TP53", "RB1"]                     # MYC has one carrier: not recurrent
    assert d.patients == ["A", "B", "C", "D", "E", "F"]  # TP53+RB1, TP53 (SD before PD), RB1, none; F last
    assert d.cells.at["TP53", "C"] == "pathogenic"        # the most severe of C's two TP53 variants
    assert d.cells.at["RB1", "A"] == "vus" and d.cells.at["RB1", "E"] == ""
    assert d.cells.at["TP53", "F"] is None and d.sequenced == [True] * 5 + [False]   # not sequenced, not wild type
    assert d.percent == [60.0, 40.0] and d.n_sequenced == 5
    fig = oncoprint_figure(d)
    ax = fig.axes[0]
    hatched = [c for c in ax.collections if c.get_hatch()]
    assert sum(len(c.get_paths()) for c in hatched) == 1 + 2          # F: sequencing track + two gene cells
    cells = next(c for c in ax.collections if c.get_gid() == "cells")
    assert len(cells.get_paths()) == 6 * 4 - 3                          # every other cell, filled
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Best response", "Sequenced", "TP53", "RB1"]


def test_oncoprint_needs_a_recurrent_gene():
    assert oncoprint_data(MUT[MUT["gene"] == "MYC"], ["B"], None, {}) is None
    assert oncoprint_data(None, ["B"], None, {}) is None


def test_exposure_rows_and_figure():
    cyc = pd.DataFrame({"patient_id": ["P2", "P1", "P1", "P1", "P3"], "cycle": [1, 1, 2, 3, 1],
                        "reduced": [False, False, True, True, False], "delayed": [False, False, True, False, False],
                        "toxicity_attributed": [False, False, True, False, False],
                        "stop_reason": ["toxicity", "completed", "completed", "completed", "progression"]})
    rows, order, total = exposure_rows(cyc, max_patients=2)
    assert order == ["P1", "P2"] and total == 3 and set(rows["patient_id"]) == {"P1", "P2"}
    fig = exposure_figure(rows, order)
    ax = fig.axes[0]
    cells = next(c for c in ax.collections if c.get_gid() == "cycles")
    assert len(cells.get_paths()) == 4 and (np.asarray(cells.get_linewidths()) > 0).sum() == 1   # one delayed
    assert (cells.get_edgecolors()[:, 3] > 0).sum() == 1
    assert {ln.get_gid() for ln in ax.lines} >= {"toxicity-marks", "stop-completed", "stop-toxicity"}


def test_oncoprint_dense_above_400_patients_matches_the_data():
    """Above DENSE_PATIENTS the rows are images: one per row, pixel colours in patient order; the
    not-sequenced block is one hatched rectangle per row (not the BOR track)."""
    import numpy as np
    from matplotlib.colors import to_rgb

    from oncoseries.report.oncoprint import CLASS_COLOURS, DENSE_PATIENTS, WILD

    n = DENSE_PATIENTS + 100
    pats = [f"P{i:04d}" for i in range(n)]
    rng = np.random.default_rng(3)
    mut = pd.DataFrame({"patient_id": rng.choice(pats[:n - 50], 300), "gene": rng.choice(["TP53", "RB1"], 300),
                        "classification": rng.choice(["pathogenic", "VUS"], 300)})
    d = oncoprint_data(mut, pats, set(pats[:n - 50]), {p: "PR" for p in pats})
    fig = oncoprint_figure(d)
    ax = fig.axes[0]
    images = ax.get_images()
    assert len(images) == 1 + 1 + len(d.genes)                     # BOR, sequenced, one per gene
    hatched = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_hatch()]
    assert len(hatched) == 1 + len(d.genes) and all(p.get_width() == 50 for p in hatched)
    first = images[2].get_array()[0]                               # the first gene row, sequenced patients
    want = [to_rgb(CLASS_COLOURS[c]) if c else to_rgb(WILD) for c in d.cells.loc[d.genes[0]].iloc[:n - 50]]
    assert np.allclose(np.asarray(first, float), want)
