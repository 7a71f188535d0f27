"""The indications checklist: what a payer reads for the indication, read from the note beside the CPT elements.

Works on the plain-data NoteScan the pipeline already produces (its sentences, their sections, offsets back to the
note as written), never on spaCy objects and never with a second medspaCy pass, which would double the cost per
note. Criteria terms are not target rules, so the ConText modifiers on mentions do not reach them; negation,
hypothetical, future and historical cues are regexes from the criteria set instead (values are read in values.py):

- negated / hypothetical / future: looked for in the words before the mention, in its sentence ('no trial of
  physical therapy', 'will consider bracing'); failure words ('without relief') are removed first, as they
  affirm that care failed;
- historical: looked for in the mention's clause (bounded by , ; . and 'but'), so a pain score from a previous
  visit or after the procedure is the wrong kind of value.

Values: numbers may be digits or words ('eight out of ten', 'six weeks'); a range ('7-8/10', '4-6 weeks') is
compared by its lower end, so it meets a threshold only if all of it does; a duration counts only beside the care
it measures, with no blocker word ('pain', 'ago', 'despite', ...) between, so 'pain for 3 months despite
analgesics' gives no duration of care. The result never changes an element verdict or the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models import CriterionEvidence, CriterionResult, CriterionStatus, Indications
from ..reading import NoteScan
from ..rules import CriteriaSet, Criterion, compile_terms
from .values import ValueReader

HINT_REASON = "named without a value"
NO_DURATION = "no duration of this care stated beside it"
MAX_EVIDENCE = 6
_CLAUSE_END = re.compile(r"[,;.]|\b(?:but|and)\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Sentence:
    start: int
    end: int
    text: str
    section: str | None


class IndicationReader:
    """Reads one criteria set from notes; compiled once per set and reused for every note."""

    def __init__(self, criteria: CriteriaSet) -> None:
        self.criteria = criteria
        flags = re.IGNORECASE
        self._cues = {name: re.compile(cue.pattern, flags) for name, cue in criteria.cues.items()}
        self._inpatient = re.compile(criteria.inpatient.pattern, flags)
        self._terms = {c.id: compile_terms(c.terms) for c in criteria.criteria}
        self._requires = {c.id: compile_terms(c.requires) for c in criteria.criteria}
        self._exclude = {c.id: re.compile(c.exclude, flags) for c in criteria.criteria if c.exclude}
        self._hint = {c.id: re.compile(c.hint, flags) for c in criteria.criteria if c.hint}
        self._values = ValueReader(criteria)
        reads, fracture = criteria.reads, "|".join(criteria.criterion("fracture_on_imaging").terms)
        near = rf"[^.]{{0,{reads.within}}}"
        self._names = re.compile(rf"{reads.procedures}|(?:{reads.site}){near}(?:{fracture})|(?:{fracture}){near}"
                                 rf"(?:{reads.site})", flags)

    def names(self, text: str) -> bool:
        """The set's own pre-screen: does the note name a sacral augmentation or a sacral fracture?"""
        return self._names.search(text) is not None

    # -- sentences ------------------------------------------------------------------------------------------
    @staticmethod
    def _sentences(scan: NoteScan) -> list[_Sentence]:
        return [_Sentence(s.start, s.end, scan.text[s.start:s.end], s.section) for s in scan.sentences]

    def _discount(self, criterion: Criterion, sentence: str, start: int, end: int) -> str | None:
        """The first cue that stops a mention counting, in plain words; None when it counts."""
        before = self._cues["pseudo_negation"].sub(" ", sentence[:start])
        for cue in criterion.discount:
            if cue == "historical":
                clause_start = max((m.end() for m in _CLAUSE_END.finditer(sentence, 0, start)), default=0)
                after = _CLAUSE_END.search(sentence, end)
                clause = sentence[clause_start: after.start() if after else len(sentence)]
                if self._cues[cue].search(clause):
                    return self.criteria.cues[cue].reason or cue
            elif self._cues[cue].search(before):
                return self.criteria.cues[cue].reason or cue
        return None

    def _evidence(self, scan: NoteScan, sentence: _Sentence, start: int, end: int, counted: str,
                  value: float | str | None = None, reason: str | None = None) -> CriterionEvidence:
        return CriterionEvidence(**scan.quote(sentence.start + start, sentence.start + end,  # type: ignore[arg-type]
                                              sentence.start, sentence.end),
                                 section=sentence.section, value=value, counted=counted, reason=reason)

    # -- one criterion ---------------------------------------------------------------------------------------
    def _criterion(self, criterion: Criterion, scan: NoteScan, sentences: list[_Sentence],
                   inpatient: bool) -> CriterionResult:
        threshold = self._values.threshold(criterion, inpatient)
        kind = criterion.value.kind if criterion.value else None
        counted: list[CriterionEvidence] = []
        discounted: list[CriterionEvidence] = []
        seen: set[tuple[int, int]] = set()
        exclude = self._exclude.get(criterion.id)
        title = scan.text.lstrip().split("\n", 1)[0]
        if not (criterion.title_pattern and re.search(criterion.title_pattern, title, re.IGNORECASE)):
            title = ""
        requires = [p for p in self._requires[criterion.id] if not p.search(title)]
        for index, sentence in enumerate(sentences):
            if sentence.section in criterion.sections_skipped:
                continue
            text = sentence.text
            if exclude and exclude.search(text):
                continue
            needed = criterion.section_requires.get(sentence.section or "")
            if needed and not re.search(needed, text, re.IGNORECASE):
                continue
            earlier = [s.text for s in sentences[max(0, index - criterion.requires_window):index]
                       if s.section == sentence.section]
            if not all(p.search(text) or any(p.search(e) for e in earlier) for p in requires):
                continue
            for pattern in self._terms[criterion.id]:
                for match in pattern.finditer(text):
                    if (sentence.start + match.start(), sentence.start + match.end()) in seen:
                        continue
                    seen.add((sentence.start + match.start(), sentence.start + match.end()))
                    reason = self._discount(criterion, text, match.start(), match.end())
                    if reason:
                        discounted.append(self._evidence(scan, sentence, match.start(), match.end(), "discounted",
                                                         reason=reason))
                        continue
                    if kind == "duration":
                        value = self._values.care_weeks(criterion, text, match)
                        if value is None:
                            discounted.append(self._evidence(scan, sentence, match.start(), match.end(),
                                                             "discounted", reason=NO_DURATION))
                            continue
                    else:
                        value = self._values.of_mention(criterion, match, " ".join([title, *earlier, text]))
                    short = threshold is not None and isinstance(value, (int, float)) and value < threshold
                    counted.append(self._evidence(scan, sentence, match.start(), match.end(),
                                                  "below_threshold" if short else "documented", value=value))
        status, value = _status(kind, counted, threshold)
        if status == "missing" and criterion.id in self._hint and not any(
                e.reason == NO_DURATION for e in discounted):
            discounted += self._hints(criterion, scan, sentences)
        detail = _detail(criterion, kind, counted, discounted)
        evidence = sorted(counted, key=lambda e: (e.counted != "documented", e.start)) + discounted
        return CriterionResult(label=criterion.label, status=status, value=value, threshold=threshold,
                               detail=detail, evidence=evidence[:MAX_EVIDENCE])

    def _hints(self, criterion: Criterion, scan: NoteScan, sentences: list[_Sentence]) -> list[CriterionEvidence]:
        """Mentions that hint at a missing criterion (pain named without a score), negations and plans aside."""
        hints = []
        for sentence in sentences:
            if sentence.section in criterion.sections_skipped:
                continue
            exclude = self._exclude.get(criterion.id)
            if exclude and exclude.search(sentence.text):
                continue
            match = self._hint[criterion.id].search(sentence.text)
            if match and not self._discount(criterion, sentence.text, match.start(), match.end()):
                hints.append(self._evidence(scan, sentence, match.start(), match.end(), "discounted",
                                            reason=HINT_REASON))
            if len(hints) == 3:
                break
        return hints

    def __call__(self, scan: NoteScan) -> Indications:
        """The checklist read from one note's sentences (the pipeline's, or reading.PlainScanner's for a note the
        element pre-screen skipped)."""
        sentences = self._sentences(scan)
        inpatient = self._inpatient.search(scan.text) is not None
        return self._block(inpatient, True, {c.id: self._criterion(c, scan, sentences, inpatient)
                                             for c in self.criteria.criteria})

    def unread(self) -> Indications:
        """The checklist of a note that names no sacral augmentation or fracture: not read, every criterion
        missing."""
        return self._block(False, False, {c.id: CriterionResult(label=c.label, status="missing",
                                                                threshold=self._values.threshold(c, False))
                                          for c in self.criteria.criteria})

    def _block(self, inpatient: bool, read: bool, criteria: dict[str, CriterionResult]) -> Indications:
        return Indications(
            criteria_set=self.criteria.name,
            notice=self.criteria.notice,
            sources=[f"{s.id} ({s.effective}{'' if s.verified else '; ' + self.criteria.recorded})"
                     for s in self.criteria.sources],
            setting="inpatient" if inpatient else "outpatient",
            read=read,
            criteria=criteria,
        )


