"""Plain data that the NLP pipeline hands to assessment.

Assessment, coding and reports never touch spaCy objects: a scan is strings, ints and tuples, so it pickles
between worker processes and can be built by hand in tests.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .normalize import Normalized

Role = Literal["performed", "context", "addendum"]


@dataclass(frozen=True)
class Sentence:
    index: int
    start: int
    end: int
    text: str
    section: str | None
    role: Role


@dataclass(frozen=True)
class Modifier:
    category: str
    text: str


@dataclass(frozen=True)
class Mention:
    """A target match: an element term, a site term, a side term or a billing code."""

    layer: Literal["element", "site", "side", "coding"]
    category: str
    text: str
    start: int
    end: int
    token_start: int
    token_end: int
    sentence: int
    modifiers: tuple[Modifier, ...] = ()
    finding: str | None = None
    in_title: bool = False


@dataclass(frozen=True)
class NoteScan:
    """The pipeline's findings over the canonical text; ``normalized`` leads offsets back to the note as
    written (None when normalisation changed nothing)."""

    text: str
    sentences: tuple[Sentence, ...] = ()
    mentions: tuple[Mention, ...] = ()
    prescreened: bool = False
    normalized: Normalized | None = None

    @property
    def original(self) -> str:
        return self.normalized.original if self.normalized else self.text

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Offsets in the note as written, for evidence a coder can find."""
        return self.normalized.to_original(start, end) if self.normalized else (start, end)

    def written(self, start: int, end: int) -> tuple[int, int, str]:
        """A span of the canonical text as written: its offsets and words in the original note."""
        first, last = self.to_original(start, end)
        return first, last, self.original[first:last]

    def quote(self, start: int, end: int, sentence_start: int, sentence_end: int) -> dict[str, str | int]:
        """The fields every kind of evidence shares (models._Quote) for a span and its sentence, as written:
        text, offsets, line, and the sentence with its whitespace collapsed."""
        first, last, text = self.written(start, end)
        sentence = self.written(sentence_start, sentence_end)[2]
        return {"text": text, "start": first, "end": last, "line": self.line_of(first),
                "sentence": " ".join(sentence.split())}

    @cached_property
    def _line_starts(self) -> list[int]:
        return [0, *(match.end() for match in re.finditer("\n", self.original))]

    def line_of(self, offset: int) -> int:
        """1-based line number of an offset in the note as written, for quoting evidence where it stands."""
        return bisect_right(self._line_starts, offset)

    def with_source(self, normalized: Normalized) -> NoteScan:
        return replace(self, normalized=normalized) if normalized.passes or normalized.placeholders else self
