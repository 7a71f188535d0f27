"""`notecheck negatives`: run the checker over notes known not to be sacroplasties and list every code it gives.

Every suggested code on such a file is a false positive. Identical texts (MTSamples cross-lists notes under
several specialties) are checked and counted once.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import TextIO

from ..checker import Checker
from ..errors import InputError
from ..inputs import iter_inputs


def negatives(paths: list[str], checker: Checker, id_column: str, text_column: str, max_flagged: int = 0,
              out: TextIO = sys.stdout) -> int:
    """Exit 1 when more than ``max_flagged`` distinct notes get a suggested code; 2 when an input is missing."""
    for path in paths:
        if not Path(path).exists():
            raise InputError(path, "no such file or folder")
    seen: set[str] = set()
    rows = errors = full = 0
    flagged: list[str] = []
    for item in iter_inputs(paths, id_column=id_column, text_column=text_column):
        rows += 1
        if item.note is None:
            errors += 1
            continue
        digest = hashlib.sha256(item.note.text.encode("utf-8")).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        report = checker.check_text(item.note.text, note_id=item.note_id)
        full += not report.prescreened
        if report.suggested_code:
            flagged.append(f"{item.note_id} ({item.source}): {report.suggested_code}, {report.laterality}")
    out.write(f"{rows} rows, {errors} without text, {len(seen)} distinct notes, {full} through the full pipeline\n")
    out.write(f"{len(flagged)} notes with a suggested code (each one a false positive)\n")
    out.writelines(f"- {line}\n" for line in flagged)
    return 1 if len(flagged) > max_flagged else 0
