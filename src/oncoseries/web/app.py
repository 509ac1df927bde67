"""The FastAPI application: storage and the run pool at startup, the API, the pages, safety layers."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from .. import __version__
from .db import RunRow, audit, make_engine, make_sessionmaker, migrate, now
from .runner import Runner
from .security import Auth, Guard, load_secret
from .settings import Settings
from .store import BlobStore

log = logging.getLogger("oncoseries.web")
HERE = Path(__file__).resolve().parent


def _recover(sessions) -> None:
    """Runs left queued or running by a stopped server fail with that reason (they can be started again)."""
    with sessions() as s, s.begin():
        for run in s.query(RunRow).filter(RunRow.status.in_(("queued", "running"))):
            run.status, run.finished_at = "failed", now()
            run.error = "the server was stopped while this run was in progress; start it again"
            audit(s, "server", "run failed", run.study_id, run.id, "server restarted")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.warm_workers:
            app.state.runner.warm()
        yield
        app.state.runner.shutdown()

    from fastapi_offline import FastAPIOffline

    app = FastAPIOffline(title="oncoseries", version=__version__, lifespan=lifespan,
                         static_url="/static/docs",
                         description="The oncoseries web API (INTERFACE.md §3a). With a token, every /api call "
                                     "needs `Authorization: Bearer TOKEN`.")
    engine = make_engine(settings.url)
    migrate(engine)
    sessions = make_sessionmaker(engine)
    _recover(sessions)
    st = app.state
    st.settings, st.engine, st.sessions = settings, engine, sessions
    st.store = BlobStore(settings.data_dir)
    st.work = settings.data_dir / "work"
    st.work.mkdir(parents=True, exist_ok=True)
    st.runner = Runner(sessions, settings.workers)
    users = None
    if settings.users_file:
        from .users import load_users

        users = load_users(settings.users_file, sessions)
    st.auth = Auth(settings, load_secret(settings.data_dir, settings.secret_key), users)

    from . import api, pages, pages_runs

    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(pages_runs.router)
    app.add_exception_handler(pages.NeedLogin, pages.login_redirect)
    app.mount("/static/app", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(Guard, max_bytes=settings.max_upload_bytes)

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js():
        from .pages import plotly_bundle

        return plotly_bundle()

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        from fastapi.responses import FileResponse

        return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if request.url.path.startswith("/api") or request.url.path.startswith("/static"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        return pages.error_page(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        detail = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        return JSONResponse({"detail": detail or "invalid request"}, status_code=422)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):
        log.error("internal error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": "internal error; the server goes on (see the server log)"},
                                status_code=500)
        return HTMLResponse("<!doctype html><title>Error</title><h1>Something went wrong</h1>"
                            "<p>The server goes on; see its log.</p><p><a href='/'>Start page</a></p>",
                            status_code=500)

    return app
