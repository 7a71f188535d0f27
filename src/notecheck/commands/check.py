"""`notecheck check`: check notes one by one and print a table or JSON per note."""

from __future__ import annotations

import sys
from typing import TextIO

from ..checker import Checker
from ..errors import NoteTooLong, printable
from ..inputs import DEFAULT_MAX_BYTES
from ..outputs.markdown import render_worksheet
from ..outputs.queries import draft_queries
from ..outputs.report_json import render_json
from ..outputs.text import render_text
from . import NoteFiles

RENDERERS = {"text": render_text, "json": render_json}


def check(paths: list[str], checker: Checker, fmt: str = "text", out: TextIO = sys.stdout,
          err: TextIO = sys.stderr, max_bytes: int = DEFAULT_MAX_BYTES, indication_queries: bool = False) -> int:
    """Exit 0 when every applicable note is complete (a note that is not applicable never fails), 1 when any is
    incomplete or in review, 2 when any could not be read."""
    worst = 0
    notes = NoteFiles(paths, err, max_bytes)
    for note in notes:
        try:
            report = checker.check_text(note.text, note_id=note.note_id)
        except NoteTooLong as exc:  # one line, like an unreadable note; the other notes are still checked
            print(f"notecheck: error: {printable(note.source)}: {exc}", file=err)
            notes.failed = True
            continue
        if fmt == "markdown":
            out.write(render_worksheet(report, draft_queries(report, checker.patterns, indication_queries)))
        else:
            out.write(RENDERERS[fmt](report))
        if report.verdict in ("incomplete", "review"):
            worst = 1
    return 2 if notes.failed else worst
