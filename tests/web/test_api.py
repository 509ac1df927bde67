"""INTERFACE.md §3a: every route, with 401/404/409/413/422 and unsafe archives (TestClient)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from oncoseries.examples import example_study_path
from oncoseries.web.db import RunRow

from .conftest import mini_files, wait_run, zip_bytes


def _blob_count(client) -> int:
    root = client.app.state.settings.data_dir / "blobs"
    return sum(1 for p in root.rglob("*") if p.is_file())


def test_upload_files_then_problems(client):
    r = client.post("/api/studies", files=mini_files())
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"id", "patients", "valid"} and body["patients"] == 8 and body["valid"] is True
    p = client.get(f"/api/studies/{body['id']}/problems")
    assert p.status_code == 200
    assert p.json()["valid"] is True
    for prob in p.json()["problems"]:
        assert set(prob) >= {"severity", "file", "row", "column", "message"}


def test_upload_zip_with_top_folder(client):
    folder = example_study_path("mini")
    data = zip_bytes({f"mini/{p.name}": p.read_bytes() for p in folder.iterdir() if p.suffix in (".csv", ".yaml")})
    r = client.post("/api/studies", files=[("files", ("study.zip", data, "application/zip"))])
    assert r.status_code == 201, r.text
    assert r.json()["patients"] == 8 and r.json()["valid"]


def test_blobs_are_named_by_content_hash(client):
    r = client.post("/api/studies", files=[("files", ("../../Evil Name.csv", b"patient_id\n", "text/csv"))])
    assert r.status_code == 201
    root = client.app.state.settings.data_dir / "blobs"
    names = [p.name for p in root.rglob("*") if p.is_file()]
    assert names and all(len(n) == 64 and set(n) <= set("0123456789abcdef") for n in names)
    assert not (client.app.state.settings.data_dir.parent / "Evil Name.csv").exists()


def test_study_with_errors_lists_them_errors_first_and_cannot_run(client):
    folder = example_study_path("mini")
    text = (folder / "patients.csv").read_text().replace("2019-02-04", "2019-02-31", 1)
    files = [("files", ("patients.csv", text.encode(), "text/csv")),
             ("files", ("lesions.csv", (folder / "lesions.csv").read_bytes(), "text/csv"))]
    r = client.post("/api/studies", files=files)
    assert r.status_code == 201 and r.json()["valid"] is False
    sid = r.json()["id"]
    probs = client.get(f"/api/studies/{sid}/problems").json()
    assert probs["valid"] is False
    sev = [p["severity"] for p in probs["problems"]]
    assert sev[0] == "error" and sev == sorted(sev)  # "error" < "warning": errors first
    bad = [p for p in probs["problems"] if p["severity"] == "error"][0]
    assert bad["file"] == "patients.csv" and bad["row"] == 3 and bad["column"] == "start_date"
    r = client.post(f"/api/studies/{sid}/runs")
    assert r.status_code == 409 and "detail" in r.json()


@pytest.mark.parametrize("entries, words", [
    ({"../evil.csv": b"x"}, "outside"),
    ({"/etc/evil.csv": b"x"}, "absolute"),
])
def test_unsafe_zip_paths_refused(client, entries, words):
    before = _blob_count(client)
    r = client.post("/api/studies", files=[("files", ("s.zip", zip_bytes(entries), "application/zip"))])
    assert r.status_code == 400 and words in r.json()["detail"]
    assert _blob_count(client) == before


def test_zip_with_symlink_refused(client):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("patients.csv", b"patient_id\n")
        link = zipfile.ZipInfo("lesions.csv")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "/etc/passwd")
    r = client.post("/api/studies", files=[("files", ("s.zip", buf.getvalue(), "application/zip"))])
    assert r.status_code == 400 and "symbolic link" in r.json()["detail"]
    assert _blob_count(client) == 0


def test_zip_bomb_refused(client, tmp_path):
    """1 GB of zeros packed into about 1 MB."""
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo("patients.csv")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as fh:
            block = b"0" * (1 << 24)
            for _ in range(64):
                fh.write(block)
    data = path.read_bytes()
    assert len(data) < 5 * 1024 * 1024
    r = client.post("/api/studies", files=[("files", ("bomb.zip", data, "application/zip"))])
    assert r.status_code == 400 and "bomb" in r.json()["detail"]
    assert _blob_count(client) == 0


def test_unreadable_zip_and_wrong_type(client):
    r = client.post("/api/studies", files=[("files", ("s.zip", b"not a zip", "application/zip"))])
    assert r.status_code == 400 and "could not be read" in r.json()["detail"]
    r = client.post("/api/studies", files=[("files", ("run.exe", b"MZ", "application/octet-stream"))])
    assert r.status_code == 400 and "not a study file" in r.json()["detail"]


def test_upload_limit_413(make_client):
    c = make_client(max_upload_mb=0.01)
    r = c.post("/api/studies", files=[("files", ("patients.csv", b"x" * 20000, "text/csv"))])
    assert r.status_code == 413 and "limit" in r.json()["detail"]


def test_unknown_ids_404(client):
    for method, url in [("get", "/api/studies/nope/problems"), ("post", "/api/studies/nope/runs"),
                        ("get", "/api/runs/nope"), ("get", "/api/runs/nope/files/report.html")]:
        r = getattr(client, method)(url)
        assert r.status_code == 404, url
        assert "detail" in r.json()


def test_token_required_for_every_api_route(make_client):
    c = make_client(token="s3cret-token")
    good = {"Authorization": "Bearer s3cret-token"}
    for method, url in [("post", "/api/studies/example"), ("get", "/api/studies/x/problems"),
                        ("post", "/api/studies/x/runs"), ("get", "/api/runs/x"),
                        ("get", "/api/runs/x/files/report.html")]:
        r = getattr(c, method)(url)
        assert r.status_code == 401 and "detail" in r.json(), url
        r = getattr(c, method)(url, headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401, url
    r = c.post("/api/studies", files=mini_files())
    assert r.status_code == 401
    r = c.post("/api/studies", files=mini_files(), headers=good)
    assert r.status_code == 201
    assert c.get(f"/api/studies/{r.json()['id']}/problems", headers=good).status_code == 200


def test_example_run_and_files(client):
    r = client.post("/api/studies/example")
    assert r.status_code == 201 and r.json()["patients"] == 51 and r.json()["valid"]
    sid = r.json()["id"]
    r = client.post(f"/api/studies/{sid}/runs", json={"response": {"confirmation": True}})
    assert r.status_code == 202, r.text
    rid = r.json()["id"]
    state = client.get(f"/api/runs/{rid}").json()
    assert set(state) == {"id", "study_id", "status", "progress", "error"} and state["study_id"] == sid
    assert state["status"] in ("queued", "running", "done") and 0 <= state["progress"] <= 1
    state = wait_run(client, rid)
    assert state["status"] == "done" and state["progress"] == 1 and state["error"] is None, state
    results = client.get(f"/api/runs/{rid}/files/results.json")
    assert results.status_code == 200
    data = results.json()
    assert data["study"]["n_patients"] == 51
    assert data["plan"]["response"]["confirmation"] is True       # the override was used
    assert data["plan"]["cox"] == {"PFS": ["prior_ifosfamide", "ecog", "age"], "OS": ["cr2"]}  # the study's own plan
    html = client.get(f"/api/runs/{rid}/files/report.html")
    assert html.status_code == 200 and html.text.lstrip().lower().startswith("<!doctype html")
    docx = client.get(f"/api/runs/{rid}/files/report.docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    z = client.get(f"/api/runs/{rid}/files/outputs.zip")
    names = set(zipfile.ZipFile(io.BytesIO(z.content)).namelist())
    assert {"report.html", "report.docx", "results.json", "derived/adtte.csv", "derived/timepoints.csv",
            "derived/best_response.csv"} <= names
    assert any(n.startswith("figures/") and n.endswith(".png") for n in names)
    assert client.get(f"/api/runs/{rid}/files/secret.txt").status_code == 404


def test_invalid_overrides_422(client):
    sid = client.post("/api/studies", files=mini_files()).json()["id"]
    r = client.post(f"/api/studies/{sid}/runs", json={"time_unit": "fortnights"})
    assert r.status_code == 422 and "time_unit" in r.json()["detail"]
    r = client.post(f"/api/studies/{sid}/runs", json={"cox": {"OS": ["no_such_column"]}})
    assert r.status_code == 422 and "no_such_column" in r.json()["detail"]
    r = client.post(f"/api/studies/{sid}/runs", json=[1, 2])
    assert r.status_code == 422
    r = client.post(f"/api/studies/{sid}/runs", json={"redcap": {"records": "/etc/passwd"}})
    assert r.status_code == 422 and "REDCap" in r.json()["detail"]


def test_files_404_before_done_and_audit_fields(client):
    sid = client.post("/api/studies", files=mini_files()).json()["id"]
    with client.app.state.sessions() as s, s.begin():
        s.add(RunRow(id="q" * 32, study_id=sid, status="queued", settings_json="{}", plan_yaml="",
                     input_hash="", version="", started_by="test"))
    r = client.get(f"/api/runs/{'q' * 32}/files/report.html")
    assert r.status_code == 404 and "queued" in r.json()["detail"]
    rid = client.post(f"/api/studies/{sid}/runs", json={"landmarks": {"OS": [6]}}).json()["id"]
    with client.app.state.sessions() as s:
        run = s.get(RunRow, rid)
        assert len(run.input_hash) == 64 and run.version and run.started_by and run.created_at
        assert json.loads(run.settings_json) == {"landmarks": {"OS": [6]}}
        assert "landmarks:" in run.plan_yaml
    assert wait_run(client, rid)["status"] == "done"


def test_failed_run_gives_a_reason_and_the_server_goes_on(client):
    sid = client.post("/api/studies", files=mini_files()).json()["id"]
    with client.app.state.sessions() as s, s.begin():
        s.add(RunRow(id="f" * 32, study_id=sid, status="queued", settings_json="{}", plan_yaml="",
                     input_hash="", version="", started_by="test"))
    run_dir = client.app.state.work / "runs" / ("f" * 32)
    (run_dir / "input").mkdir(parents=True)          # an empty study: the worker must fail, not crash
    client.app.state.runner.submit("f" * 32, run_dir)
    state = wait_run(client, "f" * 32)
    assert state["status"] == "failed" and "patients" in state["error"]
    assert client.get("/api/runs/" + "f" * 32 + "/files/results.json").status_code == 404
    assert client.post("/api/studies/example").status_code == 201


def test_restart_fails_interrupted_runs(tmp_path):
    from fastapi.testclient import TestClient

    from oncoseries.web import create_app
    from oncoseries.web.settings import Settings

    s = Settings(data_dir=tmp_path / "d", workers=1)
    with TestClient(create_app(s)) as c:
        sid = c.post("/api/studies", files=mini_files()).json()["id"]
        with c.app.state.sessions() as ses, ses.begin():
            ses.add(RunRow(id="r" * 32, study_id=sid, status="running", settings_json="{}", plan_yaml="",
                           input_hash="", version="", started_by="test"))
    with TestClient(create_app(Settings(data_dir=tmp_path / "d", workers=1))) as c:
        state = c.get("/api/runs/" + "r" * 32).json()
        assert state["status"] == "failed" and "stopped" in state["error"]


def test_redcap_export_with_dictionary(client):
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "data" / "redcap"
    files = [("files", (n, (folder / n).read_bytes(), "text/csv"))
             for n in ("dictionary.csv", "records_raw.csv", "study.yaml")]
    r = client.post("/api/studies", files=files)
    assert r.status_code == 201 and r.json() == {"id": r.json()["id"], "patients": 3, "valid": True}
    # without the mapping the records are read as a REDCap export and the missing columns are named
    r = client.post("/api/studies", files=files[:2])
    probs = client.get(f"/api/studies/{r.json()['id']}/problems").json()
    assert not probs["valid"]
    assert {(p["file"], p["column"]) for p in probs["problems"]} >= {("records_raw.csv", "start_date")}


def test_one_xlsx_workbook(client, tmp_path):
    import pandas as pd

    folder = example_study_path("mini")
    book = tmp_path / "Study Workbook.xlsx"
    with pd.ExcelWriter(book) as xw:
        for name in ("patients", "lesions"):
            pd.read_csv(folder / f"{name}.csv", dtype=str).to_excel(xw, sheet_name=name, index=False)
    r = client.post("/api/studies", files=[("files", (book.name, book.read_bytes(), "application/vnd.ms-excel"))])
    assert r.status_code == 201 and r.json()["patients"] == 8 and r.json()["valid"]
