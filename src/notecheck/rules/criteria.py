"""Criteria sets for the indications checklist (patterns/indications/*.json), validated on load like every rule.

A criteria set is data a CDI lead can read: the words that document each criterion, the value to take, the
threshold a policy states and the sources with their dates. Thresholds live here, never in code. The seven
criterion ids are part of the report contract, so every set must define exactly them.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from .regex import Regex, flexible_spaces
from .schema import Pattern, StrictModel

CRITERION_IDS: tuple[str, ...] = (
    "fracture_on_imaging",
    "etiology",
    "pain_severity",
    "failed_conservative_care",
    "functional_impairment",
    "contraindications_addressed",
    "osteoporosis_follow_up",
)
CRITERION_STATUSES: tuple[str, ...] = ("documented", "below_threshold", "missing")
DEFAULT_INDICATIONS = "lcd-vertebral-augmentation"


class Source(StrictModel):
    id: str
    title: str
    effective: str = Field(description="Effective dates as notecheck could state them.")
    verified: bool = Field(description="False when the dates and text were not checked against the source.")
    comment: str = Field(min_length=3)


class Threshold(StrictModel):
    value: float
    comment: str = Field(min_length=3)


class Cue(Pattern):
    reason: str | None = Field(default=None, description="Why a mention it discounts did not count, in plain "
                                                         "words.")
    scope: Literal["before", "after", "clause", "through", "document"] = Field(
        default="before", description="Where the cue is looked for: in the words before the mention in its "
                                      "sentence; in the words after it, to the next , ; . or parenthesis; anywhere in "
                                      "the mention's clause (bounded by , ; . ( ) 'and' 'but'); from the last ; "
                                      "or . before it through the mention itself; or in "
                                      "the whole note, once (the pattern anchors itself: a post-procedure "
                                      "follow-up's title).")
    unless: Regex | None = Field(default=None, description="The cue does not apply where the mention's sentence "
                                                           "matches this (a hold planned on a stated day).")


class Reads(StrictModel):
    """Which notes the checklist reads: those that name a sacral augmentation (done, planned, requested or
    considered) or a sacral fracture. A note naming neither is not read: the checklist is about a sacral
    augmentation, and reading every note of an audit would cost a pipeline-free read of each."""

    procedures: Regex = Field(description="Names of a sacral augmentation.")
    site: Regex = Field(description="Sacral site words; a site within `within` characters of one of "
                                    "fracture_on_imaging's terms names a sacral fracture.")
    within: int = Field(default=80, ge=1, description="Most characters between the site and the fracture word, "
                                                      "in one sentence.")
    anchors: list[str] = Field(min_length=1, description="Lower-case substrings every name holds ('sacr'): a note "
                                                         "with none is not searched.")
    comment: str = Field(min_length=3)


class ValueRule(StrictModel):
    """How a criterion's value is read: a category, a number (pain), a duration in weeks, or a named score."""

    kind: Literal["category", "number", "duration", "score"]
    categories: dict[str, Regex] = Field(default_factory=dict)
    date: Regex | None = None
    from_sentence: bool = Field(default=False, description="Read the category from the whole sentence (the "
                                                           "imaging modality), not from the matched words.")
    threshold: list[str] = Field(default_factory=list, description="Threshold names: [outpatient, inpatient] "
                                                                    "for pain, one name otherwise.")
    qualitative: str | None = Field(default=None, description="The value a word such as 'severe' gives.")
    near: int = Field(default=45, description="Most characters between a duration and the care it measures.")
    blockers: Regex | None = Field(default=None, description="Words between a duration and the care that make it "
                                                              "the duration of something else.")
    since: Regex | None = Field(default=None, description="Words that date the start of the care ('since "
                                                           "01/15/2024', 'since admission 9 days ago', 'starting "
                                                           "05/07'): the care lasted from then to the note's date.")
    scored: Regex | None = Field(default=None, description="Score names compared with the threshold.")


class Needs(StrictModel):
    """What the note must name, somewhere and not discounted, for a criterion to be read at all."""

    pattern: Regex
    discount: list[str] = Field(default_factory=list, description="Cues (names under 'cues') that stop a mention "
                                                                  "of the pattern counting.")
    comment: str = Field(min_length=3)


