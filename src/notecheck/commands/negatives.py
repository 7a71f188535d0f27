"""`notecheck negatives`: run the checker over notes known not to be sacroplasties and list every code it gives.

Every suggested code on such a file is a false positive; one in review (the learned reader did not back it) goes
to a person before any claim, so it is reported apart and does not fail the run. Identical texts (MTSamples
cross-lists notes under several specialties) are checked and counted once.
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
    """Exit 1 when more than ``max_flagged`` distinct notes get a suggested code outside review; 2 when an input is
    missing."""
    for path in paths:
        if not Path(path).exists():
            raise InputError(path, "no such file or folder")
    seen: set[str] = set()
    rows = errors = full = 0
    flagged: list[str] = []
    in_review: list[str] = []
    reviewed = 0
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
        review = report.verdict == "review"
        reviewed += review
        if report.suggested_code:
            line = f"{item.note_id} ({item.source}): {report.suggested_code}, {report.laterality}"
            (in_review if review else flagged).append(line)
    out.write(f"{rows} rows, {errors} without text, {len(seen)} distinct notes, {full} through the full pipeline, "
              f"{reviewed} in review\n")
    out.write(f"{len(flagged)} notes with a suggested code outside review (each one a false positive)\n")
    out.writelines(f"- {line}\n" for line in flagged)
    out.write(f"{len(in_review)} notes with a suggested code in review (a person reads them before any claim)\n")
    out.writelines(f"- {line}\n" for line in in_review)
    return 1 if len(flagged) > max_flagged else 0
