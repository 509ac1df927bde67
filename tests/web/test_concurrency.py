"""20 analyses started at once through the API all finish, each with its own study's numbers (no
cross-talk), and the home page keeps answering while they run."""

from __future__ import annotations

import itertools
import json
import time

import pandas as pd

from oncoseries.analysis import analyze
from oncoseries.examples import example_study_path

from .conftest import wait_run

N_RUNS = 20


def variants(tmp_path) -> list:
    """20 different studies: the mini example less one or two patients, each with its own title."""
    src = example_study_path("mini")
    patients, lesions = pd.read_csv(src / "patients.csv", dtype=str), pd.read_csv(src / "lesions.csv", dtype=str)
    ids = list(patients["patient_id"])
    drops = [(i,) for i in ids] + list(itertools.combinations(ids, 2))
    out = []
    for k, drop in enumerate(drops[:N_RUNS]):
        folder = tmp_path / f"v{k}"
        folder.mkdir()
        patients[~patients["patient_id"].isin(drop)].to_csv(folder / "patients.csv", index=False)
        lesions[~lesions["patient_id"].isin(drop)].to_csv(folder / "lesions.csv", index=False)
        (folder / "study.yaml").write_text(f"title: Concurrent study {k}\ntime_unit: months\n")
        out.append(folder)
    return out


def test_twenty_runs_at_once(client, tmp_path):
    folders = variants(tmp_path)
    expected = {}
    runs = {}
    for folder in folders:
        files = [("files", (p.name, p.read_bytes(), "text/csv")) for p in sorted(folder.iterdir())]
        sid = client.post("/api/studies", files=files).json()["id"]
        expected[sid] = json.loads(json.dumps(analyze(folder).to_dict()))
        runs[sid] = None
    for sid in runs:                                   # all started before any is awaited
        r = client.post(f"/api/studies/{sid}/runs")
        assert r.status_code == 202
        runs[sid] = r.json()["id"]
    answered_while_busy = 0
    end = time.time() + 900
    while time.time() < end:
        states = [client.get(f"/api/runs/{rid}").json()["status"] for rid in runs.values()]
        if all(s in ("done", "failed") for s in states):
            break
        home = client.get("/")
        assert home.status_code == 200
        answered_while_busy += 1
        time.sleep(0.5)
    assert answered_while_busy >= 3
    for sid, rid in runs.items():
        state = wait_run(client, rid, timeout=5)
        assert state["status"] == "done", state
        got = client.get(f"/api/runs/{rid}/files/results.json").json()
        want = expected[sid]
        assert got["study"] == want["study"]
        assert got["patient_flow"] == want["patient_flow"]
        assert got["survival"] == want["survival"]
        assert got["response"] == want["response"]
