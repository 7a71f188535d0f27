"""The document-model layers on their own: the encounter judgement and the per-side act ledger."""

from __future__ import annotations

import pytest

from notecheck.checker import Checker
from notecheck.judging import EncounterJudge
from notecheck.rules import load_patterns


@pytest.fixture(scope="module")
def judge() -> EncounterJudge:
    return EncounterJudge(load_patterns().encounter)


@pytest.mark.parametrize(("heading", "kind"), [
    ("PATIENT INFORMATION LEAFLET\nSacroplasty: what to expect\n", "education"),
    ("Spinal Interventions Clinic\n12/07/2031\nDr A. Example\n\nDear Dr Example,\n", "letter"),
    ("PRIOR AUTHORIZATION REQUEST - LETTER OF MEDICAL NECESSITY\n", "prior_authorization"),
    ("SPINE CLINIC - FOLLOW-UP NOTE\nReason for visit: 6-week follow-up after sacroplasty\n", "follow_up"),
    ("REQUISITION / ORDER FORM - INTERVENTIONAL RADIOLOGY\n", "order"),
])
def test_documents_that_record_no_procedure(judge: EncounterJudge, heading: str, kind: str) -> None:
    encounter = judge(heading + "Bone cement is injected into both sides of the sacrum under fluoroscopy.\n")
    assert (encounter.procedure_recorded, encounter.document_type) == (False, kind)
    assert len(encounter.evidence) == 1  # the heading line that decided it, no procedure record


@pytest.mark.parametrize("text", [
    "PRE-PROCEDURE CHECKLIST\nConsent signed.\n\nPROCEDURE\nOperator: Dr X\nComplications: nil.\n",
    "Dear Dr Example,\nToday I performed a bilateral sacroplasty. Time-out was performed. EBL minimal.\n",
    "PROCEDURE NOTE - Sacroplasty\nAddendum: pathology requisition cancelled.\n",
])
def test_a_procedure_record_outweighs_the_heading(judge: EncounterJudge, text: str) -> None:
    assert judge(text).procedure_recorded


def test_a_heading_word_after_a_field_label_names_no_type(judge: EncounterJudge) -> None:
    encounter = judge("Sacroplasty\nAddendum: pathology requisition generated in error.\n")
    assert encounter.procedure_recorded and encounter.document_type is None


def _ledger(checker: Checker, text: str) -> dict[str, dict[str, tuple[str, str | None]]]:
    report = checker.check_text(text)
    return {act: {side: (entry.state, entry.source) for side, entry in row.items()}
            for act, row in report.ledger.items()}


def test_an_addendum_outranks_the_body(checker: Checker) -> None:
    ledger = _ledger(checker, "PROCEDURE: Sacroplasty.\nUnder CT guidance needles were placed into the right and "
                              "left sacral alae. PMMA was injected.\n\nAddendum (same day): Cement was injected "
                              "on the right side only; the left needle was removed without injection.")
    assert ledger["cement"] == {"left": ("not_done", "addendum"), "right": ("done", "addendum")}
    assert ledger["needle"]["left"][0] == ledger["needle"]["right"][0] == "done"


def test_a_side_denied_as_a_whole_and_a_failed_side(checker: Checker) -> None:
    untreated = _ledger(checker, "PROCEDURE: Left sacroplasty.\nUnder fluoroscopy an 11G needle was placed into "
                                 "the left sacral ala and 3 mL PMMA was injected.\nRight side: not treated.")
    assert untreated["needle"]["right"][0] == untreated["cement"]["right"][0] == "not_done"
    failed = _ledger(checker, "PROCEDURE: Sacroplasty.\nTECHNIQUE: Under fluoroscopy an 11G needle was placed into the right "
                              "sacral ala and 4 mL PMMA was injected. On the left, after three failed passes the "
                              "needle could not be advanced into the ala.")
    assert failed["needle"] == {"left": ("not_done", "narrative"), "right": ("done", "narrative")}


def test_a_document_that_records_no_procedure_has_an_empty_ledger(checker: Checker) -> None:
    ledger = _ledger(checker, "PATIENT INFORMATION LEAFLET\nThe doctor places a needle into each side of the "
                              "sacrum and injects bone cement on both sides under X-ray.")
    assert {state for row in ledger.values() for state, _ in row.values()} == {"unknown"}
