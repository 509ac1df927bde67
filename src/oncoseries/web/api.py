"""The JSON API of INTERFACE.md §3a (fixed contract) plus a few read-only extras."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Body, Depends, File, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel

from .db import RunRow, Share, StudyRow
from .runner import read_progress
from .service import PlanError, create_study, start_run, submit
from .store import Upload, UploadError, study_files

FILES = {"report.html": ("out/report.html", "text/html; charset=utf-8"),
         "report.docx": ("out/report.docx",
                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
         "results.json": ("out/results.json", "application/json"),
         "outputs.zip": ("outputs.zip", "application/zip")}


class StudyCreated(BaseModel):
    id: str
    patients: int
    valid: bool


class ProblemOut(BaseModel):
    severity: str
    file: str | None
    row: int | None
    column: str | None
    message: str


class Problems(BaseModel):
    valid: bool
    problems: list[ProblemOut]


class RunCreated(BaseModel):
    id: str


class RunState(BaseModel):
    id: str
    study_id: str
    status: Literal["queued", "running", "done", "failed"]
    progress: float
    error: str | None


class Detail(BaseModel):
    detail: str


ERRORS = {401: {"model": Detail}, 404: {"model": Detail}}


def user_dep(request: Request) -> str:
    return request.app.state.auth.api_user(request)


def session_dep(request: Request):
    with request.app.state.sessions() as s:
        yield s


def visible_study(session, study_id: str, user: str, auth) -> StudyRow:
    """The study, if it exists and this user may see it (with users: the owner and those it is shared with)."""
    study = session.get(StudyRow, study_id) if len(study_id) <= 64 else None
    if study is None or not may_see(session, study, user, auth):
        raise HTTPException(404, f"no study with id {study_id!r}")
    return study


def may_see(session, study: StudyRow, user: str, auth) -> bool:
    if not auth.users or user == "token":
        return True
    if study.owner == user:
        return True
    return session.query(Share).filter_by(study_id=study.id, username=user).first() is not None


def visible_run(session, run_id: str, user: str, auth) -> RunRow:
    run = session.get(RunRow, run_id) if len(run_id) <= 64 else None
    if run is None or not may_see(session, session.get(StudyRow, run.study_id), user, auth):
        raise HTTPException(404, f"no run with id {run_id!r}")
    return run


def run_state(app, run: RunRow) -> dict:
    """The run's state; while it is queued or running the worker's progress file refines it."""
    status, progress = run.status, run.progress
    if status in ("queued", "running"):
        stage, p = read_progress(app.state.work / "runs" / run.id)
        if stage is not None:
            status, progress = "running", p
    return {"id": run.id, "study_id": run.study_id, "status": status, "progress": progress, "error": run.error}


router = APIRouter(prefix="/api", tags=["api"])


def _created(study: StudyRow) -> JSONResponse:
    return JSONResponse({"id": study.id, "patients": study.patients, "valid": study.valid}, status_code=201)


@router.post("/studies", status_code=201, response_model=StudyCreated,
             responses={**ERRORS, 400: {"model": Detail}, 413: {"model": Detail}})
def post_study(request: Request, files: list[UploadFile] = File(..., description="the study's files, or one .zip"),
               user: str = Depends(user_dep), session=Depends(session_dep)):
    """Create a study from uploaded CSV/XLSX/YAML files, a REDCap export with its dictionary, or one .zip."""
    try:
        uploads = study_files([(f.filename or "", f.file.read()) for f in files])
    except UploadError as exc:
        raise HTTPException(400, str(exc)) from None
    st = request.app.state
    with session.begin():
        study = create_study(session, st.store, st.work, uploads, user)
    return _created(study)


def example_uploads() -> list[Upload]:
    from ..examples import example_study_path

    folder = example_study_path()
    return [Upload(p.name, p.read_bytes()) for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix in (".csv", ".yaml")]


@router.post("/studies/example", status_code=201, response_model=StudyCreated, responses=ERRORS)
def post_example(request: Request, user: str = Depends(user_dep), session=Depends(session_dep)):
    """Create a study from the bundled example (SYNTHETIC data, not patients)."""
    st = request.app.state
    with session.begin():
        study = create_study(session, st.store, st.work, example_uploads(), user)
    return _created(study)


@router.get("/studies/{study_id}/problems", response_model=Problems, responses=ERRORS)
def get_problems(study_id: str, request: Request, user: str = Depends(user_dep), session=Depends(session_dep)):
    """Validation: every problem with file, row and column, errors first."""
    study = visible_study(session, study_id, user, request.app.state.auth)
    return {"valid": study.valid, "problems": study.problems}


@router.post("/studies/{study_id}/runs", status_code=202, response_model=RunCreated,
             responses={**ERRORS, 409: {"model": Detail}, 422: {"model": Detail}})
def post_run(study_id: str, request: Request, overrides: dict | None = Body(None),
             user: str = Depends(user_dep), session=Depends(session_dep)):
    """Start an analysis; the optional JSON body holds study.yaml keys overriding the study's own."""
    st = request.app.state
    with session.begin():
        study = visible_study(session, study_id, user, st.auth)
        if not study.valid:
            raise HTTPException(409, "the study has errors and cannot be analysed; see "
                                     f"/api/studies/{study_id}/problems")
        try:
            run = start_run(session, st.runner, st.store, st.work, study, overrides, user)
        except PlanError as exc:
            raise HTTPException(422, f"the settings are not a valid study.yaml: {exc}") from None
    submit(st.runner, st.work, run)
    return JSONResponse({"id": run.id}, status_code=202)


@router.get("/runs/{run_id}", response_model=RunState, responses=ERRORS)
def get_run(run_id: str, request: Request, user: str = Depends(user_dep), session=Depends(session_dep)):
    """State of a run: queued, running (with progress 0..1), done or failed (with a readable reason)."""
    run = visible_run(session, run_id, user, request.app.state.auth)
    return run_state(request.app, run)


@router.get("/runs/{run_id}/files/{name}", responses={**ERRORS, 200: {"content": {
    "application/octet-stream": {}}}})
def get_run_file(run_id: str, name: str, request: Request, user: str = Depends(user_dep),
                 session=Depends(session_dep)):
    """report.html, report.docx, results.json or outputs.zip (everything `analyze` writes); 404 before done."""
    run = visible_run(session, run_id, user, request.app.state.auth)
    if name not in FILES:
        raise HTTPException(404, f"no file {name!r}; expected one of {', '.join(FILES)}")
    if run.status != "done":
        raise HTTPException(404, f"the run is {run_state(request.app, run)['status']}; files are there when it is done")
    rel, media = FILES[name]
    path: Path = request.app.state.work / "runs" / run.id / rel
    if not path.exists():
        raise HTTPException(404, f"{name} was not written by this run")
    return FileResponse(path, media_type=media, filename=name)
