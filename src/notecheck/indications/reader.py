"""The indications checklist: what a payer reads for the indication, read from the note beside the CPT elements.

Works on a plain-data NoteScan (its sentences, their sections, offsets back to the note as written): the one the
pipeline already produced, or reading.PlainScanner's for a note the element pre-screen skipped; never on spaCy
objects and never with a second medspaCy pass, which would double the cost per note. Criteria terms are not target
rules, so the ConText modifiers on mentions do not reach them; the cues are regexes from the criteria set instead,
each looked for where its scope says:

- before the mention, in its sentence ('no trial of physical therapy', 'will consider bracing'); failure words
  ('without relief') are removed first, as they affirm that care failed;
- after it ('fractures of the pubic rami': another bone);
- in its clause (bounded by , ; . ( ) 'and' 'but'): a pain score from a previous visit or after the procedure, a
  function at baseline;
- from the start of its sentence part through it ('Will check coags and hold heparin': planned);
- once in the whole note (a post-procedure follow-up: its pain, function and care follow the procedure).

Values are read in values.py (numbers in words, ranges by their lower end, durations beside the care they measure
or from its start to the note's own date). The result never changes an element verdict or the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from ..models import CriterionEvidence, CriterionResult, CriterionStatus, Indications
from ..reading import NoteScan, PatternIndex
from ..rules import CriteriaSet, Criterion, compile_terms
from .dates import NoteDate
from .values import ValueReader

HINT_REASON = "named without a value"
NO_DURATION = "no duration of this care stated beside it"
MAX_EVIDENCE = 6
_CLAUSE_END = re.compile(r"[,;.()]|\b(?:but|and)\b", re.IGNORECASE)
_PART_END = re.compile(r"[;.]")
_AFTER_END = re.compile(r"[,;.()]")


@dataclass(frozen=True)
class _Sentence:
    start: int
    end: int
    text: str
    section: str | None


@dataclass(frozen=True)
class _Note:
    """What every criterion of one note reads: its sentences, the document-scope cues its text meets (a
    post-procedure follow-up), its title (first line), own date and setting."""

    scan: NoteScan
    sentences: list[_Sentence]
    about: frozenset[str]
    title: str
    as_of: date | None
    inpatient: bool
    skipped: frozenset[str]
    vocabulary: list[frozenset[int] | None]  # per sentence, the term patterns that may match it (None: all may)


class IndicationReader:
    """Reads one criteria set from notes; compiled once per set and reused for every note."""

    def __init__(self, criteria: CriteriaSet) -> None:
        self.criteria = criteria
        flags = re.IGNORECASE
        self._cues = {name: re.compile(cue.pattern, flags) for name, cue in criteria.cues.items()}
        self._unless = {name: re.compile(cue.unless, flags) for name, cue in criteria.cues.items() if cue.unless}
        self._inpatient = re.compile(criteria.inpatient.pattern, flags)
        self._terms = {c.id: compile_terms(c.terms) for c in criteria.criteria}
        self._requires = {c.id: compile_terms(c.requires) for c in criteria.criteria}
        self._exclude = {c.id: re.compile(c.exclude, flags) for c in criteria.criteria if c.exclude}
        self._hint = {c.id: re.compile(c.hint, flags) for c in criteria.criteria if c.hint}
        self._back = {c.id: re.compile(c.refers_back, flags) for c in criteria.criteria if c.refers_back}
        self._needs = {c.id: re.compile(c.needs.pattern, flags) for c in criteria.criteria if c.needs}
        vocabulary = list(dict.fromkeys([*(p for terms in self._terms.values() for p in terms), *self._back.values()]))
        self._vocabulary = PatternIndex(vocabulary, starts=False)
        position = {p: i for i, p in enumerate(vocabulary)}
        self._term_positions = {c: [(position[p], p) for p in terms] for c, terms in self._terms.items()}
        self._back_position = {c: position[p] for c, p in self._back.items()}
        self._values = ValueReader(criteria)
        self._date = NoteDate(criteria.document_date)
        reads, fracture = criteria.reads, "|".join(criteria.criterion("fracture_on_imaging").terms)
        near = rf"[^.]{{0,{reads.within}}}"
        self._names = re.compile(rf"{reads.procedures}|(?:{reads.site}){near}(?:{fracture})|(?:{fracture}){near}"
                                 rf"(?:{reads.site})", flags)

    def names(self, text: str) -> bool:
        """The set's own pre-screen: does the note name a sacral augmentation or a sacral fracture? The anchors
        (substrings every name holds) are tested first: most notes hold none and skip the regex."""
        lowered = text.lower()
        return any(a in lowered for a in self.criteria.reads.anchors) and self._names.search(text) is not None

    # -- sentences ------------------------------------------------------------------------------------------
    def _note(self, scan: NoteScan, procedure: bool) -> _Note:
        sentences = [_Sentence(s.start, s.end, scan.text[s.start:s.end], s.section) for s in scan.sentences]
        about = frozenset(name for name, cue in self.criteria.cues.items()
                          if cue.scope == "document" and self._cues[name].search(scan.text))
        title = scan.text.lstrip().split("\n", 1)[0]
        return _Note(scan, sentences, about, title, self._date(scan.text),
                     self._inpatient.search(scan.text) is not None,
                     frozenset() if procedure else frozenset(self.criteria.procedure_sections),
                     [self._vocabulary.candidates(s.text) for s in sentences])

    def _discount(self, criterion: Criterion, note: _Note, sentence: str, start: int, end: int,
                  cues: list[str] | None = None) -> str | None:
        """The first cue (of the criterion's, or of ``cues``) that stops a mention counting, in plain words; None
        when it counts. Each cue is looked for where its scope says: before the mention, in its clause, through
        it, or in the whole note."""
        for name in criterion.discount if cues is None else cues:
            cue = self.criteria.cues[name]
            unless = self._unless.get(name)
            if unless and unless.search(sentence):
                continue
            if cue.scope == "document":
                if name in note.about:
                    return cue.reason or name
                continue
            where = self._cues["pseudo_negation"].sub(" ", sentence[:start]) if cue.scope == "before" \
                else _scope_text(cue.scope, sentence, start, end)
            if self._cues[name].search(where):
                return cue.reason or name
        return None

    def _evidence(self, scan: NoteScan, sentence: _Sentence, start: int, end: int, counted: str,
                  value: float | str | None = None, reason: str | None = None) -> CriterionEvidence:
        return CriterionEvidence(**scan.quote(sentence.start + start, sentence.start + end,  # type: ignore[arg-type]
                                              sentence.start, sentence.end),
                                 section=sentence.section, value=value, counted=counted, reason=reason)

    # -- one criterion ---------------------------------------------------------------------------------------
    def _read(self, criterion: Criterion, note: _Note, index: int) -> str | None:
        """Sentence ``index`` as the criterion reads it, with what satisfied 'requires' before it; None where
        the criterion does not read that sentence (its section, an exclusion, a missing required word)."""
        sentence = note.sentences[index]
        text = sentence.text
        exclude = self._exclude.get(criterion.id)
        needed = criterion.section_requires.get(sentence.section or "")
        if (self._skips(criterion, note, sentence) or (exclude and exclude.search(text))
                or (needed and not re.search(needed, text, re.IGNORECASE))):
            return None
        title = note.title if criterion.title_pattern and re.search(criterion.title_pattern, note.title,
                                                                    re.IGNORECASE) else ""
        earlier = [s.text for s in note.sentences[max(0, index - criterion.requires_window):index]
                   if s.section == sentence.section]
        for pattern in self._requires[criterion.id]:
            if not (pattern.search(title) or pattern.search(text) or any(pattern.search(e) for e in earlier)):
                return None
        return " ".join([title, *earlier, text])

    @staticmethod
    def _skips(criterion: Criterion, note: _Note, sentence: _Sentence) -> bool:
        return sentence.section in criterion.sections_skipped and sentence.section not in note.skipped

    def _mentions(self, criterion: Criterion, note: _Note) -> list[tuple[_Sentence, re.Match[str], str]]:
        """Every term mention in the sentences the criterion reads, in note order, with its context; and words
        that refer back to a term named in the sentence before ('taking this')."""
        found: list[tuple[_Sentence, re.Match[str], str]] = []
        back = self._back.get(criterion.id)
        named_before: _Sentence | None = None
        positions = self._term_positions[criterion.id]
        for index, sentence in enumerate(note.sentences):
            candidates = note.vocabulary[index]  # every criterion's terms looked up in one pass per sentence
            terms = [p for position, p in positions if candidates is None or position in candidates]
            refers = (back is not None and named_before is not None and named_before.section == sentence.section
                      and (candidates is None or self._back_position[criterion.id] in candidates))
            context = self._read(criterion, note, index) if terms or refers else None
            if context is None:
                named_before = None
                continue
            matches = {(m.start(), m.end()): m for pattern in terms for m in pattern.finditer(sentence.text)}
            named = sentence if matches else None
            if refers and back is not None:
                matches.update({(m.start(), m.end()): m for m in back.finditer(sentence.text)})
            found += [(sentence, matches[key], context) for key in sorted(matches)]
            named_before = named
        return found

    def _weigh(self, criterion: Criterion, note: _Note, sentence: _Sentence, match: re.Match[str],
               context: str) -> tuple[float | str | None, str | None, bool]:
        """(value, reason it does not count or None, compared with the threshold) for one mention."""
        reason = self._discount(criterion, note, sentence.text, match.start(), match.end())
        if reason:
            return None, reason, False
        if criterion.value and criterion.value.kind == "duration":
            weeks = self._values.care_weeks(criterion, sentence.text, match, note.as_of)
            return weeks, None if weeks is not None else NO_DURATION, True
        return (self._values.of_mention(criterion, match, context), None,
                self._values.thresholded(criterion, match))

    def _named(self, criterion: Criterion, note: _Note) -> bool:
        """Does the note name what the criterion needs (a fracture not healed or denied), anywhere?"""
        needs = criterion.needs
        if needs is None:
            return True
        pattern = self._needs[criterion.id]
        for sentence in note.sentences:
            for match in pattern.finditer(sentence.text):
                if not self._discount(criterion, note, sentence.text, match.start(), match.end(), needs.discount):
                    return True
        return False

    def _criterion(self, criterion: Criterion, note: _Note) -> CriterionResult:
        threshold = self._values.threshold(criterion, note.inpatient)
        kind = criterion.value.kind if criterion.value else None
        counted: list[CriterionEvidence] = []
        scored: list[CriterionEvidence] = []
        discounted: list[CriterionEvidence] = []
        for sentence, match, context in self._mentions(criterion, note) if self._named(criterion, note) else []:
            value, reason, compared = self._weigh(criterion, note, sentence, match, context)
            if reason:
                discounted.append(self._evidence(note.scan, sentence, match.start(), match.end(), "discounted",
                                                 reason=reason))
                continue
            numeric = isinstance(value, (int, float))
            short = compared and numeric and threshold is not None and value < threshold  # type: ignore[operator]
            item = self._evidence(note.scan, sentence, match.start(), match.end(),
                                  "below_threshold" if short else "documented", value=value)
            counted.append(item)
            if compared and numeric:
                scored.append(item)
        status, value = _status(kind, counted, scored)
        if status == "missing" and criterion.id in self._hint and not any(
                e.reason == NO_DURATION for e in discounted):
            discounted += self._hints(criterion, note)
        detail = _detail(criterion, kind, counted, discounted, value)
        if kind == "score" and status != "missing" and not scored:
            threshold = None  # an ODI or a word decided: nothing was compared with the Roland-Morris threshold
        evidence = sorted(counted, key=lambda e: (e.counted != "documented", e.start)) + discounted
        return CriterionResult(label=criterion.label, status=status, value=value, threshold=threshold,
                               detail=detail, evidence=evidence[:MAX_EVIDENCE])

    def _hints(self, criterion: Criterion, note: _Note) -> list[CriterionEvidence]:
        """Mentions that hint at a missing criterion (pain named without a score), negations and plans aside."""
        hints = []
        for sentence in note.sentences:
            if self._skips(criterion, note, sentence):
                continue
            exclude = self._exclude.get(criterion.id)
            if exclude and exclude.search(sentence.text):
                continue
            match = self._hint[criterion.id].search(sentence.text)
            if match and not self._discount(criterion, note, sentence.text, match.start(), match.end()):
                hints.append(self._evidence(note.scan, sentence, match.start(), match.end(), "discounted",
                                            reason=HINT_REASON))
            if len(hints) == 3:
                break
        return hints

    def __call__(self, scan: NoteScan, procedure: bool = True) -> Indications:
        """The checklist read from one note's sentences (the pipeline's, or reading.PlainScanner's for a note the
        element pre-screen skipped). ``procedure``: the note records a procedure, so its technique and findings
        sections describe it and the criteria skip them as the set says; in a note that records none (a referral,
        a consult) they are narrative and read."""
        note = self._note(scan, procedure)
        return self._block(note.inpatient, True, {c.id: self._criterion(c, note) for c in self.criteria.criteria})

    @cached_property
    def unread(self) -> Indications:
        """The checklist of a note that names no sacral augmentation or fracture: not read, every criterion
        missing; the same for every such note, so built once."""
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


def _scope_text(scope: str, sentence: str, start: int, end: int) -> str:
    """The words a cue of this scope is looked for in, around the mention at start..end."""
    if scope == "through":  # from the last ; or . before the mention through the mention
        return sentence[max((m.end() for m in _PART_END.finditer(sentence, 0, start)), default=0):end]
    if scope == "after":  # to the next , ; . or parenthesis ('of the superior and inferior rami')
        after = _AFTER_END.search(sentence, end)
        return sentence[end: after.start() if after else len(sentence)]
    clause_start = max((m.end() for m in _CLAUSE_END.finditer(sentence, 0, start)), default=0)
    after = _CLAUSE_END.search(sentence, end)
    return sentence[clause_start: after.start() if after else len(sentence)]


def _status(kind: str | None, counted: list[CriterionEvidence],
            scored: list[CriterionEvidence]) -> tuple[CriterionStatus, float | str | None]:
    """Numbers decide over words: the highest value compared with the threshold (``scored``: a pain score, weeks
    of care, a Roland-Morris score) decides the status; else a score the set has no threshold for (ODI) is
    reported as its value; else a word ('severe') or a category documents the criterion."""
    if not counted:
        return "missing", None
    if scored:
        best = max(scored, key=lambda e: e.value)  # type: ignore[arg-type, return-value]
        return ("documented" if best.counted == "documented" else "below_threshold"), best.value
    numbers = [e for e in counted if isinstance(e.value, (int, float))]
    if numbers:
        return "documented", (numbers[0] if kind == "score" else max(numbers, key=lambda e: e.value)).value  # type: ignore[arg-type, return-value]
    return "documented", counted[0].value


def _detail(criterion: Criterion, kind: str | None, counted: list[CriterionEvidence],
            discounted: list[CriterionEvidence], value: float | str | None) -> str | None:
    """The words a coder reads beside the status: the care tried, the imaging date, several categories, a range
    as written."""
    if kind == "duration":
        tried = sorted({e.text.lower() for e in counted + discounted if e.reason in (None, NO_DURATION)})
        return ("tried: " + ", ".join(tried)) if tried else None
    if kind == "score":  # the named score that decided, by its name: 'Roland-Morris 20', 'Oswestry 56'
        decided = next((e for e in counted if isinstance(e.value, (int, float)) and e.value == value), None)
        return f"{decided.text.split()[0]} {value}" if decided else None
    if criterion.value and criterion.value.date and counted:
        date = re.search(criterion.value.date, counted[0].sentence)
        return f"{counted[0].value}, {date.group(0)}" if date else None
    if kind == "category" and len({e.value for e in counted}) > 1:
        return ", ".join(dict.fromkeys(str(e.value) for e in counted if e.value))
    ranges = [e.text for e in counted if re.search(r"\d\s*(?:-|–|to)\s*\d", e.text)]
    return f"range as written: {ranges[0]} (its lower end compared)" if ranges else None
