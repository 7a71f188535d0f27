"""The report contract: the one interface between the checker core and every output format.

Field names and values are read by other tools; change them only with a schema version bump.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "2.1"  # 2.1: the learned reader's reading (learned), and review verdicts

Status = Literal["documented", "not_performed", "missing"]
Requirement = Literal["required", "when_performed", "not_required"]
Laterality = Literal["bilateral", "left", "right", "unspecified", "none"]
Side = Literal["left", "right"]
Verdict = Literal["not_applicable", "complete", "incomplete", "review"]
"""The one verdict every surface shows. not_applicable: the document records no sacral augmentation in this
encounter. complete: the documentation supports a code and documents every element that code requires.
incomplete: a sacral augmentation is recorded but a required element of the code it is judged against is missing
(or it was discontinued, or its side cannot be told, or it supports another code than the one billed). review: a
person should read it (the learned reader and the rules disagree, or the learned reader is unsure)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Quote(_Model):
    """Where a statement stands in the note as written: the fields every kind of evidence shares."""

    text: str = Field(description="The matched words, as written in the note.")
    start: int = Field(description="Character offset of the match in the note as written.")
    end: int = Field(description="Character offset just past the match.")
    line: int = Field(description="1-based line of the note the match starts on.")
    sentence: str = Field(description="The sentence the match stands in, whitespace collapsed.")
    section: str | None = Field(description="Section category the sentence belongs to, if any header was found.")


class Evidence(_Quote):
    """One mention the checker weighed, and whether it counted."""

    modifiers: list[str] = Field(description="ConText modifiers that applied, as 'CATEGORY: text'.")
    sides: list[Side] = Field(description="Sides the mention was attributed to.")
    counted: Literal["documented", "not_performed", "discounted"] = Field(
        description="How the mention counted: as documentation, as an explicit negation, or not at all."
    )
    reason: str | None = Field(default=None, description="Why a discounted mention did not count.")


class ElementResult(_Model):
    status: Status
    requirement: Requirement
    label: str
    sides: list[Side] = Field(default_factory=list, description="Sides documented (needle and cement elements).")
    evidence: list[Evidence] = Field(default_factory=list, description="Counted mentions first, then discounted ones.")


class Finding(_Model):
    kind: str = Field(description="Stable machine name of the finding, e.g. 'missing_required'.")
    message: str = Field(description="The finding in plain words for a coder.")
    element: str | None = None
    evidence: list[Evidence] = Field(default_factory=list, description="Statements behind the finding, if any.")


SourceKind = Literal["title", "field", "narrative", "addendum"]


class LedgerEntry(_Model):
    """What the note says of one act on one side, and the statement that decided it."""

    state: Literal["done", "not_done", "unknown"]
    source: SourceKind | None = Field(default=None, description="Where the deciding statement stands; addenda "
                                                                "outrank the body (fields and narrative, the "
                                                                "later statement winning), which outranks the "
                                                                "title.")
    line: int | None = Field(default=None, description="1-based line of the deciding statement.")
    quote: str | None = Field(default=None, description="The deciding words, as written.")


class Encounter(_Model):
    """Whether this document records a procedure performed in this encounter; codes are gated on it."""

    procedure_recorded: bool = Field(description="False for handouts, letters, consults, summaries, follow-ups, "
                                                 "orders and forms that describe a procedure but do not record one.")
    document_type: str | None = Field(description="The document type read from the heading, if recognised.")
    evidence: list[str] = Field(default_factory=list, description="Lines that decided it, as written.")


CriterionStatus = Literal["documented", "below_threshold", "missing"]


class CriterionEvidence(_Quote):
    """One statement weighed for an indication criterion, and how it counted."""

    value: int | float | str | None = Field(default=None, description="The value this statement gives, if any.")
    counted: Literal["documented", "below_threshold", "discounted"]
    reason: str | None = Field(default=None, description="Why a discounted statement did not count.")


class CriterionResult(_Model):
    label: str
    status: CriterionStatus = Field(description="documented; below_threshold (a value is stated but short of the "
                                                "set's threshold); or missing.")
    value: int | float | str | None = Field(default=None, description="The value that decided the status: a number "
                                                                "(pain score, weeks, score) or a category.")
    threshold: int | float | None = Field(default=None, description="The set's threshold the value was compared "
                                                                    "with.")
    detail: str | None = Field(default=None, description="What else the note states: modality and date, care "
                                                         "tried, a range as written.")
    evidence: list[CriterionEvidence] = Field(default_factory=list, description="Counted statements first.")


