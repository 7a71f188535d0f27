"""Dates as notes write them, for durations stated by their start: 'since 01/15/2024', 'starting 05/07',
'(05/20-07/01/2024)', 'since mid-April'. The note's own date (its 'Date of visit:', 'Prepared:' line) ends them.

A date without a year takes the note's year, or the year before where that would put it after the note. A month
without a day is read as its middle ('early' the 5th, 'late' the 25th): a stated month is all the note gives, and
the middle errs by at most two weeks either way.
"""

from __future__ import annotations

import re
from datetime import date

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_PART_DAY = {"early": 5, "mid": 15, "late": 25}
DATE = (r"(?<![\d/])(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?(?![\d/])"
        r"|\b(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})\b"
        r"|\b(?:(?P<part>early|mid|late)[- ]?)?(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|"
        r"june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
        r"(?:\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?)?(?:,?\s+(?P<my>\d{4}))?\b")
_DATE = re.compile(DATE, re.IGNORECASE)


def _full(match: re.Match[str]) -> tuple[int | None, int, int]:
    """(year or None, month, day) of a date match."""
    if match.group("iy"):
        return int(match.group("iy")), int(match.group("im")), int(match.group("id"))
    if match.group("m"):
        year = match.group("y")
        full = None if year is None else int(year) + (2000 if len(year) == 2 else 0)
        return full, int(match.group("m")), int(match.group("d"))
    month = _MONTHS.index(match.group("month")[:3].lower()) + 1
    day = int(match.group("day")) if match.group("day") else _PART_DAY.get((match.group("part") or "mid").lower(), 15)
    return (int(match.group("my")) if match.group("my") else None), month, day


def read_date(match: re.Match[str], as_of: date | None) -> date | None:
    """The date a match names; a year-less one is placed on or before ``as_of`` (None without ``as_of``)."""
    if (match.group("month") or "").lower() == "may" and not (match.group("day") or match.group("my")):
        return None  # 'since she may ...': the verb, not the month
    year, month, day = _full(match)
    if year is None:
        if as_of is None:
            return None
        year = as_of.year
        try:
            if date(year, month, day) > as_of:
                year -= 1
        except ValueError:
            return None
    try:
        return date(year, month, day)
    except ValueError:  # '5/325' (a tablet strength), '13/40'
        return None


def approximate(match: re.Match[str]) -> bool:
    """A month named without its day ('since mid-April'): the date is the month's part, not a day."""
    return bool(match.group("month")) and not match.group("day")


def first_date(text: str, as_of: date | None = None) -> tuple[date, re.Match[str]] | None:
    """The first readable date in ``text`` and its match."""
    for match in _DATE.finditer(text):
        found = read_date(match, as_of)
        if found is not None:
            return found, match
    return None


class NoteDate:
    """The note's own date, found by the criteria set's labels ('Date of visit:', 'Prepared:'), most telling
    first, in the note's head."""

    HEAD = 1500

    def __init__(self, labels: list[str]) -> None:
        self.labels = [re.compile(rf"(?:{label})[ \t]*(?={DATE})", re.IGNORECASE | re.MULTILINE)
                       for label in labels]

    def __call__(self, text: str) -> date | None:
        head = text[: self.HEAD]
        for label in self.labels:
            for match in label.finditer(head):
                found = first_date(head[match.end(): match.end() + 30])
                if found is not None and found[1].start() == 0 and _full(found[1])[0] is not None:
                    return found[0]
        return None
