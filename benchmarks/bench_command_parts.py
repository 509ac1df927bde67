"""CPU seconds of the parts of ``oncoseries analyze`` that run in the command's own process (and the early
writer's work), first call in a fresh process, for one or more source trees side by side.

    PYTHONPATH=src python benchmarks/bench_command_parts.py [--runs 5] [--src DIR ...] [--study DIR]

Each run is a new interpreter (``PYTHONPATH`` = the tree) that does what the command does, in its order, and
times each step with ``time.process_time()`` (this process only: the trial-design child that
``analysis.beside`` forks is not counted, as in the command): import pandas, the analysis code, ``read_study``,
``analyze`` (the statistics; lazy imports such as scipy.special inside), the early writer's job
(``write_derived`` of the derived tables, ``export_cdisc``, ``write_flow``: here in this process, in the command
in its forked child), then, with the figures drawn beforehand (not timed), the report document
(``build_document``), ``write_html`` and ``write_docx``. A second ``analyze`` of a fresh read of the study
("statistics, warm") shows what is left without first-call costs. Runs alternate between the trees (same
machine load); medians per part.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _trees import alternate, tree_arguments

CHILD = r"""
import json, sys, time
from pathlib import Path
study, out = sys.argv[1], Path(sys.argv[2])
t = {}
def lap(name, t0):
    t[name] = time.process_time() - t0
    return time.process_time()
c = time.process_time()
import pandas  # noqa: F401
c = lap("import pandas, numpy", c)
from oncoseries.analysis import analyze, write_outputs  # noqa: F401
from oncoseries.study import read_study
from oncoseries.analysis import beside
beside.enable()
c = lap("import the analysis code", c)
s = read_study(study)
c = lap("read_study", c)
r = analyze(s)
c = lap("statistics (analyze)", c)
from oncoseries.analysis.results import write_derived, write_flow
from oncoseries.io.cdisc_export import export_cdisc
d = {k: r.derived[k] for k in ("timepoints", "best_response", "adtte", "lesions", "cycles") if k in r.derived}
write_derived(d, out)
export_cdisc(out / "cdisc", timepoints=d["timepoints"], best_response=d["best_response"], adtte=d["adtte"])
write_flow(r.study.flow, out)
c = lap("early writer's job", c)
s2 = read_study(study)
c = time.process_time()
analyze(s2)
c = lap("statistics, warm", c)
from oncoseries.report.figures import make_figures, report_figure_options
figs = make_figures(r, out / "figures", **report_figure_options(r))
c = time.process_time()
from oncoseries.report.document import build_document
doc = build_document(r, figs, None)
for tab in doc.tables:
    tab.frame().to_csv(out / f"{tab.name}.csv", index=False, encoding="utf-8", lineterminator="\n")
c = lap("report tables", c)
from oncoseries.report.html import write_html
write_html(doc, out / "report.html")
c = lap("HTML", c)
from oncoseries.report.docx import write_docx
write_docx(doc, out / "report.docx", r)
c = lap("DOCX", c)
print(json.dumps(t))
"""


def main() -> None:
    a, srcs = tree_arguments(5)

    def measure(out: Path, s):
        env = dict(os.environ)
        if s is not None:
            env["PYTHONPATH"] = s
        out.mkdir()
        done = subprocess.run([sys.executable, "-c", CHILD, str(a.study), str(out)], env=env, check=True,
                              capture_output=True, text=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    res = alternate(a.runs, srcs, measure, "osr-parts-")
    parts = list(res[srcs[0]][0])
    print(f"CPU seconds of the command's parts ({a.study.name}), median of {a.runs} fresh processes per tree "
          f"(load average {os.getloadavg()[0]:.2f} at the end)")
    print(f"  {'part: median (minimum)':<28}" + "".join(f"{str(s)[-22:]:>24}" for s in srcs))
    total = {s: [0.0, 0.0] for s in srcs}
    for p in parts:
        med = {s: statistics.median([r[p] for r in res[s]]) for s in srcs}
        low = {s: min(r[p] for r in res[s]) for s in srcs}   # the least disturbed run (a shared machine)
        if p != "statistics, warm":
            for s in srcs:
                total[s][0] += med[s]
                total[s][1] += low[s]
        print(f"  {p:<28}" + "".join(f"{med[s]:15.3f} ({low[s]:.3f})" for s in srcs))
    print(f"  {'sum (without the warm row)':<28}" + "".join(f"{total[s][0]:15.3f} ({total[s][1]:.3f})" for s in srcs))


if __name__ == "__main__":
    main()
