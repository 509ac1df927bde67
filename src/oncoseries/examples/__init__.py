"""Bundled example studies (SYNTHETIC: not patient data).

* ``hdifo`` (default): 51 patients, high-dose ifosfamide in relapsed osteosarcoma, made by
  :func:`oncoseries.examples.generator.generate_study` and calibrated to Palmerini et al. 2020
  (docs/example-study.md).
* ``mini``: eight hand-written patients (patients and lesions only) for the quick start and tests.
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
NAMES = ("hdifo", "mini")


def example_study_path(name: str = "hdifo") -> Path:
    """Folder of a bundled example study.

    Parameters
    ----------
    name : {"hdifo", "mini"}, default "hdifo"

    Returns
    -------
    Path
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, one of {', '.join(NAMES)}; got {name!r}")
    path = DATA / name
    if not path.is_dir():
        raise ValueError(f"no bundled example study named {name!r}; expected one of {', '.join(NAMES)}")
    return path


def generate_study(*args, **kwargs):
    """See :func:`oncoseries.examples.generator.generate_study` (imported lazily)."""
    from .generator import generate_study as _generate

    return _generate(*args, **kwargs)
