"""The audit's CSV: one row per note, cells a spreadsheet shows as text."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import TextIO

from ..indications.render import indication_cells
from ..models import AuditRow
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
