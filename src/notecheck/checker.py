"""The Python API: check a note's text and get the report model.

A Checker builds the pipeline once and reuses it; the module-level helpers share one default Checker per
process so a notebook user can call ``notecheck.check_text(text)`` without setup.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

from .errors import NotecheckError, NoteTooLong
from .indications import IndicationReader
from .judging import Assessor, EncounterJudge, build_report
from .judging.coding import DEFAULT_CODE
from .judging.verdict import Billed
from .learning import LearnedReader, agreement, rule_features
from .models import Encounter, Finding, Indications, LearnedReading, Report
from .reading import (
    Normalizer,
    NoteScan,
    PatternIndex,
    PlainScanner,
    Scanner,
    normalize_newlines,
)
from .rules import DEFAULT_INDICATIONS, PatternSet, load_patterns

HEADER_CHARS = 2000  # the date of service stands in a note's header; scanning whole long notes cost 0.25 ms each
SPACY_MAX_LENGTH = 1_000_000  # spaCy's default nlp.max_length, and the byte limit a Checker without one assumes
GROWTH = 2
"""The pipeline reads up to GROWTH x max_bytes characters: normalisation grows a note ('a=b' becomes 'a: b', a
tab becomes ': '; a quarter in the worst export seen), and a note within its byte limit must not fail for it."""


class Checker:
    """Checks notes with one pattern set; the NLP pipeline is built on first use.

    ``profile`` is the billed code notes are judged against ('0201T', '0201T-50'); without one, each note is judged
    against the code its documentation supports."""

    def __init__(self, patterns: PatternSet | str | Path | None = None, profile: str | None = None,
                 prescreen: bool = True, max_bytes: int | None = None,
                 indications: str | None = DEFAULT_INDICATIONS, learned: bool = True) -> None:
        self.patterns = patterns if isinstance(patterns, PatternSet) else load_patterns(patterns)
        self.indications = indications
        self._indications = self._indication_reader(indications)
        self.profile = profile
        self.billed = self.parse_billed(profile)
        self._anchors, self._sacral_terms, self._element_terms = self.patterns.prescreen()
        self._vocabularies = PatternIndex([self._sacral_terms, self._element_terms])
        self._use_prescreen = prescreen
        self._max_bytes = max_bytes
        self.max_chars = GROWTH * (max_bytes or SPACY_MAX_LENGTH)
        self._date = re.compile(self.patterns.sections.encounter_date, re.IGNORECASE)
        self._assess = Assessor(self.patterns, self.patterns.profiles[DEFAULT_CODE].elements)
        self._normalize = Normalizer(self.patterns.normalize, self.patterns.vocabulary())
        self._encounter = EncounterJudge(self.patterns.encounter)
        self._plain = PlainScanner(self.patterns.sections)
        self.learned = learned

    def parse_billed(self, value: str | None) -> Billed | None:
        """A billed code as written ('0201T', '0201T-50'), checked against the profiles; None for none."""
        return Billed.parse(value, self.patterns.profiles) if value else None

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
        scanner.nlp.max_length = max(scanner.nlp.max_length, self.max_chars + 1)  # checked in scan(), with sizes
        return scanner

    @cached_property
    def reader(self) -> LearnedReader:
        """The learned reader shipped in the package, loaded on first use."""
        return LearnedReader.load()

    def scan(self, text: str) -> NoteScan:
        """Run the pipeline, or skip it when the note has no sacral term or no element term at all."""
        text = normalize_newlines(text)
        return self._scan(text, self.anchored(text))

    def _scan(self, text: str, anchored: bool) -> NoteScan:
        """scan() of a note whose newlines are normalised and whose anchor test is done (check_text needs both)."""
        if len(text) > self.max_chars:
            raise NoteTooLong(f"note is {len(text):,} characters, over the pipeline's limit of {self.max_chars:,}")
        if self._use_prescreen and not anchored:
            return NoteScan(text=text, prescreened=True)  # no sacral anchor: nothing normalisation could add one
        normalized = self._normalize(text, self.max_chars)
        if self._use_prescreen and not self._may_document(normalized.text):
            return NoteScan(text=text, prescreened=True)
        return self.scanner(normalized.text).with_source(normalized)

    def anchored(self, text: str) -> bool:
        """The sacral anchor test (a cheap substring test): a note without an anchor names no sacral site."""
        lowered = text.lower()
        return any(anchor in lowered for anchor in self._anchors)

    def _may_document(self, text: str) -> bool:
        """After the anchor test on the note as written: the sacral and element vocabularies."""
        found = self._vocabularies.find(text)
        return (found.search(0, self._sacral_terms, text) is not None
                and found.search(1, self._element_terms, text) is not None)

    @cached_property
    def _prescreened(self) -> Report:
        """The report every pre-screened note without a billed code gets (nothing to attribute), built once."""
        return self._prescreened_report(None)

    def _prescreened_report(self, billed: Billed | None) -> Report:
        scan = NoteScan(text="", prescreened=True)
        return build_report("", self._assess(scan), self.patterns.profiles,
                            Encounter(procedure_recorded=False, document_type=None), billed=billed, prescreened=True)

    def check_text(self, text: str, note_id: str = "note", billed: str | None = None) -> Report:
        """The report for one note; ``billed`` (a code as written, '0201T-50') overrides the checker's own."""
        written = normalize_newlines(text)
        anchored = self.anchored(written)  # once: the pre-screen and the learned reader both ask
        report = self._check_rules(written, anchored, note_id, billed)
        if not self.learned or not anchored:
            return report
        return self._second_reading(report, self._read(written, report))

    def _read(self, written: str, report: Report) -> LearnedReading:
        """The learned reader's reading of a note with a sacral anchor, pre-screened by the element vocabulary or
        not: its own words (and the rules' reading, if its model was trained with it), never the medspaCy
        pipeline's Doc. A note without an anchor (nothing sacral to read) is never read."""
        return self.reader(written, rule_features(report) if self.reader.uses_rules else ())

    def _second_reading(self, report: Report, learned: LearnedReading) -> Report:
        """The two readers, one verdict: where the learned reader does not back the rules' code (another code, or
        less probability than its threshold), the verdict is review, its reason first; the rules' code, statuses
        and evidence stay as they are for the person who reads the note."""
        gate = agreement(report.suggested_code, learned, self.reader.threshold)
        if gate.agree:
            return report.model_copy(update={"learned": learned})
        reason = f"{gate.reason[0].upper()}{gate.reason[1:]}."  # every output already says "review" in its words
        return report.model_copy(update={
            "learned": learned, "verdict": "review", "complete": False,
            "verdict_reasons": [reason, *report.verdict_reasons],
            "findings": [*report.findings, Finding(kind="review", message=reason)]})

    def _check_rules(self, written: str, anchored: bool, note_id: str, billed: str | None) -> Report:
        """The rules' report: elements, evidence, code and verdict; the learned reader never changes the first
        four."""
        code = self.parse_billed(billed) if billed else self.billed
        scan = self._scan(written, anchored)
        date = self._date.search(scan.text, 0, HEADER_CHARS)
        encounter_date = date.group(1) if date else None
        encounter = self._encounter(scan.text, encounter_date)
        if scan.prescreened:
            base = self._prescreened if code is None else self._prescreened_report(code)
            report = base.model_copy(update={"note_id": note_id, "encounter_date": encounter_date,
                                             "encounter": encounter})
        else:
            report = build_report(note_id, self._assess(scan), self.patterns.profiles, encounter, billed=code,
                                  encounter_date=encounter_date)
        indications = self._checklist(scan, report.sacral_procedure, encounter.procedure_recorded)
        return report.model_copy(update={"indications": indications}) if indications else report

    def _checklist(self, scan: NoteScan, sacral: bool, recorded: bool) -> Indications | None:
        """The indications checklist, read where the note documents a sacral procedure or names a sacral
        augmentation or a sacral fracture (the criteria set's own pre-screen); a note naming neither (a lumbar
        kyphoplasty, an SI-joint injection, a hip fracture) is not read. A note the element pre-screen skipped is
        read from sentences found without the pipeline (reading.PlainScanner): a referral or an H&P stays
        not_applicable for the code, with its checklist read, and costs no pipeline run. Sections that describe
        a procedure are skipped where the note may record one (the pipeline ran and the encounter judgement
        found a procedure record), never in a pre-screened note, which names no procedure element."""
        reader = self._indications
        if reader is None:
            return None
        if not (sacral or reader.names(scan.text)):
            return reader.unread
        if not scan.prescreened:
            return reader(scan, procedure=recorded)
        normalized = self._normalize(scan.text)
        return reader(self._plain(normalized.text).with_source(normalized), procedure=False)


_default: Checker | None = None


def default_checker() -> Checker:
    global _default
    if _default is None:
        _default = Checker()
    return _default


def check_text(text: str, note_id: str = "note", billed: str | None = None) -> Report:
    """Check one note with the shipped patterns, against its billed code if given, else the code it supports."""
    return default_checker().check_text(text, note_id=note_id, billed=billed)
