"""The audit's CSV: one row per note, cells a spreadsheet shows as text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

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


def _line(cells: Iterable[object], quote_all: bool = False) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL).writerow(cells)
    return buffer.getvalue()


CSV_HEADER = _line(CSV_COLUMNS)


def csv_line(row: AuditRow) -> str:
    """A note's results.csv line: verdict, code, one column per element status, the missing list (';'-separated).
    csv quotes a cell holding '\n' but not a bare '\r', which readers take for a line break: a row with one (an id
    or file name from the input) has every cell quoted, so it stays one row."""
    report = row.report
    cells = [csv_cell(cell) for cell in (
        row.row, row.note_id, row.source, row.outcome,
        (report.suggested_code or "") if report else "", report.laterality if report else "",
        str(report.complete).lower() if report else "",
        *((report.elements[e].status if report else "") for e in ELEMENT_IDS),
        ";".join(report.missing_required) if report else "", row.error or "",
        *indication_cells(report.indications if report else None, CRITERION_IDS),
    )]
    return _line(cells, quote_all=any(isinstance(c, str) and "\r" in c for c in cells))


PRIOR_AUTH_COLUMNS = ["row", "note_id", "source", "encounter_date", "document_type", "setting",
                      *(column for c in CRITERION_IDS for column in (c, f"{c}_value"))]
"""The prior-authorisation view (prior_auth.csv): the checklist of each note read for it, a coverage aid."""


PRIOR_AUTH_HEADER = _line(PRIOR_AUTH_COLUMNS)


def prior_auth_line(row: AuditRow) -> str:
    """A note's line in the prior-authorisation view (a referral, consult, H&P or pre-authorisation summary whose
    checklist was read; models.prior_authorisation): each criterion's status and the value that decided it. Empty
    for any other note."""
    report = row.report
    if report is None or report.indications is None or not prior_authorisation(report):
        return ""
    criteria = report.indications.criteria
    return _line([csv_cell(cell) for cell in (
        row.row, row.note_id, row.source, report.encounter_date or "",
        report.encounter.document_type or "", report.indications.setting,
        *(cell for c in CRITERION_IDS for cell in (
            criteria[c].status, "" if criteria[c].value is None else criteria[c].value)),
    )])
