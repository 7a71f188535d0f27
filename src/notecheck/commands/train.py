"""`notecheck train`: train the learned reader from the repository's labeled notes and MTSamples, with its gate.

One command, one process, a fixed seed: the review threshold from out-of-fold readings of the training notes (folds
by writer), then the reader on every training note, saved with its meta (threshold, hashes of the config and of
the training notes) where the package loads it from.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from ..checker import Checker
from ..errors import NotecheckError
from ..learning.crossval import threshold_for, trainer
from ..learning.data import CLASSES, MTSAMPLES, LabeledNote, data_hash, labeled_notes, mtsamples_rows, mtsamples_split
from ..learning.features import rule_features
from ..learning.reader import META_KEY, MODEL_DIR
from ..learning.train import CONFIG, config_hash, load_config, train, uses_rules


class TrainingSet:
    """Every note the reader may learn from, read by the rules once: their code, anchor and features per note."""

    def __init__(self, checker: Checker, root: Path, mtsamples: Path, with_features: bool) -> None:
        if not mtsamples.is_file():
            raise NotecheckError(f"{mtsamples}: MTSamples is not there; training needs its real negatives "
                                 "(../shared/corpora/mtsamples/mtsamples.csv beside the repository)")
        rows = mtsamples_rows(mtsamples)
        negatives, self.held_out = mtsamples_split(rows)
        self.notes: list[LabeledNote] = []
        self.anchored: list[bool] = []
        self.rules: dict[str, str | None] = {}
        for note in labeled_notes(root) + negatives:
            report = checker.check_text(note.text, note_id=note.note_id)
            self.rules[note.note_id] = report.suggested_code
            self.anchored.append(checker.anchored(note.text))
            self.notes.append(replace(note, features=rule_features(report)) if with_features else note)

    @property
    def trained_on(self) -> list[LabeledNote]:
        """The notes the reader learns from: those with a sacral anchor, the only ones it ever reads."""
        return [note for note, anchored in zip(self.notes, self.anchored, strict=True) if anchored]


def _save(nlp: object, output: Path, config_path: Path) -> None:
    """Write the model, replacing an earlier one (never a folder that holds something else)."""
    if output.exists() and any(output.iterdir()) and not (output / "meta.json").is_file():
        raise NotecheckError(f"{output}: not empty and not a reader model; choose another --output")
    shutil.rmtree(output, ignore_errors=True)
    nlp.to_disk(output)  # type: ignore[attr-defined]
    shutil.copyfile(config_path, output / "reader.cfg")


def train_reader(checker: Checker, config_path: str = str(CONFIG), output: str = str(MODEL_DIR), root: str = ".",
                 mtsamples: str | None = None, out: TextIO = sys.stdout) -> int:
    """Train, choose the threshold, save; print what was trained, in how long, and the model's size."""
    started = time.perf_counter()
    path, base = Path(config_path), Path(root)
    config = load_config(path)
    rules_only = Checker(checker.patterns, indications=None, learned=False)
    data = TrainingSet(rules_only, base, Path(mtsamples) if mtsamples else base / MTSAMPLES, uses_rules(config))
    threshold = threshold_for(data.notes, data.anchored, data.rules, config, trainer(config))
    notes = data.trained_on
    nlp = train(config, notes)
    nlp.meta[META_KEY].update({
        "threshold": threshold, "config_sha256": config_hash(path), "data_sha256": data_hash(notes),
        "notes": len(notes), "classes": {c: sum(n.label == c for n in notes) for c in CLASSES},
        "mtsamples_rows": sum(n.source == "mtsamples" for n in notes), "seed": int(config["training"]["seed"])})
    target = Path(output)
    _save(nlp, target, path)
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    out.write(f"trained on {len(notes)} notes with a sacral anchor ({nlp.meta[META_KEY]['mtsamples_rows']} of them "
              f"MTSamples); review threshold {threshold:.2f}; model {size / 1e6:.1f} MB in {target}; "
              f"{time.perf_counter() - started:.0f} s\n")
    return 0
