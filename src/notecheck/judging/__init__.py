"""Judging the note: from a NoteScan to element statuses, the per-side ledger, the encounter and the code.

The rules of judgement read plain data only (no spaCy): a mention's verdict (judged, walker, sites), each
element's status and evidence (assess), the per-side act ledger (ledger), whether the document records a
procedure in this encounter (encounter), and the code, laterality, completeness and findings (coding). This layer
may import ``notecheck.reading``, ``notecheck.rules``, ``notecheck.models`` and ``notecheck.errors``.
"""

from .assess import Assessment, Assessor, withdraw
from .coding import build_report
from .encounter import EncounterJudge

__all__ = ["Assessment", "Assessor", "EncounterJudge", "build_report", "withdraw"]
