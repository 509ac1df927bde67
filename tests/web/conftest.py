"""Web fixtures: an app on a temporary data folder, on SQLite and (when ONCOSERIES_TEST_DATABASE_URL is
set, as in CI) on PostgreSQL too; small studies; a helper that waits for a run."""

from __future__ import annotations

import io
import os
import shutil
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from oncoseries.examples import example_study_path
from oncoseries.web import create_app
from oncoseries.web.settings import Settings

PG_URL = os.environ.get("ONCOSERIES_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _fresh_pg_url() -> str:
    """A new, empty PostgreSQL schema-free database per test app (dropped afterwards)."""
    import sqlalchemy as sa

    name = "oncoseries_test_" + uuid.uuid4().hex[:10]
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return PG_URL.rsplit("/", 1)[0] + "/" + name, name


def _drop_pg(name: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def make_client(tmp_path, backend):
    """make_client(**settings) -> a TestClient on a new data folder (and database)."""
    made, dbs = [], []

    def make(**kw):
        url = None
        if backend == "postgresql":
            url, name = _fresh_pg_url()
            dbs.append(name)
        data = tmp_path / f"data{len(made)}"
        s = Settings(data_dir=data, database_url=url, workers=kw.pop("workers", 2), **kw)
        client = TestClient(create_app(s))
        client.__enter__()
        made.append(client)
        return client

    yield make
    for c in made:
        c.__exit__(None, None, None)
        c.app.state.engine.dispose()
    for name in dbs:
        _drop_pg(name)


@pytest.fixture
def client(make_client):
    return make_client()


def wait_run(client, run_id: str, timeout: float = 300, headers=None) -> dict:
    """Poll GET /api/runs/{id} until done or failed."""
    end = time.time() + timeout
    while time.time() < end:
        r = client.get(f"/api/runs/{run_id}", headers=headers or {})
        assert r.status_code == 200, r.text
        state = r.json()
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


def mini_files(folder: Path | None = None) -> list[tuple[str, tuple[str, bytes, str]]]:
    """The bundled mini example as multipart 'files'."""
    folder = folder or example_study_path("mini")
    return [("files", (p.name, p.read_bytes(), "text/csv")) for p in sorted(folder.iterdir())
            if p.suffix in (".csv", ".yaml")]


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def copy_mini(dst: Path) -> Path:
    shutil.copytree(example_study_path("mini"), dst)
    return dst
