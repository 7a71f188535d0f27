"""Headless Chromium for the page tests: Debian's binary, the flags this machine's closed network needs."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest


def chromium() -> str:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.skip("chromium is not installed (apt-get install -y chromium); the browser test needs it")


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}",
    ]
    result = subprocess.run([binary, *flags, *args], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@contextmanager
def browser_page(profile: Path) -> Iterator[Any]:
    """A Playwright page in Debian's headless Chromium (no browser download); skips where either is absent."""
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed "
                                                                   "(pip install '.[serve-test]')")
    binary = chromium()
    with playwright.sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(profile), executable_path=binary, headless=True, viewport={"width": 1280, "height": 900},
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
        try:
            yield context.new_page()
        finally:
            context.close()


WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def axe_violations(page: Any, context: str | None = None) -> list[str]:
    """axe-core's WCAG 2.1 A and AA violations on the page (or the part ``context`` selects), one line each."""
    axe = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python is not "
                              "installed (pip install '.[serve-test]')")
    results = axe.Axe().run(page, context=context, options=WCAG_21_AA).response
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in results["violations"]]
