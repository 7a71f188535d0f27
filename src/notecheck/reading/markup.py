"""The syntax of newer editors and of pasted messages, read as the fields and sections the rules know.

Markdown: '# Indication' is a section header ('Indication:'), '**Cement:** 3 mL' a field ('Cement: 3 mL'). A pipe or
box table row becomes fields named by its first cell and their column ('| Balloon | No |' reads 'Balloon: No';
'| Right | 4.0 mL |' under '| Side | Cement |' reads 'Right; Cement: 4.0 mL'), so each cell speaks for its row's side. An HL7 v2 message pasted as text
reads as its observations: 'OBX|6|NM|CEMVOL^Cement volume right^L||4.5|mL' is 'Cement volume right: 4.5 mL', the
order (OBR) gives the service and its date, and the segments of identifiers and routing (MSH, PID, PV1...) are left
out, as the HL7 reader leaves them out. Only the formats' own syntax is here: each function returns edits, and
normalize.py applies them and keeps the map back to the note as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] with ``text``; ``source`` is the span of the note it stands for when that is not
    start..end (a table's column label stands for the cell under it)."""

    start: int
    end: int
    text: str
    source: tuple[int, int] | None = None


_HEADING = re.compile(r"(?m)^[ \t]{0,3}(?P<marks>#{1,6}[ \t]+)(?P<title>[^\n]*?)(?P<close>[ \t]*#*[ \t]*)$")
_BOLD = re.compile(r"(?<!\*)\*\*(?!\*)")
_ITALIC = re.compile(r"(?<![*\w])\*(?=[^\s*])[^*\n]{1,200}?(?<=[^\s*])\*(?![*\w])")
MARKDOWN = re.compile(r"(?m)^[ \t]{0,3}#{1,6}[ \t]+\S|(?<!\*)\*\*[^*\n]+\*\*")


def markdown_edits(text: str) -> list[Edit]:
    """Headings become 'Title:' headers; bold and italic marks go."""
    edits: list[Edit] = []
    for match in _HEADING.finditer(text):
        title = match.group("title")
        edits.append(Edit(match.start("marks"), match.end("marks"), ""))
        if title and title[-1] not in ":.?!":
            edits.append(Edit(match.start("close"), match.end("close"), ":"))
    for match in _BOLD.finditer(text):
        edits.append(Edit(match.start(), match.end(), ""))
    for match in _ITALIC.finditer(text):
        edits.append(Edit(match.start(), match.start() + 1, ""))
        edits.append(Edit(match.end() - 1, match.end(), ""))
    return sorted(edits, key=lambda e: (e.start, e.end))


_TABLE_ROW = re.compile(r"[ \t]*\|[^\n]*\|[ \t]*")
_RULE_ROW = re.compile(r"[ \t]*[|+]?[ \t]*:?-{3,}[-:|+ \t]*")  # '|---|:--:|' and '+------+-----+'
_CELL = re.compile(r"[^|]+|(?<=\|)(?=\|)")


