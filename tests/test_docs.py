"""The docs site (mkdocs.yml, docs/) builds with --strict, loads nothing from outside the site, and the README stays a
short front door whose links all resolve."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from paths import ROOT

README_MAX_LINES = 200
USER_PAGES = ["coders.md", "cdi.md", "qa.md", "spark.md", "integrators.md", "patterns.md", "accuracy.md",
              "architecture.md"]
# Anything a page would fetch: script, stylesheet, image, icon, iframe or font sources, and CSS imports and urls.
FETCHED = re.compile(r"""<(?:script|img|iframe|source)\b[^>]*\bsrc=["']([^"']+)|<link\b[^>]*\bhref=["']([^"']+)"""
                     r"""|@import\s+(?:url\()?["']?([^"')\s]+)|url\(["']?([^"')]+)""", re.IGNORECASE)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mkdocs", reason="MkDocs is not installed (pip install '.[docs]' in the clone)")
    pytest.importorskip("material", reason="mkdocs-material is not installed (pip install '.[docs]' in the clone)")
    out = tmp_path_factory.mktemp("docs") / "site"
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out


def test_every_user_has_a_built_page(site: Path) -> None:
    for page in USER_PAGES:
        html = (site / page.replace(".md", ".html")).read_text(encoding="utf-8")
        assert "<h1" in html, page
    architecture = (site / "architecture.html").read_text(encoding="utf-8")
    assert "How a note flows through notecheck" in architecture and "--8&lt;--" not in architecture


def test_the_site_fetches_nothing_from_outside_it(site: Path) -> None:
    """No CDN font, script or stylesheet: Material's Google Fonts are off and the offline plugin's file:// search
    shim is the vendored copy."""
    outside = []
    for path in sorted(site.rglob("*")):
        if path.suffix not in (".html", ".css"):
            continue
        for groups in FETCHED.findall(path.read_text(encoding="utf-8", errors="replace")):
            url = next(g for g in groups if g)
            if re.match(r"(?:[a-z][a-z0-9+.-]*:)?//", url, re.IGNORECASE) and not url.startswith("data:"):
                outside.append(f"{path.relative_to(site)}: {url}")
    assert not outside, outside[:20]
    assert "fonts.googleapis" not in (site / "index.html").read_text(encoding="utf-8")


def test_the_site_works_from_the_file_system_with_no_request_outside_it(site: Path) -> None:
    """Opened as files in headless Chromium (Debian's): pages render, search answers, every request is file://."""
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed "
                                                                   "(pip install '.[serve-test]')")
    if not Path("/usr/bin/chromium").is_file():
        pytest.skip("chromium is not installed (apt-get install -y chromium); the offline docs test needs it")
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                         args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page()
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto((site / "spark.html").as_uri())
        assert "PYSPARK_PYTHON" in page.text_content("article")
        page.click(".md-search__input")
        page.keyboard.type("wheel")  # the theme searches on key events, which fill() does not send
        page.wait_for_selector(".md-search-result__item", timeout=30_000)
        browser.close()
    assert requests and all(url.startswith(("file://", "data:", "blob:")) for url in requests), requests


def test_readme_is_short_and_its_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= README_MAX_LINES
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [t for t in targets if not re.match(r"[a-z]+://", t)]
    assert {f"docs/{page}" for page in USER_PAGES} <= set(local), "README links every user's page"
    assert [t for t in local if not (ROOT / t).exists()] == []
    for command in ("pip install . && .venv/bin/notecheck check sample_notes/*.txt",
                    "pip install '.[test]' && .venv/bin/python -m pytest"):
        assert command in readme, "the two quick-start commands"
