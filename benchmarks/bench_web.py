"""Web application speed (docs/benchmarks.md, "Web application").

1. Results page of the 51-patient example: server time, median of 20 (TestClient, in-process).
2. The same page in Debian's chromium: time until the page is usable (the interactive Kaplan-Meier drawn),
   median of 5 loads (skipped when /usr/bin/chromium is missing).
3. One analysis of the example through the API, then 20 at once: wall time from POST to the last done.

    PYTHONPATH=src python benchmarks/bench_web.py [--skip-concurrent]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402

from oncoseries.web import create_app  # noqa: E402
from oncoseries.web.settings import Settings  # noqa: E402


def wait(client, rid: str) -> None:
    while client.get(f"/api/runs/{rid}").json()["status"] not in ("done", "failed"):
        time.sleep(0.2)


def run_example(client) -> tuple[str, float]:
    sid = client.post("/api/studies/example").json()["id"]
    t = time.perf_counter()
    rid = client.post(f"/api/studies/{sid}/runs").json()["id"]
    wait(client, rid)
    return rid, time.perf_counter() - t


def main() -> None:
    data = Path(tempfile.mkdtemp(prefix="oncoseries-bench-web-"))
    workers = int(os.environ.get("WORKERS", os.cpu_count() or 2))
    with TestClient(create_app(Settings(data_dir=data, workers=workers))) as client:
        run_example(client)                                # warm the worker processes
        rid, one = run_example(client)
        times = []
        for _ in range(20):
            t = time.perf_counter()
            r = client.get(f"/runs/{rid}")
            times.append(time.perf_counter() - t)
            assert r.status_code == 200
        first = times[0]
        print(f"results page: median {1000 * statistics.median(times):.0f} ms of 20 "
              f"(first {1000 * first:.0f} ms, max {1000 * max(times):.0f} ms), {len(r.content) // 1024} KB")
        browser_time(client, rid)
        print(f"one analysis of the example through the API: {one:.1f} s ({workers} worker processes)")
        if "--skip-concurrent" in sys.argv:
            return
        sids = [client.post("/api/studies/example").json()["id"] for _ in range(20)]
        t = time.perf_counter()
        rids = [client.post(f"/api/studies/{s}/runs").json()["id"] for s in sids]
        for r_ in rids:
            wait(client, r_)
        many = time.perf_counter() - t
        print(f"20 analyses at once: {many:.1f} s = {many / one:.1f} x one")


def browser_time(client, rid: str) -> None:
    """Time to a usable page in chromium: navigation start -> the interactive KM plot drawn."""
    if not Path("/usr/bin/chromium").exists():
        print("browser: /usr/bin/chromium missing; skipped")
        return
    import threading

    import uvicorn
    from playwright.sync_api import sync_playwright

    server = uvicorn.Server(uvicorn.Config(client.app, host="127.0.0.1", port=8765, log_level="warning",
                                           lifespan="off"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                  args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = b.new_page(viewport={"width": 1280, "height": 900})
            times = []
            for i in range(6):
                t = time.perf_counter()
                page.goto(f"http://127.0.0.1:8765/runs/{rid}")
                page.wait_for_selector("#km-plot .main-svg", timeout=30_000)
                if i:                                       # the first load fills the browser cache
                    times.append(time.perf_counter() - t)
            b.close()
        print(f"browser: usable results page (KM drawn) median {1000 * statistics.median(times):.0f} ms of "
              f"{len(times)} (cached assets)")
    finally:
        server.should_exit = True
        th.join(10)


if __name__ == "__main__":
    main()
