"""The verdict: one judgement per note, made here once and shown the same way by every output.

A note is judged against the code its documentation supports, or against the billed code where one is known
(then it says plainly when the documentation supports another). A sacral procedure that supports no code is judged
against the code it set out to do: needles on both sides, 0201T. Whatever the verdict, it carries its reasons in
plain words, so a coder never has to read a status table to learn why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import NotecheckError
from ..models import ElementResult, Encounter, Finding
from ..rules import Profile

_BILLED = re.compile(r"\s*(?P<code>\d{4}[A-Z])(?:\s*[-\s]\s*(?P<modifier>[A-Z0-9]{2}))?\s*", re.IGNORECASE)
PRESCREENED_REASON = ("No sacral site is named together with needle, cement, imaging, cavity or biopsy terms: not "
                      "a sacral augmentation note.")


@dataclass(frozen=True)
class Billed:
    """A billed code as a coder writes it: '0201T', '0201T-50' (the code plus a modifier)."""

    code: str
    modifier: str | None = None

    @classmethod
    def parse(cls, value: str, profiles: dict[str, Profile]) -> Billed:
        match = _BILLED.fullmatch(value)
        code = match.group("code").upper() if match else value
        if match is None or code not in profiles:
            known = ", ".join(sorted(profiles))
            raise NotecheckError(f"billed code {value!r}: expected one of {known}, optionally with a modifier "
                                 "('0201T-50')")
        modifier = match.group("modifier")
        return cls(code, modifier.upper() if modifier else None)


@dataclass
class Judgement:
    """The verdict, the code it was judged against, what that code misses, and why, in plain words."""

    verdict: str
    against: Profile | None
    missing: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class Facts:
    """What the judgement reads from a note's assessment."""

    elements: dict[str, ElementResult]
    laterality: str
    supported: str | None
    needle_sides: frozenset[str]
    augmentation_named: bool  # a sacral augmentation named as done ('sacroplasty was performed'), cement or not
    declared_bilateral: bool
    encounter: Encounter
    prescreened: bool = False


def judge(facts: Facts, billed: Billed | None, profiles: dict[str, Profile]) -> Judgement:
    """not_applicable, complete or incomplete (review is the learned reader's to give). A billed code on a note
    that records no sacral augmentation is a claim without documentation: incomplete, never not applicable."""
    judgement = _judge(facts, billed, profiles)
    if judgement.verdict != "not_applicable" or billed is None:
        return judgement
    against = profiles[billed.code]
    mismatch = f"The documentation supports no code; billed {billed.code}."
    return Judgement("incomplete", against, _missing(facts.elements, against), [*judgement.reasons, mismatch],
                     [Finding(kind="billed_code_mismatch", message=mismatch)])


def _judge(facts: Facts, billed: Billed | None, profiles: dict[str, Profile]) -> Judgement:
    if facts.prescreened:
        return Judgement("not_applicable", None, reasons=[PRESCREENED_REASON])
    if not facts.encounter.procedure_recorded:
        kind = facts.encounter.evidence[0] if facts.encounter.evidence else "document"
        return Judgement("not_applicable", None, reasons=[
            f"This document is a {kind}: it describes but does not record a procedure performed in this encounter."])
    if facts.supported is not None:
        return _against_supported(facts, billed, profiles)
    cement = facts.elements["cement_injection"].status == "documented"
    discontinued = not cement and bool(facts.needle_sides) and facts.augmentation_named
    if not cement and not discontinued:
        return Judgement("not_applicable", None, reasons=["No sacral augmentation is documented in this note."])
    intended = "0201T" if facts.needle_sides == {"left", "right"} or facts.declared_bilateral else "0200T"
    against = profiles[billed.code] if billed else profiles.get(intended) or profiles[min(profiles)]
    missing = _missing(facts.elements, against)
    if discontinued:
        reason = ("Needles were placed in the sacrum but no cement was injected: the procedure reads as "
                  "discontinued, and it supports no code.")
        finding = Finding(kind="discontinued", message=reason)
    else:
        reason = "Sacral cement injection is documented but its side(s) cannot be determined: no code is supported."
        finding = None
    reasons = [reason] + [missing_words(facts.elements[e]) for e in missing if e != "cement_injection"]
    return Judgement("incomplete", against, missing, reasons, [finding] if finding else [])


def _against_supported(facts: Facts, billed: Billed | None, profiles: dict[str, Profile]) -> Judgement:
    against = profiles[billed.code] if billed else profiles[facts.supported]  # type: ignore[index]
    missing = _missing(facts.elements, against)
    reasons = [missing_words(facts.elements[e]) for e in missing]
    findings = []
    if billed and billed.code != facts.supported:
        mismatch = f"The documentation supports {facts.supported}; billed {billed.code}."
        reasons.insert(0, mismatch)
        findings.append(Finding(kind="billed_code_mismatch", message=mismatch))
    return Judgement("incomplete" if reasons else "complete", against, missing, reasons, findings)


def _missing(elements: dict[str, ElementResult], against: Profile) -> list[str]:
    return [e for e, requirement in against.elements.items()
            if requirement == "required" and elements[e].status != "documented"]


def missing_words(result: ElementResult) -> str:
    """'Imaging guidance is not documented.': a required element's gap in a coder's words."""
    verb = "is documented as not performed" if result.status == "not_performed" else "is not documented"
    return f"{result.label} {verb}."
