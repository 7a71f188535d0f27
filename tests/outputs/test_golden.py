"""Golden reports: every sample note's full JSON report must equal its committed expected file.

Regenerate after an intended change with `PYTHONPATH=tests python tests/outputs/test_golden.py --update` and review
the diff.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from paths import SAMPLES

EXPECTED = SAMPLES / "expected"


def _notes() -> list[Path]:
    return sorted(SAMPLES.glob("*.txt"))


def test_there_are_enough_sample_notes() -> None:
    assert len(_notes()) >= 12
    assert {p.stem for p in _notes()} == {p.stem for p in EXPECTED.glob("*.json")}


@pytest.mark.parametrize("note", _notes(), ids=lambda p: p.stem)
def test_golden_report(checker, note: Path) -> None:
    report = checker.check_text(note.read_text(encoding="utf-8"), note_id=note.stem)
    expected = json.loads((EXPECTED / f"{note.stem}.json").read_text(encoding="utf-8"))
    assert json.loads(report.model_dump_json()) == expected


@pytest.mark.parametrize("note", _notes(), ids=lambda p: p.stem)
def test_sample_labels_agree_on_code(checker, note: Path) -> None:
    """The golden files are regression data; the hand labels say what is right. They must agree on the code."""
    labels = {json.loads(line)["id"]: json.loads(line) for line in (SAMPLES / "labels.jsonl").open(encoding="utf-8")}
    report = checker.check_text(note.read_text(encoding="utf-8"), note_id=note.stem)
    assert (report.suggested_code or "none") == labels[note.stem]["expected_code"]
    assert report.laterality == labels[note.stem]["laterality"]


if __name__ == "__main__" and "--update" in sys.argv:
    from notecheck import Checker

    EXPECTED.mkdir(exist_ok=True)
    checker = Checker()
    for path in _notes():
        report = checker.check_text(path.read_text(encoding="utf-8"), note_id=path.stem)
        (EXPECTED / f"{path.stem}.json").write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
