"""The coder's page in headless Chromium (Debian's, driven by Playwright) against the real server: paste a note,
press the button, read the verdict and the highlighted evidence from the DOM; keep the screenshot docs/coders.md shows."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from paths import ROOT
from serve_support import Server

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = ROOT / "docs" / "serve.png"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


@pytest.fixture()
def page(server: Server, tmp_path: Path) -> Iterator[object]:
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed "
                                                                   "(pip install '.[serve-test]')")
    if not CHROMIUM.is_file():
        pytest.skip("chromium is not installed (apt-get install -y chromium); the page test needs it")
    with playwright.sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 900}, accept_downloads=True)
        tab = context.new_page()
        tab.requests = []  # type: ignore[attr-defined]
        tab.on("request", lambda request: tab.requests.append(request.url))  # type: ignore[attr-defined]
        tab.goto(server.url + "/")
        tab.wait_for_selector("html[data-ready='1']")
        yield tab
        context.close()


def cli_report(path: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "notecheck.cli", "check", "--format", "json", str(path)],
                          capture_output=True, timeout=120, check=False)
    return json.loads(proc.stdout)


def check_in_page(page, note: Path) -> None:  # type: ignore[no-untyped-def]
    page.fill("#note", note.read_text(encoding="utf-8"))
    page.fill("#note-id", note.stem)
    page.click("#check")
    page.wait_for_selector(f"#result-note:text('({note.stem})')")


def test_paste_check_verdict_and_evidence(page, server: Server) -> None:  # type: ignore[no-untyped-def]
    note = ROOT / "sample_notes" / "bilateral_complete.txt"
    report = cli_report(note)
    check_in_page(page, note)

    assert page.text_content("[data-field=code]") == "Supports 0201T"
    assert page.text_content("[data-field=verdict]") == "Complete"
    assert page.text_content("[data-field=laterality]") == "Laterality: bilateral"
    for element, result in report["elements"].items():
        assert page.locator(f"tr[data-element={element}] td[data-status]").get_attribute("data-status") == \
            result["status"]

    # every counted evidence span is a <mark> holding exactly the matched words, at the report's offsets
    text = note.read_text(encoding="utf-8")
    needle = report["elements"]["bilateral_needle_placement"]["evidence"][0]
    mark = page.locator("#ev-bilateral_needle_placement-0")
    assert mark.text_content() == needle["text"] == text[needle["start"]:needle["end"]]
    assert mark.get_attribute("class") == "documented"
    assert page.locator("#note-view mark").count() >= len(report["elements"])
    assert page.text_content("#note-view") == text, "the note view must show the note unchanged"

    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000

    # clicking an element jumps to its evidence: the mark is focused and outlined
    page.click("tr[data-element=cement_injection] button")
    focused = page.evaluate("document.activeElement.dataset.element")
    assert focused == "cement_injection"
    assert "current" in page.evaluate("document.activeElement.className")

    assert all(url.startswith(server.url) for url in page.requests), page.requests


LABELS = {"documented": "documented", "not_performed": "not performed", "discounted": "not counted"}
NOTE_MARKS = """() => { const out = []; let at = 0;
  for (const node of document.getElementById('note-view').childNodes) {
    const size = node.textContent.length;
    if (node.nodeName === 'MARK') out.push({start: at, end: at + size, counted: node.className.split(' ')[0],
                                            label: node.dataset.label, id: node.id});
    at += size;
  }
  return out; }"""
STYLE = "(m) => { const s = getComputedStyle(m); return [s.boxShadow !== 'none', s.borderBottomStyle, " \
        "s.textDecorationLine, getComputedStyle(m, '::after').content]; }"


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _phrase_groups(result: dict) -> list[list[dict]]:
    """The report's evidence of one element by sentence and by how it counted, in the report's order."""
    groups: dict[tuple, list[dict]] = {}
    for ev in result["evidence"]:
        groups.setdefault((ev["sentence"], ev["counted"], ev["reason"]), []).append(ev)
    return list(groups.values())


def _assert_evidence_shown(page, report: dict) -> None:  # type: ignore[no-untyped-def]
    """Every evidence span is marked whole in the note, labelled with what it counted as; each element row is
    followed by its evidence phrases, tinted and labelled the same way, their matched words marked."""
    marks = page.evaluate(NOTE_MARKS)
    for element, result in report["elements"].items():
        for ev in result["evidence"]:
            (mark,) = [m for m in marks if m["start"] <= ev["start"] and ev["end"] <= m["end"]]
            assert mark["counted"] == ev["counted"] and LABELS[ev["counted"]] in mark["label"].split(", ")
        groups = _phrase_groups(result)
        phrases = page.locator(f"tr[data-evidence-for={element}] li.phrase")
        assert phrases.count() == min(3, len(groups)), element
        for index, group in enumerate(groups[:3]):
            phrase = phrases.nth(index)
            counted, reason = group[0]["counted"], group[0]["reason"]
            assert phrase.get_attribute("data-counted") == counted
            assert phrase.locator(".tag").text_content() == LABELS[counted] + (f": {reason}" if reason else "")
            marked = {_collapse(t).lower() for t in phrase.locator("q mark").all_text_contents()}
            assert marked and marked <= {_collapse(ev["text"]).lower() for ev in group}, (element, marked)
            assert _collapse(phrase.locator("q").text_content().strip("\u201c\u201d…")) in group[0]["sentence"]


def test_evidence_phrases_next_to_each_element_labelled_by_what_they_counted_as(page) -> None:  # type: ignore[no-untyped-def]
    """Documented, not performed and not counted each have a colour, a line style and a label in words (WCAG
    1.4.1); a row's phrase jumps to the phrase in the note, where the element's mentions then show their labels."""
    styles = {}
    for name in ("bilateral_complete", "negated_biopsy"):
        note = ROOT / "sample_notes" / f"{name}.txt"
        report = cli_report(note)
        check_in_page(page, note)
        _assert_evidence_shown(page, report)
        for counted in LABELS:
            if page.locator(f"#note-view mark.{counted}").count():
                styles[counted] = page.locator(f"#note-view mark.{counted}").first.evaluate(STYLE)[:3]
    assert len(styles) == 3 and len(set(map(tuple, styles.values()))) == 3, styles  # not by colour alone

    biopsy = report["elements"]["bone_biopsy"]["evidence"][0]  # negated_biopsy: "Bone biopsy ... was not obtained"
    page.click(f"tr[data-evidence-for=bone_biopsy] li.phrase >> nth=0 >> button:text('line {biopsy['line']}')")
    assert page.evaluate("document.activeElement.id") == "ev-bone_biopsy-0"
    assert page.evaluate("document.activeElement.textContent") == biopsy["text"]
    selected = page.locator("#note-view mark.selected")
    assert selected.count() == len(report["elements"]["bone_biopsy"]["evidence"])
    for index in range(selected.count()):
        assert selected.nth(index).evaluate(STYLE)[3] == '"not performed"'  # the label shows in the note
    assert page.locator("#note-view mark:not(.selected)").first.evaluate(STYLE)[3] == "none"
    assert "not performed" in page.text_content("#note-legend") and "not counted" in page.text_content("#note-legend")


def test_the_page_passes_axe_core(page) -> None:  # type: ignore[no-untyped-def]
    """axe-core's WCAG 2.1 A/AA and best-practice rules, on the page with a verdict, evidence and queries shown."""
    axe = pytest.importorskip("axe_playwright_python.sync_playwright",
                              reason="axe-playwright-python is not installed (pip install '.[serve-test]')")
    check_in_page(page, ROOT / "sample_notes" / "missing_bilateral.txt")
    page.click("tr[data-element=cement_injection] button")
    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
    results = axe.Axe().run(page, options={"runOnly": {"type": "tag", "values": tags}})
    assert results.violations_count == 0, results.generate_report()


