"""Every input a batch names, streamed in order: folders, .jsonl, .csv, FHIR .json, HL7 v2, or single note files."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from ..errors import InputError
from .csvfile import iter_csv
from .fhir import iter_fhir
from .folders import InputStats, iter_directory
from .hl7 import iter_hl7, looks_like_hl7
from .jsonl import iter_jsonl
from .notes import DEFAULT_MAX_BYTES, Item, error_item, read_note


def iter_inputs(paths: list[str], glob: str = "*.txt", id_column: str = "note_id", text_column: str = "text",
                max_bytes: int = DEFAULT_MAX_BYTES, exclude: tuple[Path, ...] = (),
                stats: InputStats | None = None, fmt: str = "auto") -> Iterator[Item]:
    """Stream every input note, in order: folders, .jsonl, .csv, FHIR .json, HL7 v2, or single note files.

    Folders in ``exclude`` (an audit's own output folder) are never read as input. ``fmt="hl7"`` reads every
    file as HL7 v2; otherwise ``.hl7`` files and files starting with MSH/FHS/BHS are."""
    return flag_duplicate_ids(_iter_sources(paths, glob, id_column, text_column, max_bytes, exclude, stats, fmt))


def _iter_sources(paths: list[str], glob: str, id_column: str, text_column: str, max_bytes: int,
                  exclude: tuple[Path, ...], stats: InputStats | None, fmt: str) -> Iterator[Item]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from iter_directory(path, glob, max_bytes, exclude, stats, fmt)
        elif not path.exists():
            yield error_item(path.stem, raw, "no such file")
        elif not path.is_file():
            yield error_item(path.stem, raw, "not a regular file (a pipe, device or socket), not a note")
        elif fmt == "hl7" or looks_like_hl7(path):
            yield from iter_hl7(path, max_bytes)
        elif path.suffix.lower() == ".jsonl":
            yield from iter_jsonl(path, max_bytes)
        elif path.suffix.lower() == ".csv":
            yield from iter_csv(path, id_column, text_column, max_bytes)
        elif path.suffix.lower() == ".json":
            yield from iter_fhir(path, max_bytes)
        else:
            try:
                note = read_note(raw, max_bytes)
            except InputError as exc:
                yield error_item(path.stem, raw, exc.problem)
            else:
                yield Item(note.note_id, raw, note)


DUPLICATE_ID = "duplicate note id: an earlier row has the same id"


def flag_duplicate_ids(items: Iterator[Item]) -> Iterator[Item]:
    """Pass items on, flagging a note whose id an earlier row had. Ids are kept as 8-byte digests, so memory
    stays small however long the run."""
    seen: set[bytes] = set()
    for item in items:
        key = hashlib.blake2b(item.note_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        if key in seen and item.note is not None:
            item = replace(item, note=replace(item.note, flags=(*item.note.flags, DUPLICATE_ID)))
        seen.add(key)
        yield item
