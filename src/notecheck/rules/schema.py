"""The shape of every pattern file, as pydantic models: what a CDI lead may write, and what it means.

Each model forbids unknown keys, so a misspelt key is reported with its file and rule instead of being ignored.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .regex import Regex

ELEMENT_IDS: tuple[str, ...] = (
    "bilateral_needle_placement",
    "cement_injection",
    "imaging_guidance",
    "cavity_creation",
    "bone_biopsy",
)
SITE_CATEGORIES = ("sacral", "sacral_procedure", "other_site", "other_procedure", "landmark")
SIDE_CATEGORIES = ("left", "right", "bilateral", "contralateral", "repeat", "treated", "volume", "untreated", "only")
CODING_CATEGORIES = ("separate_imaging_code", "separate_biopsy_code", "modifier_50")
IGNORE = "ignore"
OTHER_SECTION = "other"


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(StrictModel):
    """One target rule: a literal, an optional regex, the category it yields, and why it exists."""

    literal: str = Field(min_length=1)
    pattern: Regex | None = None
    category: str | None = None
    comment: str = Field(min_length=3)
    finding: str | None = None


class Pattern(StrictModel):
    """A regex with a comment of intent: the shape every pattern-and-why entry shares."""

    pattern: Regex
    comment: str = Field(min_length=3)


class Cue(Pattern):
    """Words that must stand in the sentence for a mention to document the act, not just name the thing."""

    applies_to: Literal["positive", "both"] = Field(
        description="'both' also discounts negations without the act ('no cement in the canal' is no denial)"
    )


class ElementFile(StrictModel):
    element: str
    label: str
    description: str
    rules: list[Rule] = Field(min_length=1)
    cue: Cue | None = None


class MarksFile(StrictModel):
    description: str
    marks: dict[str, Regex]


class Anchors(StrictModel):
    substrings: list[str] = Field(min_length=1)
    comment: str = Field(min_length=3)


class RuleFile(StrictModel):
    description: str
    rules: list[Rule] = Field(min_length=1)
    prescreen_anchors: Anchors | None = None


class ContextCategory(StrictModel):
    effect: Literal["negates", "discounts"]
    reason: str


class ContextRuleData(StrictModel):
    literal: str = Field(min_length=1)
    category: str
    direction: Literal["FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"]
    pattern: Regex | None = None
    max_scope: int | None = Field(default=None, gt=0)
    excluded_types: list[str] | None = Field(default=None, description="'layer:category' targets it never modifies")
    comment: str = Field(min_length=3)


class ContextFile(StrictModel):
    description: str
    categories: dict[str, ContextCategory]
    rules: list[ContextRuleData] = Field(min_length=1)


class SectionCategory(StrictModel):
    role: Literal["performed", "context", "addendum"]
    titles: list[str] = Field(min_length=1)
    comment: str


class SectionFile(StrictModel):
    description: str
    generic_header: Regex
    field_affirmation: Regex
    encounter_date: Regex
    categories: dict[str, SectionCategory]



class BannedPhrase(StrictModel):
    pattern: Regex
    comment: str = Field(min_length=3)


class Compliance(StrictModel):
    """What every provider query must keep: required options, and phrases a compliant query never uses."""

    description: str
    required_options: list[str] = Field(min_length=1)
    banned: list[BannedPhrase] = Field(min_length=1)

    def violations(self, text: str) -> list[str]:
        return [b.comment for b in self.banned if re.search(b.pattern, text, re.IGNORECASE)]


class QueryTemplate(StrictModel):
    """One gap type's query: a neutral question and, where choices would not lead, the options."""

    gap: Literal["missing_required", "laterality_undetermined", "laterality_conflict", "volume_one_side",
                 "specimen_source", "when_performed_hint", "indication_hint"]
    element: str | None = None
    topic: str
    comment: str = Field(min_length=3)
    question: str = Field(min_length=10)
    options: list[str]


class NormalizeRule(StrictModel):
    """A rewrite before the pipeline: spoken punctuation, a misrecognised term, a dictated correction."""

    literal: str = Field(min_length=1)
    pattern: Regex
    to: str = Field(description="replacement; \\g<name> puts back a named group of the pattern")
    when: Literal["always", "dictated"] = Field(description="'dictated': only in notes that show dictation")
    comment: str = Field(min_length=3)

    @model_validator(mode="after")
    def _groups_exist(self) -> NormalizeRule:
        named = re.compile(self.pattern).groupindex
        for name in re.findall(r"\\g<(\w+)>", self.to):
            if name not in named:
                raise ValueError(f"to: refers to group {name!r}, which the pattern does not define")
        return self


class DictationSignal(Pattern):
    min_count: int = Field(ge=1)


class NormalizeFile(StrictModel):
    description: str
    dictation_signal: DictationSignal
    rules: list[NormalizeRule]


class DocumentType(Pattern):
    label: str


class EncounterFile(StrictModel):
    description: str
    heading_lines: int = Field(gt=0)
    document_types: dict[str, DocumentType]
    procedure_record: Pattern


class Profile(StrictModel):
    code: str
    title: str
    sides: Literal["bilateral", "unilateral"]
    elements: dict[str, Literal["required", "when_performed", "not_required"]]

