"""Oncoprint: patients (columns) x recurrent genes (rows), the mutation overview of a case series.

Genes mutated in at least MIN_CARRIERS patients (at most MAX_GENES, most frequent first; ties by name);
a cell is coloured by the variant's classification (pathogenic, likely pathogenic, VUS; the most severe when
a patient has several variants in the gene). Patients are sorted by their mutation pattern (the most frequent
gene first, as cBioPortal), then best overall response. Not-sequenced patients are drawn at the right with
hatched grey cells: not wild type, not known. Two annotation tracks: best overall response and sequencing
status. The percentage of sequenced patients with a mutation is printed beside each gene.
Above ``DENSE_PATIENTS`` patients (a registry) each row is drawn as one rasterised image, a pixel column per
patient resampled to the figure's width (nearest), and the not-sequenced block as one hatched rectangle per row:
the sorted columns make the colour blocks proportional to the counts.

``prepare(results, opts)`` computes the matrix (the figure worker is sent only that, pickled compactly as
codes, report/worker.py) and ``draw(prepared, out_dir, opts)`` draws and captions it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._layout import legend_columns, text_width_pt
from .patient_rows import members, pack_texts, text, unpack_texts
from .style import BOR_COLOURS, BOR_LABELS, BOR_ORDER, WIDTHS, font_sizes, rc

MIN_CARRIERS = 2
MAX_GENES = 20
DENSE_PATIENTS = 400
CLASS_COLOURS = {"pathogenic": "#B2182B", "likely pathogenic": "#EF8A62", "vus": "#6A8EC6", "other": "#7F3C8D"}
CLASS_LABELS = {"pathogenic": "Pathogenic", "likely pathogenic": "Likely pathogenic", "vus": "VUS",
                "other": "Mutated (unclassified)"}
CLASS_RANK = {"pathogenic": 0, "likely pathogenic": 1, "vus": 2, "other": 3}
WILD = "#E6E6E6"
NOT_SEQ = "#FFFFFF"


#: a cell's code in ``OncoprintData.codes``: NOT_SEQUENCED, WILD_TYPE or 1 + the index of its class key
CELL_KEYS = tuple(CLASS_RANK)
NOT_SEQUENCED, WILD_TYPE = -1, 0


@dataclass
class OncoprintData:
    genes: list                 # rows, most frequent first
    patients: list              # columns, in drawing order
    codes: np.ndarray           # genes x patients, int8: WILD_TYPE, 1 + CELL_KEYS index, NOT_SEQUENCED
    bor: list                   # per patient
    sequenced: list             # per patient (bool)
    percent: list               # per gene: carriers / sequenced x 100
    n_sequenced: int

    @property
    def cells(self) -> pd.DataFrame:
        """genes x patients: the class key or "" (wild type); None for not sequenced. Made from ``codes``
        when read (at 10^6 patients 2*10^7 objects: the figure's preparing process never makes it)."""
        table = np.array(["", *CELL_KEYS, None], dtype=object)          # code -1 reads the last entry
        return pd.DataFrame(table[self.codes], index=self.genes, columns=self.patients, dtype=object)

    def __getstate__(self):   # compactly (10^6 patients x 20 genes): responses and flags as codes too
        bor_codes, bor_kinds = pd.factorize(np.asarray(self.bor, dtype=object))
        return {**self.__dict__, "bor": (bor_codes.astype(np.int32), list(bor_kinds)),
                "sequenced": np.asarray(self.sequenced, dtype=bool), "patients": pack_texts(self.patients)}

    def __setstate__(self, state):
        bor_codes, bor_kinds = state["bor"]
        bor = np.array(bor_kinds, dtype=object)[bor_codes] if len(bor_kinds) else np.array([], dtype=object)
        self.__dict__.update({**state, "bor": list(bor), "sequenced": [bool(v) for v in state["sequenced"]],
                              "patients": unpack_texts(state["patients"])})


def prepare(results, opts) -> dict | None:
    """The oncoprint's data from ``results`` (mutations, the treated patients, the sequenced ones, best
    responses): the genes x patients matrix. None without mutations or a recurrent gene. Patients are
    matched on the study's integer codes (report/patient_rows.py): no set, dict or hash of 10^6 id texts."""
    from ..analysis.biomarkers import sequenced_patients
    from ..analysis.patient_codes import codes_for

    study = results.study
    if study.mutations is None or study.mutations.empty:
        return None
    column = (results.sections.get("response") or {}).get("headline", "bor")
    pc = codes_for(study)
    shown = study.flow.included("all_treated") if study.flow is not None else study.patients["patient_id"]
    pat_codes = pc.of(shown)
    seq = sequenced_patients(study)
    best = results.derived.get("best_response")
    best_codes = None if best is None or best.empty else pc.table(best)
    mcodes = pc.table(study.mutations)
    if pat_codes is None or (pat_codes < 0).any() or len(np.unique(pat_codes)) < len(pat_codes) or \
            mcodes is None or (best is not None and not best.empty and best_codes is None):
        bor = {} if best is None or best.empty else dict(zip(best["patient_id"].astype(str), best[column].astype(str)))
        d = oncoprint_data(study.mutations, list(shown), seq, bor)   # ids not all coded: by their texts
    else:
        bor_of = np.full(len(pc.ids) + 1, "MISSING", dtype=object)
        if best_codes is not None:
            bor_of[best_codes] = best[column].astype(str).to_numpy(object)
        seq_of = np.ones(len(pc.ids) + 1, dtype=bool) if seq is None else members(len(pc.ids), pc.of_known(seq))
        d = _oncoprint(study.mutations, mcodes, pc.ids, pat_codes, seq_of, bor_of)
    return None if d is None else {"data": d, "confirmed": column == "confirmed_bor"}


def draw(prepared: dict | None, out_dir, opts) -> list:
    """The oncoprint and its FigureInfo from ``prepare``'s data (none when it found nothing)."""
    from ._layout import count
    from .figures import FigureInfo, save_figure

    if prepared is None:
        return []
    d = prepared["data"]
    fig = oncoprint_figure(d, size=opts["size"])
    png, svg, *extra = save_figure(fig, out_dir / "oncoprint", dpi=opts["dpi"], formats=opts.get("formats", ()))
    ns = len(d.patients) - d.n_sequenced
    cap = (f"Mutations in genes altered in at least {MIN_CARRIERS} patients ({len(d.genes)} genes, most "
           f"frequent at the top), one column per treated patient ({count(len(d.patients))}), coloured by the "
           "variant's classification (the most severe when a patient has several). Top tracks: best overall "
           f"response (RECIST 1.1, {'confirmed' if prepared['confirmed'] else 'unconfirmed'}) and "
           "sequencing status. Right: percentage of the sequenced patients with a mutation in the gene.")
    if ns:
        cap += (f" The {ns} patients whose tumour was not sequenced are hatched at the right: their mutation "
                "status is unknown, not wild type.")
    return [FigureInfo("oncoprint", "Oncoprint of recurrent mutations", cap, png, svg, "biomarkers",
                       "oncoprint", None, None, len(d.patients), "Oncoprint of mutations per patient", extra)]


def _class_key(c) -> str:
    s = str(c).strip().lower() if c is not None and not pd.isna(c) else ""
    return s if s in CLASS_RANK else ("vus" if "uncertain" in s else "other")


def oncoprint_data(mutations: pd.DataFrame | None, patients: list, sequenced: set | None,
                   bor: dict) -> OncoprintData | None:
    """Everything the figure draws. ``patients``: the patients to show (treated); ``sequenced``: the sequenced
    ones (None: all); ``bor``: patient -> best overall response. None when no gene is recurrent."""
    if mutations is None or mutations.empty:
        return None
    from ..analysis.patient_codes import PatientCodes

    pats = pd.DataFrame({"patient_id": np.array([str(p) for p in patients], dtype=object)})
    m_ids = pd.DataFrame({"patient_id": mutations["patient_id"].astype(str).to_numpy(object)})
    pc = PatientCodes({"patients": pats, "mutations": m_ids})
    n = len(pc.ids)
    seq_of = members(n, pc.of_known([str(p) for p in sequenced])) if sequenced is not None else \
        np.ones(n + 1, dtype=bool)
    keys = list(bor)
    at = pc.of(np.array(keys, dtype=object)) if keys else np.empty(0, dtype=np.int32)
    at = at if at is not None else pd.Index(pc.ids).get_indexer(np.array(keys, dtype=object))
    bor_of = np.full(n + 1, "MISSING", dtype=object)
    known = at >= 0
    bor_of[at[known]] = np.array(list(bor.values()), dtype=object)[known]
    return _oncoprint(mutations, pc.table(m_ids), pc.ids, pc.table(pats), seq_of, bor_of)


def _oncoprint(mutations: pd.DataFrame, mcodes: np.ndarray, ids: np.ndarray, pat_codes: np.ndarray,
               seq_of: np.ndarray, bor_of: np.ndarray) -> OncoprintData | None:
    """The oncoprint on integer patient codes (codes index ``ids``; -1 missing): ``mcodes`` the mutation
    rows', ``pat_codes`` the shown patients' in their order (distinct), ``seq_of[code]`` sequenced,
    ``bor_of[code]`` the best response. Ordering by code orders by id, as the texts did."""
    n = len(ids)
    shown = members(n, pat_codes)
    seq_of = seq_of & shown                          # sequenced and shown (code -1: neither)
    rows = seq_of[mcodes]
    if "classification" in mutations.columns:     # one _class_key per distinct text (a registry has 10^6 rows)
        codes, kinds = pd.factorize(mutations["classification"].to_numpy(object)[rows], use_na_sentinel=True)
        keys = np.array([_class_key(k) for k in kinds] + [_class_key(None)], dtype=object)
        key = keys[codes]                                    # code -1 (missing) takes the last entry
    else:
        key = np.full(int(rows.sum()), "other", dtype=object)
    m = pd.DataFrame({"gene": mutations["gene"].to_numpy(object)[rows], "p": mcodes[rows],
                      "_k": pd.Series(key).map({k: i + 1 for i, k in enumerate(CELL_KEYS)}).to_numpy(np.int8),
                      "_r": pd.Series(key).map(CLASS_RANK).to_numpy()})
    carriers = m.groupby("gene")["p"].nunique()
    carriers = carriers[carriers >= MIN_CARRIERS]
    if carriers.empty:
        return None
    genes = sorted(carriers.index, key=lambda g: (-carriers[g], g))[:MAX_GENES]
    worst = m[m["gene"].isin(genes)].sort_values("_r", kind="stable").drop_duplicates(["gene", "p"])
    # genes x patients as one array of one-byte codes (vectorised: a registry has 10^5-10^6 columns)
    where = np.full(n + 1, -1, dtype=np.int64)
    where[pat_codes] = np.arange(len(pat_codes))
    col = where[worst["p"].to_numpy()]
    row = pd.Index(genes).get_indexer(worst["gene"])
    grid = np.full((len(genes), len(pat_codes)), WILD_TYPE, dtype=np.int8)
    grid[row, col] = worst["_k"].to_numpy(np.int8)
    is_seq = seq_of[pat_codes]
    # sort: sequenced first; by the mutation pattern (gene rows in order: mutated before wild type); then BOR
    bor_rank = {b: i for i, b in enumerate(BOR_ORDER)}
    bor = bor_of[pat_codes]
    ranks = pd.Series(bor).map(bor_rank).fillna(99).to_numpy()
    keys = [(~is_seq).astype(np.int8)] + [-(grid[i] != WILD_TYPE).astype(np.int8) for i in range(len(genes))] + \
        [ranks, np.arange(len(pat_codes))]        # one byte per patient and gene (10^6 x 20), not eight
    order = np.lexsort(keys[::-1])
    cells = grid[:, order]
    cells[:, ~is_seq[order]] = NOT_SEQUENCED
    n_seq = int(is_seq.sum())
    return OncoprintData(genes=genes, patients=text(ids, pat_codes[order]).tolist(), codes=cells,
                         bor=list(bor[order]), sequenced=is_seq[order].tolist(),
                         percent=[100.0 * carriers[g] / max(n_seq, 1) for g in genes], n_sequenced=n_seq)


def oncoprint_figure(d: OncoprintData, *, size: str = "double"):
    """Draw the oncoprint; returns the Figure."""
    from matplotlib.patches import Patch

    from .style import pyplot
    plt = pyplot()

    base, small = font_sizes(size)
    width = WIDTHS[size]
    n_p, n_g = len(d.patients), len(d.genes)
    with plt.rc_context(rc(size)):
        classes = sorted({c for c in pd.unique(d.cells.to_numpy().ravel()) if c}, key=lambda c: CLASS_RANK[c])
        bors = [b for b in BOR_ORDER if b in set(d.bor)]
        handles = [Patch(facecolor=CLASS_COLOURS[c], label=CLASS_LABELS[c]) for c in classes]
        handles += [Patch(facecolor=WILD, label="Not mutated"),
                    Patch(facecolor=NOT_SEQ, edgecolor="#9A9A9A", hatch="////", label="Not sequenced")]
        handles += [Patch(facecolor=BOR_COLOURS[b], label=f"BOR: {BOR_LABELS[b]}") for b in bors]
        label_w = max([text_width_pt(g, small) for g in d.genes + ["Best response", "Sequenced"]]) / 72
        right = max(text_width_pt("sequenced", small * 0.9), text_width_pt("100%", small)) / 72 + 0.2
        left, pad = 0.08 + label_w + 0.08, 0.05
        ncol, legend_rows = legend_columns([h.get_label() for h in handles], (width - 2 * pad) * 72, small)
        cell_w = (width - left - right) / max(n_p, 1)
        row_h = min(0.22, max(0.12, cell_w * 1.6))
        tracks = 2
        plot_h = (n_g + tracks) * row_h + 0.12
        top = pad + (2 * small * 1.25 + 2) / 72          # room for the two-line '% of sequenced' header
        bottom = pad + (legend_rows * small * 1.7 + base * 1.4 + 8) / 72
        height = top + plot_h + bottom
        fig = plt.figure(figsize=(width, height))
        ax = fig.add_axes([left / width, bottom / height, (width - left - right) / width, plot_h / height],
                          label="oncoprint")
        ax.set_xlim(0, n_p)
        ax.set_ylim(n_g + tracks + 0.5, 0)
        if n_p > DENSE_PATIENTS:
            _draw_dense(ax, d, tracks)
        else:
            _draw_cells(ax, d, tracks)
        x_text = n_p + 0.6 if n_p <= DENSE_PATIENTS else n_p * 1.006
        for i in range(n_g):
            ax.text(x_text, tracks + 1 + i, f"{d.percent[i]:.0f}%", va="center", ha="left", fontsize=small)
        ax.set_yticks([0.5, 1.5] + [tracks + 1 + i for i in range(n_g)],
                      ["Best response", "Sequenced"] + d.genes, fontsize=small)
        for lbl in ax.get_yticklabels()[2:]:
            lbl.set_fontstyle("italic")
        ax.tick_params(axis="y", length=0, pad=3)
        ax.set_xticks([])
        for s in ax.spines.values():
            s.set_visible(False)
        n_ns = n_p - int(np.sum(d.sequenced))
        ax.set_xlabel(f"{n_p} patients ({d.n_sequenced} sequenced" + (f", {n_ns} not sequenced, hatched)"
                                                                      if n_ns else ")"), fontsize=base)
        ax.text(x_text, -0.05, "% of\nsequenced", va="bottom", ha="left", fontsize=small * 0.9,
                linespacing=1.0)
        fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(pad / width, pad / height), ncol=ncol,
                   frameon=False, handlelength=1.2, columnspacing=1.2, borderaxespad=0.2, fontsize=small)
    return fig


