"""Reading a criterion's value from a mention: numbers in digits or words, durations in weeks, categories, scores.

A range ('7-8/10', '4-6 weeks') is compared by its lower end, so it meets a threshold only if all of it does; a
duration counts only beside the care it measures, with no blocker word ('pain', 'ago', 'despite', ...) between, so
'pain for 3 months despite analgesics' gives no duration of care. A duration may also be stated by its start
('since 01/15/2024', 'since admission 9 days ago', 'starting 05/07') or as a span of dates ('05/20-07/01/2024'):
the care then lasted from its start to the note's own date, or across the span.
"""

from __future__ import annotations

import re
from datetime import date

from ..rules import CriteriaSet, Criterion
from .dates import DATE, approximate, first_date, read_date

_DATES = re.compile(DATE, re.IGNORECASE)
_SPAN = re.compile(r"\s*(?:-|–|to|through|thru|until)\s*", re.IGNORECASE)
_SINCE_TAIL = 50  # characters after 'since' in which its date or duration stands
_CUT = re.compile(r"[.;:,]")
_AGO = re.compile(r"\s+ago\b", re.IGNORECASE)


def number(value: float) -> float | int:
    """An integral number as an int, so '8/10' reads 8, not 8.0."""
    value = round(value, 1)
    return int(value) if value == int(value) else value


