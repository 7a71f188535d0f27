"""Code logic: from element results and sides to laterality, the suggested code, the verdict and findings."""

from __future__ import annotations

from ..models import ElementResult, Encounter, Finding, LedgerEntry, Report
from ..rules import Profile
from .assess import Assessment, withdraw
from .judged import BOTH
from .verdict import PRESCREENED_REASON, Billed, Facts, Judgement, judge, missing_words

DEFAULT_CODE = "0201T"
"""Whose element requirements a not-applicable note's rows show: the bilateral code the tool is named for."""

_SIDE_WORD = {frozenset({"left"}): "left", frozenset({"right"}): "right"}


def laterality_of(assessment: Assessment) -> str:
    cement = assessment.elements["cement_injection"].status == "documented"
    if not cement:
        return "none"
    if assessment.cement_sides == BOTH:
        return "bilateral"
    return _SIDE_WORD.get(assessment.cement_sides, "unspecified")


def suggest_code(laterality: str, profiles: dict[str, Profile]) -> str | None:
    """The code whose side count matches the sides that received cement; none without sacral cement."""
    wanted = {"bilateral": "bilateral", "left": "unilateral", "right": "unilateral"}.get(laterality)
    for code in sorted(profiles):
        if profiles[code].sides == wanted:
            return code
    return None


def _other_site_findings(assessment: Assessment) -> list[Finding]:
    """One finding per other procedure performed in the note (kyphoplasty of L2, SI-joint fusion, ...)."""
    findings: list[Finding] = []
    for item in assessment.other_procedures:
        level = f" of {item.level}" if item.level else ""
        message = (item.mention.finding or "").format(level=level)
        if message and all(f.message != message for f in findings):
            findings.append(Finding(kind="other_site_procedure", message=message))
    return findings


def build_report(note_id: str, assessment: Assessment, profiles: dict[str, Profile], encounter: Encounter,
                 billed: Billed | None = None, prescreened: bool = False,
                 encounter_date: str | None = None) -> Report:
    """The report: laterality and the supported code, the verdict against the billed or supported code, findings."""
    elements = assessment.elements
    if encounter.procedure_recorded:
        laterality = laterality_of(assessment)
    else:
        reason = f"the document records no procedure ({encounter.document_type or 'unknown'})"
        laterality, elements = "none", withdraw(elements, reason, keep_negations=False)
    code = suggest_code(laterality, profiles)
    named = any(i.mention.category == "sacral_procedure" and i.counted == "documented" for i in assessment.judged)
    facts = Facts(elements=elements, laterality=laterality, supported=code, needle_sides=assessment.needle_sides,
                  augmentation_named=named, declared_bilateral=bool(assessment.declared_sides), encounter=encounter,
                  prescreened=prescreened)
    judgement = judge(facts, billed, profiles)
    against = judgement.against or profiles[DEFAULT_CODE]
    elements = {e: r.model_copy(update={"requirement": against.elements[e]}) for e, r in elements.items()}
    return Report(
        note_id=note_id,
        verdict=judgement.verdict,
        verdict_reasons=judgement.reasons,
        profile=judgement.against.code if judgement.against else None,
        billed_code=billed.code if billed else None,
        billed_modifier=billed.modifier if billed else None,
        sacral_procedure=laterality != "none",
        laterality=laterality,
        elements=elements,
        missing_required=judgement.missing,
        complete=judgement.verdict == "complete",
        suggested_code=code,
        findings=_findings(assessment, elements, laterality, code, judgement, encounter, prescreened),
        encounter=encounter,
        ledger=assessment.ledger if encounter.procedure_recorded else {
            act: {side: LedgerEntry(state="unknown") for side in row} for act, row in assessment.ledger.items()},
        encounter_date=encounter_date,
        prescreened=prescreened,
    )


def _findings(assessment: Assessment, elements: dict[str, ElementResult], laterality: str, code: str | None,
              judgement: Judgement, encounter: Encounter, prescreened: bool) -> list[Finding]:
    """What a coder should know beside the verdict, each with a stable kind."""
    findings: list[Finding] = []
    if not encounter.procedure_recorded and any(e.evidence for e in elements.values()):
        findings.append(Finding(kind="no_procedure_recorded",
                                message=f"This document is a {encounter.evidence[0]}: it describes but does not "
                                        "record a procedure performed in this encounter, so no code is suggested."))
    for element_id in judgement.missing:
        result = elements[element_id]
        if element_id == "bilateral_needle_placement" and result.sides:
            continue  # said below in laterality terms
        findings.append(Finding(kind="missing_required", element=element_id, message=missing_words(result)))
    findings += judgement.findings
    findings += _side_findings(assessment, laterality)
    findings.extend(_other_site_findings(assessment))
    if encounter.procedure_recorded:
        findings.extend(assessment.placeholders)  # a field left unfilled: the subject of a query
    if code is not None:
        seen: set[str] = set()
        for item in assessment.codes:
            message = item.mention.finding.format(text=item.mention.text) if item.mention.finding else ""
            if message and message not in seen:
                seen.add(message)
                findings.append(Finding(kind=item.mention.category, message=message))
    if prescreened:
        findings.append(Finding(kind="no_sacral_vocabulary", message=PRESCREENED_REASON))
    return findings


def _side_findings(assessment: Assessment, laterality: str) -> list[Finding]:
    """One side documented, cement on one side of two needles, an undeterminable side, a title that says more."""
    findings: list[Finding] = []
    if laterality in ("left", "right"):
        findings.append(Finding(
            kind="unilateral",
            message=f"Only the {laterality} side is documented: the note supports 0200T, not 0201T.",
        ))
        if len(assessment.needle_sides) == 2:
            findings.append(Finding(
                kind="cement_one_side",
                message=f"Needles were placed on both sides but cement only on the {laterality}: "
                        "a side counts as treated when cement went in.",
            ))
    elif laterality == "unspecified":
        findings.append(Finding(
            kind="laterality_undetermined",
            message="Sacral cement injection is documented but the side(s) cannot be determined: no code suggested.",
        ))
    if assessment.declared_sides and laterality in ("left", "right"):
        findings.append(Finding(
            kind="laterality_conflict",
            message=f"The procedure title or a template box says bilateral but the body documents only the "
                    f"{laterality} side.",
            evidence=assessment.declared_sides[:2],
        ))
    return findings
