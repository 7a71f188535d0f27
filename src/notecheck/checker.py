"""The Python API: check a note's text and get the report model.

A Checker builds the pipeline once and reuses it; the module-level helpers share one default Checker per
process so a notebook user can call ``notecheck.check_text(text)`` without setup.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

from .errors import NotecheckError
from .indications import IndicationReader
from .judging import Assessor, EncounterJudge, build_report
from .learning import LearnedReader, rule_features
from .models import Encounter, LearnedReading, Report
from .reading import Normalizer, NoteScan, Scanner, normalize_newlines
from .rules import DEFAULT_INDICATIONS, PatternSet, load_patterns

DEFAULT_PROFILE = "0201T"
HEADER_CHARS = 2000  # the date of service stands in a note's header; scanning whole long notes cost 0.25 ms each


class Checker:
    """Checks notes against one profile with one pattern set; the NLP pipeline is built on first use."""

    def __init__(self, patterns: PatternSet | str | Path | None = None, profile: str = DEFAULT_PROFILE,
                 prescreen: bool = True, max_bytes: int | None = None,
                 indications: str | None = DEFAULT_INDICATIONS, learned: bool = True) -> None:
        self.patterns = patterns if isinstance(patterns, PatternSet) else load_patterns(patterns)
        self.indications = indications
        self._indications = self._indication_reader(indications)
        if profile not in self.patterns.profiles:
            known = ", ".join(sorted(self.patterns.profiles))
            raise NotecheckError(f"unknown profile {profile!r}: expected one of {known}")
        self.profile = self.patterns.profiles[profile]
        self._anchors, self._sacral_terms, self._element_terms = self.patterns.prescreen()
        self._use_prescreen = prescreen
        self._max_bytes = max_bytes
        self._date = re.compile(self.patterns.sections.encounter_date, re.IGNORECASE)
        self._assess = Assessor(self.patterns, self.profile.elements)
        self._normalize = Normalizer(self.patterns.normalize)
        self._encounter = EncounterJudge(self.patterns.encounter)
        self.learned = learned

    def _indication_reader(self, name: str | None) -> IndicationReader | None:
        """The criteria set's reader, or None when the checklist is off (``indications=None``)."""
        if name is None:
            return None
        if name not in self.patterns.indications:
            known = ", ".join(sorted(self.patterns.indications)) or "none in this pattern directory"
            raise NotecheckError(f"unknown indications set {name!r}: expected one of {known}")
        return IndicationReader(self.patterns.indications[name])

    @cached_property
    def scanner(self) -> Scanner:
        scanner = Scanner(self.patterns)
        if self._max_bytes is not None:  # a note within the byte limit has at most that many characters
            scanner.nlp.max_length = max(scanner.nlp.max_length, self._max_bytes + 1)
        return scanner

    @cached_property
    def reader(self) -> LearnedReader:
        """The learned reader shipped in the package, loaded on first use."""
        return LearnedReader.load()

    def for_profile(self, profile: str) -> Checker:
        """A checker for another profile of the same patterns that shares this one's pipeline and learned reader:
        both depend on the patterns only, so a service holding every profile builds (and holds) them once."""
        other = Checker(self.patterns, profile=profile, prescreen=self._use_prescreen, indications=self.indications,
                        learned=self.learned)
        other.__dict__["scanner"] = self.scanner  # fills the cached_property
        if self.learned:
            other.__dict__["reader"] = self.reader
        return other

    def scan(self, text: str) -> NoteScan:
        """Run the pipeline, or skip it when the note has no sacral term or no element term at all."""
        text = normalize_newlines(text)
        if self._use_prescreen and not self.anchored(text):
            return NoteScan(text=text, prescreened=True)  # no sacral anchor: nothing normalisation could add one
        normalized = self._normalize(text)
        if self._use_prescreen and not self._may_document(normalized.text):
            return NoteScan(text=text, prescreened=True)
        return self.scanner(normalized.text).with_source(normalized)

    def anchored(self, text: str) -> bool:
        """The sacral anchor test (a cheap substring test): a note without an anchor names no sacral site."""
        lowered = text.lower()
        return any(anchor in lowered for anchor in self._anchors)

    def _may_document(self, text: str) -> bool:
        """After the anchor test on the note as written: the sacral and element vocabularies."""
        return self._sacral_terms.search(text) is not None and self._element_terms.search(text) is not None

    @cached_property
    def _prescreened(self) -> Report:
        """The report every pre-screened note gets (nothing to attribute), built once."""
        scan = NoteScan(text="", prescreened=True)
        return build_report("", self._assess(scan), self.profile, self.patterns.profiles,
                            Encounter(procedure_recorded=False, document_type=None), prescreened=True)

    def read(self, text: str, report: Report) -> LearnedReading | None:
        """The learned reader's reading of every note with a sacral anchor, pre-screened by the element
        vocabulary or not: its own words (and the rules' reading, if its model was trained with it), never the
        medspaCy pipeline's Doc. None without an anchor (nothing sacral to read) or with the reader off."""
        written = normalize_newlines(text)
        if not self.learned or not self.anchored(written):
            return None
        return self.reader(written, rule_features(report) if self.reader.uses_rules else ())

    def check_text(self, text: str, note_id: str = "note") -> Report:
        report = self._check_rules(text, note_id)
        learned = self.read(text, report)
        return report.model_copy(update={"learned": learned}) if learned else report

    def _check_rules(self, text: str, note_id: str) -> Report:
        """The rules' report: elements, evidence, code; the learned reader never changes it."""
        scan = self.scan(text)
        date = self._date.search(scan.text, 0, HEADER_CHARS)
        encounter_date = date.group(1) if date else None
        encounter = self._encounter(scan.text)
        indications = self._indications(scan) if self._indications else None
        if scan.prescreened:
            return self._prescreened.model_copy(update={"note_id": note_id, "encounter_date": encounter_date,
                                                        "encounter": encounter, "indications": indications})
        assessment = self._assess(scan)
        report = build_report(note_id, assessment, self.profile, self.patterns.profiles, encounter,
                              encounter_date=encounter_date)
        return report.model_copy(update={"indications": indications}) if indications else report


_default: Checker | None = None


def default_checker() -> Checker:
    global _default
    if _default is None:
        _default = Checker()
    return _default


def check_text(text: str, note_id: str = "note") -> Report:
    """Check one note with the shipped patterns and the 0201T profile."""
    return default_checker().check_text(text, note_id=note_id)
