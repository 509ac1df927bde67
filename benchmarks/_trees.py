"""Command-line arguments shared by the benchmarks that run ``oncoseries analyze`` of one study from one or
more source trees, alternating fresh processes between them (bench_process_cpu.py, bench_command_parts.py)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


def tree_arguments(runs: int, argv=None) -> tuple[argparse.Namespace, list]:
    """(--runs, --src, --study parsed; the source trees, [None] for the installed package). --study defaults to
    the bundled hdifo study."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=runs)
    ap.add_argument("--src", action="append", help="a source tree to run (PYTHONPATH); repeat to compare")
    ap.add_argument("--study", type=Path, default=None, help="default: the bundled hdifo study")
    a = ap.parse_args(argv)
    if a.study is None:
        from oncoseries.examples import example_study_path

        a.study = example_study_path("hdifo")
    return a, a.src or [None]


def alternate(runs: int, srcs: list, measure, prefix: str = "osr-trees-") -> dict:
    """{tree: [measure(out, tree) for each run]}: ``runs`` rounds, each running every tree once in turn (the same
    machine load for all), each run with its own new output folder ``out`` in a temporary directory."""
    res: dict = {s: [] for s in srcs}
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        for i in range(runs):
            for j, s in enumerate(srcs):
                res[s].append(measure(Path(tmp) / f"o{i}_{j}", s))
    return res
