"""Normalisation: exports and dictation read as typed text, while evidence still points into the note as written."""

from __future__ import annotations

import re

import pytest

from notecheck.reading import Normalizer
from notecheck.rules import load_patterns


@pytest.fixture(scope="module")
def normalize() -> Normalizer:
    return Normalizer(load_patterns().normalize)


@pytest.mark.parametrize(("raw", "canonical"), [
    ("{\\rtf1\\ansi{\\fonttbl{\\f0 Arial;}}\\b PROCEDURE:\\b0 sacroplasty\\par Cement\\tab 3 mL\\par}",
     "PROCEDURE: sacroplasty\nCement: 3 mL\n"),
    ("<p>Biopsy:&nbsp;none</p><br>PMMA &amp; needle", "\nBiopsy: none\n\nPMMA & needle"),
    ("Cement vol RIGHT (mL) ........ 3.5\nBalloon      No\nLevel   Side   Vol",
     "Cement vol RIGHT (mL): 3.5\nBalloon: No\nLevel   Side   Vol"),
    ("no balloon was needed period PMMA was injected comma 3 mL period new paragraph flora scopic",
     "no balloon was needed. PMMA was injected, 3 mL.\n\nfluoroscopic"),
    ("the needle on the right comma correction comma left comma then the other", None),
    ("a period of rest. The recovery period was short.", "a period of rest. The recovery period was short."),
])
def test_canonical_text(normalize: Normalizer, raw: str, canonical: str | None) -> None:
    result = normalize(raw)
    if canonical is None:
        assert "right" not in result.text and "on the left" in result.text
    else:
        assert [line.split() for line in result.text.split("\n")] == [line.split() for line in canonical.split("\n")]


def test_offsets_map_back_to_the_note_as_written(normalize: Normalizer) -> None:
    raw = "<b>Technique:</b> P M M A was injected period Biopsy colon none period flora scopic guidance comma"
    result = normalize(raw)
    for word, written in [("PMMA", "P M M A"), ("fluoroscopic", "flora scopic"), ("none", "none"),
                          ("injected", "injected")]:
        start = result.text.index(word)
        first, last = result.to_original(start, start + len(word))
        assert raw[first:last] == written


def test_report_evidence_points_into_the_original(checker) -> None:
    note = ("{\\rtf1\\ansi PROCEDURE: Bilateral sacroplasty.\\par Under flora scopic guidance comma needles were "
            "placed into the right and left sacral ala period P M M A comma 3 mL comma was injected on each side "
            "period new paragraph No biopsy was obtained period\\par}")
    report = checker.check_text(note, note_id="rtf")
    assert report.suggested_code == "0201T"
    for element in report.elements.values():
        for evidence in element.evidence:
            assert note[evidence.start : evidence.end] == evidence.text
    cement = report.elements["cement_injection"].evidence[0]
    assert cement.text == "P M M A"
    assert report.elements["bone_biopsy"].status == "not_performed"


@pytest.mark.parametrize("raw", [
    "FAX 02/03/2024 FROM: RIDGE IR  PAGE 1/1\nPR0CEDURE: Sacrop1asty, bi1at-\n\n   Page 1 of 2\n\neral. Cernent 3 mL.",
    "## Procedure\n**Cement:** 3 mL\n\n| Side | Cement |\n|---|---|\n| Right | 3.0 mL |\n| Left | -- |\n",
    "MSH|^~\\&|A|B|C|D|20240301||ORU^R01|M|P|2.5\nOBX|1|NM|CEMVOL^Cement volume left^L||4.0|mL|||||F",
    "PROCEDURE: [LEFT/RIGHT] sacroplasty, {VOLUME} mL. Biopsy: Select: Yes/No",
])
def test_every_canonical_word_leads_back_into_the_note(normalize: Normalizer, raw: str) -> None:
    """Repairs, inserted table labels, HL7 field lines and masked placeholders all map back to words of the
    note as written, never outside it."""
    result = normalize(raw)
    assert result.passes
    for match in re.finditer(r"\w+", result.text):
        first, last = result.to_original(match.start(), match.end())
        assert 0 <= first <= last <= len(raw)


def test_holdout7_evidence_quotes_the_note_as_written(checker, root) -> None:
    for path in sorted((root / "tests" / "holdout7").glob("*.txt")):
        note = path.read_text(encoding="utf-8")
        report = checker.check_text(note, note_id=path.stem)
        quoted = [e for r in report.elements.values() for e in r.evidence]
        quoted += [e for f in report.findings for e in f.evidence]
        for evidence in quoted:
            assert note[evidence.start : evidence.end] == evidence.text, (path.stem, evidence.text)
