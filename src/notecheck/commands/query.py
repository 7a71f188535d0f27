"""`notecheck query`: draft compliant provider queries for the gaps in each note."""

from __future__ import annotations

import sys
from typing import TextIO

from ..checker import Checker
from ..outputs.markdown import markdown_text, render_query_markdown
from ..outputs.queries import draft_queries
from ..outputs.report_json import render_queries_json
from ..outputs.text import render_query_text
from . import NoteFiles


def query(paths: list[str], checker: Checker, fmt: str = "text", out: TextIO = sys.stdout,
          err: TextIO = sys.stderr, indication_queries: bool = False) -> int:
    """Exit 0 when no note needs a query, 1 when some do, 2 when a note could not be read."""
    worst = 0
    notes = NoteFiles(paths, err)
    for note in notes:
        queries = draft_queries(checker.check_text(note.text, note_id=note.note_id), checker.patterns,
                                indication_queries)
        if queries:
            worst = 1
        if fmt == "json":
            out.write(render_queries_json(note.note_id, queries))
        elif fmt == "markdown":
            out.write(f"## {markdown_text(note.note_id)}\n\n" + ("\n".join(map(render_query_markdown, queries)) or
                                                 "No query needed.\n") + "\n")
        else:
            body = "\n".join(render_query_text(q) for q in queries) or "No query needed.\n"
            out.write(f"=== {note.note_id}: {len(queries)} query(ies)\n\n{body}\n")
    return 2 if notes.failed else worst
