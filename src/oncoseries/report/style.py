"""Figure style: colour-blind-safe palette (Okabe & Ito 2008), journal sizes, deterministic output.

Figures are drawn at their print width, so fonts are at their printed size: "double" is a 7-inch
(178 mm) double column with 8-8.5 pt text, "single" a 3.5-inch (89 mm) single column with 6.5-7 pt
text (journals ask for 6-10 pt at final size). Files are saved without ``bbox_inches="tight"``, so a
PNG is exactly the width asked for (2100 px at 300 dpi for "double").

Importing this module does not import matplotlib (the palette, sizes and rc settings are plain data): the
command's process reads, analyses and writes the report while the figure worker draws (report/worker.py),
and never pays for matplotlib. :func:`pyplot` imports it on first use with the Agg backend and the text
measurements cached (report/text_metrics.py); every drawing function gets ``plt`` from it.
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from pathlib import Path

import numpy as np

_plt = None


def pyplot():
    """``matplotlib.pyplot`` with the Agg backend, each string measured once per process (report/text_metrics.py;
    same bytes); matplotlib is imported on the first call."""
    global _plt
    if _plt is None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from . import mpl_patches, text_metrics

        text_metrics.install()
        mpl_patches.install()
        _plt = plt
    return _plt


#: Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

#: Best-overall-response colours (waterfall, spider, swimmer): response green/blue, SD grey, PD
#: vermillion (Okabe-Ito hues; CR/PR/PD stay distinct in deuteranopia and protanopia).
BOR_COLOURS = {"CR": "#009E73", "PR": "#0072B2", "SD": "#8C8C8C", "NON-CR/NON-PD": "#C4C4C4",
               "PD": "#D55E00", "NE": "#E69F00", "MISSING": "#E0E0E0"}
BOR_ORDER = ["CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING"]
BOR_LABELS = {"CR": "CR", "PR": "PR", "SD": "SD", "NON-CR/NON-PD": "Non-CR/non-PD", "PD": "PD",
              "NE": "NE", "MISSING": "No post-baseline scan"}

#: Print widths in inches.
WIDTHS = {"double": 7.0, "single": 3.5}
#: Text sizes in points per width: (base, small) — base for labels and legends, small for ticks/tables.
_FONT = {"double": (8.5, 8.0), "single": (7.0, 6.5)}

_BASE_RC = {
    # DejaVu Sans ships with matplotlib: the same glyphs on every machine, so files are reproducible
    # anywhere (a system font such as Arial would depend on the machine's font cache)
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.7,
    "xtick.major.width": 0.7,
    "ytick.major.width": 0.7,
    "xtick.major.size": 3.0,
    "ytick.major.size": 3.0,
    "lines.linewidth": 1.3,
    "legend.frameon": False,
    "svg.hashsalt": "oncoseries",
    "svg.id": "oncoseries",
    # text stays text: <text> elements in SVG and TrueType (Type 42) fonts in PDF, editable in
    # Illustrator/Inkscape as journals' art editors expect
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    "figure.dpi": 100,
    "savefig.bbox": None,
    "savefig.facecolor": "white",
    "path.simplify": True,
    "mathtext.default": "regular",
}


def rc(size: str = "double") -> dict:
    """Matplotlib rc settings for a print width ("double" or "single")."""
    check_size(size)
    base, small = _FONT[size]
    return {**_BASE_RC, "font.size": base, "axes.titlesize": base + 1, "axes.labelsize": base,
            "xtick.labelsize": small, "ytick.labelsize": small, "legend.fontsize": small,
            "lines.linewidth": 1.3 if size == "double" else 1.0,
            "axes.linewidth": 0.7 if size == "double" else 0.6}


def check_size(size: str) -> None:
    if size not in WIDTHS:
        raise ValueError(f"size must be one of {', '.join(WIDTHS)}; got {size!r}")


def font_sizes(size: str = "double") -> tuple[float, float]:
    """(base, small) text sizes in points for a print width."""
    check_size(size)
    return _FONT[size]


#: rc for the default double-column width (kept for callers of the first version).
RC = rc("double")


@contextmanager
def style(size: str = "double"):
    with pyplot().rc_context(rc(size)):
        yield


class _Discard(io.RawIOBase):
    """A file object that drops what is written (the RGBA buffer is read from the renderer)."""

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return len(data)


_png_writer = None  # one worker thread; zlib releases the GIL while it compresses
_pending: list = []


def _write_png(path: Path, rgba: np.ndarray, dpi: int) -> None:
    """The pixels ``print_png`` writes after drawing, encoded by report/png.py (same pixels, no dates)."""
    from .png import write_png

    write_png(path, rgba, dpi)


#: Extra figure formats on request (study.yaml ``report: figures: formats``) and the TIFF resolution.
FORMATS = ("pdf", "tiff")
TIFF_DPI = 600


def _write_extra(fig, stem: Path, fmt: str) -> Path:
    """PDF with TrueType text and no date; TIFF at ``TIFF_DPI`` as RGB with LZW compression."""
    if fmt == "pdf":
        from .mpl_patches import font_files

        path = stem.with_name(stem.name + ".pdf")
        with font_files():        # the PDF embeds the font from the FT2Font's file name (report/mpl_patches.py)
            fig.savefig(path, format="pdf", bbox_inches=None,
                        metadata={"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None})
        return path
    if fmt == "tiff":
        from PIL import Image

        path = stem.with_name(stem.name + ".tiff")
        fig.savefig(_Discard(), format="rgba", dpi=TIFF_DPI, bbox_inches=None)
        rgba = _take_buffer(fig.canvas)
        Image.fromarray(rgba[..., :3].copy(), "RGB").save(path, format="TIFF", compression="tiff_lzw",
                                                            dpi=(TIFF_DPI, TIFF_DPI))
        return path
    raise ValueError(f"figure format must be one of {', '.join(FORMATS)}; got {fmt!r}")


def _take_buffer(canvas) -> np.ndarray:
    """The Agg canvas's pixels as an (h, w, 4) array sharing the renderer's buffer, which the canvas then
    gives up: its next draw (the TIFF, or a later save of the figure) makes a new renderer instead of clearing
    and reusing this one (FigureCanvasAgg.get_renderer reuses it while the size and dpi are unchanged), so the
    PNG thread reads pixels nothing writes to any more. A copy of the 12 MB buffer cost ~10 ms a figure,
    mostly page faults of the new memory. The canvas drops its reference to the renderer too (as before its
    first draw), so the buffer is freed as soon as the PNG is written, not when the garbage collector breaks
    the closed figure's reference cycles: the next figure's renderer then gets memory malloc already has
    (the bundled study's 19 figures: 52,000 page faults while drawing -> 28,000, ~2.3 microseconds each)."""
    rgba = np.asarray(canvas.renderer.buffer_rgba())
    canvas._lastKey = None
    del canvas.renderer
    return rgba


def save_figure(fig, stem: Path, dpi: int = 300, close: bool = True, wait: bool = True,
                formats=()) -> list[Path]:
    """Write ``stem.png`` (``dpi``, default 300) and ``stem.svg`` with fixed metadata, so reruns are
    byte-identical (no dates, no software version, fixed SVG ids); ``formats`` adds ``stem.pdf``
    and/or ``stem.tiff`` (600 dpi), returned after the PNG and SVG.

    The figure is drawn once at ``dpi``; the PNG is encoded (report/png.py) in
    a background thread while the SVG is drawn; the pixels are those of ``savefig(png)``. With
    ``wait=False`` the PNG may still be being written on return: call :func:`wait_for_figures` before
    reading it.
    """
    global _png_writer
    plt = pyplot()
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png, svg = stem.with_name(stem.name + ".png"), stem.with_name(stem.name + ".svg")
    with plt.rc_context({k: _BASE_RC[k] for k in ("svg.hashsalt", "svg.id", "svg.fonttype", "pdf.fonttype")}):
        fig.savefig(_Discard(), format="rgba", dpi=dpi, bbox_inches=None)
        rgba = _take_buffer(fig.canvas)   # the Agg buffer at dpi, (h, w, 4), not copied
        if _png_writer is None:
            from concurrent.futures import ThreadPoolExecutor

            _png_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oncoseries-png")
        job = _png_writer.submit(_write_png, png, rgba, dpi)
        _pending.append(job)
        fig.savefig(svg, metadata={"Date": None, "Creator": None}, bbox_inches=None)
        extra = [_write_extra(fig, stem, f) for f in formats]
    if close:
        plt.close(fig)
    if wait:
        wait_for_figures()
    return [png, svg, *extra]


#: Labels many figures show, measured by :func:`warm_up` besides the tick numbers.
_COMMON_LABELS = ("Number at risk", "Months", "Time (months)", "Overall survival", "Progression-free survival",
                  "All patients", "Patient", "Patients", "Yes", "No", "CR", "PR", "SD", "PD", "NE", "P", "lp",
                  "HR (95% CI)", "Hazard ratio (95% CI)", "Univariable", "Multivariable", "reference",
                  "Best response", "Log-rank P < 0.001", "Censored", "Survival probability", "Probability")


#: Proportion ticks, also measured inside a width's rc context (axes laid out while the figure is built).
_AXIS_FRACTIONS = tuple(f"{i / 10:.1f}" for i in range(11))


def _common_numbers() -> list[str]:
    """Tick and table numbers: counts, months, proportions and percentages, signed changes (U+2212 minus, as
    matplotlib writes negative tick labels)."""
    ints = list(range(61)) + list(range(65, 205, 5))
    out = [str(i) for i in ints] + [f"{i / 10:.1f}" for i in range(11)]
    out += [f"{i / 100:.2f}" for i in range(0, 101, 5)] + [f"{i}%" for i in range(101)]
    out += [f"+{i}" for i in range(5, 205, 5)] + [f"+{i}%" for i in range(5, 205, 5)]
    out += [f"\u2212{i}" for i in range(5, 105, 5)] + [f"\u2212{i}%" for i in range(5, 105, 5)]
    return list(dict.fromkeys(out))


def warm_up(sizes=("double",), dpi: int = 300, freeze_gc: bool = True) -> None:
    """Pay first-use costs of drawing before the first figure is asked for, with no effect on any file.

    For each print width in ``sizes``: the fonts are opened (report/mpl_patches.py keeps them), and the common
    tick numbers (``_common_numbers``) and labels (``_COMMON_LABELS``) are measured at the tick and label
    sizes as the PNG (``RendererAgg`` at ``dpi``), the SVG (``TextToPath``) and report/_layout.py measure
    them (with the rc settings in force where each measures: report/_layout.py inside the width's rc
    context, the saving outside it), so the report/text_metrics.py cache answers for them later. Every
    cached value is the one matplotlib computes, so later figures are byte-identical; a figure that shows
    none of these strings is drawn as without the warm-up. With ``freeze_gc``, everything made so far (modules, matplotlib, the
    fonts, the caches, which live as long as the process) is moved out of the cyclic garbage collector's
    sight (``gc.freeze``): the collections while drawing then walk the figures' objects only.
    For the figure worker's idle time (report/worker.py), after matplotlib is imported."""
    pyplot()
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    from . import _layout

    agg, svg, screen = RendererAgg(1, 1, dpi), TextToPath(), RendererAgg(1, 1, _BASE_RC["figure.dpi"])
    numbers = _common_numbers()
    for size in sizes:
        base, small = font_sizes(size)
        with style(size):
            props = [(FontProperties(size=small), numbers + list(_COMMON_LABELS)),
                     (FontProperties(size=base), list(_COMMON_LABELS)),
                     (FontProperties(size=small, weight="bold"), ["HR (95% CI)", "P", "All patients"])]
            for prop, strings in props:             # the layout helpers, inside the width's rc context
                for text in strings:
                    _layout.text_width_pt(text, prop.get_size(), prop.get_weight())
            for text in _AXIS_FRACTIONS:            # axes laid out inside it (matplotlib's own measurements)
                for r in (agg, svg, screen):
                    r.get_text_width_height_descent(text, props[0][0], False)
        for prop, strings in props:                 # the figures are drawn and saved outside it
            for text in strings:
                agg.get_text_width_height_descent(text, prop, False)
                svg.get_text_width_height_descent(text, prop, False)
    if freeze_gc:
        import gc

        gc.collect()
        gc.freeze()


def wait_for_figures() -> None:
    """Wait until every PNG started by :func:`save_figure` is written (re-raises a writing error)."""
    while _pending:
        _pending.pop(0).result()


def stop_png_writer() -> None:
    """Finish the pending PNGs and end the writer thread (before forking; a new one starts on demand)."""
    global _png_writer
    wait_for_figures()
    if _png_writer is not None:
        _png_writer.shutdown(wait=True)
        _png_writer = None


def reset_after_fork() -> None:
    """In a forked child: forget the parent's writer thread (it does not exist in the child)."""
    global _png_writer
    _png_writer = None
    _pending.clear()