def test_queries_copy_export_and_keyboard(page, server: Server) -> None:  # type: ignore[no-untyped-def]
    note = ROOT / "sample_notes" / "missing_bilateral.txt"
    page.fill("#note", note.read_text(encoding="utf-8"))
    page.fill("#note-id", note.stem)
    page.focus("#note")
    page.keyboard.press("Control+Enter")  # keyboard only
    page.wait_for_selector("#result-note:text('(missing_bilateral)')")
    assert page.text_content("[data-field=verdict]") == "Review: a person should read this note"
    assert page.locator("#findings li").count() >= 1
    assert page.locator("#queries article.query").count() >= 1
    assert "Laterality" in page.text_content("#queries article.query h4")
    page.click("#queries article.query button")
    page.wait_for_selector("#queries article.query button:text('Copied')")

    with page.expect_download() as download:
        page.click("#export")
    sheet = Path(download.value.path()).read_text(encoding="utf-8")
    cli = subprocess.run([sys.executable, "-m", "notecheck.cli", "check", "--format", "markdown", str(note)],
                         capture_output=True, timeout=120, check=False).stdout.decode()
    assert download.value.suggested_filename == "worksheet-missing_bilateral.md" and sheet == cli


def test_note_text_is_never_markup_and_the_page_fits_a_narrow_window(page) -> None:  # type: ignore[no-untyped-def]
    evil = ("TECHNIQUE: <img src=x onerror=\"document.title='pwned'\"> Under fluoroscopic guidance, needles were "
            "placed in the right and left sacral ala and PMMA cement was injected on both sides. <b>bold</b>")
    page.set_viewport_size({"width": 420, "height": 800})
    page.fill("#note", evil)
    page.click("#check")
    page.wait_for_selector("#result:not([hidden])")
    assert page.locator("#note-view img, #note-view b").count() == 0
    assert page.text_content("#note-view") == evil and page.title() != "pwned"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    page.fill("#note", "   ")
    page.click("#check")
    assert "Paste a note" in page.text_content("#error")


