"""Configured users (argon2): login, a study visible to its owner and those it is shared with."""

from __future__ import annotations

import base64
import re

import pytest
from typer.testing import CliRunner

from oncoseries.cli import app
from oncoseries.web.users import UsersFileError, _ph, load_users, read_users

from .conftest import mini_files

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def basic(name, pw):
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{pw}".encode()).decode()}


@pytest.fixture
def users_file(tmp_path):
    p = tmp_path / "users.txt"
    p.write_text(f"# team\nalice:{_ph.hash('alice-password-1')}\nbob:{_ph.hash('bob-password-22')}\n")
    return p


def test_users_file_and_checker(users_file, tmp_path):
    check = load_users(users_file)
    assert check("alice", "alice-password-1") and not check("alice", "wrong") and not check("carol", "x")
    bad = tmp_path / "bad.txt"
    bad.write_text("alice:plaintext\n")
    with pytest.raises(UsersFileError, match="line 1"):
        read_users(bad)
    r = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--users", str(bad), "--data-dir", str(tmp_path)])
    assert r.exit_code == 2 and "line 1" in r.output


def test_study_visible_to_owner_and_shares(make_client, users_file):
    c = make_client(users_file=users_file)
    assert c.get("/api/runs/x").status_code == 401
    assert c.post("/api/studies", files=mini_files(), headers=basic("alice", "nope")).status_code == 401
    sid = c.post("/api/studies", files=mini_files(), headers=basic("alice", "alice-password-1")).json()["id"]
    assert c.get(f"/api/studies/{sid}/problems", headers=basic("alice", "alice-password-1")).status_code == 200
    assert c.get(f"/api/studies/{sid}/problems", headers=basic("bob", "bob-password-22")).status_code == 404
    # alice logs in on the pages and shares the study with bob
    tok = CSRF.search(c.get("/login").text).group(1)
    r = c.post("/login", data={"csrf_token": tok, "username": "alice", "password": "alice-password-1"})
    assert r.status_code == 200 and "Log out (alice)" in r.text
    page = c.get(f"/studies/{sid}")
    assert page.status_code == 200 and "Share with user" in page.text
    title = re.search(r"<title>(.*?)</title>", page.text, re.S).group(1)
    assert "<" not in title and "Sharing" not in title                  # the page title is the study title only
    assert page.text.count('action="/studies/' + sid + '/share"') == 1      # one sharing form, in the page body
    assert c.post(f"/studies/{sid}/share", data={"csrf_token": tok, "username": "carol"}).status_code == 400
    r = c.post(f"/studies/{sid}/share", data={"csrf_token": tok, "username": "bob"})
    assert r.status_code == 200 and "Shared with bob" in r.text
    assert c.get(f"/api/studies/{sid}/problems", headers=basic("bob", "bob-password-22")).status_code == 200
