"""`notecheck eval`: score the checker on a labeled notes folder and gate CI on the bars."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ..checker import Checker
from ..errors import InputError
from ..evaluation import EvalResult, read_labels, render_eval_json, render_eval_text, score
from ..indications.evaluate import read_indication_labels, render_indication_eval_text, score_indications
from ..inputs import read_note


def _note_path(folder: Path, note_id: str) -> Path:
    path = folder / note_id
    return path if path.suffix == ".txt" and path.exists() else folder / f"{note_id}.txt"


@dataclass(frozen=True)
class Bars:
    """The figures a labeled set must keep (None: not checked); CI gates every set with them."""

    min_f1: float | None = None
    min_code_accuracy: float | None = None
    min_indication_f1: float | None = None
    min_coverage: float | None = None  # share of notes not in review
    max_false_codes: int | None = None  # false codes among notes not in review: they would reach a claim unread

    def failures(self, result: EvalResult) -> list[str]:
        checks = [(self.min_f1, result.min_f1, "lowest element F1", "--min-f1"),
                  (self.min_code_accuracy, result.code_accuracy, "code accuracy", "--min-code-accuracy"),
                  (self.min_coverage, result.coverage, "coverage (not in review)", "--min-coverage")]
        failed = [f"{name} {value:.3f} is below {flag} {bar}" for bar, value, name, flag in checks
                  if bar is not None and value < bar]
        if self.max_false_codes is not None and result.false_codes_not_in_review > self.max_false_codes:
            failed.append(f"{result.false_codes_not_in_review} false codes not in review, above --max-false-codes "
                          f"{self.max_false_codes}")
        return failed


def evaluate(notes_dir: str, labels_path: str, checker: Checker, fmt: str = "text", bars: Bars = Bars(),
             out: TextIO = sys.stdout, err: TextIO = sys.stderr, indication_labels: list[str] | None = None) -> int:
    """Exit 0 when the bars are met (or none is set), 1 below a bar, 2 when a labeled note is missing.

    ``indication_labels`` also scores the indications checklist; each file's notes are looked for beside it,
    then in ``notes_dir``."""
    labels = read_labels(labels_path)
    folder = Path(notes_dir)
    if not folder.is_dir():
        raise InputError(notes_dir, "not a directory of notes")
    pairs = []
    for label in labels:
        note = read_note(str(_note_path(folder, label.id)))
        pairs.append((label, checker.check_text(note.text, note_id=label.id)))
    result = score(pairs, {code: profile.elements for code, profile in checker.patterns.profiles.items()})
    failed = []
    if not indication_labels:
        out.write(render_eval_json(result) if fmt == "json" else render_eval_text(result))
    else:
        scored = []
        for labels_file in indication_labels:
            beside = Path(labels_file).parent
            for item in read_indication_labels(labels_file):
                path = _note_path(beside, item.id)
                note = read_note(str(path if path.exists() else _note_path(folder, item.id)))
                scored.append((item, checker.check_text(note.text, note_id=item.id)))
        indications = score_indications(scored)
        if fmt == "json":  # one JSON document: the element scores with the checklist's beside them
            out.write(json.dumps({**result.model_dump(), "indications": indications.model_dump()}, indent=2) + "\n")
        else:
            out.write(render_eval_text(result) + "\n" + render_indication_eval_text(indications))
        if bars.min_indication_f1 is not None and indications.min_f1 < bars.min_indication_f1:
            failed.append(f"lowest indication criterion F1 {indications.min_f1:.3f} is below --min-indication-f1 "
                          f"{bars.min_indication_f1}")
    failed += bars.failures(result)
    for line in failed:
        print(f"notecheck: {line}", file=err)
    return 1 if failed else 0