def _draw_cells(ax, d: OncoprintData, tracks: int) -> None:
    """One rectangle per patient and row (up to DENSE_PATIENTS patients), in collections: the filled cells
    in one (gid "cells"), the hatched not-sequenced cells in one per outline colour (gid "not-sequenced")
    — the pixels of one Rectangle patch per cell, drawn several times faster."""
    from matplotlib.collections import PolyCollection

    gap = 0.08
    n = len(d.patients)
    j = np.arange(n, dtype=float) + gap / 2
    seq = np.asarray(d.sequenced, dtype=bool)
    # annotation tracks (rows 0 and 1), then a half-row gap, then genes
    x = [j, j]
    y = [np.full(n, 0.08), np.full(n, 1.08)]
    h = [np.full(n, 0.84), np.full(n, 0.84)]
    face = [[BOR_COLOURS.get(b, "#999999") for b in d.bor], np.where(seq, "#4D4D4D", NOT_SEQ)]
    edge = [np.full(n, "none", dtype=object), np.where(seq, "none", "#9A9A9A")]
    hatched = [np.zeros(n, bool), ~seq]
    cells = d.cells.to_numpy(dtype=object)
    for i in range(len(d.genes)):
        c = cells[i]
        missing = np.array([v is None for v in c], dtype=bool)
        x.append(j)
        y.append(np.full(n, tracks + 0.5 + i + 0.06))
        h.append(np.full(n, 0.88))
        face.append([NOT_SEQ if v is None else CLASS_COLOURS[v] if v else WILD for v in c])
        edge.append(np.where(missing, "#B0B0B0", "none"))
        hatched.append(missing)
    x, y, h = np.concatenate(x), np.concatenate(y), np.concatenate(h)
    face = np.concatenate([np.asarray(f, dtype=object) for f in face])
    edge = np.concatenate([np.asarray(e, dtype=object) for e in edge])
    hatched = np.concatenate(hatched)
    verts = np.stack([np.column_stack([x, y]), np.column_stack([x + 1 - gap, y]),
                      np.column_stack([x + 1 - gap, y + h]), np.column_stack([x, y + h])], axis=1)
    plain = ~hatched
    ax.add_collection(PolyCollection(verts[plain], closed=True, facecolors=list(face[plain]), edgecolors="none",
                                     linewidths=0.3, joinstyle="miter", gid="cells"))
    for colour in dict.fromkeys(edge[hatched]):
        k = hatched & (edge == colour)
        ax.add_collection(PolyCollection(verts[k], closed=True, facecolors=list(face[k]), edgecolors=colour,
                                         linewidths=0.3, joinstyle="miter", hatch="////", gid="not-sequenced"))


