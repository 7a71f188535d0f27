"""`notecheck check`: check notes one by one and print a table or JSON per note."""

from __future__ import annotations

import sys
from typing import TextIO

from ..checker import Checker
from ..errors import InputError
from ..readers import read_note
from ..queries import draft_queries
from ..writers import render_json, render_text, render_worksheet

RENDERERS = {"text": render_text, "json": render_json}


def check(paths: list[str], checker: Checker, fmt: str = "text", out: TextIO = sys.stdout,
          err: TextIO = sys.stderr) -> int:
    """Exit 0 when every note is complete, 1 when any is incomplete, 2 when any could not be read."""
    worst = 0
    for path in paths:
        try:
            note = read_note(path)
        except InputError as exc:
            print(f"notecheck: error: {exc}", file=err)
            worst = 2
            continue
        for flag in note.flags:
            print(f"notecheck: warning: {note.source}: {flag}", file=err)
        report = checker.check_text(note.text, note_id=note.note_id)
        if fmt == "markdown":
            out.write(render_worksheet(report, draft_queries(report, checker.patterns)))
        else:
            out.write(RENDERERS[fmt](report))
        if not report.complete:
            worst = max(worst, 1)
    return worst
