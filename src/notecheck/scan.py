"""Plain data that the NLP pipeline hands to assessment.

Assessment, coding and reports never touch spaCy objects: a scan is strings, ints and tuples, so it pickles
between worker processes and can be built by hand in tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
    text: str
    sentences: tuple[Sentence, ...] = ()
    mentions: tuple[Mention, ...] = ()
    prescreened: bool = False

    def line_of(self, offset: int) -> int:
        """1-based line number of a character offset, for quoting evidence where it stands."""
        return self.text.count("\n", 0, offset) + 1