def _cells(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The spans of a row's cells, stripped of spaces (an empty cell is an empty span)."""
    inner_start = text.index("|", start) + 1
    inner_end = text.rindex("|", start, end)
    spans = []
    for match in _CELL.finditer(text, inner_start, inner_end):
        cell = match.group(0)
        left = match.start() + len(cell) - len(cell.lstrip())
        spans.append((left, max(left, match.start() + len(cell.rstrip()))))
    return spans


def _lines(text: str) -> list[tuple[int, int]]:
    spans, position = [], 0
    for line in text.split("\n"):
        spans.append((position, position + len(line)))
        position += len(line) + 1
    return spans


def table_edits(text: str) -> list[Edit]:
    """Each data row of a pipe or box table with a header row becomes field lines 'Header: cell'; the header and
    the rule rows go. A table without a rule under its header is left as written, and so is a rule line that is
    not part of a table (a log's column underline)."""
    lines = _lines(text)
    is_row = [bool(_TABLE_ROW.fullmatch(text, a, b)) for a, b in lines]
    edits: list[Edit] = []
    header: list[str] | None = None
    previous_row: tuple[int, int] | None = None
    for index, (start, end) in enumerate(lines):
        if _RULE_ROW.fullmatch(text, start, end):
            beside_row = (index > 0 and is_row[index - 1]) or (index + 1 < len(lines) and is_row[index + 1])
            if previous_row is not None and header is None:  # the row above the first rule is the header
                header = [text[a:b] for a, b in _cells(text, *previous_row)]
                edits.append(Edit(previous_row[0], previous_row[1], ""))
            if beside_row:
                edits.append(Edit(start, end, ""))
            previous_row = None
        elif not is_row[index]:
            header = previous_row = None
        elif header is None:
            previous_row = (start, end)
        else:
            edits += _row_edits(text, start, end, header)
    return edits


_SIDE_WORD = re.compile(r"(?i)(?:left|right|l|r|lt|rt|bilateral)\b.{0,20}")


def _row_edits(text: str, start: int, end: int, header: list[str]) -> list[Edit]:
    """Each filled cell becomes a line of its own, 'qualifier; field: value', so it carries its row's and its
    column's names. In a two-column table '| Balloon | No |' reads 'Balloon: No'. Under 'Side | Cement' the row
    '| Right | 4.0 mL |' reads 'Right; Cement: 4.0 mL'; under 'Item | Left | Right' the row '| Biopsy | Yes | No |'
    reads 'Left; Biopsy: Yes' and 'Right; Biopsy: No': the side stands apart, so a 'No' denies the act and never
    the side. Inserted names stand for the cells they name, so evidence found in them quotes those cells."""
    cells = [(a, b, header[i].strip() if i < len(header) else "") for i, (a, b) in enumerate(_cells(text, start, end))]
    if len(cells) < 2:
        return []
    sides_are_columns = any(_SIDE_WORD.fullmatch(label) for _, _, label in cells[1:])
    row_start, row_end, _ = cells[0]
    edits = []
    position = start
    for left, right, label in cells[1:]:
        if left == right:
            continue
        edits.append(Edit(position, left, "\n" if position != start else ""))
        names = [(row_start, row_end)]
        if len(cells) > 2 and label:
            names = [(left, right), (row_start, row_end)] if sides_are_columns else [(row_start, row_end), (left, right)]
        for index, (a, b) in enumerate(names):
            name = label if (a, b) == (left, right) else text[a:b]
            edits.append(Edit(left, left, name, source=(a, b)))
            edits.append(Edit(left, left, "; " if index < len(names) - 1 else ": ", source=(left, left)))
        position = right
    edits.append(Edit(position, end, ""))
    return edits


_SEGMENT = re.compile(r"(?m)^[ \t]*(?P<name>[A-Z][A-Z0-9]{2})(?P<sep>[|])(?P<rest>[^\n]*)$")
_CODED = {"CE", "CWE", "CNE", "CF"}
HL7 = re.compile(r"(?:^|\n)[ \t]*MSH\|")


def _component(field: str, index: int) -> str:
    parts = field.split("^")
    return parts[index].strip() if index < len(parts) else ""


def _hl7_date(value: str) -> str:
    digits = re.match(r"(\d{4})(\d{2})(\d{2})", value.strip())
    return f"{digits.group(1)}-{digits.group(2)}-{digits.group(3)}" if digits else ""


def _segment_line(name: str, fields: list[str]) -> str:
    """What one pasted segment says, as a note line: an observation as 'label: value unit', the order as its
    service and date, a comment as its text; '' for segments that carry no clinical statement."""
    def field(index: int) -> str:
        return fields[index] if index < len(fields) else ""

    if name == "OBX":
        kind, value = field(2).strip().upper(), field(5)
        label = _component(field(3), 1) or _component(field(3), 0)
        if kind in _CODED:
            value = _component(value, 1) or _component(value, 0)
        elif kind == "NM":
            value = f"{value.strip()} {_component(field(6), 0)}".strip()
        value = value.replace("^", "; ").replace("\\.br\\", "\n").strip()
        return f"{label}: {value}" if label and value else value
    if name == "OBR":
        service = _component(field(4), 1) or _component(field(4), 0)
        when = _hl7_date(field(7))
        return "\n".join(line for line in (service and f"Service: {service}", when and f"Date: {when}") if line)
    if name == "NTE":
        return field(3).replace("^", "; ").strip()
    return ""


def hl7_edits(text: str) -> list[Edit]:
    """Every segment line of an HL7 v2 message pasted as text, as the line it says (see _segment_line)."""
    edits = []
    for match in _SEGMENT.finditer(text):
        fields = [match.group("name"), *match.group("rest").split("|")]
        edits.append(Edit(match.start(), match.end(), _segment_line(match.group("name"), fields)))
    return edits
