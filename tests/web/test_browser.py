"""Browser tests: Playwright driving Debian's chromium (/usr/bin/chromium; no browser download).

The whole flow on the example study, a study with errors, the plan form changing a covariate, the DOCX
download; screenshots of every page at 1280 px and 400 px go to test-artifacts/web/ (looked at by a person).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from oncoseries.examples import example_study_path

from .test_serve import start_server, stop_server

CHROMIUM = "/usr/bin/chromium"
ART = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Debian's chromium (apt-get install chromium) for the browser tests")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc, base = start_server(tmp_path_factory.mktemp("browser"))
    yield base
    stop_server(proc)


@pytest.fixture(scope="module")
def browser():
    ART.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--headless", "--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def new_page(browser, width: int):
    ctx = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = ctx.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


def shot(page, name: str) -> None:
    """Save the screenshot, and check that every visible form field of the page has a label."""
    page.screenshot(path=str(ART / f"{name}-{page.viewport_size['width']}.png"), full_page=True)
    unlabelled = page.evaluate("""Array.from(document.querySelectorAll('input, select, textarea'))
        .filter(e => e.type !== 'hidden' && (!e.labels || e.labels.length === 0)).map(e => e.name || e.id)""")
    assert unlabelled == [], f"{name}: fields without a label: {unlabelled}"


def test_whole_flow_on_the_example(server, browser, tmp_path):
    page = new_page(browser, 1280)
    page.goto(server + "/")
    shot(page, "01-home")
    page.click("#try-example")
    expect(page.locator(".notice.ok")).to_contain_text("The study is usable")
    shot(page, "02-validation")
    study_url = page.url
    page.click("text=Plan the analysis")
    expect(page.locator("h1")).to_have_text("Analysis plan")
    # the plan form: OS by sex instead of cr2 (keyboard-operable checkboxes with labels)
    page.locator("fieldset.covs").first.get_by_role("checkbox", name="cr2").uncheck()  # OS fieldset first
    page.locator("fieldset.covs").first.get_by_role("checkbox", name="sex").check()
    shot(page, "03-plan")
    page.click("#save-run")
    expect(page.locator("h1")).not_to_have_text("Analysis plan")
    shot(page, "04-run-progress")
    expect(page.locator("#results-text")).to_be_visible(timeout=240_000)
    # the interactive KM drew, then by a covariate: one row of numbers at risk per level
    expect(page.locator("#km-plot .main-svg").first).to_be_visible(timeout=20_000)
    expect(page.locator("#km-risk tbody tr")).to_have_count(1)
    page.select_option("#km-endpoint", "OS")
    page.select_option("#km-by", "sex")
    expect(page.locator("#km-risk tbody tr")).to_have_count(2)
    expect(page.locator("#km-medians tbody tr").first).to_contain_text("female")
    page.evaluate("Plotly.Fx.hover('km-plot', [{curveNumber: 0, pointNumber: 5}])")
    expect(page.locator("#km-plot .hovertext").first).to_contain_text("at risk")
    for img in page.locator(".figures img").all():      # lazy images load when scrolled to
        img.scroll_into_view_if_needed()
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("i => i.naturalWidth") > 0
    expect(page.locator(".figures figcaption").first).to_contain_text("Kaplan-Meier")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "05-results")
    yaml_used = page.request.get(page.url.replace("/runs/", "/api/runs/") + "/files/results.json").json()
    assert yaml_used["plan"]["cox"]["OS"] == ["sex"]
    with page.expect_download() as dl:
        page.click("#dl-docx")
    path = tmp_path / "report.docx"
    dl.value.save_as(path)
    assert path.read_bytes()[:2] == b"PK" and path.stat().st_size > 10_000
    run_url = page.url
    page.goto(study_url.rstrip("/") + "/audit")
    expect(page.locator("#audit-runs")).to_contain_text(run_url.rsplit("/", 1)[1][:8])
    shot(page, "06-audit")
    assert not page.errors, page.errors
    # the same pages on a 400 px phone: no horizontal scrolling of the page itself
    phone = new_page(browser, 400)
    for name, url in [("01-home", "/"), ("02-validation", study_url), ("03-plan", study_url + "/plan"),
                      ("05-results", run_url), ("06-audit", study_url + "/audit")]:
        phone.goto(url if url.startswith("http") else server + url)
        if name == "05-results":
            expect(phone.locator("#km-plot .main-svg").first).to_be_visible(timeout=20_000)
        shot(phone, name)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"{name}: page is {width} px wide on a 400 px screen"
    assert not phone.errors, phone.errors


def test_study_with_errors(server, browser, tmp_path):
    folder = tmp_path / "bad"
    shutil.copytree(example_study_path("mini"), folder)
    p = folder / "patients.csv"
    p.write_text(p.read_text().replace("2019-02-04", "2019-02-31", 1))
    page = new_page(browser, 1280)
    page.goto(server + "/studies/new")
    shot(page, "07-new-study")
    page.set_input_files("#files", [str(folder / "patients.csv"), str(folder / "lesions.csv")])
    expect(page.locator("#chosen li")).to_have_count(2)
    page.keyboard.press("Tab")
    page.click("text=Upload and check")
    expect(page.locator(".notice.error")).to_contain_text("cannot be analysed")
    row = page.locator("#problems tbody tr").first
    expect(row).to_contain_text("error")
    expect(row).to_contain_text("patients.csv")
    expect(row).to_contain_text("start_date")
    expect(row.locator("td").nth(2)).to_have_text("3")
    assert page.locator("#run-now").count() == 0
    shot(page, "08-errors")
    phone = new_page(browser, 400)
    phone.goto(page.url)
    shot(phone, "08-errors")


def test_keyboard_reaches_the_example_button(server, browser):
    page = new_page(browser, 1280)
    page.goto(server + "/")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "try-example":
            break
    assert page.evaluate("document.activeElement.id") == "try-example"


def test_api_docs_render_offline(server, browser):
    page = new_page(browser, 1280)
    page.goto(server + "/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=20_000)
    expect(page.locator(".swagger-ui")).to_contain_text("/api/studies/{study_id}/runs")
    assert not page.errors, page.errors
