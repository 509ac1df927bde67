"""Helpers for tests that run a script in a fresh Python process (forked workers, whole-command runs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")


def run_script(script: str, *args, env: dict | None = None) -> dict:
    """Run ``script`` with ``args`` in a new interpreter (this checkout's src first on the path); the last
    line it prints is JSON and is returned."""
    env = {**os.environ, **(env or {}), "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def output_files(folder: Path) -> dict:
    """Every file under ``folder`` and its bytes, but the XPT files (they carry their creation time)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix != ".xpt"}
