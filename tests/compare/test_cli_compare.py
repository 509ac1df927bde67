"""oncoseries reconstruct / digitize: outputs, and bad input as one-line errors (never a traceback)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.compare._roundtrip import draw, simulate
from tests.test_cli import run

DATA = Path(__file__).resolve().parents[1] / "data" / "published_km"


def test_reconstruct_writes_patients(tmp_path):
    out = tmp_path / "ipd.csv"
    r = run("reconstruct", DATA / "gandhi_placebo_curve.csv", "--at-risk", DATA / "gandhi_placebo_at_risk.csv",
            "--out", out)
    assert r.returncode == 0, r.stderr
    ipd = pd.read_csv(out)
    assert list(ipd.columns) == ["time", "event"] and len(ipd) == 206
    assert "206 patients" in r.stdout and "3: 183/183" in r.stdout


def test_digitize_then_reconstruct(tmp_path):
    d = draw(simulate("exponential", 80, "light", seed=3), "oncoseries", tmp_path / "km.png")
    pts = tmp_path / "pts.csv"
    r = run("digitize", d.path, "--x-range", *d.x_range, "--y-range", *d.y_range, "--color", d.colours[0],
            "--out", pts)
    assert r.returncode == 0, r.stderr
    assert set(pd.read_csv(pts)["curve"]) == {d.colours[0]}
    r = run("reconstruct", pts, "--n-total", 80, "--out", tmp_path / "ipd.csv")
    assert r.returncode == 0, r.stderr
    assert len(pd.read_csv(tmp_path / "ipd.csv")) == 80


@pytest.mark.parametrize("args, files, code, message", [
    (["reconstruct", "one.csv", "--n-total", "5"], {"one.csv": "time,survival\n1,0.5\n"}, 1, "at least 2"),
    (["reconstruct", "c.csv", "--n-total", "5"], {"c.csv": "time,survival\n0,100\n1,140\n"}, 1, "after rescaling"),
    (["reconstruct", "c.csv", "--at-risk", "a.csv"], {"c.csv": "time,survival\n0,1\n1,0.8\n2,0.5\n",
                                                       "a.csv": "time,n_risk\n0,10\n1,12\n"}, 1, "rise from 10"),
    (["reconstruct", "missing.csv", "--n-total", "5"], {}, 2, "does not exist"),
    (["digitize", "missing.png", "--x-range", "0", "10"], {}, 2, "does not exist"),
    (["digitize", "bad.png", "--x-range", "0", "10"], {"bad.png": "not an image"}, 1, "not a readable image"),
])
def test_bad_input_is_one_line(tmp_path, args, files, code, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    args = [str(tmp_path / a) if a.endswith((".csv", ".png")) else a for a in args]
    r = run(*args, "--out", tmp_path / "out.csv")
    assert r.returncode == code, r.stdout + r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr + r.stdout


def test_digitize_colour_not_found(tmp_path):
    d = draw(simulate("exponential", 30, "light", seed=1), "matplotlib", tmp_path / "km.png")
    r = run("digitize", d.path, "--x-range", *d.x_range, "--color", "green", "--out", tmp_path / "o.csv")
    assert r.returncode == 1 and "no curve of colour green" in r.stderr and "Traceback" not in r.stderr