def _status(kind: str | None, counted: list[CriterionEvidence],
            threshold: float | None) -> tuple[CriterionStatus, float | str | None]:
    """Numbers decide over words: the highest stated value against the threshold; a word ('severe') or a
    category documents the criterion when no number was stated."""
    if not counted:
        return "missing", None
    numbers = [e for e in counted if isinstance(e.value, (int, float))]
    words = [e for e in counted if not isinstance(e.value, (int, float))]
    if kind == "score" and any(e.counted == "documented" for e in counted):
        documented = [e for e in counted if e.counted == "documented"]
        best = next((e for e in documented if isinstance(e.value, (int, float))), documented[0])
        return "documented", best.value
    if numbers:
        best = max(numbers, key=lambda e: e.value)  # type: ignore[arg-type, return-value]
        if threshold is None or best.counted == "documented":
            return "documented", best.value
        return "below_threshold", best.value
    return "documented", words[0].value


def _detail(criterion: Criterion, kind: str | None, counted: list[CriterionEvidence],
            discounted: list[CriterionEvidence]) -> str | None:
    """The words a coder reads beside the status: the care tried, the imaging date, several categories, a range
    as written."""
    if kind == "duration":
        tried = sorted({e.text.lower() for e in counted + discounted if e.reason in (None, NO_DURATION)})
        return ("tried: " + ", ".join(tried)) if tried else None
    if criterion.value and criterion.value.date and counted:
        date = re.search(criterion.value.date, counted[0].sentence)
        return f"{counted[0].value}, {date.group(0)}" if date else None
    if kind == "category" and len({e.value for e in counted}) > 1:
        return ", ".join(dict.fromkeys(str(e.value) for e in counted if e.value))
    ranges = [e.text for e in counted if re.search(r"\d\s*(?:-|–|to)\s*\d", e.text)]
    return f"range as written: {ranges[0]} (its lower end compared)" if ranges else None
