"""Pages of a run: progress, results (flow, tables, figures, Results paragraph, interactive KM),
downloads, comparison of two runs, and the audit trail (read-only)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from .api import FILES, may_see, run_state, visible_run, visible_study
from .db import AuditEvent, RunRow, StudyRow
from .km import km_data
from .pages import page_user, render, session_dep

router = APIRouter(include_in_schema=False)
FIGURE_TITLES = {"km": "Kaplan-Meier", "forest": "Forest plot", "waterfall": "Waterfall plot",
                 "swimmer": "Swimmer plot", "spider": "Spider plot"}


def run_dir(request: Request, run: RunRow) -> Path:
    return request.app.state.work / "runs" / run.id


@lru_cache(maxsize=64)
def _load_json(path: str, mtime: float) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def load_json(path: Path) -> dict:
    """A run's JSON file (cached by path and modification time: finished runs never change)."""
    return _load_json(str(path), path.stat().st_mtime)


def figure_list(folder: Path) -> list[dict]:
    """The run's figures (SVG preferred), titled from their file names."""
    out = []
    for svg in sorted(folder.glob("*.svg")):
        kind, _, rest = svg.stem.partition("_")
        title = FIGURE_TITLES.get(kind, kind.capitalize())
        if rest:
            endpoint, _, by = rest.partition("_by_")
            title += ": " + endpoint.upper() + (f" by {by}" if by else "")
        out.append({"name": svg.name, "png": svg.with_suffix(".png").name, "title": title, "kind": kind})
    order = {"km": 0, "forest": 1, "waterfall": 2, "swimmer": 3, "spider": 4}
    return sorted(out, key=lambda f: (order.get(f["kind"], 9), f["name"]))


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(run_id: str, request: Request, user: str = Depends(page_user), session=Depends(session_dep)):
    run = visible_run(session, run_id, user, request.app.state.auth)
    study = session.get(StudyRow, run.study_id)
    state = run_state(request.app, run)
    if state["status"] != "done":
        return render(request, "run.html", run=run, study=study, state=state)
    folder = run_dir(request, run)
    data = load_json(folder / "out" / "results.json")
    page = load_json(folder / "web" / "page.json")
    cov = pd.read_csv(folder / "web" / "covariates.csv", nrows=0).columns.tolist()
    levels = {c["name"]: c for c in study.meta.get("covariates", [])}
    choices = [c for c in cov if c != "patient_id"
               and (levels.get(c, {}).get("kind") != "numeric" or 0 < len(levels.get(c, {}).get("levels", [])) <= 5)]
    sections = {s["id"]: s for s in page["sections"]}
    tables_by: dict[str, list] = {}
    for t in page["tables"]:
        tables_by.setdefault(t["section"], []).append(t)
    others = [r for r in session.query(RunRow).filter_by(study_id=study.id, status="done")
              .order_by(RunRow.created_at.desc()) if r.id != run.id]
    return render(request, "results.html", run=run, study=study, data=data, page=page, sections=sections,
                  tables_by=tables_by, figures=figure_list(folder / "out" / "figures"),
                  endpoints=list(data.get("survival", {})), covariates=choices, levels=levels, others=others,
                  warnings=[p for p in data.get("data_problems", []) if p["severity"] == "warning"])


@router.get("/runs/{run_id}/status.json")
def run_status(run_id: str, request: Request, user: str = Depends(page_user), session=Depends(session_dep)):
    return run_state(request.app, visible_run(session, run_id, user, request.app.state.auth))


@router.get("/runs/{run_id}/km.json")
def run_km(run_id: str, request: Request, endpoint: str = "OS", by: str = "", user: str = Depends(page_user),
           session=Depends(session_dep)):
    """Kaplan-Meier curves and numbers at risk of one endpoint, by a covariate or overall."""
    run = visible_run(session, run_id, user, request.app.state.auth)
    if run.status != "done":
        raise HTTPException(404, "the run is not done")
    folder = run_dir(request, run)
    unit = load_json(folder / "out" / "results.json")["study"]["time_unit"]
    try:
        return JSONResponse(km_data(_csv(folder / "out" / "derived" / "adtte.csv"),
                                    _csv(folder / "web" / "covariates.csv"), endpoint, by or None, unit))
    except ValueError as exc:
        raise HTTPException(404, str(exc)) from None


