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
    removal: Pattern | None = Field(default=None, description="words of taking the device out: a sentence that only "
                                                              "says them fills a side, never overrides it")


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
                 "specimen_source", "when_performed_hint", "indication_hint", "unfilled_placeholder"]
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
    when: Literal["always", "dictated", "ocr"] = Field(
        description="'dictated': only in notes that show dictation; 'ocr': only in notes that show OCR damage")
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


class OcrConfusion(StrictModel):
    """A confusion OCR makes: it reads ``meant`` as ``seen`` (lower case; 'rn' for 'm', '1' for 'l')."""

    seen: str = Field(min_length=1)
    meant: str = Field(min_length=1)
    comment: str = Field(min_length=3)


class OcrRepair(StrictModel):
    """Repair of OCR damage: in a note that shows it (signal), a token that is not a word is replaced by the word
    that the listed confusions lead to; shapes that look damaged but are not (protected) never change."""

    signal: DictationSignal
    confusions: list[OcrConfusion] = Field(min_length=1)
    protected: Pattern
    vocabulary: list[str] = Field(description="domain words beside those every rule literal and section title "
                                              "gives, so 'sacroplasty' or 'mL' is a word")
    vocabulary_comment: str = Field(min_length=3)


class PlaceholderRule(StrictModel):
    """A template placeholder left unfilled ('[LEFT/RIGHT]', '{VOLUME}', 'Select: Yes/No', '***'): it documents
    nothing, and the note gets a finding naming its subject (the rule's, else the field it stands in)."""

    literal: str = Field(min_length=1)
    pattern: Regex
    subject: str | None = Field(default=None, description="what the field asks for ('side', 'volume'); none: "
                                                          "the label of the field it stands in")
    finding: str = Field(default="template field left unfilled: {subject}",
                         description="the finding's words; {subject} is replaced")
    comment: str = Field(min_length=3)


class NormalizeFile(StrictModel):
    description: str
    dictation_signal: DictationSignal
    rules: list[NormalizeRule]
    ocr: OcrRepair | None = None
    placeholders: list[PlaceholderRule] = Field(default_factory=list)


class DocumentType(Pattern):
    label: str
    quotes_records: bool = Field(default=False, description="a document of this type quotes procedure records "
                                                            "(a review quoting the op note): their structure never "
                                                            "makes it one")


class EarlierProcedure(Pattern):
    """A statement that the procedure was done on a date (named group 'date'); earlier than the document's own
    date, it makes the document one about an earlier procedure, unless the heading matches ``exempt``."""

    label: str
    exempt: Regex

    @model_validator(mode="after")
    def _has_date(self) -> EarlierProcedure:
        if "date" not in re.compile(self.pattern).groupindex:
            raise ValueError("pattern: needs a named group 'date'")
        return self


class EncounterFile(StrictModel):
    description: str
    heading_lines: int = Field(gt=0)
    document_types: dict[str, DocumentType]
    procedure_record: Pattern
    earlier_procedure: EarlierProcedure | None = None


class Profile(StrictModel):
    code: str
    title: str
    sides: Literal["bilateral", "unilateral"]
    elements: dict[str, Literal["required", "when_performed", "not_required"]]

