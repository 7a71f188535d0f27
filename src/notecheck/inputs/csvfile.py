"""CSV input: one note per row, read with the standard library's csv module, every other column kept as metadata.

Lines are decoded one by one so each record knows whether it held invalid UTF-8, and a record over the byte limit
is skipped whole instead of its lines being read as rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from ..errors import InputError
from .notes import OTHER_FIELDS, Item, error_item, item_from_bytes, note_id_of


class _Oversize(Exception):
    """A CSV record ran past the byte limit; its lines have been consumed up to the record's end."""


class _CsvLines:
    """The lines of a CSV file for ``csv.reader``, decoded one by one so each record knows whether it held invalid
    UTF-8 and a record over ``max_bytes`` is skipped whole (to the line where its quotes balance) instead of its
    lines being read as rows. The BOM is stripped."""

    def __init__(self, handle: BinaryIO, max_bytes: int) -> None:
        self.handle, self.max_bytes = handle, max_bytes
        self.first = True
        self.new_record()

    def new_record(self) -> None:
        self.size, self.quotes, self.invalid_at = 0, 0, None

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        raw = self.handle.readline()
        if not raw:
            raise StopIteration
        if self.first:
            self.first, raw = False, raw.removeprefix(b"\xef\xbb\xbf")
        self.size += len(raw)
        self.quotes += raw.count(b'"')
        if self.size > self.max_bytes:
            while self.quotes % 2 and (raw := self.handle.readline()):
                self.size += len(raw)
                self.quotes += raw.count(b'"')
            raise _Oversize()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if self.invalid_at is None:
                self.invalid_at = self.size - len(raw) + exc.start
            return raw.decode("utf-8", errors="replace")


def iter_csv(path: Path, id_column: str, text_column: str, max_bytes: int) -> Iterator[Item]:
    """One note per row; the other columns are kept as metadata. A missing column stops the run (exit 2).

    No message quotes a field: a header without the column may well be a first record of patient data."""
    csv.field_size_limit(max(csv.field_size_limit(), max_bytes + OTHER_FIELDS))
    with path.open("rb") as handle:
        lines = _CsvLines(handle, max_bytes + OTHER_FIELDS)
        reader = csv.reader(lines)
        try:
            header = next(reader, None)
        except (_Oversize, csv.Error):
            raise InputError(str(path), "unreadable CSV header (line 1)") from None
        if header is None:
            raise InputError(str(path), "empty CSV file (no header row)")
        for column in (id_column, text_column):
            if column not in header:
                raise InputError(str(path), f"no column {column!r} in the header (line 1 has {len(header)} "
                                            "fields; set --id-column and --text-column)")
        id_at, text_at = header.index(id_column), header.index(text_column)
        number = 1
        while True:
            lines.new_record()
            try:
                row = next(reader)
            except StopIteration:
                break
            except _Oversize:
                number += 1
                yield error_item(f"row-{number}", f"{path}:row {number}",
                             f"CSV record is over {max_bytes + OTHER_FIELDS:,} bytes: the note is over "
                             f"the {max_bytes:,}-byte limit")
                continue
            except csv.Error as exc:
                number += 1
                yield error_item(f"row-{number}", f"{path}:row {number}", f"malformed CSV row ({exc})")
                continue
            if not row:
                continue  # a blank line, e.g. trailing ones, as JSONL skips them
            number += 1
            source = f"{path}:row {number}"
            fallback = f"row-{number}"
            if len(row) != len(header):
                note_id = note_id_of(row[id_at], fallback) if id_at < len(row) else fallback
                yield error_item(note_id, source, f"malformed CSV row: {len(row)} fields, header has {len(header)}")
                continue
            metadata = {name: value for name, value in zip(header, row) if name not in (id_column, text_column)}
            item = item_from_bytes(note_id_of(row[id_at], fallback), source, row[text_at].encode("utf-8"), max_bytes,
                               metadata)
            if item.note is not None and lines.invalid_at is not None:
                flag = f"invalid UTF-8 at byte {lines.invalid_at} of the record: decoded with replacement characters"
                item = replace(item, note=replace(item.note, flags=(*item.note.flags, flag)))
            yield item
