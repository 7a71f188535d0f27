"""The HTML audit page: self-contained, escaped, deterministic, and its filter script runs in a real browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import chromium, run_chromium

from notecheck import Checker
from notecheck.models import AuditRow, Summary
from notecheck.outputs.html_report import render_html

BILATERAL = """INDICATION: Bilateral sacral insufficiency fractures; biopsy requested if marrow looks abnormal.

TECHNIQUE: Under fluoroscopic guidance, an 11-gauge needle was advanced into the right sacral ala and a second
needle into the left sacral ala. PMMA cement was injected into both sacral alae. No biopsy was obtained. No balloon
was used.
"""
UNILATERAL = """TECHNIQUE: Under CT guidance, an 11-gauge needle was placed into the left sacral ala and 3 mL of PMMA cement
was injected.
"""
EVIL_ID = 'x"><script>alert(1)</script>'
SCREENSHOT = Path("/tmp/notecheck_html.png")


@pytest.fixture(scope="module")
def rows(checker: Checker) -> list[AuditRow]:
    """A complete 0201T note, an incomplete 0200T note, and an error row whose id and error carry markup."""
    return [
        AuditRow(row=0, note_id="bi-001", source="notes/bi-001.txt", outcome="complete",
                 metadata={"provider": "Okafor", "department": "IR"},
                 report=checker.check_text(BILATERAL, note_id="bi-001")),
        AuditRow(row=1, note_id="uni-002", source="notes/uni-002.txt", outcome="incomplete",
                 metadata={"provider": "Lindqvist & Co", "department": "IR"},
                 report=checker.check_text(UNILATERAL, note_id="uni-002")),
        AuditRow(row=2, note_id=EVIL_ID, source="batch.csv:4", outcome="error", error="binary file <b>NUL</b>",
                 flags=["invalid UTF-8 replaced"], metadata={"provider": "Okafor", "department": "<ER>"}),
    ]


@pytest.fixture(scope="module")
def summary() -> Summary:
    return Summary(
        inputs=3,
        outcomes={"complete": 1, "incomplete": 1, "error": 1},
        codes={"0201T": 1, "0200T": 1, "none": 0},
        missing_rates={"bilateral_needle_placement": 0.5, "cement_injection": 0.0, "imaging_guidance": 0.0},
        by_metadata={
            "provider": {"Okafor": {"complete": 1, "error": 1}, "Lindqvist & Co": {"incomplete": 1}},
            "department": {"IR": {"complete": 1, "incomplete": 1}, "<ER>": {"error": 1}},
        },
        prescreened=0,
        flagged=1,
    )


def test_page_is_self_contained_escaped_and_deterministic(rows: list[AuditRow], summary: Summary) -> None:
    page = render_html(rows, summary, title="nightly <audit>")

    assert not re.search(r"(?:src|href)\s*=", page, re.IGNORECASE), "the page must load no resource"
    assert "http://" not in page and "https://" not in page and "url(" not in page
    assert page.count("<article ") == len(rows)
    for row in rows:
        assert f'id="row-{row.row}" data-outcome="{row.outcome}"' in page
    assert 'data-code="0201T"' in page and 'data-code="0200T"' in page

    assert "<script>alert(1)" not in page
    assert "x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "binary file &lt;b&gt;NUL&lt;/b&gt;" in page and "invalid UTF-8 replaced" in page
    assert "Lindqvist &amp; Co" in page and "&lt;ER&gt;" in page and "nightly &lt;audit&gt;" in page

    # both mentions of 'needle' in the one sentence are marked; the indication's biopsy is muted with its reason
    assert "<mark>needle</mark> was advanced into the right sacral ala and a second <mark>needle</mark> into" in page
    assert re.search(r"<p class=\"ev off\">[^<]*<mark>biopsy</mark>.*?not counted: indication section", page)
    assert page.count("<svg") >= 3 + len(summary.by_metadata)

    assert render_html(iter(rows), summary, title="nightly <audit>").encode() == page.encode()


def test_large_batch_stays_small(checker: Checker, root: Path, rows: list[AuditRow], summary: Summary) -> None:
    """5,000 notes give a page a browser opens: snippets only, at most three sentences per element."""
    long_note = checker.check_text((root / "tests/corpus/a001.txt").read_text(encoding="utf-8"), note_id="a001")
    templates = [*rows, rows[0].model_copy(update={"report": long_note})]
    batch = [templates[i % 4].model_copy(update={"row": i, "note_id": f"n{i}"}) for i in range(5000)]

    page = render_html(batch, summary)

    assert page.count("<article ") == 5000
    assert len(page.encode()) < 5000 * 4000
    for cell in re.findall(r"<td>((?:<p class=\"ev[^\"]*\">.*?</p>)+)", page):
        assert cell.count("<p class=\"ev") <= 3
    assert "+2 more sentences" in page  # a001's needle element: six mentions in five sentences


def test_filter_script_runs_in_headless_chromium(rows: list[AuditRow], summary: Summary, tmp_path: Path) -> None:
    binary = chromium()
    page = tmp_path / "audit.html"
    page.write_text(render_html(rows, summary), encoding="utf-8")

    dom = run_chromium(binary, tmp_path / "profile-all", "--dump-dom", page.as_uri()).stdout
    assert 'data-ready="1"' in dom, "the filter script did not run to its end"
    assert dom.count("<article ") == len(rows) and " hidden" not in dom
    assert "3 of 3 notes shown" in dom

    # '#errors' starts the page on the errors filter: only the error card stays visible
    dom = run_chromium(binary, tmp_path / "profile-errors", "--dump-dom", page.as_uri() + "#errors").stdout
    assert 'data-ready="1"' in dom and "1 of 3 notes shown" in dom
    hidden = re.findall(r'<article [^>]*id="row-(\d)"[^>]*\bhidden\b', dom)
    assert sorted(hidden) == ["0", "1"]

    SCREENSHOT.unlink(missing_ok=True)
    run_chromium(binary, tmp_path / "profile-shot", f"--screenshot={SCREENSHOT}", "--window-size=1280,2000",
                  page.as_uri())
    assert SCREENSHOT.stat().st_size > 0


REFERRAL = """Dear Dr. Okafor,