def test_several_txt_files_and_the_print_view(page) -> None:  # type: ignore[no-untyped-def]
    notes = [ROOT / "sample_notes" / name for name in ("unilateral_right.txt", "bilateral_complete.txt",
                                                         "lumbar_kyphoplasty_trap.txt")]
    page.set_input_files("#files", [str(p) for p in notes])
    page.wait_for_selector("#result-note:text('(unilateral_right)')")
    assert page.text_content("[data-field=code]") == "Supports 0200T"
    page.wait_for_function("document.querySelectorAll('#file-list button').length === 3 && "
                           "[...document.querySelectorAll('#file-list button')].every(b => b.textContent.includes('·'))")
    labels = page.locator("#file-list button").all_text_contents()
    assert labels[1].startswith("bilateral_complete · 0201T") and labels[2].startswith("lumbar_kyphoplasty_trap · no code")
    page.click("#file-list button >> nth=2")
    page.wait_for_selector("#result-note:text('(lumbar_kyphoplasty_trap)')")
    assert page.text_content("[data-field=code]") == "No code supported"

    page.emulate_media(media="print")
    assert not page.is_visible("#check") and not page.is_visible("#export")
    assert page.is_visible("#verdict") and page.is_visible("#note-view")


def test_openapi_page_renders_without_network(page, server: Server) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/docs")
    page.wait_for_selector(".opblock-summary-path[data-path='/v1/check/batch']", timeout=30_000)
    assert page.locator(".opblock").count() >= 7
    assert all(url.startswith(server.url) for url in page.requests), page.requests


def test_page_sends_the_api_key_the_coder_types(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    keyed = Server.start(tmp_path / "keyed.log", env={"NOTECHECK_API_KEY": "desk-key"}).wait_ready()
    try:
        page.goto(keyed.url + "/")
        page.wait_for_selector("html[data-ready='1']")
        page.fill("#note", (ROOT / "sample_notes" / "unilateral_right.txt").read_text(encoding="utf-8"))
        page.click("#check")
        page.wait_for_selector("#error:not([hidden])")
        assert "API key" in page.text_content("#error") and page.is_visible("#api-key")
        page.fill("#api-key", "desk-key")
        page.click("#check")
        page.wait_for_selector("#result:not([hidden])")
        assert page.text_content("[data-field=code]") == "Supports 0200T" and page.is_hidden("#error")
    finally:
        keyed.stop()


WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def assert_accessible(page) -> None:  # type: ignore[no-untyped-def]
    """axe-core (bundled by axe-playwright-python, no download) finds no WCAG 2.1 A/AA violation on the page as
    it stands."""
    axe = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python is not "
                                                                           "installed (pip install '.[serve-test]')")
    results = axe.Axe().run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()


def test_checklist_panel_is_a_coverage_aid_and_jumps_to_its_statements(page) -> None:  # type: ignore[no-untyped-def]
    """A referral (no code: the element pre-screen skips it) shows its indications checklist under its own
    coverage-aid heading, each criterion's status and value as the report has them; a criterion with a counted
    statement jumps to it in the note, marked apart from element evidence."""
    note = ROOT / "tests" / "preauth" / "p23_001.txt"
    report = cli_report(note)
    check_in_page(page, note)
    assert page.text_content("[data-field=code]") == "No code supported"
    assert "coverage aid, not a coding rule" in page.text_content("#ind-title")
    assert report["indications"]["notice"] in page.text_content("#ind-notice")
    for criterion, result in report["indications"]["criteria"].items():
        cell = page.locator(f"tr[data-criterion={criterion}] td[data-status]")
        assert cell.get_attribute("data-status") == result["status"], criterion
    assert page.text_content("tr[data-criterion=pain_severity] td:nth-child(3)") == "8/10 (threshold 5)"
    assert page.text_content("tr[data-criterion=failed_conservative_care] td:nth-child(3)") == \
        "8 weeks (threshold 6)"

    page.click("tr[data-criterion=pain_severity] button")
    focused = page.evaluate("[document.activeElement.className, document.activeElement.textContent]")
    pain = report["indications"]["criteria"]["pain_severity"]["evidence"][0]
    assert {"indication", "current"} <= set(focused[0].split()) and focused[1] == pain["text"]
    assert page.text_content("#note-view") == note.read_text(encoding="utf-8")
    assert_accessible(page)

    page.emulate_media(media="print")
    assert page.is_visible("#ind-panel")


def test_page_meets_wcag_21_aa_with_a_sacroplasty_note(page) -> None:  # type: ignore[no-untyped-def]
    """The whole page (verdict, elements, findings, checklist, queries, marked note) in both widths."""
    check_in_page(page, ROOT / "sample_notes" / "missing_bilateral.txt")
    assert page.is_visible("#ind-panel")
    assert_accessible(page)
    page.set_viewport_size({"width": 420, "height": 800})
    assert_accessible(page)
