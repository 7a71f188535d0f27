"""`notecheck eval` on the labeled development corpus, through the real CLI, with the accuracy bars."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from notecheck.commands.eval import Bars
from notecheck.evaluation import Label, score
from paths import SAMPLES

CORPUS = Path(__file__).resolve().parent / "corpus"


def test_corpus_is_labeled_one_to_one() -> None:
    ids = [json.loads(line)["id"] for line in (CORPUS / "labels.jsonl").open(encoding="utf-8")]
    assert len(ids) >= 90 and len(set(ids)) == len(ids)
    assert set(ids) == {p.stem for p in CORPUS.glob("*.txt")}


def test_eval_json_reports_every_metric() -> None:
    proc = subprocess.run([sys.executable, "-m", "notecheck.cli", "eval", str(CORPUS), str(CORPUS / "labels.jsonl"),
                           "--format", "json"], capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stderr.decode()
    result = json.loads(proc.stdout)
    assert result["notes"] >= 90
    assert set(result["elements"]) == {"bilateral_needle_placement", "cement_injection", "imaging_guidance",
                                       "cavity_creation", "bone_biopsy"}
    for key in ("code_accuracy", "complete_accuracy", "disagreements"):
        assert key in result


def test_score_counts_a_disagreement(checker) -> None:
    statuses = {e: "missing" for e in ("bilateral_needle_placement", "cement_injection", "imaging_guidance",
                                       "cavity_creation", "bone_biopsy")}
    label = Label(id="x", sacral=False, laterality="none", elements=statuses, expected_code="0201T")
    report = checker.check_text("Patient seen in clinic for knee pain.", note_id="x")
    result = score([(label, report)], {c: p.elements for c, p in checker.patterns.profiles.items()})
    assert result.code_accuracy == 0.0
    assert result.verdict_accuracy == 0.0  # the label implies 0201T incomplete; the clinic note is not applicable
    assert [d.field for d in result.disagreements] == ["suggested_code", "verdict"]


def test_min_bars_fail_with_exit_1(tmp_path: Path) -> None:
    note = tmp_path / "n1.txt"
    note.write_text("Patient seen in clinic for knee pain.")
    labels = tmp_path / "labels.jsonl"
    statuses = {e: "documented" for e in ("bilateral_needle_placement", "cement_injection", "imaging_guidance",
                                          "cavity_creation", "bone_biopsy")}
    labels.write_text(json.dumps({"id": "n1", "sacral": True, "laterality": "bilateral", "elements": statuses,
                                  "expected_code": "0201T"}) + "\n")
    proc = subprocess.run([sys.executable, "-m", "notecheck.cli", "eval", str(tmp_path), str(labels),
                           "--min-f1", "0.97", "--min-code-accuracy", "0.97"], capture_output=True, timeout=300)
    assert proc.returncode == 1
    assert "below --min-code-accuracy" in proc.stderr.decode()


BARS = [(CORPUS, "0.97", "0.97"), (CORPUS.parent / "holdout", "0.97", "0.97"),
        (CORPUS.parent / "holdout2", "0.95", "0.97"), (CORPUS.parent / "holdout3", "0.87", "0.97"),
        (CORPUS.parent / "holdout4", "0.68", "0.88"), (CORPUS.parent / "holdout5", "0.85", "0.97"),
        (CORPUS.parent / "holdout6", "0.84", "0.90"), (CORPUS.parent / "holdout7", "0.90", "0.97"),
        (CORPUS.parent / "holdout8", "0.93", "0.97"), (CORPUS.parent / "holdout9", "0.70", "0.82")]
REVIEW_BARS = {"holdout8": ("0.95", "0"), "holdout9": ("0.80", "1")}  # coverage, false codes not in review


@pytest.mark.parametrize(("folder", "min_f1", "min_code"), BARS, ids=[folder.name for folder, _, _ in BARS])
def test_corpus_meets_the_bars(folder: Path, min_f1: str, min_code: str) -> None:
    """The CI gate: no change may lower element F1 for 'documented' or code accuracy below the bars.

    Each set is gated just under its current figures (docs/accuracy.md), so no later change lowers them; the
    newer sets' bars are lower because they were written in styles the rules still miss (key=value exports,
    per-level tables, a cement total after a one-sided statement).
    """
    coverage, false_codes = REVIEW_BARS.get(folder.name, ("0", "1000"))
    proc = subprocess.run([sys.executable, "-m", "notecheck.cli", "eval", str(folder), str(folder / "labels.jsonl"),
                           "--min-f1", min_f1, "--min-code-accuracy", min_code, "--min-coverage", coverage,
                           "--max-false-codes", false_codes], capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stdout.decode()[-3000:] + proc.stderr.decode()


def test_no_code_on_real_mtsamples_notes(shared: Path) -> None:
    """None of the 4,999 MTSamples notes is a sacroplasty: any suggested code is a false positive."""
    csv_path = shared / "corpora" / "mtsamples" / "mtsamples.csv"
    proc = subprocess.run([sys.executable, "-m", "notecheck.cli", "negatives", str(csv_path), "--id-column", "",
                           "--text-column", "transcription"], capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stdout.decode()
    assert "0 notes with a suggested code outside review" in proc.stdout.decode()


def test_review_bars_count_false_codes_only_outside_review(checker) -> None:  # type: ignore[no-untyped-def]
    """A false code on a note not in review is one a claim would carry unread: --max-false-codes counts those."""
    report = checker.check_text((SAMPLES / "bilateral_complete.txt").read_text(encoding="utf-8"))
    statuses = {e: "missing" for e in report.elements}
    label = Label.model_validate({"id": "n", "sacral": False, "laterality": "none", "elements": statuses,
                                  "expected_code": "none"})
    kept = score([(label, report)], {c: p.elements for c, p in checker.patterns.profiles.items()})
    assert (kept.false_codes, kept.false_codes_not_in_review, kept.coverage) == (1, 1, 1.0)
    assert Bars(max_false_codes=0).failures(kept) == ["1 false codes not in review, above --max-false-codes 0"]
    reviewed = score([(label, report.model_copy(update={"verdict": "review"}))],
                     {c: p.elements for c, p in checker.patterns.profiles.items()})
    assert (reviewed.false_codes, reviewed.false_codes_not_in_review, reviewed.coverage) == (1, 0, 0.0)
    assert Bars(max_false_codes=0, min_coverage=0.5).failures(reviewed) == [
        "coverage (not in review) 0.000 is below --min-coverage 0.5"]
