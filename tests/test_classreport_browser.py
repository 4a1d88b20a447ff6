"""The class report in a real browser: headless Chromium (Debian's) driven by Playwright.

A small sample class is graded in the sandbox, with its similar submissions, and
``index.html`` is opened from the disk: no console error, every image loaded, the
student table sorts on a click, every link resolves, and a screenshot is saved.
Skipped, with the reason, where Playwright or Chromium is missing.

``CLASS_REPORT_SCREENSHOT=path.png`` also saves the screenshot there; the README's,
of the whole demo class, was made with :func:`screenshot` on ``make demo``'s report.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from autograder import report, sample, sandbox, similar, spec
from autograder.grade import grade_all

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
#: A few of the sample class: right (a notebook), mistaken, broken.
STUDENTS = ("correct_dave", "mistaken_01", "mistaken_02", "mistaken_03", "broken_syntax")

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
if not CHROMIUM.is_file():
    pytest.skip(f"no Chromium at {CHROMIUM} (Debian's chromium package; `make test` installs "
                "it as root)", allow_module_level=True)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """``index.html`` of the sample class, graded in the sandbox, similar pairs linked."""
    root = tmp_path_factory.mktemp("browser")
    assignment = spec.load("ps1")
    paths = [p for p in sample.make_class(assignment, root / "class") if p.stem in STUDENTS]
    for path in set(root.joinpath("class").iterdir()) - set(paths):
        path.unlink()
    out = root / "report"
    similar.run(assignment, root / "class", out / "similar")
    results = grade_all([(p.stem, p) for p in paths], assignment, jobs=2,
                        limits=sandbox.Limits(call_timeout=3, cell_timeout=3, load_timeout=10))
    report.write_all(results, assignment, out)
    return out / "index.html"


@pytest.fixture(scope="module")
def page(index):
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1200, "height": 900})
            tab.errors = []
            tab.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
            tab.on("request", lambda r: tab.errors.append(f"network: {r.url}")
                   if not r.url.startswith(("file:", "data:")) else None)
            tab.goto(index.as_uri())
            tab.wait_for_load_state("load")
            yield tab
        finally:
            browser.close()


def test_opens_without_console_errors_or_network(page):
    assert page.title().endswith("class report")
    assert page.errors == []


def test_every_image_loaded(page):
    sizes = page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.complete, i.naturalWidth])")
    assert len(sizes) >= 3
    assert all(done and width > 0 for done, width in sizes), sizes


def test_the_student_table_sorts_on_click(page):
    def column(k):
        return page.eval_on_selector_all(
            "#students-table tbody tr", f"rows => rows.map(r => r.cells[{k}].textContent)")
    header = page.locator("#students-table th")
    header.nth(1).click()
    totals = [float(t) for t in column(1)]
    assert totals == sorted(totals) and totals[0] < totals[-1]
    header.nth(1).click()
    assert [float(t) for t in column(1)] == sorted(totals, reverse=True)
    header.nth(0).click()
    names = column(0)
    assert names == sorted(names, key=str.lower) and len(names) == len(STUDENTS)
    assert page.errors == []


def test_every_link_resolves(page, index):
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    files = [Path(unquote(urlparse(h).path)) for h in hrefs if h.startswith("file:")]
    feedback = [f for f in files if f.parent.name == "feedback"]
    assert len(feedback) == len(STUDENTS)
    assert index.parent / "similar" / "index.html" in files
    assert all(f.is_file() for f in files), [f for f in files if not f.is_file()]


def screenshot(page, path: Path) -> None:
    """The top of the report (1200 x 1500 pixels) as a PNG: the README's picture."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": 1200,
                                                          "height": 1500})


def test_a_screenshot_is_saved(page, tmp_path):
    shot = tmp_path / "class-report.png"
    screenshot(page, shot)
    assert shot.stat().st_size > 10_000
    if os.environ.get("CLASS_REPORT_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["CLASS_REPORT_SCREENSHOT"])
