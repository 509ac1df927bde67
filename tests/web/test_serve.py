"""`oncoseries serve`: the loopback/token rule (exit 2, one line) and a real server answering."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncoseries.cli import app
from oncoseries.web.settings import Settings, is_loopback

SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.org"])
def test_off_loopback_without_token_is_refused(host, tmp_path):
    r = CliRunner().invoke(app, ["serve", "--host", host, "--data-dir", str(tmp_path)])
    assert r.exit_code == 2
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "refusing to serve" in lines[0] and "--token" in lines[0]


def test_loopback_names():
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "10.0.0.1", "::", "host.example"))
    assert Settings(host="0.0.0.0", token="t").refusal() is None
    assert Settings(host="127.0.0.1").refusal() is None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, str]:
    """`oncoseries serve` in a subprocess; returns (process, base URL) once it answers."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", "from oncoseries.cli import main; main()", "serve",
                             "--port", str(port), "--data-dir", str(tmp_path / "data"), *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    end = time.time() + 60
    while time.time() < end:
        if proc.poll() is not None:
            raise AssertionError(proc.stdout.read().decode())
        try:
            urllib.request.urlopen(base + "/openapi.json", timeout=2)
            return proc, base
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError("the server did not answer within 60 s")


def stop_server(proc: subprocess.Popen) -> str:
    """Stop the server (SIGTERM: a running analysis may finish first) and return its whole output."""
    proc.terminate()
    try:
        return proc.communicate(timeout=120)[0].decode()
    except subprocess.TimeoutExpired:  # the whole process group: a worker must not keep the pipe open
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            return proc.communicate(timeout=30)[0].decode()
        except subprocess.TimeoutExpired:
            return ""


def test_serve_with_token_answers_and_requires_it(tmp_path):
    proc, base = start_server(tmp_path, "--host", "127.0.0.1", "--token", "tok")
    try:
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(base + "/api/runs/x")
        assert err.value.code == 401
        req = urllib.request.Request(base + "/api/runs/x", headers={"Authorization": "Bearer tok"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req)
        assert err.value.code == 404
        assert (tmp_path / "data" / "oncoseries.db").exists()
    finally:
        stop_server(proc)


def test_no_patient_value_in_the_server_log(tmp_path):
    """The server's whole output (uvicorn and oncoseries logs) after an upload with an error and a run."""
    import json as _json

    from oncoseries.examples import example_study_path

    folder = example_study_path("mini")
    text = (folder / "patients.csv").read_text().replace("2019-02-04", "2019-02-31", 1)
    boundary = "oncoseriesboundary"
    parts = []
    for name, data in [("patients.csv", text), ("lesions.csv", (folder / "lesions.csv").read_text())]:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
                     f"Content-Type: text/csv\r\n\r\n{data}\r\n")
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    proc, base = start_server(tmp_path)
    try:
        req = urllib.request.Request(base + "/api/studies", data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        created = _json.loads(urllib.request.urlopen(req).read())
        assert created["valid"] is False
        req = urllib.request.Request(base + "/api/studies/example", data=b"", method="POST")
        sid = _json.loads(urllib.request.urlopen(req).read())["id"]
        req = urllib.request.Request(base + f"/api/studies/{sid}/runs", data=b"", method="POST")
        rid = _json.loads(urllib.request.urlopen(req).read())["id"]
        end = time.time() + 300
        while time.time() < end:
            state = _json.loads(urllib.request.urlopen(base + f"/api/runs/{rid}").read())
            if state["status"] in ("done", "failed"):
                break
            time.sleep(0.5)
        assert state["status"] == "done"
    finally:
        out = stop_server(proc)
    assert "POST /api/studies" in out and f"run {rid} done" in out
    for value in ("2019-02-31", "P02", "HDIFO-0", "Bologna", "2019-01-10"):
        assert value not in out, value


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_stopping_the_server_stops_its_workers(tmp_path):
    """Workers are started with the server; SIGTERM during runs leaves no worker process behind."""
    import json as _json

    proc, base = start_server(tmp_path)
    try:
        end = time.time() + 60
        while time.time() < end and len(_children(proc.pid)) < 2:  # resource tracker + >= 1 worker
            time.sleep(0.3)
        workers = _children(proc.pid)
        assert workers, "the server started no worker process"
        req = urllib.request.Request(base + "/api/studies/example", data=b"", method="POST")
        sid = _json.loads(urllib.request.urlopen(req).read())["id"]
        for _ in range(3):
            req = urllib.request.Request(base + f"/api/studies/{sid}/runs", data=b"", method="POST")
            urllib.request.urlopen(req).read()
        time.sleep(1)
        workers = _children(proc.pid)
    finally:
        stop_server(proc)
    end = time.time() + 20
    while time.time() < end and any(_alive(p) for p in workers):
        time.sleep(0.3)
    assert not [p for p in workers if _alive(p)]
