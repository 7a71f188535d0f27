"""The audit's CSV: one row per note, cells a spreadsheet shows as text."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import TextIO

from ..indications.render import indication_cells
from ..models import AuditRow, prior_authorisation
from ..rules import CRITERION_IDS, ELEMENT_IDS

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A cell a spreadsheet shows as text: one starting with = + - @ tab or CR gets a leading apostrophe, as
    OWASP recommends against CSV formula injection (an id like '=HYPERLINK(...)' comes from the input)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


CSV_COLUMNS = ["row", "note_id", "source", "outcome", "suggested_code", "laterality", "complete",
               *ELEMENT_IDS, "missing_required", "error",
               *(f"indication_{c}" for c in CRITERION_IDS)]  # the checklist: a coverage aid, not a coding rule


def write_csv(rows: Iterable[AuditRow], out: TextIO) -> Iterator[AuditRow]:
    """One row per note: verdict, code, one column per element status, the missing list (';'-separated).
    Passes each row on once written, so the summary is computed in the same pass."""
    writer = csv.writer(out, lineterminator="\n")
    # csv quotes a cell holding '\n' but not a bare '\r', which readers take for a line break: a row with one
    # (an id or file name from the input) is written with every cell quoted, so it stays one row
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        report = row.report
        cells = [csv_cell(cell) for cell in (
            row.row, row.note_id, row.source, row.outcome,
            (report.suggested_code or "") if report else "", report.laterality if report else "",
            str(report.complete).lower() if report else "",
            *((report.elements[e].status if report else "") for e in ELEMENT_IDS),
            ";".join(report.missing_required) if report else "", row.error or "",
            *indication_cells(report.indications if report else None, CRITERION_IDS),
        )]
        (quoted if any(isinstance(c, str) and "\r" in c for c in cells) else writer).writerow(cells)
        yield row


PRIOR_AUTH_COLUMNS = ["row", "note_id", "source", "encounter_date", "document_type", "setting",
                      *(column for c in CRITERION_IDS for column in (c, f"{c}_value"))]
"""The prior-authorisation view (prior_auth.csv): the checklist of each note read for it, a coverage aid."""


def write_prior_auth_csv(rows: Iterable[AuditRow], out: TextIO) -> Iterator[AuditRow]:
    """One row per note in the prior-authorisation view (a referral, consult, H&P or pre-authorisation summary
    whose checklist was read; models.prior_authorisation): each criterion's status and the value that decided
    it. Passes every row on, so it shares the pass that writes results.csv."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PRIOR_AUTH_COLUMNS)
    for row in rows:
        report = row.report
        if report is not None and report.indications is not None and prior_authorisation(report):
            criteria = report.indications.criteria
            writer.writerow([csv_cell(cell) for cell in (
                row.row, row.note_id, row.source, report.encounter_date or "",
                report.encounter.document_type or "", report.indications.setting,
                *(cell for c in CRITERION_IDS for cell in (
                    criteria[c].status, "" if criteria[c].value is None else criteria[c].value)),
            )])
        yield row