@lru_cache(maxsize=32)
def _csv_cached(path: str, mtime: float) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"patient_id": str}, keep_default_na=True)


def _csv(path: Path) -> pd.DataFrame:
    return _csv_cached(str(path), path.stat().st_mtime)


@router.get("/runs/{run_id}/figures/{name}")
def run_figure(run_id: str, name: str, request: Request, user: str = Depends(page_user),
               session=Depends(session_dep)):
    run = visible_run(session, run_id, user, request.app.state.auth)
    folder = run_dir(request, run) / "out" / "figures"
    known = {p.name: p for p in folder.glob("*") if p.suffix in (".svg", ".png")} if folder.exists() else {}
    if name not in known:
        raise HTTPException(404, f"no figure {name!r} in this run")
    return FileResponse(known[name], media_type="image/svg+xml" if name.endswith(".svg") else "image/png")


@router.get("/runs/{run_id}/download/{name}")
def run_download(run_id: str, name: str, request: Request, user: str = Depends(page_user),
                 session=Depends(session_dep)):
    """The files of §3a for people: report.html opens in the browser, the others download."""
    run = visible_run(session, run_id, user, request.app.state.auth)
    if name not in FILES or run.status != "done":
        raise HTTPException(404, f"no file {name!r} for this run (yet)")
    rel, media = FILES[name]
    path = run_dir(request, run) / rel
    if not path.exists():
        raise HTTPException(404, f"{name} was not written by this run")
    study = session.get(StudyRow, run.study_id)
    stem = "".join(ch if ch.isalnum() else "-" for ch in study.title.lower())[:40].strip("-") or "study"
    inline = name == "report.html"
    return FileResponse(path, media_type=media, filename=None if inline else f"{stem}-{run.id[:8]}-{name}",
                        content_disposition_type="inline" if inline else "attachment")


def flatten(d, prefix: str = "") -> dict:
    out = {}
    for k, v in (d or {}).items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


@router.get("/studies/{study_id}/compare", response_class=HTMLResponse)
def compare(study_id: str, request: Request, a: str = "", b: str = "", user: str = Depends(page_user),
            session=Depends(session_dep)):
    """Two runs of a study: which settings differ, which headline numbers changed."""
    study = visible_study(session, study_id, user, request.app.state.auth)
    runs = {r.id: r for r in session.query(RunRow).filter_by(study_id=study.id)}
    if a not in runs or b not in runs:
        raise HTTPException(404, "choose two runs of this study to compare")
    ra, rb = runs[a], runs[b]
    pa, pb = flatten(yaml.safe_load(ra.plan_yaml) or {}), flatten(yaml.safe_load(rb.plan_yaml) or {})
    settings = [(k, pa.get(k), pb.get(k)) for k in sorted(set(pa) | set(pb)) if pa.get(k) != pb.get(k)]
    ha, hb = ra.headline, rb.headline
    numbers = [(k, ha.get(k), hb.get(k), ha.get(k) != hb.get(k)) for k in list(dict.fromkeys([*ha, *hb]))]
    return render(request, "compare.html", study=study, ra=ra, rb=rb, settings=settings, numbers=numbers,
                  inputs_same=ra.input_hash == rb.input_hash)


@router.get("/studies/{study_id}/audit", response_class=HTMLResponse)
def audit_page(study_id: str, request: Request, user: str = Depends(page_user), session=Depends(session_dep)):
    """The audit trail of a study: every run with its inputs' hash, settings, version, author and time,
    and every recorded event. Read-only: the app has no route that changes it."""
    study = visible_study(session, study_id, user, request.app.state.auth)
    runs = session.query(RunRow).filter_by(study_id=study.id).order_by(RunRow.created_at).all()
    events = session.query(AuditEvent).filter_by(study_id=study.id).order_by(AuditEvent.id).all()
    return render(request, "audit.html", study=study, runs=runs, events=events)


@router.get("/audit", response_class=HTMLResponse)
def audit_all(request: Request, user: str = Depends(page_user), session=Depends(session_dep)):
    auth = request.app.state.auth
    visible = {s.id: s.title for s in session.query(StudyRow) if may_see(session, s, user, auth)}
    events = [e for e in session.query(AuditEvent).order_by(AuditEvent.id.desc()).limit(500)
              if e.study_id in visible]
    return render(request, "audit.html", study=None, runs=[], events=events, titles=visible)