class Indications(_Model):
    """The indications checklist: a coverage aid beside the CPT elements. It never changes a verdict or code."""

    criteria_set: str = Field(description="Name of the criteria set (patterns/indications/<name>.json).")
    notice: str = Field(description="Plain words: a coverage aid, not a coding rule.")
    sources: list[str] = Field(description="Policies the set cites, with their effective dates as recorded.")
    setting: Literal["outpatient", "inpatient"] = Field(description="Which pain threshold applied.")
    read: bool = Field(default=True, description="False for a pre-screened note that names no sacral augmentation "
                                                 "or sacral fracture: it was not read, and every criterion is "
                                                 "missing.")
    criteria: dict[str, CriterionResult] = Field(description="Keyed by the seven criterion ids.")


class LearnedReading(_Model):
    """The learned reader's reading of a note: a second reader, trained on labeled notes, independent of the rules.

    It reads every note with a sacral anchor and never changes an element status or the suggested code."""

    probabilities: dict[str, float] = Field(
        description="0201T (both sides treated) / 0200T (one side) / side_unknown (a sacral augmentation done here "
                    "whose side cannot be told) / none (no sacral augmentation done here) -> probability; they add "
                    "up to 1 (rounded to 4 places).")
    performed: float = Field(description="Probability that the document records a sacral augmentation performed in "
                                         "this encounter: 0201T + 0200T + side_unknown.")


class Report(_Model):
    """What one note documents, and the verdict against the code it was judged against."""

    schema_version: str = SCHEMA_VERSION
    note_id: str
    verdict: Verdict = Field(description="not_applicable, complete, incomplete or review: the one verdict every "
                                         "output shows.")
    verdict_reasons: list[str] = Field(default_factory=list, description="Why, in plain words: what is missing, "
                                                                         "or why the note is not applicable or in "
                                                                         "review.")
    profile: str | None = Field(description="The code the note was judged against: the billed code when one was "
                                            "given, else the code its documentation supports (for a sacral "
                                            "procedure that supports none, the code it set out to do); null when "
                                            "not applicable.")
    billed_code: str | None = Field(default=None, description="The billed code given with the note (--billed, a "
                                                              "billed_code field or column, a request field).")
    billed_modifier: str | None = Field(default=None, description="A modifier given with the billed code "
                                                                  "('0201T-50' -> '50').")
    sacral_procedure: bool = Field(description="Sacral cement augmentation documented in this encounter.")
    laterality: Laterality
    elements: dict[str, ElementResult]
    missing_required: list[str] = Field(description="Elements the judged-against code requires that are not "
                                                    "documented.")
    complete: bool = Field(description="True exactly when the verdict is complete.")
    suggested_code: str | None = Field(description="The code the documentation supports: 0201T, 0200T or null.")
    findings: list[Finding]
    encounter: Encounter
    ledger: dict[str, dict[Side, LedgerEntry]] = Field(
        description="act (needle, cement, cavity, biopsy) -> side -> what the note says; laterality and the code "
                    "come from the cement row.")
    encounter_date: str | None = Field(default=None, description="Date of service as written in the note, if any.")
    prescreened: bool = Field(
        default=False, description="True when the note had no sacral vocabulary and skipped the full pipeline."
    )
    indications: Indications | None = Field(
        default=None, description="Indications checklist (coverage aid, not a coding rule); null when disabled."
    )
    learned: LearnedReading | None = Field(
        default=None, description="The learned reader's reading; null when the note has no sacral anchor (nothing "
                                  "to read) or the reader is off.")


def prior_authorisation(report: Report | None) -> bool:
    """A note in the prior-authorisation view: its checklist was read, and it records no sacral augmentation (a
    referral, a consult, an H&P or a pre-authorisation summary naming a planned sacroplasty or a sacral
    fracture). Its verdict stays not_applicable: the checklist is a coverage aid, not a coding rule."""
    return report is not None and report.indications is not None and report.indications.read \
        and report.verdict == "not_applicable"


Outcome = Literal["complete", "incomplete", "review", "not_applicable", "error"]
"""A batch row's outcome: the report's verdict, or error when the note could not be checked."""


