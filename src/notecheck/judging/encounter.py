"""The encounter judgement: does this document record a procedure performed in this encounter?

Element rules read sentences; a coder first reads the document. A patient-education leaflet, a clinic letter with
a consent form, a consult, a discharge summary or a follow-up can describe a sacroplasty in the past tense and in
detail without being its record. The document's type comes from its heading; a typed document still records a
procedure when it has a procedure record's structure (a time-out, blood loss, the patient positioned prone).
A document that says the procedure was done on a date before its own (a CT report the day after, a visit with a
copied-forward summary) is about that earlier procedure, unless it has a procedure record's structure itself.
The rules are data in patterns/encounter.json.
"""

from __future__ import annotations

import re

from ..models import Encounter
from ..rules import EncounterFile
from .dates import parse_date


class EncounterJudge:
    """Compiled once per checker."""

    def __init__(self, rules: EncounterFile) -> None:
        self.heading_lines = rules.heading_lines
        # one regex for every type, a named group each: a note's heading lines are searched once, not per type
        self.types = re.compile("|".join(f"(?P<{name}>{t.pattern})" for name, t in rules.document_types.items()),
                                re.IGNORECASE | re.MULTILINE)
        self.labels = {name: t.label for name, t in rules.document_types.items()}
        self.quoting = {name for name, t in rules.document_types.items() if t.quotes_records}
        self.record = re.compile(rules.procedure_record.pattern, re.IGNORECASE)
        earlier = rules.earlier_procedure
        self.earlier = re.compile(earlier.pattern, re.IGNORECASE) if earlier else None
        self.exempt = re.compile(earlier.exempt, re.IGNORECASE) if earlier else None
        self.earlier_label = earlier.label if earlier else ""

    def __call__(self, text: str, document_date: str | None = None) -> Encounter:
        """``document_date``: the date of service as written in the note's header, if any."""
        found = self._document_type(text) or self._earlier_procedure(text, document_date)
        if found is None:
            return Encounter(procedure_recorded=True, document_type=None)
        name, label, line = found
        evidence = [f"{label}: {line}"]
        record = None if name in self.quoting else self.record.search(text)
        if record is not None:
            evidence.append(f"procedure record: {_line_at(text, record.start())}")
        return Encounter(procedure_recorded=record is not None, document_type=name, evidence=evidence)

    def _earlier_procedure(self, text: str, document_date: str | None) -> tuple[str, str, str] | None:
        """A statement that the procedure was done on a date before the document's own date."""
        own = parse_date(document_date) if document_date and self.earlier is not None else None
        if own is None or self.earlier is None or self.exempt is None or self._heading_matches(text, self.exempt):
            return None
        for match in self.earlier.finditer(text):
            when = parse_date(match.group("date") or match.groupdict().get("date2") or "")
            if when is not None and when < own:
                return "earlier_procedure", self.earlier_label, _line_at(text, match.start())
        return None

    def _heading_lines(self, text: str) -> list[str]:
        return [line for line in text.split("\n", self.heading_lines * 4)[: self.heading_lines * 4]
                if line.strip()][: self.heading_lines]

    def _heading_matches(self, text: str, regex: re.Pattern[str]) -> bool:
        return any(regex.search(line) for line in self._heading_lines(text))

    def _document_type(self, text: str) -> tuple[str, str, str] | None:
        """The first type named near the start of one of the first lines that hold text, where a document says
        what it is; words after a field label or a sentence ('Addendum: requisition cancelled') name none."""
        for line in self._heading_lines(text):
            for found in self.types.finditer(line, 0, TITLE_CHARS + 80):  # a type stands near the line's start
                if found.start() > TITLE_CHARS or _LEAD.search(line, 0, found.start()):
                    break
                name = found.lastgroup or ""
                return name, self.labels[name], " ".join(line.split())
        return None


TITLE_CHARS = 40  # a type named further into a line is part of a sentence, not the document's title
_LEAD = re.compile(r"[:.]")


def _line_at(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return " ".join(text[start : end if end >= 0 else len(text)].split())
