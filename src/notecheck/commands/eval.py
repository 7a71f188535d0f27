"""`notecheck eval`: score the checker on a labeled notes folder and gate CI on the bars."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from ..checker import Checker
from ..errors import InputError
from ..evaluate import read_labels, render_eval_json, render_eval_text, score
from ..readers import read_note


def evaluate(notes_dir: str, labels_path: str, checker: Checker, fmt: str = "text", min_f1: float | None = None,
             min_code_accuracy: float | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Exit 0 when the bars are met (or none is set), 1 below a bar, 2 when a labeled note is missing."""
    labels = read_labels(labels_path)
    folder = Path(notes_dir)
    if not folder.is_dir():
        raise InputError(notes_dir, "not a directory of notes")
    pairs = []
    for label in labels:
        path = folder / label.id
        path = path if path.suffix == ".txt" and path.exists() else folder / f"{label.id}.txt"
        note = read_note(str(path))
        pairs.append((label, checker.check_text(note.text, note_id=label.id)))
    result = score(pairs, checker.profile.elements)
    out.write(render_eval_json(result) if fmt == "json" else render_eval_text(result))
    failed = []
    if min_f1 is not None and result.min_f1 < min_f1:
        failed.append(f"lowest element F1 {result.min_f1:.3f} is below --min-f1 {min_f1}")
    if min_code_accuracy is not None and result.code_accuracy < min_code_accuracy:
        failed.append(f"code accuracy {result.code_accuracy:.3f} is below --min-code-accuracy {min_code_accuracy}")
    for line in failed:
        print(f"notecheck: {line}", file=err)
    return 1 if failed else 0
