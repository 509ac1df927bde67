"""Pages for people (server-rendered Jinja2): home, login, new study, validation, plan.

Run, results, compare and audit pages are in pages_runs.py. Every form post carries a CSRF token;
pages need a login when the server has a token or users (docs/web.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import yaml
from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from .api import example_uploads, may_see, visible_study
from .db import RunRow, Share, StudyRow, audit
from .security import CSRF_COOKIE, SESSION_COOKIE, SESSION_MAX_AGE, check_csrf, csrf_token
from .service import PlanError, create_study, effective_plan, start_run, submit
from .store import UploadError, study_files

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals["ENDPOINTS"] = ("OS", "PFS", "DOR", "TTP")
templates.env.filters["n"] = lambda x: f"{float(x):g}"
templates.env.filters["shown"] = lambda x: "-" if x is None else (f"{x:.4g}" if isinstance(x, float) else str(x))
router = APIRouter(include_in_schema=False)


class NeedLogin(Exception):
    def __init__(self, next_url: str):
        self.next_url = next_url


def page_user(request: Request) -> str:
    user = request.app.state.auth.page_user(request)
    if user is None:
        raise NeedLogin(request.url.path)
    return user


def session_dep(request: Request):
    with request.app.state.sessions() as s:
        yield s


def render(request: Request, name: str, status: int = 200, **ctx) -> HTMLResponse:
    auth = request.app.state.auth
    ctx.update(request=request, csrf=csrf_token(request), login_required=auth.required,
               user=auth.page_user(request))
    resp = templates.TemplateResponse(request, name, ctx, status_code=status)
    new = getattr(request.state, "new_csrf", None)
    if new:
        resp.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return resp


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    titles = {400: "The upload could not be used", 401: "Please log in", 403: "Not allowed",
              404: "Not found", 409: "Not possible yet", 413: "The upload is too large"}
    return render(request, "error.html", status=status, title=titles.get(status, "Error"), message=message)


def plotly_bundle() -> FileResponse:
    """plotly.js from the installed plotly package (never a CDN)."""
    import plotly

    path = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/login")
def login_page(request: Request, next: str = "/"):
    return render(request, "login.html", next=next if next.startswith("/") and not next.startswith("//") else "/",
                  failed=False, token_login=bool(request.app.state.settings.token) and not request.app.state.auth.users)


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/"),
          csrf_token: str = Form("")):
    check_csrf(request, csrf_token)
    user = request.app.state.auth.check_login(username.strip(), password)
    if user is None:
        return render(request, "login.html", status=401, next=next, failed=True,
                      token_login=bool(request.app.state.settings.token) and not request.app.state.auth.users)
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    resp = redirect(target)
    resp.set_cookie(SESSION_COOKIE, request.app.state.auth.session_cookie(user), max_age=SESSION_MAX_AGE,
                    httponly=True, samesite="lax", secure=request.url.scheme == "https")
    return resp


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")):
    check_csrf(request, csrf_token)
    resp = redirect("/login")
    resp.delete_cookie(SESSION_COOKIE)
    return resp


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: str = Depends(page_user), session=Depends(session_dep)):
    auth = request.app.state.auth
    studies = [s for s in session.query(StudyRow).order_by(StudyRow.created_at.desc()).limit(200)
               if may_see(session, s, user, auth)]
    ids = {s.id: s for s in studies}
    runs = [r for r in session.query(RunRow).order_by(RunRow.created_at.desc()).limit(100) if r.study_id in ids]
    return render(request, "home.html", studies=studies, runs=runs[:20], titles={k: v.title for k, v in ids.items()})


@router.get("/studies/new", response_class=HTMLResponse)
def new_study_page(request: Request, user: str = Depends(page_user)):
    return render(request, "new.html", limit_mb=request.app.state.settings.max_upload_mb, error=None)


@router.post("/studies/new")
def new_study(request: Request, files: list[UploadFile] = File(None), title: str = Form(""),
              csrf_token: str = Form(""), user: str = Depends(page_user), session=Depends(session_dep)):
    check_csrf(request, csrf_token)
    st = request.app.state
    try:
        uploads = study_files([(f.filename or "", f.file.read()) for f in (files or []) if f.filename])
    except UploadError as exc:
        return render(request, "new.html", status=400, limit_mb=st.settings.max_upload_mb, error=str(exc))
    with session.begin():
        study = create_study(session, st.store, st.work, uploads, user, title.strip() or None)
    return redirect(f"/studies/{study.id}")


@router.post("/studies/example")
def new_example(request: Request, csrf_token: str = Form(""), user: str = Depends(page_user),
                session=Depends(session_dep)):
    check_csrf(request, csrf_token)
    st = request.app.state
    with session.begin():
        study = create_study(session, st.store, st.work, example_uploads(), user)
    return redirect(f"/studies/{study.id}")


@router.get("/studies/{study_id}", response_class=HTMLResponse)
def study_page(study_id: str, request: Request, user: str = Depends(page_user), session=Depends(session_dep)):
    study = visible_study(session, study_id, user, request.app.state.auth)
    runs = session.query(RunRow).filter_by(study_id=study.id).order_by(RunRow.created_at.desc()).all()
    problems = study.problems
    errors = [p for p in problems if p["severity"] == "error"]
    shares = [x.username for x in session.query(Share).filter_by(study_id=study.id)]
    can_share = bool(request.app.state.auth.users) and study.owner == user
    return render(request, "study.html", study=study, meta=study.meta, problems=problems, n_errors=len(errors),
                  n_warnings=len(problems) - len(errors), runs=runs, shares=shares, can_share=can_share)


def _csv_numbers(text: str) -> list[float]:
    """'6, 12 24' -> [6.0, 12.0, 24.0]; a word that is not a number is an error for the form."""
    out = []
    for part in text.replace(",", " ").split():
        try:
            out.append(float(part))
        except ValueError:
            raise PlanError([{"column": "landmarks", "message": f"'{part}' is not a number"}]) from None
    return out


ENDPOINTS = ("OS", "PFS", "DOR", "TTP")


def plan_from_form(form, covariates: list[str], levels: dict[str, list[str]] | None = None) -> dict:
    """The plan form -> study.yaml keys (every key the form shows; docs/web.md)."""
    def num(name, default=None):
        v = str(form.get(name, "")).strip()
        if v == "":
            return default
        try:
            return int(v)
        except ValueError:
            raise PlanError([{"column": name, "message": f"'{v}' is not a whole number"}]) from None

    plan = {"title": str(form.get("title", "")).strip() or "Oncology case series",
            "time_unit": form.get("time_unit", "months"),
            "response": {"confirmation": form.get("confirmation") == "on",
                         "confirmation_days": num("confirmation_days", 28), "sd_min_days": num("sd_min_days", 42)},
            "pfs": {"censor_at_new_therapy": form.get("censor_at_new_therapy") == "on",
                    "missed_assessments": None},
            "landmarks": {}, "cox": {}, "multivariable": form.get("multivariable") == "on",
            "report": {"p_style": form.get("p_style", "default"),
                       "percent_decimals": num("percent_decimals", None)}}
    interval, missed = num("missed_interval_days"), num("missed_max")
    if interval is not None or missed is not None:
        plan["pfs"]["missed_assessments"] = {"interval_days": interval, "max_missed": missed}
    for name, offered in (levels or {}).items():  # reference level of a categorical covariate
        chosen = str(form.get(f"ref_{name}", "")).strip()
        if not chosen:
            continue
        match = next((lv for lv in offered if lv.casefold() == chosen.casefold()), None)
        if match is None:
            raise PlanError([{"column": f"reference level of {name}",
                              "message": f"'{chosen}' is not a level of {name} ({', '.join(offered)})"}])
        plan.setdefault("labels", {})[name] = {"reference": match}
    for ep in ENDPOINTS:
        marks = _csv_numbers(str(form.get(f"landmarks_{ep}", "")))
        if marks:
            plan["landmarks"][ep] = marks
        chosen = [c for c in form.getlist(f"cox_{ep}") if c in covariates]
        if chosen:
            plan["cox"][ep] = chosen
    return plan


def _plan_page(request, study, plan, errors=None, status=200, saved=False):
    return render(request, "plan.html", status=status, study=study, plan=plan, errors=errors or [],
                  covariates=study.meta.get("covariates", []), saved=saved,
                  plan_yaml=yaml.safe_dump(plan, sort_keys=False, allow_unicode=True))


@router.get("/studies/{study_id}/plan", response_class=HTMLResponse)
def plan_page(study_id: str, request: Request, user: str = Depends(page_user), session=Depends(session_dep)):
    study = visible_study(session, study_id, user, request.app.state.auth)
    if not study.valid:
        raise HTTPException(409, "the study has errors; fix them and upload it again before planning the analysis")
    return _plan_page(request, study, current_plan(study), saved=bool(request.query_params.get("saved")))


def current_plan(study: StudyRow) -> dict:
    """The study.yaml a run would use now, every key filled (the form's starting point)."""
    from ..config import StudyConfig

    return StudyConfig.model_validate(effective_plan(study, {})).model_dump(mode="json", exclude={"redcap"})


@router.post("/studies/{study_id}/plan")
async def save_plan(study_id: str, request: Request, user: str = Depends(page_user)):
    form = await request.form()
    check_csrf(request, form.get("csrf_token"))
    st = request.app.state
    with st.sessions() as session, session.begin():
        study = visible_study(session, study_id, user, st.auth)
        if not study.valid:
            raise HTTPException(409, "the study has errors and cannot be planned")
        offered = study.meta.get("covariates", [])
        names = [c["name"] for c in offered]
        levels = {c["name"]: c["levels"] for c in offered if c.get("kind") == "categorical" and len(c["levels"]) > 1}
        plan = None
        try:
            plan = plan_from_form(form, names, levels)
            effective_plan(study, plan)
        except PlanError as exc:
            return _plan_page(request, study, plan or current_plan(study), exc.problems, 422)
        study.plan_json = json.dumps(plan)
        audit(session, user, "plan saved", study.id, None, json.dumps(plan, sort_keys=True))
        if form.get("action") == "run":
            run = start_run(session, st.runner, st.store, st.work, study, {}, user)
        else:
            run = None
    if run is not None:
        submit(st.runner, st.work, run)
        return redirect(f"/runs/{run.id}")
    return redirect(f"/studies/{study_id}/plan?saved=1")


@router.post("/studies/{study_id}/run")
def run_study(study_id: str, request: Request, csrf_token: str = Form(""), user: str = Depends(page_user),
              session=Depends(session_dep)):
    check_csrf(request, csrf_token)
    st = request.app.state
    with session.begin():
        study = visible_study(session, study_id, user, st.auth)
        if not study.valid:
            raise HTTPException(409, "the study has errors and cannot be analysed; fix them first")
        try:
            run = start_run(session, st.runner, st.store, st.work, study, {}, user)
        except PlanError as exc:
            raise HTTPException(409, f"the saved plan is not valid: {exc}") from None
    submit(st.runner, st.work, run)
    return redirect(f"/runs/{run.id}")


@router.post("/studies/{study_id}/share")
def share_study(study_id: str, request: Request, username: str = Form(""), csrf_token: str = Form(""),
                user: str = Depends(page_user), session=Depends(session_dep)):
    """The owner shares a study with another configured user (who then sees it and its runs)."""
    check_csrf(request, csrf_token)
    auth = request.app.state.auth
    with session.begin():
        study = visible_study(session, study_id, user, auth)
        if not auth.users or study.owner != user:
            raise HTTPException(403, "only the study's owner can share it, and only with configured users")
        name = username.strip()
        if name not in getattr(auth.users, "names", set()):
            raise HTTPException(400, f"there is no user named {name!r}")
        if name != study.owner and not session.query(Share).filter_by(study_id=study.id, username=name).first():
            session.add(Share(study_id=study.id, username=name))
            audit(session, user, "study shared", study.id, None, f"with {name}")
    return redirect(f"/studies/{study_id}")


def login_redirect(request: Request, exc: NeedLogin) -> RedirectResponse:
    return RedirectResponse("/login?next=" + quote(exc.next_url), status_code=303)
