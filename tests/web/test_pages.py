"""Pages through the TestClient: the flow of a clinician, CSRF, the plan form, results equal to
results.json, compare and audit pages, security headers."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from oncoseries.report.context import resolve
from oncoseries.web.db import AuditEvent, RunRow

from .conftest import mini_files, wait_run

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client, url="/") -> str:
    r = client.get(url)
    assert r.status_code == 200, r.text
    return CSRF.search(r.text).group(1)


class Nums(HTMLParser):
    """Every number of the Results paragraph with its results.json path and value."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "span" and "data-path" in a:
            self.found.append((a["data-path"], json.loads(a["data-value"])))


def test_security_headers_and_no_external_assets(client):
    r = client.get("/")
    assert r.status_code == 200
    h = r.headers
    assert h["x-content-type-options"] == "nosniff" and h["x-frame-options"] == "DENY"
    assert "script-src 'self'" in h["content-security-policy"] and "frame-ancestors 'none'" in h[
        "content-security-policy"]
    assert not re.search(r'(src|href)="(https?:)?//', r.text)
    for path in ("/static/app/app.css", "/static/app/app.js", "/static/plotly.min.js"):
        assert client.get(path).status_code == 200, path
    docs = client.get("/docs").text
    assert "cdn" not in docs.lower() and "/static/docs/swagger-ui-bundle.js" in docs


