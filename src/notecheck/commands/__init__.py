"""One plain function per CLI command; each returns an exit code (0 complete or not applicable, 1 incomplete or
in review, 2 a usage or input error)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TextIO

from ..errors import InputError, printable
from ..inputs import DEFAULT_MAX_BYTES, Note, read_note


class NoteFiles:
    """The notes named on a command line, in order; an unreadable one is reported in one line and remembered,
    so the command goes on with the rest and still exits 2."""

    def __init__(self, paths: list[str], err: TextIO, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.paths, self.err, self.failed, self.max_bytes = paths, err, False, max_bytes

    def __iter__(self) -> Iterator[Note]:
        for path in self.paths:
            try:
                note = read_note(path, self.max_bytes)
            except InputError as exc:
                print(f"notecheck: error: {printable(str(exc))}", file=self.err)
                self.failed = True
                continue
            for flag in note.flags:
                print(f"notecheck: warning: {printable(note.source)}: {flag}", file=self.err)
            yield note
