"""Two readers, one verdict: where the learned reader does not back the rules' code, the verdict is review, on
every surface, with the reason first; the rules' code and evidence stay for the person who reads the note."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from notecheck import Checker
from notecheck.learning import LearnedReader
from paths import SAMPLES

UNREACHABLE = 1.01  # above any probability: the learned reader backs no code, so every anchored note is in review


def _unsure_checker() -> Checker:
    """The real checker and the shipped reader, whose threshold no reading can reach."""
    checker = Checker()
    reader = LearnedReader.load()
    reader.meta["threshold"] = UNREACHABLE
    checker.__dict__["reader"] = reader  # fills the cached_property
    return checker


def test_a_note_the_reader_does_not_back_is_in_review_with_the_rules_code_kept() -> None:
    text = (SAMPLES / "bilateral_complete.txt").read_text(encoding="utf-8")
    rules = Checker(learned=False).check_text(text)
    report = _unsure_checker().check_text(text)
    assert rules.verdict == "complete" and report.verdict == "review" and not report.complete
    assert report.verdict_reasons[0].startswith("The learned reader is unsure")
    assert "1.01" in report.verdict_reasons[0] and report.verdict_reasons[1:] == rules.verdict_reasons
    assert [f.kind for f in report.findings] == [*(f.kind for f in rules.findings), "review"]
    assert (report.suggested_code, report.laterality, report.elements) == (rules.suggested_code, rules.laterality,
                                                                           rules.elements)


def test_a_note_without_a_sacral_anchor_is_never_in_review() -> None:
    report = _unsure_checker().check_text("Right knee arthroscopy under fluoroscopy; no cement.")
    assert report.learned is None and report.verdict == "not_applicable"


def test_the_shipped_reader_agrees_on_a_clear_note(checker: Checker) -> None:
    report = checker.check_text((SAMPLES / "bilateral_complete.txt").read_text(encoding="utf-8"))
    assert report.verdict == "complete" and report.learned is not None


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "notecheck.cli", *args], capture_output=True, text=True,
                          timeout=600, cwd=root)


def test_audit_lists_notes_in_review_first_in_csv_and_html(root: Path, tmp_path: Path, checker: Checker) -> None:
    """results.jsonl keeps input order; results.csv and report.html put the notes in review first."""
    notes, out = tmp_path / "notes", tmp_path / "audit"
    notes.mkdir()
    for path in SAMPLES.glob("*.txt"):
        (notes / path.name).write_bytes(path.read_bytes())
    done = _run(root, "audit", str(notes), "--out", str(out), "--quiet")
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    review = [r["note_id"] for r in rows if r["outcome"] == "review"]
    expected = [path.stem for path in sorted(SAMPLES.glob("*.txt"))
                if checker.check_text(path.read_text(encoding="utf-8"), path.stem).verdict == "review"]
    assert review and sorted(review) == sorted(expected)
    assert done.returncode == 1  # review fails the night by default, as incomplete does
    order = review + [r["note_id"] for r in rows if r["outcome"] != "review"]
    with (out / "results.csv").open(encoding="utf-8", newline="") as table:
        assert [row["note_id"] for row in csv.DictReader(table)] == order
    html = (out / "report.html").read_text(encoding="utf-8")
    positions = [html.index(f'data-id="{note.lower()}"') for note in order]
    assert positions == sorted(positions)
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["outcomes"]["review"] == len(review)


def test_negatives_reports_codes_in_review_apart(root: Path, checker: Checker) -> None:
    reports = [checker.check_text(p.read_text(encoding="utf-8"), p.stem) for p in sorted(SAMPLES.glob("*.txt"))]
    outside = sum(r.suggested_code is not None and r.verdict != "review" for r in reports)
    inside = sum(r.suggested_code is not None and r.verdict == "review" for r in reports)
    assert inside  # the shipped reader does not back laterality_spread's 0201T
    done = _run(root, "negatives", *map(str, sorted(SAMPLES.glob("*.txt"))), "--max-flagged", str(outside))
    assert done.returncode == 0, done.stderr
    assert f"{outside} notes with a suggested code outside review" in done.stdout
    assert f"{inside} notes with a suggested code in review" in done.stdout


def test_held_out_mtsamples_rows_get_no_code_outside_review_and_few_in_review(root: Path, checker: Checker) -> None:
    """The real-note bar on the 1,000 MTSamples rows no training ever read (index divisible by 5): no code outside
    review, at most 1% in review."""
    from notecheck.learning.data import MTSAMPLES, mtsamples_rows, mtsamples_split

    if not (root / MTSAMPLES).is_file():
        pytest.skip(f"{root / MTSAMPLES} is absent (../shared/ beside the project root)")
    _, held = mtsamples_split(mtsamples_rows(root / MTSAMPLES))
    reports = [checker.check_text(note.text, note.note_id) for note in held]
    assert len(reports) == 1000
    assert [r.note_id for r in reports if r.suggested_code and r.verdict != "review"] == []
    assert sum(r.verdict == "review" for r in reports) <= 10
