"""Section headers: the regex that finds them in a note, and the category of a header no title matched exactly."""

from __future__ import annotations

import re
from bisect import bisect_left

from ..rules import OTHER_SECTION, SectionFile

_BLANK_LINE_START = re.compile(r"\n(?=[ \t]*\n)")  # every line break that a blank line follows
_ITEM_LINE = re.compile(r"[ \t]*(?:\d{1,2}:\d{2}\b|[-*•]\s|\d{1,2}[.)]\s)")


def _words(title: str) -> str:
    return " " + re.sub(r"[^a-z0-9/&]+", " ", title.lower()).strip() + " "


class SectionTitles:
    """Finds the category of a header that no title rule matched exactly ('Consent discussion:').

    An exact title wins; otherwise the first category whose title the header contains, context categories
    first (so 'Planned procedure' is a plan, not a procedure); otherwise 'other', which counts as performed.
    """

    def __init__(self, sections: SectionFile) -> None:
        ordered = sorted(sections.categories.items(), key=lambda item: item[1].role != "context")
        self.exact = {}
        for name, category in reversed(ordered):
            self.exact.update({_words(title): name for title in category.titles})
        self.contained = [(_words(title), name) for name, category in ordered for title in category.titles]

    def category_of(self, title: str) -> str:
        words = _words(title)
        if words in self.exact:
            return self.exact[words]
        return next((name for known, name in self.contained if known in words), OTHER_SECTION)


def section_pattern(titles: list[str]) -> str:
    """A header: a title at the start of a line followed by ':' or '-', the title in capitals anywhere followed
    by ':' (dictated notes run headers into one line), a title after '; ' (one-line notes), or a capitalised
    title alone on its line."""
    ordered = sorted(titles, key=len, reverse=True)
    alternation = "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in ordered)
    caps = "|".join(re.escape(t.upper()).replace(r"\ ", r"[ \t]+") for t in ordered)  # not alternation.upper(),
    # which turned every '\s' into '\S' and so missed every multi-word title in capitals ('ATTENDING ATTESTATION')
    aside = r"(?:[ \t]*#?\d{1,2})?(?:[ \t]*\([^()\n]{0,80}\))?"  # 'ADDENDUM #1 (03/19/2025, Dr. X):'
    enumerator = r"(?:[-*•]\s*|(?:\d{1,2}|[A-Za-z]|[IVX]{1,4})[.)][ \t]+)?"  # '- ', '3. ', 'B) ', 'IV. '
    return (
        rf"(?<![^\n])[ \t]*{enumerator}(?:{alternation}){aside}[ \t]*(?::|\s-\s)"
        rf"|(?<![\w/])(?-i:{caps}){aside}[ \t]*:"
        rf"|(?<=; )(?:{alternation}){aside}[ \t]*:"
        rf"|(?<![^\n])[ \t]*(?-i:(?:{caps})(?:[ \t]+[A-Z/&(),'-]+)*)[ \t]*(?=\r?\n)"
    )



class FieldEnds:
    """Where context fields written on their header's line ('Indication: bilateral fractures') end, in one note:
    with their paragraph, so a form's next block is not taken for indication, and with their own line where the
    next line is an item of its own (a clock time, a bullet: 'Time out: 10:02 ...' then '10:10 needle inserted').
    The note's blank lines are found once: searching the rest of the note for each field made key=value exports
    (a field per line) quadratic."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._blank_starts: list[int] | None = None

    def __call__(self, body: int) -> int | None:
        """The character offset where the field whose value starts at ``body`` ends; None for a header alone on
        its line, which keeps its section up to the next header."""
        text = self.text
        line_end = text.find("\n", body)
        if line_end < 0 or not text[body:line_end].strip():
            return None
        if _ITEM_LINE.match(text, line_end + 1):
            return line_end + 1
        if self._blank_starts is None:
            self._blank_starts = [m.start() for m in _BLANK_LINE_START.finditer(text)]
        at = bisect_left(self._blank_starts, line_end)
        return None if at == len(self._blank_starts) else text.index("\n", self._blank_starts[at] + 1) + 1
