"""`notecheck eval`: score the checker on a labeled notes folder and gate CI on the bars."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from ..checker import Checker
from ..errors import InputError
from ..evaluation import read_labels, render_eval_json, render_eval_text, score
from ..indications.evaluate import read_indication_labels, render_indication_eval_text, score_indications
from ..inputs import read_note


def _note_path(folder: Path, note_id: str) -> Path:
    path = folder / note_id
    return path if path.suffix == ".txt" and path.exists() else folder / f"{note_id}.txt"


def evaluate(notes_dir: str, labels_path: str, checker: Checker, fmt: str = "text", min_f1: float | None = None,
             min_code_accuracy: float | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr,
             indication_labels: list[str] | None = None, min_indication_f1: float | None = None) -> int:
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
        if min_indication_f1 is not None and indications.min_f1 < min_indication_f1:
            failed.append(f"lowest indication criterion F1 {indications.min_f1:.3f} is below --min-indication-f1 "
                          f"{min_indication_f1}")
    if min_f1 is not None and result.min_f1 < min_f1:
        failed.append(f"lowest element F1 {result.min_f1:.3f} is below --min-f1 {min_f1}")
    if min_code_accuracy is not None and result.code_accuracy < min_code_accuracy:
        failed.append(f"code accuracy {result.code_accuracy:.3f} is below --min-code-accuracy {min_code_accuracy}")
    for line in failed:
        print(f"notecheck: {line}", file=err)
    return 1 if failed else 0
