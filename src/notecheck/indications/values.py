"""Reading a criterion's value from a mention: numbers in digits or words, durations in weeks, categories, scores.

A range ('7-8/10', '4-6 weeks') is compared by its lower end, so it meets a threshold only if all of it does; a
duration counts only beside the care it measures, with no blocker word ('pain', 'ago', 'despite', ...) between, so
'pain for 3 months despite analgesics' gives no duration of care.
"""

from __future__ import annotations

import re

from ..rules import CriteriaSet, Criterion


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
        units = "|".join(sorted(criteria.units_in_weeks, key=len, reverse=True))
        amount = rf"\d+(?:\.\d+)?|{words}"
        self._duration = re.compile(rf"\b(?P<n>{amount})(?:\s*(?:-|–|to)\s*(?:{amount}))?[\s-]*(?P<unit>{units})s?\b",
                                    flags)
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
            if groups.get("number"):
                low = self._value_of(re.split(r"\s*(?:-|–|to)\s*", groups["number"])[0])
                return number(low) if low is not None else None
            return criterion.value.qualitative if criterion.value else None
        if kind == "score":
            if groups.get("number") and criterion.value and criterion.value.scored and re.search(
                    criterion.value.scored, match.group(0), re.IGNORECASE):
                return number(float(groups["number"]))
            return self._category(criterion, match.group(0))
        if kind == "category":
            return self._category(criterion, context if criterion.value.from_sentence else match.group(0))
        return None

    def care_weeks(self, criterion: Criterion, sentence: str, match: re.Match[str]) -> float | None:
        """Weeks of this care: a duration beside the care term with no blocker word between them."""
        rule = criterion.value
        if rule is None:
            return None
        best: float | None = None
        for duration in self._duration.finditer(sentence):
            if duration.end() <= match.start():
                gap = sentence[duration.end():match.start()]
            elif duration.start() >= match.end():
                gap = sentence[match.end():duration.start()]
            else:
                continue
            if len(gap) > rule.near or (rule.blockers and re.search(rule.blockers, gap, re.IGNORECASE)):
                continue
            weeks = self._weeks(duration)
            if weeks is not None and (best is None or weeks > best):
                best = weeks
        return number(best) if best is not None else None