class ValueReader:
    """The value rules of one criteria set, compiled once."""

    def __init__(self, criteria: CriteriaSet) -> None:
        self.criteria = criteria
        flags = re.IGNORECASE
        self._categories = {c.id: [(name, re.compile(p, flags)) for name, p in c.value.categories.items()]
                            for c in criteria.criteria if c.value}
        words = "|".join(sorted(criteria.numbers, key=len, reverse=True))
        units = "|".join(map(re.escape, sorted(criteria.units_in_weeks, key=len, reverse=True)))
        amount = rf"\d+(?:\.\d+)?|{words}"
        self._duration = re.compile(rf"(?:\b|(?<=[x×]))(?P<n>{amount})(?:\s*(?:-|–|to)\s*(?:{amount}))?[\s-]*"
                                    rf"(?P<unit>{units})s?\b", flags)  # 'x8wks', '6-week', '6/52'
        self._ago = re.compile(rf"{self._duration.pattern}\s+ago\b", flags)
        self._units = [(unit, weeks) for unit, weeks in sorted(criteria.units_in_weeks.items(),
                                                               key=lambda item: -len(item[0]))]

    def _value_of(self, word: str) -> float | None:
        word = word.strip().lower()
        if re.fullmatch(r"\d+(?:\.\d+)?", word):
            return float(word)
        known = self.criteria.numbers.get(word)
        return float(known) if known else None

    def _weeks(self, match: re.Match[str]) -> float | None:
        count = self._value_of(match.group("n"))
        unit = match.group("unit").lower()
        per = next((weeks for name, weeks in self._units if unit == name), None)
        return None if count is None or per is None else count * per

    def threshold(self, criterion: Criterion, inpatient: bool) -> float | None:
        """The criterion's threshold for this setting (pain has one for outpatients, one for inpatients)."""
        names = criterion.value.threshold if criterion.value else []
        if not names:
            return None
        name = names[1] if inpatient and len(names) > 1 else names[0]
        return number(self.criteria.thresholds[name].value)

    def _category(self, criterion: Criterion, text: str) -> str | None:
        return next((name for name, pattern in self._categories.get(criterion.id, []) if pattern.search(text)), None)

    def of_mention(self, criterion: Criterion, match: re.Match[str], context: str) -> float | str | None:
        """The value one mention gives; ``context`` is its sentence with what satisfied 'requires' before it."""
        kind = criterion.value.kind if criterion.value else None
        groups = match.groupdict()
        if kind == "number":
            if groups.get("tenths"):  # a 100 mm VAS: 70/100 is 7 on the 0-10 scale the thresholds use
                return number(int(groups["tenths"]) / 10)
            written = groups.get("number") or groups.get("scale")
            if written:
                low = self._value_of(re.split(r"\s*(?:-|–|to)\s*", written)[0])
                return number(low) if low is not None else None
            return criterion.value.qualitative if criterion.value else None
        if kind == "score":
            if groups.get("number"):
                return number(float(groups["number"]))
            return self._category(criterion, match.group(0))
        if kind == "category":
            return self._category(criterion, context if criterion.value.from_sentence else match.group(0))
        return None

    def thresholded(self, criterion: Criterion, match: re.Match[str]) -> bool:
        """Is this mention's value compared with the threshold? A named score only where the set names it under
        'scored' (Roland-Morris); an ODI or Karnofsky score is reported as its value."""
        rule = criterion.value
        if rule is None or rule.kind != "score":
            return True
        return bool(rule.scored and re.search(rule.scored, match.group(0), re.IGNORECASE))

    def care_weeks(self, criterion: Criterion, sentence: str, match: re.Match[str],
                   as_of: date | None = None) -> float | None:
        """Weeks of this care: the longest duration stated beside the care term with no blocker word between them,
        whether written as a length ('for 8 weeks'), from its start ('since 01/15/2024') or as a span of dates; one
        estimated from a month alone ('since mid-April') only where no other is stated."""
        rule = criterion.value
        if rule is None:
            return None
        best: tuple[bool, float] | None = None
        for start, end, weeks, since, rough in self._durations(criterion, sentence, as_of):
            if end <= match.start():
                gap = sentence[end:match.start()]
            elif start >= match.end():
                gap = sentence[match.end():start]
            elif since and start < match.start():  # 'started on tramadol on 03/10': the care inside its start
                gap = ""
            else:
                continue
            if len(gap) > rule.near or (rule.blockers and re.search(rule.blockers, gap, re.IGNORECASE)):
                continue
            if since and end <= match.start() and rule.blockers and re.search(  # 'pain since the fall ... PT'
                    rule.blockers, sentence[_clause_start(sentence, start):start], re.IGNORECASE):
                continue
            if best is None or (not rough, weeks) > best:
                best = (not rough, weeks)
        return number(best[1]) if best is not None else None

    def _durations(self, criterion: Criterion, sentence: str,
                   as_of: date | None) -> list[tuple[int, int, float, bool, bool]]:
        """(start, end, weeks, dated by its start, estimated from a month) of every duration the sentence
        states."""
        found = [(d.start(), d.end(), weeks, False, False) for d in self._duration.finditer(sentence)
                 if (weeks := self._weeks(d)) is not None and not _AGO.match(sentence, d.end())]
        # '8 months ago' is a point in time, not a length: only a start word makes it one ('started 3 weeks ago')
        rule = criterion.value
        if rule is not None and rule.since:
            for since in re.finditer(rule.since, sentence, re.IGNORECASE):
                tail = sentence[since.end(): since.end() + _SINCE_TAIL]
                cut = _CUT.search(tail)
                tail = tail[: cut.start()] if cut else tail
                dated = self._since(tail, as_of) if tail.strip() else self._since_then(sentence[:since.start()])
                if dated is not None:
                    found.append((since.start(), since.end() + dated[1], dated[0], True, dated[2]))
        dates = list(_DATES.finditer(sentence))
        for first, second in zip(dates, dates[1:]):
            if _SPAN.fullmatch(sentence, first.end(), second.start()):
                end = read_date(second, as_of)
                begin = read_date(first, end) if end else None
                if begin and end and 0 <= (end - begin).days <= 3650:
                    found.append((first.start(), second.end(), (end - begin).days / 7, False,
                                  approximate(first) or approximate(second)))
        return found

    def _since_then(self, before: str) -> tuple[float, int, bool] | None:
        """A bare 'since' ('fell 3 weeks ago and has used a walker since'): since the last 'N weeks ago' before
        it in the sentence."""
        ago = None
        for ago in self._ago.finditer(before):
            pass
        weeks = self._weeks(ago) if ago else None
        return (weeks, 0, False) if weeks is not None else None

    def _since(self, tail: str, as_of: date | None) -> tuple[float, int, bool] | None:
        """Weeks from the start stated after 'since' (a date, up to the note's date; or 'admission 9 days ago',
        'then (3 weeks)'), where that start ends in ``tail``, and whether it is estimated from a month; None when
        it states none."""
        duration = self._duration.search(tail)
        dated = first_date(tail, as_of) if as_of else None
        if dated and (duration is None or dated[1].start() <= duration.start()):
            days = (as_of - dated[0]).days if as_of else -1
            return (days / 7, dated[1].end(), approximate(dated[1])) if 0 <= days <= 3650 else None
        weeks = self._weeks(duration) if duration else None
        return (weeks, duration.end(), False) if duration and weeks is not None else None


def _clause_start(sentence: str, at: int) -> int:
    """Where the clause holding ``at`` starts: after the last , ; or . before it."""
    return max((m.end() for m in re.finditer(r"[,;.]", sentence[:at])), default=0)
