"""Bundled example studies (synthetic: not patient data)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def example_study_path(name: str = "mini") -> Path:
    """Folder of a bundled example study."""
    path = DATA / name
    if not path.is_dir():
        raise FileNotFoundError(f"no bundled example study named {name!r}")
    return path
