"""A NoteScan without the pipeline: the same sentence and section rules over words a regex finds.

For the indications checklist of a note the element pre-screen skipped (a referral or an H&P that names a sacral
fracture but no procedure element): its criteria read sentences and sections only, never target mentions or
ConText, so building and running the medspaCy pipeline for it (seconds to load, milliseconds a note) would buy
nothing. The sentence rules are sentences.start_flags, given words split as medspaCy's tokenizer splits them
(every punctuation mark a token of its own); the sections are patterns/sections.json's, found by the same regexes
as the Sectionizer's and, where two overlap, the longest kept, as medspaCy prunes them. It has no mentions.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from ..rules import OTHER_SECTION, SectionFile
from .scan import NoteScan, Sentence
from .sections import FieldEnds, SectionTitles, section_pattern
from .sentences import start_flags

_WORD = re.compile(r"(?:[A-Za-z]\.){2,}|\w+(?:\.\d\w*)+|\w+|[^\w\s]")
"""A dotted abbreviation ('e.g.'), a decimal or a code with a point ('6.2', 'M80.08XA'), a run of letters and digits, or
one punctuation mark."""


@dataclass(frozen=True)
class _Word:
    """The token attributes start_flags reads."""

    text: str
    idx: int
    i: int
    is_space: bool = False

    @property
    def lower_(self) -> str:
        return self.text.lower()


class PlainScanner:
    """Sentences with their section and role, by regex; built once per pattern set."""

    def __init__(self, sections: SectionFile) -> None:
        self.roles = {name: category.role for name, category in sections.categories.items()}
        self.titles = SectionTitles(sections)
        self.headers = [(name, re.compile(section_pattern(category.titles), re.IGNORECASE))
                        for name, category in sections.categories.items()]
        self.headers.append((OTHER_SECTION, re.compile(sections.generic_header, re.IGNORECASE)))

    def _sections(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, category) in note order, each section running to the next header."""
        found = sorted(((m.start(), m.end(), name) for name, regex in self.headers for m in regex.finditer(text)
                        if m.end() > m.start()), key=lambda h: (h[0] - h[1], h[0]))
        kept: list[tuple[int, int, str]] = []
        for start, end, name in found:  # longest first: a header inside a longer one is dropped
            if all(end <= other[0] or start >= other[1] for other in kept):
                kept.append((start, end, name))
        kept.sort()
        sections = []
        field_ends = FieldEnds(text)
        for i, (start, title_end, name) in enumerate(kept):
            category = self.titles.category_of(text[start:title_end]) if name == OTHER_SECTION else name
            end = kept[i + 1][0] if i + 1 < len(kept) else len(text)
            if self.roles.get(category) == "context":
                field_end = field_ends(title_end)
                end = min(end, field_end) if field_end is not None else end
            sections.append((start, end, category))
        return sections

    def __call__(self, text: str) -> NoteScan:
        words = [_Word(m.group(), m.start(), i) for i, m in enumerate(_WORD.finditer(text))]
        flags = start_flags(text, words)
        firsts = [i for i, flag in enumerate(flags) if flag == 1 or i == 0]
        sections = self._sections(text)
        starts = [s[0] for s in sections]

        def section_at(offset: int) -> str | None:
            i = bisect_right(starts, offset) - 1
            return sections[i][2] if i >= 0 and offset < sections[i][1] else None

        sentences: list[Sentence] = []
        for first, after in zip(firsts, [*firsts[1:], len(words)]):
            last = words[after - 1]
            start, end = words[first].idx, last.idx + len(last.text)
            category = section_at(start) or section_at(end - 1)
            sentences.append(Sentence(len(sentences), start, end, " ".join(text[start:end].split()), category,
                                      self.roles.get(category, "performed") if category else "performed"))
        return NoteScan(text=text, sentences=tuple(sentences))
