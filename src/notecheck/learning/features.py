"""The rules' reading of a note as words the learned reader can weigh beside the note's own words.

Each feature is one token that no note word can equal (note words are letters and digits only): the rules' code,
laterality, document type, element statuses, ledger states and finding kinds. A model trained with them learns
where the rules' code holds and where it does not; the config's ``[notecheck] rule_features`` turns them on.
"""

from __future__ import annotations

import re

from ..models import Report

PRESCREENED = "rules_prescreened"


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", value.lower()).strip("_") or "none"


def rule_features(report: Report) -> tuple[str, ...]:
    """The report's reading as feature tokens, in a fixed order."""
    if report.prescreened:
        return (PRESCREENED,)
    features = [f"rules_code_{_slug(report.suggested_code or 'none')}", f"rules_laterality_{report.laterality}",
                f"rules_recorded_{'yes' if report.encounter.procedure_recorded else 'no'}",
                f"rules_document_{_slug(report.encounter.document_type or 'none')}"]
    features += [f"rules_{element}_{result.status}" for element, result in report.elements.items()]
    features += [f"rules_{act}_{side}_{entry.state}" for act, row in report.ledger.items()
                 for side, entry in row.items()]
    features += [f"rules_finding_{_slug(kind)}" for kind in sorted({f.kind for f in report.findings})]
    return tuple(features)