def _rgb(keys: np.ndarray, colours: dict, default: str) -> np.ndarray:
    """1 x n x 3 image of the colours of ``keys`` (vectorised through the distinct keys)."""
    from matplotlib.colors import to_rgb

    uniq, inv = np.unique(np.asarray(keys, dtype=str), return_inverse=True)
    table = np.array([to_rgb(colours.get(k, default)) for k in uniq])
    return table[inv.ravel()][None, :, :]


def _draw_dense(ax, d: OncoprintData, tracks: int) -> None:
    """Each row as one rasterised image: the BOR track over every patient; the sequencing track and the
    genes over the sequenced patients, the not-sequenced block (at the right) hatched once per row."""
    from matplotlib.patches import Rectangle

    n_p = len(d.patients)
    seq = np.asarray(d.sequenced, dtype=bool)
    n_seq = int(seq.sum())          # sorted: the sequenced patients come first
    ax.imshow(_rgb(np.asarray(d.bor, dtype=object), BOR_COLOURS, "#999999"), extent=(0, n_p, 0.92, 0.08),
              aspect="auto", interpolation="nearest", rasterized=True, zorder=1)
    rows = [(1 + 0.08, 0.84, _rgb(np.full(n_seq, "s"), {"s": "#4D4D4D"}, "#4D4D4D"), "#9A9A9A")]
    cells = d.cells.to_numpy()
    for i in range(len(d.genes)):
        rows.append((tracks + 0.5 + i + 0.06, 0.88, _rgb(cells[i, :n_seq], CLASS_COLOURS, WILD), "#B0B0B0"))
    for y, h, img, edge in rows:
        if n_seq:
            ax.imshow(img, extent=(0, n_seq, y + h, y), aspect="auto", interpolation="nearest",
                      rasterized=True, zorder=1)
        if n_seq < n_p:
            ax.add_patch(Rectangle((n_seq, y), n_p - n_seq, h, facecolor=NOT_SEQ, edgecolor=edge, hatch="////",
                                   linewidth=0.3))
    ax.set_xlim(0, n_p)
    ax.set_ylim(len(d.genes) + tracks + 0.5, 0)