class AuditRow(_Model):
    """One row per input note in a batch audit, in input order, whatever happened to the note."""

    row: int = Field(description="0-based position of the note in the input stream.")
    note_id: str
    source: str = Field(description="Where the note came from: file path, or file:line / file:row.")
    outcome: Outcome
    error: str | None = Field(default=None, description="Why the note could not be checked (outcome 'error').")
    flags: list[str] = Field(default_factory=list, description="Repairs made on input, e.g. invalid UTF-8.")
    metadata: dict[str, str] = Field(default_factory=dict, description="Input fields other than id and text.")
    report: Report | None = None


class Summary(_Model):
    """Batch figures; outcome counts add up to the number of inputs."""

    inputs: int
    outcomes: dict[str, int] = Field(description="complete / incomplete / review / not_applicable / error -> "
                                                  "count")
    codes: dict[str, int] = Field(description="0201T / 0200T / none -> count, over checked notes")
    missing_rates: dict[str, float] = Field(
        description="Element id -> share of the notes where the element was due (required by the profile of the "
                    "code the sacral procedure supports) that lack it."
    )
    missing_due: dict[str, int] = Field(
        default_factory=dict, description="Element id -> number of notes where the element was due."
    )
    by_metadata: dict[str, dict[str, dict[str, int]]] = Field(
        default_factory=dict, description="Metadata field named in --group-by -> value -> outcome -> count."
    )
    prescreened: int = Field(description="Notes with no sacral vocabulary, answered without the full pipeline.")
    flagged: int = Field(description="Notes checked after an input repair (see row flags).")
    left_out_by_glob: int = Field(default=0, description="Files in input folders that the --glob left out.")
    indications: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="Indications checklist (coverage aid, not a coding rule): criterion -> "
                                          "status -> count, over the applicable notes (verdict other than "
                                          "not_applicable).")
    prior_authorisation: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="The prior-authorisation view of the checklist: criterion -> status -> "
                                          "count, over the not-applicable notes read for it (referrals, consults, "
                                          "H&Ps, pre-authorisation summaries).")


class Indicator(_Model):
    """A clinical indicator: a verbatim quote from the note and where it stands."""

    quote: str
    section: str | None
    line: int


class Query(_Model):
    """A provider query draft; the query tool adds the provider's name and signature."""

    note_id: str
    encounter_date: str | None
    topic: str
    gap: str
    indicators: list[Indicator]
    question: str
    response: Literal["multiple_choice", "open_ended"]
    options: list[str]
    audience: Literal["provider", "prior_authorization"] = Field(
        default="provider", description="provider: a documentation query for the physician; prior_authorization: a "
                                        "coverage question for prior-authorisation staff (only on request).")


class Tally(_Model):
    """Notes of a period (a night, the last N nights) counted once each, by their latest verdict in it; error rows
    are counted apart, as they carry no verdict."""

    runs: int = 0
    complete: int = 0
    incomplete: int = 0
    review: int = 0
    not_applicable: int = 0
    error_rows: int = 0

    @property
    def applicable(self) -> int:
        """Notes that record a sacral augmentation: the denominator of every rate."""
        return self.complete + self.incomplete + self.review

    @property
    def share_complete(self) -> float | None:
        """Complete among the applicable notes (review counts as not complete); None when there are none."""
        return self.complete / self.applicable if self.applicable else None


class NightTally(Tally):
    night: str = Field(description="The run date, YYYY-MM-DD.")


class GroupRates(_Model):
    """One value of a --group-by field (a provider, a department) over a period and the period before it."""

    value: str
    current: Tally
    previous: Tally
    top_missing: str | None = Field(description="The required element most often missing in the current period.")
    top_missing_notes: int = Field(description="Applicable notes of the current period missing that element.")


class Transition(_Model):
    """A note whose verdict changed between two audits: incomplete to complete (an addendum landed) or back."""

    source: str
    note_id: str = Field(description="As the history keeps it: hashed where the history keeps hashed ids.")
    groups: dict[str, str] = Field(description="The --group-by metadata of the later row.")
    before: Verdict
    before_night: str
    after: Verdict
    after_night: str


class Trends(_Model):
    """What the audit history says about the last N nights, for the report page and `notecheck history`."""

    start: str
    end: str
    previous_start: str
    previous_end: str
    nights: list[NightTally] = Field(description="The nights of the period that have a run, in date order.")
    period: Tally
    previous: Tally
    groups: dict[str, list[GroupRates]] = Field(description="--group-by field -> its values, most notes first.")
    improved: list[Transition] = Field(description="Not complete (incomplete or review) before, complete now.")
    regressed: list[Transition] = Field(description="Complete before, not complete now.")
    ids_hashed: bool = False
