"""Pages for people (server-rendered Jinja2)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

router = APIRouter(include_in_schema=False)


def plotly_bundle() -> FileResponse:
    """plotly.js from the installed plotly package (never a CDN)."""
    import plotly

    path = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><title>{status}</title><p>{message}</p>", status_code=status)