class Criterion(StrictModel):
    id: str
    label: str
    description: str = Field(min_length=3)
    terms: list[Regex] = Field(min_length=1)
    requires: list[Regex] = Field(default_factory=list, description="Each must also match the sentence.")
    value: ValueRule | None = None
    discount: list[str] = Field(default_factory=list, description="Cues (names under 'cues') that stop a mention "
                                                                  "counting; 'historical' is looked for in the "
                                                                  "mention's clause, the others before it.")
    exclude: Regex | None = Field(default=None, description="A sentence matching this is not about the criterion.")
    sections_skipped: list[str] = Field(default_factory=list, description="Section categories never read.")
    section_requires: dict[str, Regex] = Field(default_factory=dict, description="Section -> words a sentence "
                                                                           "there must hold to be read (an "
                                                                           "assessment's 'failed' in a plan).")
    requires_window: int = Field(default=0, description="Earlier sentences of the same section that may satisfy "
                                                        "'requires' ('The MRI was reviewed. The left ala shows "
                                                        "an acute fracture line.').")
    title_pattern: Regex | None = Field(default=None, description="A note whose first line matches (an imaging "
                                                                  "report: 'MRI PELVIS') needs no 'requires' that "
                                                                  "its title already meets.")
    hint: Regex | None = Field(default=None, description="Words that hint at the criterion where it is missing "
                                                         "(pain named without a score): grounds for a query.")
    needs: Needs | None = Field(default=None, description="Read only where the note names this (a fracture not "
                                                          "healed or denied, for its etiology).")
    refers_back: Regex | None = Field(default=None, description="Words that stand for the criterion's term named "
                                                                "in the sentence before ('She has been taking this "
                                                                "for 10 days'): read as a mention of it.")


class CriteriaSet(StrictModel):
    name: str
    title: str
    notice: str = Field(min_length=10)
    recorded: str
    sources: list[Source] = Field(min_length=1)
    thresholds: dict[str, Threshold]
    inpatient: Cue
    reads: Reads
    procedure_sections: list[str] = Field(default_factory=list, description="Section categories that describe a "
                                                                           "procedure performed (technique, "
                                                                           "findings): a criterion skips them only "
                                                                           "in a note that records a procedure; "
                                                                           "in a referral or a consult a "
                                                                           "'Clinical summary:' is narrative.")
    document_date: list[Regex] = Field(default_factory=list, description="Labels of the note's own date, most "
                                                                        "telling first ('Date of visit:', "
                                                                        "'Prepared:'); durations since a date "
                                                                        "are counted up to it.")
    numbers: dict[str, int]
    units_in_weeks: dict[str, float]
    cues: dict[str, Cue]
    criteria: list[Criterion]

    def problems(self, label: str) -> list[str]:
        """What pydantic cannot check: the contract's ids, and names that point at other parts of the set."""
        found = [c.id for c in self.criteria]
        out = [] if found == list(CRITERION_IDS) else [
            f"{label}: criteria: expected exactly {', '.join(CRITERION_IDS)} in that order, found {', '.join(found)}"]
        for needed in ("pseudo_negation", "negated", "hypothetical", "future", "historical"):
            if needed not in self.cues:
                out.append(f"{label}: cues: {needed!r} is missing")
        for criterion in self.criteria:
            for name in [*criterion.discount, *(criterion.needs.discount if criterion.needs else [])]:
                if name not in self.cues:
                    out.append(f"{label}: criterion {criterion.id!r} discount: {name!r} is not under 'cues'")
            for name in criterion.value.threshold if criterion.value else []:
                if name not in self.thresholds:
                    out.append(f"{label}: criterion {criterion.id!r} value.threshold: {name!r} is not under "
                               "'thresholds'")
        if label.removesuffix(".json").rsplit("/", 1)[-1] != self.name:
            out.append(f"{label}: name: expected the file's name, found {self.name!r}")
        return out

    def criterion(self, criterion_id: str) -> Criterion:
        return next(c for c in self.criteria if c.id == criterion_id)


def compile_terms(patterns: list[str]) -> list[re.Pattern[str]]:
    """Case-insensitive, with a written space matching any whitespace run (notes wrap lines mid-phrase)."""
    return [re.compile(flexible_spaces(p), re.IGNORECASE) for p in patterns]
