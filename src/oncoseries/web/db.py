"""Storage: SQLAlchemy models, the engine, and the Alembic migration run at startup.

Tables: blobs (uploaded files by SHA-256), studies, study_files, runs, audit (append-only; the app
never updates or deletes an audit row), users and shares (optional logins).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

from sqlalchemy import (Boolean, DateTime, Float, ForeignKey, Integer, String, Text, create_engine, event,
                        select)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0, tzinfo=None)


def new_id() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    pass


class Blob(Base):
    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)


class StudyRow(Base):
    __tablename__ = "studies"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(300))
    owner: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    source: Mapped[str] = mapped_column(String(60), default="")
    patients: Mapped[int] = mapped_column(Integer, default=0)
    valid: Mapped[bool] = mapped_column(Boolean, default=False)
    problems_json: Mapped[str] = mapped_column(Text, default="[]")
    meta_json: Mapped[str] = mapped_column(Text, default="{}")       # covariates and levels, flow
    plan_json: Mapped[str] = mapped_column(Text, default="{}")       # overrides saved by the plan form

    @property
    def problems(self) -> list[dict]:
        return json.loads(self.problems_json)

    @property
    def meta(self) -> dict:
        return json.loads(self.meta_json)

    @property
    def plan(self) -> dict:
        return json.loads(self.plan_json)


class StudyFile(Base):
    __tablename__ = "study_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study_id: Mapped[str] = mapped_column(ForeignKey("studies.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))


class RunRow(Base):
    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    study_id: Mapped[str] = mapped_column(ForeignKey("studies.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    settings_json: Mapped[str] = mapped_column(Text, default="{}")   # the overrides asked for
    plan_yaml: Mapped[str] = mapped_column(Text, default="")         # the study.yaml the run used
    input_hash: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[str] = mapped_column(String(40), default="")
    started_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    headline_json: Mapped[str] = mapped_column(Text, default="{}")

    @property
    def settings(self) -> dict:
        return json.loads(self.settings_json)

    @property
    def headline(self) -> dict:
        return json.loads(self.headline_json)


class AuditEvent(Base):
    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    study_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class User(Base):
    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))


class Share(Base):
    __tablename__ = "shares"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study_id: Mapped[str] = mapped_column(ForeignKey("studies.id"), index=True)
    username: Mapped[str] = mapped_column(String(100))


def make_engine(url: str):
    """An engine; SQLite gets WAL and a busy timeout (the run threads and requests share it)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine) -> None:
    """Bring the schema to the newest Alembic revision (run at every start)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).resolve().parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def make_sessionmaker(engine):
    return sessionmaker(engine, expire_on_commit=False)


def audit(session, actor: str, action: str, study_id=None, run_id=None, detail: str = "") -> None:
    """Append one audit row (never updated or deleted by the app)."""
    session.add(AuditEvent(actor=actor, action=action, study_id=study_id, run_id=run_id, detail=detail))


__all__ = ["Base", "Blob", "StudyRow", "StudyFile", "RunRow", "AuditEvent", "User", "Share", "make_engine",
           "migrate", "make_sessionmaker", "audit", "select", "now", "new_id"]
