"""schemathesis against the OpenAPI schema: no generated request gets a 500 (or a traceback)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from oncoseries.web import create_app
from oncoseries.web.settings import Settings

APP = create_app(Settings(data_dir=Path(tempfile.mkdtemp(prefix="oncoseries-schemathesis-")), workers=1))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case):
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
    assert "Traceback" not in response.text
