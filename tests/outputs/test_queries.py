"""Provider queries: golden drafts for the sample notes, and a compliance lint over every query we draft.

The lint's banned list is written here, independently of patterns/queries/compliance.json, so loosening the
data cannot loosen the test (AHIMA/ACDIS Guidelines for Achieving a Compliant Query Practice, 2022 update).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from paths import CORPUS, ROOT, SAMPLES

from notecheck import PatternError, draft_queries, load_patterns

EXPECTED = SAMPLES / "expected_queries"
BANNED = [
    r"\b\d{5}\b", r"\b0\d{3}T\b", r"\bCPT\b", r"\bmodifier\b", r"\bbill", r"\breimburs", r"\bpayment\b",
    r"\bsupport(?:s|ed)? the code\b", r"\bplease document that\b", r"\bneeded to bill\b",
    r"\b(?:was|were) bilateral\b", r"\bbilateral sacroplasty was\b", r"\bincomplete\b",
]


def _notes() -> list[Path]:
    return sorted(SAMPLES.glob("*.txt")) + sorted(CORPUS.glob("*.txt"))


def lint(query, note_text: str) -> list[str]:
    problems = []
    words = " ".join([query.topic, query.question, *query.options])
    problems += [f"banned: {p}" for p in BANNED if re.search(p, words, re.IGNORECASE)]
    if not query.indicators:
        problems.append("no clinical indicators")
    flat = " ".join(note_text.split())
    for indicator in query.indicators:
        if indicator.quote not in flat:
            problems.append(f"indicator is not a verbatim quote: {indicator.quote[:60]}")
        if indicator.line < 1:
            problems.append("indicator without a line")
    if not query.question.strip().endswith((".", "?")):
        problems.append("question is not a sentence")
    if query.response == "multiple_choice":
        for needed in ("Other (please specify)", "Unable to determine"):
            if needed not in query.options:
                problems.append(f"options lack {needed!r}")
    elif query.options:
        problems.append("open-ended query with options")
    return problems


def test_every_drafted_query_is_compliant(checker) -> None:
    drafted = 0
    for path in _notes():
        text = path.read_text(encoding="utf-8")
        report = checker.check_text(text, note_id=path.stem)
        queries = draft_queries(report, checker.patterns)
        if report.complete:  # the indications checklist may still ask; it is a coverage aid, not the code
            assert [q for q in queries if not q.gap.startswith("indication_")] == [], path.stem
        for query in queries:
            drafted += 1
            assert lint(query, text) == [], (path.stem, query.gap)
    assert drafted >= 10


@pytest.mark.parametrize("note", sorted(SAMPLES.glob("*.txt")), ids=lambda p: p.stem)
def test_golden_queries(checker, note: Path) -> None:
    report = checker.check_text(note.read_text(encoding="utf-8"), note_id=note.stem)
    got = [q.model_dump() for q in draft_queries(report, checker.patterns)]
    assert got == json.loads((EXPECTED / f"{note.stem}.json").read_text(encoding="utf-8"))


def test_incomplete_samples_with_gaps_get_queries(checker) -> None:
    for stem, gap in [("missing_imaging", "missing_imaging_guidance"), ("missing_cement", "missing_cement_injection"),
                      ("missing_bilateral", "laterality_undetermined")]:
        report = checker.check_text((SAMPLES / f"{stem}.txt").read_text(encoding="utf-8"), note_id=stem)
        assert gap in [q.gap for q in draft_queries(report, checker.patterns)]


def test_a_leading_template_is_rejected_on_load(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(ROOT / "patterns", tmp_path / "patterns")
    template = tmp_path / "patterns" / "queries" / "laterality_undetermined.json"
    data = json.loads(template.read_text())
    data["question"] = "Please document that the sacroplasty was bilateral so we can bill 0201T."
    data["options"] = ["Left", "Right"]
    template.write_text(json.dumps(data))
    with pytest.raises(PatternError) as caught:
        load_patterns(tmp_path / "patterns")
    problems = "\n".join(caught.value.problems)
    assert "queries/laterality_undetermined.json: question/options: not compliant" in problems
    assert "must include Other (please specify), Unable to determine" in problems


def test_query_cli_json() -> None:
    proc = subprocess.run([sys.executable, "-m", "notecheck.cli", "query", "--format", "json",
                           str(SAMPLES / "missing_imaging.txt"), str(SAMPLES / "bilateral_complete.txt")],
                          capture_output=True, timeout=120)
    assert proc.returncode == 1
    first, second = (json.loads(line) for line in proc.stdout.decode().splitlines())
    coding = [[q["gap"] for q in note["queries"] if not q["gap"].startswith("indication_")] for note in (first, second)]
    assert coding == [["missing_imaging_guidance"], []]  # indication_* queries are the checklist's (issue 13)


if __name__ == "__main__" and "--update" in sys.argv:
    from notecheck import Checker

    EXPECTED.mkdir(exist_ok=True)
    checker = Checker()
    for path in sorted(SAMPLES.glob("*.txt")):
        report = checker.check_text(path.read_text(encoding="utf-8"), note_id=path.stem)
        queries = [q.model_dump() for q in draft_queries(report, checker.patterns)]
        (EXPECTED / f"{path.stem}.json").write_text(json.dumps(queries, indent=2) + "\n", encoding="utf-8")
