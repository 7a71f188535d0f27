"""Dates as notes write them, read into comparable dates: '09/14/2020', '2022-10-25', '03-14-2019', '14 March 2024'.

Slashes are read month first, as US notes write them, unless the first number cannot be a month ('20/10/2023').
A date that cannot be read is None, and nothing is judged from it.
"""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {name: number for number, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], 1) for name in names}
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{2,4})")
_WORDS = re.compile(r"(?:(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+(\d{4}))|(?:([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4}))")


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str) -> date | None:
    """The first date written in ``text``, or None."""
    text = text.strip()
    if match := _ISO.match(text):
        return _safe(*(int(g) for g in match.groups()))
    if match := _NUMERIC.match(text):
        first, second, year = (int(g) for g in match.groups())
        year += 2000 if year < 100 else 0
        month, day = (second, first) if first > 12 else (first, second)
        return _safe(year, month, day)
    if match := _WORDS.match(text):
        day, month, year = (match.group(1), match.group(2), match.group(3)) if match.group(1) else (
            match.group(5), match.group(4), match.group(6))
        number = _MONTHS.get(month.lower())
        return _safe(int(year), number, int(day)) if number else None
    return None
