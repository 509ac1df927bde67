"""One analysis, run in a worker process: validate, analyse, write outputs, zip them, prepare the page.

Progress goes to ``<run>/progress.json`` (the server reads it); the return value is a small dict the
server stores. No patient value is logged; a failure returns a readable reason instead of raising.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

STAGES = {"validating": 0.05, "analysing": 0.2, "writing": 0.5, "packing": 0.9}
_LAST: dict = {}  # run folder -> last progress written


def _progress(run_dir: Path, stage: str, progress: float | None = None, step: str | None = None) -> None:
    tmp = run_dir / "progress.tmp"
    progress = max(STAGES[stage] if progress is None else progress, _LAST.get(run_dir, 0.0))  # never backwards
    _LAST[run_dir] = progress
    data = {"stage": stage, "progress": progress}
    if step:
        data["step"] = step
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, run_dir / "progress.json")


def _stage_events(run_dir: Path):
    """The CLI's per-stage events (timings.lap, oncoseries.progress) as finer progress.json updates."""
    from ..progress import ANALYZE_STAGES

    coarse = {"read": "validating", "validate": "analysing", "RECIST": "analysing", "endpoints": "analysing"}

    def on_lap(step: str, seconds: float) -> None:
        if step not in ANALYZE_STAGES:
            return
        i = ANALYZE_STAGES.index(step) + 1
        stage = coarse.get(step, "writing" if i >= ANALYZE_STAGES.index("statistics") + 1 else "analysing")
        _progress(run_dir, stage, round(STAGES["validating"] + 0.85 * i / len(ANALYZE_STAGES), 3), step)

    return on_lap


def warm() -> bool:
    """Import the analysis and report code in a fresh worker (the first run is then as fast as the next)."""
    import matplotlib

    matplotlib.use("Agg")
    from ..analysis import analyze, write_outputs  # noqa: F401
    from ..report import forest, km_plot, write_report  # noqa: F401  (matplotlib and the drawing code)

    return True


def execute(run_dir: str) -> dict:
    """Run the analysis of ``run_dir/input`` into ``run_dir/out``; never raises."""
    run = Path(run_dir)
    try:
        return _execute(run)
    except Exception as exc:  # the run fails with a reason; the server goes on
        return {"ok": False, "error": f"internal error during the analysis ({type(exc).__name__}: {exc})"}


def _execute(run: Path) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    from ..analysis import analyze, write_outputs
    from ..analysis.run import analysis_covariates
    from ..study import validate_study
    from .. import timings

    _progress(run, "validating")
    timings.listen(_stage_events(run))
    try:
        return _analyse(run, validate_study, analyze, write_outputs, analysis_covariates)
    finally:
        timings.listen(None)
        _LAST.pop(run, None)


def _analyse(run: Path, validate_study, analyze, write_outputs, analysis_covariates) -> dict:
    report = validate_study(run / "input")
    if not report.usable:
        errors = report.errors
        lines = "; ".join(str(p) for p in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        return {"ok": False, "error": f"the study has {len(errors)} error(s): {lines}{more}"}
    _progress(run, "analysing")
    results = analyze(report.study)
    _progress(run, "writing")
    out = run / "out"
    write_outputs(results, out)
    _progress(run, "packing")
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    frame, covariates = analysis_covariates(report.study)
    web = run / "web"
    web.mkdir(exist_ok=True)
    keep = ["patient_id"] + [c for c in covariates if c in frame.columns]
    frame[keep].to_csv(web / "covariates.csv", index=False)
    (web / "page.json").write_text(json.dumps(page_data(results)), encoding="utf-8")
    _zip(out, run / "outputs.zip")
    return {"ok": True, "headline": headline(data)}


def _zip(out: Path, target: Path) -> None:
    """Every file analyze wrote, in a stable order with fixed timestamps."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(out.rglob("*")):
            if p.is_file():
                info = zipfile.ZipInfo(p.relative_to(out).as_posix(), date_time=(2000, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, p.read_bytes())


def page_data(results) -> dict:
    """What the results page shows beside results.json: the report's tables and Results paragraph
    (each number with its results.json path), built by the report's own code."""
    from ..report import build_report_document
    from ..report.narrative import Num

    doc = build_report_document(results)
    pieces = [{"text": p.text, "path": p.path, "value": p.value, "kind": p.kind} if isinstance(p, Num) else {"text": str(p)}
              for p in doc.results_text]
    tables = [{"name": t.name, "number": t.number, "title": t.title, "section": t.section,
               "columns": t.columns, "rows": t.rows, "styles": t.styles, "notes": t.notes} for t in doc.tables]
    return {"title": doc.title, "meta": doc.meta, "synthetic": doc.synthetic, "results_text": pieces,
            "tables": tables, "sections": [{"id": s.id, "title": s.title, "empty": s.empty} for s in doc.sections]}


def headline(data: dict) -> dict:
    """The numbers a comparison of two runs looks at (values exactly as in results.json)."""
    out: dict = {"patients": data.get("study", {}).get("n_patients")}
    resp = data.get("response") or {}
    for key in ("unconfirmed", "confirmed"):
        for row in resp.get(key) or []:
            if row.get("category") in ("ORR", "DCR"):
                out[f"{row['category']} ({key}) n/N"] = f"{row['n']}/{row['N']}"
                out[f"{row['category']} ({key}) proportion"] = row.get("proportion")
    for ep, s in (data.get("survival") or {}).items():
        out[f"{ep} events"] = s.get("events")
        med = s.get("median") or {}
        out[f"{ep} median"] = med.get("value")
        out[f"{ep} median lower"] = med.get("lower")
        out[f"{ep} median upper"] = med.get("upper")
    for m in data.get("cox") or []:
        for t in m.get("terms") or []:
            key = f"{m['endpoint']} {m['model']} HR {t.get('coefficient')}"
            out[key] = t.get("hr")
            out[f"{key} p"] = t.get("p")
    return out
