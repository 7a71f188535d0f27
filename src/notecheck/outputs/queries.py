"""Provider query drafts for the documentation gaps that matter for coding.

Follows the AHIMA/ACDIS "Guidelines for Achieving a Compliant Query Practice" (2022 update): each query quotes
the clinical indicators from this note with where they stand, asks one neutral question, and offers clinically
reasonable options that always include "other" and "unable to determine" (or is open-ended where options would
lead). No codes, payment or "needed to bill" language; no new diagnosis or procedure detail. The wording lives in
patterns/queries/, one template per gap type. Works from the report alone: no spaCy here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from ..indications import HINT_REASON, NO_DURATION
from ..models import CriterionEvidence, Evidence, Indicator, Query, Report
from ..rules import PatternSet, load_patterns

_VOLUME = re.compile(r"\b\d+(?:\.\d+)?\s*(?:ml|cc|cm3)\b", re.IGNORECASE)
_SOURCE = re.compile(r"\b(?:sacr\w*|ala|alae|S[1-3]|bone|osseous|core|marrow|vertebra\w*|left|right|lesion)\b",
                     re.IGNORECASE)
_HINT_REASONS = ("named without the act being stated", "field label without an affirming value")
_ACTS = ("bilateral_needle_placement", "cement_injection")


def _counted(report: Report, element: str) -> list[Evidence]:
    return [e for e in report.elements[element].evidence if e.counted == "documented"]


def _indicators(evidence: Sequence[Evidence | CriterionEvidence], limit: int = 3) -> list[Indicator]:
    """One indicator per distinct sentence, in note order."""
    seen: dict[str, Indicator] = {}
    for item in sorted(evidence, key=lambda e: e.start):
        seen.setdefault(item.sentence, Indicator(quote=item.sentence, section=item.section, line=item.line))
    return list(seen.values())[:limit]


def _gaps(report: Report) -> list[tuple[str, list[Evidence], dict[str, str]]]:
    """(template name, indicator evidence, placeholders) for every gap that matters for coding."""
    if report.verdict in ("complete", "not_applicable") or not any(_counted(report, e) for e in _ACTS):
        return []  # complete, or not a sacral procedure note: nothing to ask
    elements = report.elements
    acts = _counted(report, "cement_injection") or _counted(report, "bilateral_needle_placement")
    gaps: list[tuple[str, list[Evidence], dict[str, str]]] = []
    if elements["imaging_guidance"].status == "missing":
        gaps.append(("missing_imaging_guidance", acts, {}))
    if elements["cement_injection"].status == "missing":
        gaps.append(("missing_cement_injection", _counted(report, "bilateral_needle_placement"), {}))
    if elements["bilateral_needle_placement"].status == "missing" and not _counted(report,
                                                                                   "bilateral_needle_placement"):
        gaps.append(("missing_needle_placement", _counted(report, "cement_injection"), {}))
    if report.laterality == "unspecified":
        gaps.append(("laterality_undetermined", _counted(report, "cement_injection"), {}))
    for finding in report.findings:
        if finding.kind == "laterality_conflict":
            gaps.append(("laterality_conflict", finding.evidence + _counted(report, "cement_injection"), {}))
    if report.laterality == "bilateral":
        with_volume = [e for e in _counted(report, "cement_injection") if _VOLUME.search(e.sentence)]
        sides = {side for e in with_volume for side in e.sides}
        if len(sides) == 1 and all(len(e.sides) == 1 for e in with_volume):
            stated = sides.pop()
            other = "left" if stated == "right" else "right"
            gaps.append(("volume_one_side", with_volume, {"stated": stated, "other": other}))
    biopsy = _counted(report, "bone_biopsy")
    if biopsy and not any(_SOURCE.search(e.sentence) for e in biopsy):
        gaps.append(("specimen_source", biopsy, {}))
    gaps += _unfilled_gaps(report)
    for element, template in (("cavity_creation", "possible_cavity_creation"), ("bone_biopsy", "possible_bone_biopsy")):
        if elements[element].status == "missing":
            hints = [e for e in elements[element].evidence if e.reason in _HINT_REASONS]
            if hints:
                gaps.append((template, hints, {}))
    return gaps


def _unfilled_gaps(report: Report) -> list[tuple[str, list[Evidence], dict[str, str]]]:
    """A template field left unfilled for an element the note does not otherwise document: one query per
    element, quoting the placeholder."""
    gaps: list[tuple[str, list[Evidence], dict[str, str]]] = []
    asked: set[str] = set()
    for finding in report.findings:
        element = finding.element
        if finding.kind != "unfilled_placeholder" or element is None or element in asked:
            continue
        if report.elements[element].status == "missing":
            asked.add(element)
            gaps.append(("unfilled_placeholder", finding.evidence, {"field": report.elements[element].label.lower()}))
    return gaps


def _indication_gaps(report: Report, patterns: PatternSet) -> list[tuple[str, list[CriterionEvidence],
                                                                        dict[str, str]]]:
    """Indications checklist gaps (a coverage aid): a criterion missing where the note hints at it (pain named
    without a rating, a treatment without its course) and patterns/queries/ has an ``indication_<criterion>``
    template. Only for notes that document a sacral procedure."""
    if not report.sacral_procedure or report.indications is None:
        return []
    gaps: list[tuple[str, list[CriterionEvidence], dict[str, str]]] = []
    for criterion, result in report.indications.criteria.items():
        hints = [e for e in result.evidence if e.reason in (HINT_REASON, NO_DURATION)]
        if result.status == "missing" and hints and f"indication_{criterion}" in patterns.queries:
            gaps.append((f"indication_{criterion}", hints, {}))
    return gaps


@cache
def _shipped_patterns() -> PatternSet:
    """The shipped pattern set, read once: the templates a query is drafted from when none are given."""
    return load_patterns()


def draft_queries(report: Report, patterns: PatternSet | None = None,
                  indication_queries: bool = False) -> list[Query]:
    """The documentation-gap queries a CDI specialist would send for this note (none for a complete note), and,
    only when asked, the coverage questions for prior-authorisation staff where the checklist finds a criterion
    named without its value."""
    if patterns is None:
        patterns = _shipped_patterns()
    queries = []
    gaps: list[tuple[str, Sequence[Evidence | CriterionEvidence], dict[str, str]]] = [*_gaps(report)]
    if indication_queries:
        gaps += _indication_gaps(report, patterns)
    for name, evidence, values in gaps:
        template = patterns.queries[name]
        queries.append(Query(
            note_id=report.note_id,
            encounter_date=report.encounter_date,
            topic=template.topic,
            gap=name,
            indicators=_indicators(evidence),
            question=template.question.format(**values),
            response="multiple_choice" if template.options else "open_ended",
            options=list(template.options),
            audience="prior_authorization" if name.startswith("indication_") else "provider",
        ))
    return queries
