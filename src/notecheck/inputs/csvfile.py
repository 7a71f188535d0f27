"""CSV input: one note per row, read with the standard library's csv module, every other column kept as metadata.

Lines are decoded one by one so each record knows whether it held invalid UTF-8, and a record over the byte limit
is skipped whole instead of its lines being read as rows. No line is read past the limit: a longer one is skipped
in chunks, so memory stays bounded whatever the file holds.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from ..errors import InputError
from .notes import OTHER_FIELDS, Item, error_item, guarded, item_from_bytes, note_id_of, shown


class _Oversize(Exception):
    """A CSV record ran past the byte limit; its lines have been consumed up to the record's end."""


# Where a record stands, as the csv module's default dialect reads it: at the start of a field, inside an
# unquoted field (where '"' is a literal), inside a quoted field, just after a quote inside a quoted field, or
# ended (a line break outside quotes).
_START, _FIELD, _QUOTED, _QUOTE, _END = range(5)
_FIELD_END = re.compile(rb"[,\r\n]")
_SKIP_CHUNK = 1 << 20


def _advance(state: int, data: bytes) -> int:
    """The record's state after ``data``; ``_END`` as soon as the record ends. One step per field or quote, so
    linear in the data, and only run on a record that is skipped."""
    at, size = 0, len(data)
    while at < size and state != _END:
        if state == _QUOTED:
            quote = data.find(b'"', at)
            if quote < 0:
                return _QUOTED
            state, at = _QUOTE, quote + 1
        elif state in (_START, _QUOTE):
            char = data[at:at + 1]
            if char == b'"':
                state, at = _QUOTED, at + 1
            elif state == _QUOTE and char not in (b",", b"\r", b"\n"):
                state, at = _FIELD, at + 1  # text after a closing quote belongs to the field, as csv reads it
            else:
                state = _FIELD  # ',' and line breaks are handled there
        else:
            end = _FIELD_END.search(data, at)
            if end is None:
                return _FIELD
            at, state = end.end(), _START if end.group() == b"," else _END
    return state


class _CsvLines:
    """The lines of a CSV file for ``csv.reader``, decoded one by one so each record knows whether it held invalid
    UTF-8 and a record over ``max_bytes`` is skipped whole (to the line break that ends it outside quotes)
    instead of its lines being read as rows. Lines are read at most ``max_bytes`` + 1 bytes at a time. The BOM
    is stripped; physical lines are counted so an error can say which lines a record spans."""

    def __init__(self, handle: BinaryIO, max_bytes: int) -> None:
        self.handle, self.max_bytes = handle, max_bytes
        self.first = True
        self.line = 0
        self.new_record()

    def new_record(self) -> None:
        self.size, self.invalid_at = 0, None
        self.lines: list[bytes] = []
        self.first_line = self.line + 1

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        raw = self.handle.readline(self.max_bytes + 1)
        if not raw:
            raise StopIteration
        self.line += raw.endswith(b"\n")
        if self.first:
            self.first, raw = False, raw.removeprefix(b"\xef\xbb\xbf")
        self.size += len(raw)
        self.lines.append(raw)
        if self.size > self.max_bytes:
            self._skip_record()
            raise _Oversize()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if self.invalid_at is None:
                self.invalid_at = self.size - len(raw) + exc.start
            return raw.decode("utf-8", errors="replace")

    def _skip_record(self) -> None:
        """Read on to the record's end, in chunks, following its quotes as the csv module would."""
        state = _START
        for raw in self.lines:
            state = _advance(state, raw)
        self.lines = []
        while state != _END and (chunk := self.handle.readline(_SKIP_CHUNK)):
            self.line += chunk.endswith(b"\n")
            self.size += len(chunk)
            state = _advance(state, chunk)

    def span(self) -> str:
        """The physical lines the last record took, e.g. 'line 4' or 'lines 4-9'."""
        last = max(self.line, self.first_line)
        return f"line {last}" if last == self.first_line else f"lines {self.first_line}-{last}"


def iter_csv(path: Path, id_column: str, text_column: str, max_bytes: int) -> Iterator[Item]:
    """One note per row; the other columns are kept as metadata. A missing column stops the run (exit 2).

    No message quotes a field: a header without the column may well be a first record of patient data."""
    csv.field_size_limit(max(csv.field_size_limit(), max_bytes + OTHER_FIELDS))
    name = shown(path)
    with path.open("rb") as handle:
        lines = _CsvLines(handle, max_bytes + OTHER_FIELDS)
        reader = csv.reader(lines)
        try:
            header = next(reader, None)
        except (_Oversize, csv.Error):
            raise InputError(name, "unreadable CSV header (line 1)") from None
        if header is None:
            raise InputError(name, "empty CSV file (no header row)")
        for column in (id_column, text_column):
            if column not in header:
                raise InputError(name, f"no column {column!r} in the header (line 1 has {len(header)} "
                                       "fields; set --id-column and --text-column)")
        columns = (header, header.index(id_column), header.index(text_column))
        number = 1
        while True:
            lines.new_record()
            try:
                row = next(reader)
            except StopIteration:
                break
            except _Oversize:
                number += 1
                yield error_item(f"row-{number}", f"{name}:row {number}",
                                 f"CSV record is over {max_bytes + OTHER_FIELDS:,} bytes: the note is over "
                                 f"the {max_bytes:,}-byte limit ({lines.span()})")
                continue
            except csv.Error as exc:
                number += 1
                yield error_item(f"row-{number}", f"{name}:row {number}", f"malformed CSV row ({exc})")
                continue
            if not row:
                continue  # a blank line, e.g. trailing ones, as JSONL skips them
            number += 1
            source = f"{name}:row {number}"
            yield guarded(lambda: _row_item(row, columns, number, source, lines, max_bytes), f"row-{number}", source)


def _row_item(row: list[str], columns: tuple[list[str], int, int], number: int, source: str, lines: _CsvLines,
              max_bytes: int) -> Item:
    """One CSV record's item. A record with the wrong field count keeps its id only when it took one line: one
    that ran over several (an unclosed quote) has no trustworthy id column, so it is named by its position."""
    header, id_at, text_at = columns
    fallback = f"row-{number}"
    if len(row) != len(header):
        one_line = lines.span().startswith("line ")
        note_id = note_id_of(row[id_at], fallback) if one_line and id_at < len(row) else fallback
        return error_item(note_id, source, f"malformed CSV row: {len(row)} fields, header has {len(header)} "
                                           f"({lines.span()}{'' if one_line else ': an unclosed quote?'})")
    metadata = {name: value for name, value in zip(header, row) if name not in (header[id_at], header[text_at])}
    item = item_from_bytes(note_id_of(row[id_at], fallback), source, row[text_at].encode("utf-8"), max_bytes,
                           metadata)
    if item.note is not None and lines.invalid_at is not None:
        flag = f"invalid UTF-8 at byte {lines.invalid_at} of the record: decoded with replacement characters"
        item = replace(item, note=replace(item.note, flags=(*item.note.flags, flag)))
    return item
