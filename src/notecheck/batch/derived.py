"""The derived outputs' parts of each audit row, gathered in the parent while the run goes.

results.csv, prior_auth.csv, summary.json and the page are made from the rows: each row's table lines, card and
summary facts are made by the worker that made the row (the commands layer says how: batch does not render), sent
back with it, and written here into unnamed files, notes in review apart from the others, so that at the end the
outputs are copies, review first, and the parent never parses a row back from results.jsonl.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from tempfile import TemporaryFile
from types import TracebackType
from typing import IO, NamedTuple, Self

from .audit import RowFacts, Tally

KINDS = ("table", "prior", "card")
_CHUNK = 1 << 16


class RowParts(NamedTuple):
    """What the derived outputs take from one row."""

    review: bool  # the note is in review: its parts go first
    table: str  # its results.csv line
    prior: str  # its prior_auth.csv line; empty when the note was not read for prior authorisation
    card: str  # its card on the page
    facts: RowFacts  # its part of the summary


class DerivedSpools:
    """Two unnamed files per output in the run folder (notes in review, the others), filled in row order, and the
    summary counted alongside; closed (and so gone) on leaving the ``with`` block."""

    def __init__(self, folder: Path, group_by: tuple[str, ...] = ()) -> None:
        self.folder = folder
        self.tally = Tally(group_by)
        self.files: dict[tuple[str, bool], IO[str]] = {}

    def __enter__(self) -> Self:
        self.folder.mkdir(parents=True, exist_ok=True)
        for kind in KINDS:
            for review in (True, False):
                self.files[kind, review] = TemporaryFile("w+", encoding="utf-8", newline="", dir=self.folder)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        for handle in self.files.values():
            handle.close()

    def add(self, parts: RowParts) -> None:
        self.files["table", parts.review].write(parts.table)
        self.files["prior", parts.review].write(parts.prior)
        self.files["card", parts.review].write(parts.card)
        self.tally.add(parts.facts)

    def chunks(self, kind: str) -> Iterator[str]:
        """The output's parts, notes in review first, in pieces of bounded size."""
        for review in (True, False):
            handle = self.files[kind, review]
            handle.seek(0)
            while chunk := handle.read(_CHUNK):
                yield chunk
