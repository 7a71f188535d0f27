"""The pipeline-free scan (reading.PlainScanner) finds the sentences and sections the medspaCy pipeline finds.

The indications checklist reads a note the element pre-screen skipped from this scan, so its criteria must see the
same sentences and section categories there as in a note that went through the pipeline.
"""

from __future__ import annotations

from paths import ROOT

from notecheck.checker import Checker
from notecheck.reading import PlainScanner, normalize_newlines

NOTES = sorted(ROOT.glob("tests/*/*.txt")) + sorted(ROOT.glob("sample_notes/*.txt"))


def test_same_sentences_and_sections_as_the_pipeline(checker: Checker) -> None:
    plain = PlainScanner(checker.patterns.sections)
    total = same = same_section = 0
    for path in NOTES:
        text = checker._normalize(normalize_newlines(path.read_text(encoding="utf-8", errors="replace"))).text
        full = {(s.start, s.start + len(text[s.start:s.end].rstrip())): s.section
                for s in checker.scanner(text).sentences}
        light = {(s.start, s.end): s.section for s in plain(text).sentences}
        total += len(full)
        same += len(full.keys() & light.keys())
        same_section += sum(full[k] == light[k] for k in full.keys() & light.keys())
    assert total > 5000
    assert same / total > 0.98 and same_section / total > 0.98, (total, same, same_section)


def test_sentences_quote_the_text_and_carry_their_section(checker: Checker) -> None:
    text = ("REFERRAL LETTER\n\nHPI: Pain today 8/10. Dr. Smith saw her on 03/11/2024.\n"
            "Medications: acetaminophen 1 g TID,\noxycodone prn.\n\nPlan: IR consult.")
    scan = PlainScanner(checker.patterns.sections)(text)
    assert [s.text for s in scan.sentences] == [
        "REFERRAL LETTER", "HPI: Pain today 8/10.", "Dr. Smith saw her on 03/11/2024.",
        "Medications: acetaminophen 1 g TID, oxycodone prn.", "Plan: IR consult."]
    assert [s.section for s in scan.sentences][1:] == ["history", "history", "history", "plan"]
    assert all(" ".join(text[s.start:s.end].split()) == s.text for s in scan.sentences)
    assert scan.mentions == () and not scan.prescreened
    assert [(s.start, s.section) for s in scan.sentences] == [
        (s.start, s.section) for s in checker.scanner(text).sentences]
