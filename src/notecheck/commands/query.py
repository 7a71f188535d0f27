"""`notecheck query`: draft compliant provider queries for the gaps in each note."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from ..checker import Checker
from ..errors import InputError
from ..queries import draft_queries
from ..readers import read_note
from ..writers import render_query_markdown, render_query_text


def query(paths: list[str], checker: Checker, fmt: str = "text", out: TextIO = sys.stdout,
          err: TextIO = sys.stderr) -> int:
    """Exit 0 when no note needs a query, 1 when some do, 2 when a note could not be read."""
    worst = 0
    for path in paths:
        try:
            note = read_note(path)
        except InputError as exc:
            print(f"notecheck: error: {exc}", file=err)
            worst = 2
            continue
        queries = draft_queries(checker.check_text(note.text, note_id=note.note_id), checker.patterns)
        if queries:
            worst = max(worst, 1)
        if fmt == "json":
            out.write(json.dumps({"note_id": note.note_id, "queries": [q.model_dump() for q in queries]}) + "\n")
        elif fmt == "markdown":
            out.write(f"## {note.note_id}\n\n" + ("\n".join(map(render_query_markdown, queries)) or
                                                 "No query needed.\n") + "\n")
        else:
            body = "\n".join(render_query_text(q) for q in queries) or "No query needed.\n"
            out.write(f"=== {note.note_id}: {len(queries)} query(ies)\n\n{body}\n")
    return worst
