"""The learned reader as shipped: loaded from the package, deterministic, reading every note with a sacral anchor,
never changing what the rules report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from notecheck import Checker
from notecheck.learning import LearnedReader
from notecheck.learning.reader import MODEL_DIR
from paths import CORPUS, SAMPLES

MAX_MODEL_BYTES = 25_000_000


def test_the_model_ships_inside_the_package_and_is_small() -> None:
    files = [p for p in MODEL_DIR.rglob("*") if p.is_file()]
    assert (MODEL_DIR / "config.cfg").is_file() and (MODEL_DIR / "reader.cfg").is_file()
    assert sum(p.stat().st_size for p in files) <= MAX_MODEL_BYTES
    meta = LearnedReader.load().meta
    assert 0.5 <= meta["threshold"] < 1.0
    assert len(meta["config_sha256"]) == len(meta["data_sha256"]) == 64


def test_reading_is_deterministic_and_adds_up(checker: Checker) -> None:
    text = (SAMPLES / "bilateral_complete.txt").read_text(encoding="utf-8")
    first, second = checker.check_text(text).learned, checker.check_text(text).learned
    assert first is not None and first == second
    assert sum(first.probabilities.values()) == pytest.approx(1.0, abs=1e-3)
    assert first.performed == pytest.approx(1.0 - first.probabilities["none"], abs=1e-3)


def test_reads_every_anchored_note_even_when_the_element_pre_screen_skips_it(checker: Checker) -> None:
    """A note with a sacral anchor but no element vocabulary skips the medspaCy pipeline, not the reader."""
    report = checker.check_text("Clinic visit. Sacral pressure injury stage 2, dressing changed. Follow up in 1 week.")
    assert report.prescreened and report.learned is not None
    assert report.learned.probabilities["none"] > 0.5
    assert checker.check_text("Knee pain, improving with physiotherapy.").learned is None  # no sacral anchor


RULES_ONLY = ("suggested_code", "laterality", "elements", "ledger", "encounter", "missing_required", "profile",
              "indications")


def test_the_reader_never_changes_what_the_rules_report() -> None:
    """Element statuses, evidence and code are the rules' alone: equal with the reader off; where the two agree
    the report is the rules' report, and where they do not, the verdict is review, the rules' reasons after its."""
    with_reader, rules_only = Checker(), Checker(learned=False)
    for path in sorted(CORPUS.glob("*.txt"))[::5] + sorted(SAMPLES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        read, alone = with_reader.check_text(text, path.stem), rules_only.check_text(text, path.stem)
        assert read.learned is not None and alone.learned is None
        assert all(getattr(read, key) == getattr(alone, key) for key in RULES_ONLY), path.name
        if read.verdict != "review":
            assert read.model_copy(update={"learned": None}) == alone
        else:
            assert read.verdict_reasons[1:] == alone.verdict_reasons and read.findings[:-1] == alone.findings


def test_cli_no_learned_turns_the_reader_off(root: Path) -> None:
    note = str(SAMPLES / "unilateral_right.txt")
    runs = [subprocess.run([sys.executable, "-m", "notecheck.cli", *flag, "check", "--format", "json", note],
                           capture_output=True, text=True, timeout=300, cwd=root) for flag in ([], ["--no-learned"])]
    on, off = (json.loads(run.stdout) for run in runs)
    assert on["learned"]["probabilities"]["0200T"] > 0.5 and on["verdict"] == "complete"
    assert off["learned"] is None
    assert {k: v for k, v in on.items() if k != "learned"} == {k: v for k, v in off.items() if k != "learned"}


def test_a_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    from notecheck.errors import NotecheckError

    with pytest.raises(NotecheckError, match="no learned reader model here"):
        LearnedReader.load(tmp_path)