I am referring Mrs. D for evaluation for sacroplasty. MRI pelvis on 02/27/2024 showed an acute insufficiency
fracture of the left sacral ala. Pain today 8/10. She has been on acetaminophen and PT for the last 8 weeks.
"""


def test_prior_authorisation_view_runs_in_headless_chromium(checker: Checker, tmp_path: Path) -> None:
    """A referral's checklist has a view of its own: a badge, the checklist first on its card, a summary panel,
    and a filter ('#prior_auth') that shows only such notes."""
    from notecheck.batch.audit import summarize

    rows = [AuditRow(row=0, note_id="ref-001", source="notes/ref-001.txt", outcome="not_applicable",
                     report=checker.check_text(REFERRAL, note_id="ref-001")),
            AuditRow(row=1, note_id="bi-001", source="notes/bi-001.txt", outcome="complete",
                     report=checker.check_text(BILATERAL, note_id="bi-001"))]
    summary = summarize(rows, {c: p.elements for c, p in checker.patterns.profiles.items()})
    assert summary.prior_authorisation["pain_severity"]["documented"] == 1
    page = render_html(rows, summary)
    card = page[page.index('id="row-0"'):page.index('id="row-1"')]
    assert 'data-view="prior_auth"' in card and "prior authorisation</span>" in card
    assert card.index("Indications checklist") < card.index("<th>Element</th>")
    assert "Prior-authorisation checklists" in page and "prior authorisation (1)" in page

    binary = chromium()
    (tmp_path / "audit.html").write_text(page, encoding="utf-8")
    dom = run_chromium(binary, tmp_path / "profile", "--dump-dom",
                        (tmp_path / "audit.html").as_uri() + "#prior_auth").stdout
    assert 'data-ready="1"' in dom and "1 of 2 notes shown" in dom
    assert re.findall(r'<article [^>]*id="row-(\d)"[^>]*\bhidden\b', dom) == ["1"]
