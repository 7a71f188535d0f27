"""The shipped model is the one the committed config and notes give: its hashes match, and a retrain from the
command (the full `notecheck train`, in a temporary folder) reads a sample of notes exactly as it does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from notecheck import Checker
from notecheck.learning import LearnedReader
from notecheck.learning.data import MTSAMPLES, data_hash, labeled_notes, mtsamples_rows, mtsamples_split
from notecheck.learning.train import CONFIG, config_hash

SAMPLE_EVERY = 23  # about 90 notes of every kind, MTSamples among them


def test_the_model_records_the_committed_config(root: Path) -> None:
    meta = LearnedReader.load().meta
    assert meta["config_sha256"] == config_hash(root / CONFIG), "training/reader.cfg changed: run `notecheck train`"


def _training_notes(root: Path) -> list:
    rules = Checker(indications=None, learned=False)
    negatives, _ = mtsamples_split(mtsamples_rows(root / MTSAMPLES))
    return [n for n in labeled_notes(root) + negatives if rules.anchored(n.text)]


def test_the_model_records_the_training_notes(root: Path, shared: Path) -> None:
    meta = LearnedReader.load().meta
    assert meta["data_sha256"] == data_hash(_training_notes(root)), "training notes changed: run `notecheck train`"


def test_a_retrain_from_the_command_reads_as_the_shipped_model(root: Path, shared: Path, tmp_path: Path) -> None:
    """The whole command, as a user runs it (a few minutes on two cores): same threshold, same hashes, same
    readings of a sample of the training notes, each probability to the 4 places the report keeps."""
    done = subprocess.run([sys.executable, "-m", "notecheck.cli", "train", "--output", str(tmp_path / "model")],
                          cwd=root, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stderr[-2000:]
    shipped, retrained = LearnedReader.load(), LearnedReader.load(tmp_path / "model")
    for key in ("threshold", "config_sha256", "data_sha256", "notes", "classes"):
        assert retrained.meta[key] == shipped.meta[key], key
    sample = [(n.text, ()) for n in _training_notes(root)[::SAMPLE_EVERY]]
    assert retrained.read_many(sample) == shipped.read_many(sample)
