"""The docs site in a real browser (Playwright driving Debian's Chromium).

Run by ``make test-docs`` after ``make docs`` has staged ``build/docs`` (the executed
lessons and the API pages); the first fixture builds the site from that stage into a fresh
folder, so the test sees what ``mkdocs build`` makes now. Skipped without Playwright or
Chromium. Screenshots of three pages go to ``build/docs-screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

pytestmark = pytest.mark.docs

ROOT = Path(__file__).resolve().parents[2]
STAGE = ROOT / "build" / "docs"
SHOTS = ROOT / "build" / "docs-screenshots"
LESSONS = sorted(p.stem for p in (ROOT / "lessons").glob("*.py") if not p.stem.startswith("_"))
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _chromium():
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Build the site from build/docs into a temporary folder (staging it first if absent)."""
    if not (STAGE / "lessons").is_dir():
        subprocess.run([sys.executable, str(ROOT / "docsite" / "build.py")], check=True, cwd=ROOT)
    out = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        check=True, cwd=ROOT,
    )
    return out


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    exe = _chromium()
    if exe is None:
        pytest.skip("no Chromium (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS)
        yield b
        b.close()


def _pages(site: Path) -> list:
    """Every page's folder relative to the site root ("" for the front page)."""
    rels = (p.parent.relative_to(site).as_posix() for p in site.rglob("index.html"))
    return sorted("" if r == "." else r for r in rels if not r.startswith("assets"))


def _open(browser, url):
    """Load ``url``; return the page and the console errors, failed requests and exceptions."""
    page = browser.new_page()
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"exception: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.goto(url, wait_until="load")
    page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise")
    page.evaluate("MathJax.startup.promise")
    return page, problems


def test_every_page_loads_without_errors_and_its_links_resolve(site, server, browser):
    pages = _pages(site)
    assert len(pages) >= 20, pages  # home, 6 lessons, 5 guides, 8 API pages, ...
    broken, errors = [], {}
    for rel in pages:
        url = urljoin(server, rel + "/" if rel else "")
        page, problems = _open(browser, url)
        if problems:
            errors[rel or "/"] = problems
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            parts = urlsplit(href)
            if not href.startswith(server) or parts.path.endswith("/search.html"):
                continue
            target = site / parts.path.lstrip("/")
            if not (target.is_file() or (target / "index.html").is_file()):
                broken.append(f"{rel or '/'} -> {parts.path}")
        page.close()
    assert not errors, errors
    assert not broken, sorted(set(broken))


@pytest.mark.parametrize("lesson", LESSONS)
def test_each_lesson_page_shows_equations_and_figures(server, browser, lesson):
    page, problems = _open(browser, urljoin(server, f"lessons/{lesson}/"))
    n_math = page.evaluate("document.querySelectorAll('mjx-container').length")
    n_errors = page.evaluate("document.querySelectorAll('mjx-merror').length")
    n_figures = page.evaluate(
        "[...document.querySelectorAll('article img')]"
        ".filter(i => i.complete && i.naturalWidth > 0).length"
    )
    page.close()
    assert n_math >= 5, f"{lesson}: {n_math} rendered equations"
    assert n_errors == 0, f"{lesson}: {n_errors} equations MathJax could not typeset"
    assert n_figures >= 1, f"{lesson}: no figure shown"
    assert not problems, problems


def test_the_api_reference_renders_the_models_equations(server, browser):
    page, problems = _open(browser, urljoin(server, "api/models/"))
    text = page.inner_text("article")
    n_math = page.evaluate("document.querySelectorAll('mjx-container').length")
    n_errors = page.evaluate("document.querySelectorAll('mjx-merror').length")
    page.close()
    for name in ("RBM", "VAE", "GAN", "NADE", "PixelCNN", "n_hidden", "random_state"):
        assert name in text
    assert n_math >= 10 and n_errors == 0, (n_math, n_errors)
    assert not problems, problems


def test_search_finds_free_energy(server, browser):
    page, _ = _open(browser, server)
    page.set_viewport_size({"width": 1280, "height": 800})  # the search box is in the header
    page.click("input.md-search__input")
    page.keyboard.type("free energy")
    page.wait_for_selector(".md-search-result__item", timeout=15000)
    hits = page.inner_text(".md-search-result")
    page.close()
    assert "free energy" in hits.lower()


def test_screenshots_of_three_pages(server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for rel, name in (("", "home"), ("lessons/rbm/", "lesson-rbm"), ("api/models/", "api-models")):
        page, _ = _open(browser, urljoin(server, rel))
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        page.close()
        assert path.stat().st_size > 10_000, f"{path} looks empty"
