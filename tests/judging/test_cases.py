"""Data-driven cases, sqlfluff style: one JSON case file per element, and one per class of text as it arrives
(OCR, placeholders, Markdown, hard wraps, a side abandoned, aborted logs, HL7 saved as text, documents about an
earlier procedure), under tests/cases/.

Each case is a short note and what the checker must conclude; adding a trap means adding a case, not code. An
expectation may name its own element; 'reads' and 'unchanged' are words the canonical text must hold (a repair
made, or a look-alike left alone), 'no_findings' finding kinds the report must not have.
"""

from __future__ import annotations

import json

import pytest
from paths import TESTS

CASE_DIR = TESTS / "cases"


def _cases() -> list:
    params = []
    for file in sorted(CASE_DIR.glob("*.json")):
        data = json.loads(file.read_text(encoding="utf-8"))
        for case in data["cases"]:
            params.append(pytest.param(data.get("element"), case, id=f"{file.stem}:{case['name']}"))
    return params


@pytest.mark.parametrize(("element", "case"), _cases())
def test_case(checker, element, case) -> None:
    report = checker.check_text(case["text"], note_id=case["name"])
    expect = case["expect"]
    element = expect.get("element", element)
    if "status" in expect:
        result = report.elements[element]
        assert result.status == expect["status"], [e.model_dump() for e in result.evidence]
    if "sides" in expect:
        assert report.elements[element].sides == expect["sides"]
    for key in ("laterality", "suggested_code", "complete", "sacral_procedure"):
        if key in expect:
            assert getattr(report, key) == expect[key], (key, report.findings)
    for kind in expect.get("findings", []):
        assert kind in {f.kind for f in report.findings}, report.findings
    for kind in expect.get("no_findings", []):
        assert kind not in {f.kind for f in report.findings}, report.findings
    words = expect.get("reads", []) + expect.get("unchanged", [])
    if words:
        canonical = " ".join(checker.scan(case["text"]).text.split())
        for word in words:
            assert word in canonical, canonical


def test_every_element_has_a_case_file() -> None:
    from notecheck.rules import ELEMENT_IDS

    assert {p.stem for p in CASE_DIR.glob("*.json")} >= set(ELEMENT_IDS)