def test_form_posts_need_the_csrf_token(client):
    r = client.post("/studies/example", data={})
    assert r.status_code == 403
    r = client.post("/studies/example", data={"csrf_token": "forged"})
    assert r.status_code == 403
    r = client.post("/studies/example", data={"csrf_token": csrf(client)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/studies/")


def test_cross_origin_post_refused(client):
    r = client.post("/api/studies/example", headers={"Origin": "http://evil.example"})
    assert r.status_code == 403


def test_clinician_flow_example(client):
    tok = csrf(client)
    r = client.post("/studies/example", data={"csrf_token": tok})
    assert r.status_code == 200 and "The study is usable" in r.text
    sid = str(r.url).rstrip("/").rsplit("/", 1)[1]
    assert 'id="flow"' in r.text and "Patients in the study file" in r.text
    plan = client.get(f"/studies/{sid}/plan")
    assert plan.status_code == 200 and "prior_ifosfamide" in plan.text and "levels: No, Yes" in plan.text
    assert 'name="ref_prior_ifosfamide"' in plan.text and 'name="cox_DOR"' in plan.text
    assert 'name="landmarks_TTP"' in plan.text and "Prior ifosfamide" in plan.text  # the study.yaml label
    # the plan form: OS by sex instead of cr2, confirmation on; the YAML shown follows
    form = {"csrf_token": tok, "title": "HDIFO web", "time_unit": "months", "confirmation": "on",
            "confirmation_days": "28", "sd_min_days": "42", "censor_at_new_therapy": "", "landmarks_OS": "12, 24",
            "landmarks_PFS": "6", "cox_OS": "sex", "cox_PFS": "prior_ifosfamide", "p_style": "default",
            "percent_decimals": "", "action": "save", "ref_prior_ifosfamide": "yes", "landmarks_DOR": "6"}
    form.pop("censor_at_new_therapy")
    r = client.post(f"/studies/{sid}/plan", data=form)
    assert r.status_code == 200 and "The plan was saved" in r.text
    assert "OS:\n  - sex" in r.text.replace("&#39;", "'") and "confirmation: true" in r.text
    r = client.post(f"/studies/{sid}/plan", data={**form, "action": "run"}, follow_redirects=False)
    assert r.status_code == 303
    rid = r.headers["location"].rsplit("/", 1)[1]
    progress = client.get(f"/runs/{rid}")
    assert progress.status_code == 200
    assert wait_run(client, rid)["status"] == "done"
    page = client.get(f"/runs/{rid}")
    assert page.status_code == 200 and 'id="results-text"' in page.text
    data = client.get(f"/api/runs/{rid}/files/results.json").json()
    assert data["plan"]["cox"]["OS"] == ["sex"] and data["plan"]["response"]["confirmation"] is True
    # the reference level chosen in the form: prior ifosfamide "yes" is the reference of the PFS model
    assert data["plan"]["labels"]["prior_ifosfamide"]["reference"] == "Yes"   # the level as labelled
    assert data["plan"]["labels"]["prior_ifosfamide"]["label"] == "Prior ifosfamide"  # own study.yaml kept
    pfs = next(m for m in data["cox"] if m["endpoint"] == "PFS" and m["covariates"] == ["prior_ifosfamide"])
    assert [(t["level"], t["reference"]) for t in pfs["terms"]] == [("No", "Yes")]
    assert data["plan"]["landmarks"]["DOR"] == [6]
    # every number of the Results paragraph is the value at its results.json path
    p = Nums()
    p.feed(page.text)
    assert len(p.found) >= 5
    for path, value in p.found:
        assert resolve(data, path) == value, path
    # the report's tables and figures are on the page
    assert "table-response" in page.text and "/figures/km_os.svg" in page.text
    assert client.get(f"/runs/{rid}/figures/km_os.svg").status_code == 200
    assert client.get(f"/runs/{rid}/figures/..%2Fresults.json").status_code == 404
    # interactive KM: overall median equals results.json
    km = client.get(f"/runs/{rid}/km.json", params={"endpoint": "OS"}).json()
    assert km["groups"][0]["median"] == data["survival"]["OS"]["median"]["value"]
    assert km["risk"][0]["n_risk"][0] == data["survival"]["OS"]["n"]
    by = client.get(f"/runs/{rid}/km.json", params={"endpoint": "PFS", "by": "prior_ifosfamide"}).json()
    assert [g["name"] for g in by["groups"]] == ["no", "yes"]
    assert sum(g["n"] for g in by["groups"]) == data["survival"]["PFS"]["n"]
    assert client.get(f"/runs/{rid}/km.json", params={"endpoint": "OS", "by": "nope"}).status_code == 404
    # downloads
    d = client.get(f"/runs/{rid}/download/report.docx")
    assert d.status_code == 200 and d.content[:2] == b"PK" and "attachment" in d.headers["content-disposition"]
    # a second run with the study's saved plan, then compare
    # (the example screens every characteristic univariably, so a multivariable OS model is what changes)
    r = client.post(f"/studies/{sid}/plan", data={**form, "cox_OS": ["cr2", "age"], "action": "run"},
                    follow_redirects=False)
    rid2 = r.headers["location"].rsplit("/", 1)[1]
    assert wait_run(client, rid2)["status"] == "done"
    cmp = client.get(f"/studies/{sid}/compare", params={"a": rid, "b": rid2})
    assert cmp.status_code == 200 and "cox.OS" in cmp.text and "changed" in cmp.text
    # audit trail: both runs with hash, version, author; no route changes it
    audit = client.get(f"/studies/{sid}/audit")
    assert audit.status_code == 200 and rid[:8] in audit.text and rid2[:8] in audit.text
    with client.app.state.sessions() as s:
        assert s.query(AuditEvent).filter_by(study_id=sid).count() >= 5
        assert s.get(RunRow, rid).input_hash != s.get(RunRow, rid2).input_hash
    methods = {m for route in client.app.routes for m in getattr(route, "methods", set())
               if "audit" in getattr(route, "path", "")}
    assert methods <= {"GET", "HEAD"}


def test_study_with_errors_page_has_no_run_button(client):
    files = mini_files()
    files = [(k, (n, d.replace(b"2019-02-04", b"2019-02-31", 1) if n == "patients.csv" else d, t))
             for k, (n, d, t) in files]
    tok = csrf(client)
    r = client.post("/studies/new", data={"csrf_token": tok}, files=files)
    assert r.status_code == 200 and "cannot be analysed" in r.text
    assert 'id="run-now"' not in r.text and "patients.csv" in r.text and "start_date" in r.text
    sid = str(r.url).rstrip("/").rsplit("/", 1)[1]
    assert client.post(f"/studies/{sid}/run", data={"csrf_token": tok}).status_code == 409
    assert client.get(f"/studies/{sid}/plan").status_code == 409


def test_plan_form_error_is_shown(client):
    tok = csrf(client)
    r = client.post("/studies/new", data={"csrf_token": tok}, files=mini_files())
    sid = str(r.url).rstrip("/").rsplit("/", 1)[1]
    r = client.post(f"/studies/{sid}/plan", data={"csrf_token": tok, "landmarks_OS": "six", "time_unit": "months",
                                                  "action": "save"})
    assert r.status_code == 422 and "not a number" in r.text


def test_upload_page_errors_are_readable(make_client):
    c = make_client(max_upload_mb=0.01)
    tok = csrf(c)
    r = c.post("/studies/new", data={"csrf_token": tok}, files=[("files", ("evil.exe", b"MZ", "x/y"))])
    assert r.status_code == 400 and "not a study file" in r.text
    r = c.post("/studies/new", data={"csrf_token": tok}, files=[("files", ("p.csv", b"x" * 20000, "text/csv"))])
    assert r.status_code == 413 and "limit" in r.text and "<html" in r.text.lower()


def test_token_pages_need_login(make_client):
    c = make_client(token="tok")
    r = c.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    tok = csrf(c, "/login")
    r = c.post("/login", data={"csrf_token": tok, "password": "wrong"})
    assert r.status_code == 401
    r = c.post("/login", data={"csrf_token": tok, "password": "tok", "next": "/"})
    assert r.status_code == 200 and "Studies" in r.text


def test_plan_refuses_an_unknown_reference_level(client):
    tok = csrf(client)
    r = client.post("/studies/example", data={"csrf_token": tok})
    sid = str(r.url).rstrip("/").rsplit("/", 1)[1]
    form = {"csrf_token": tok, "title": "x", "time_unit": "months", "confirmation_days": "28", "sd_min_days": "42",
            "p_style": "default", "percent_decimals": "", "action": "save", "ref_prior_ifosfamide": "maybe"}
    r = client.post(f"/studies/{sid}/plan", data=form)
    assert r.status_code == 422
    assert "reference level of prior_ifosfamide" in r.text and "&#39;maybe&#39; is not a level" in r.text
