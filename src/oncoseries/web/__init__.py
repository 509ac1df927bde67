"""oncoseries.web: the web application behind ``oncoseries serve`` (docs/web.md).

FastAPI + Jinja2 pages, the JSON API of INTERFACE.md §3a, SQLAlchemy storage (SQLite under the data
folder, or PostgreSQL), uploads kept by content hash, analyses run in a process pool.
"""

from __future__ import annotations

__all__ = ["create_app", "Settings"]


def create_app(settings=None):
    """The ASGI application (imported lazily so ``import oncoseries`` stays light)."""
    from .app import create_app as _create

    return _create(settings)


def __getattr__(name):
    if name == "Settings":
        from .settings import Settings

        return Settings
    raise AttributeError(name)
