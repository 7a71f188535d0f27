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
from .notes import DEFAULT_MAX_BYTES, Item, error_item, read_note, shown


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
        stem, source = shown(path.stem), shown(raw)
        if path.is_dir():
            items = iter_directory(path, glob, max_bytes, exclude, stats, fmt)
        elif not path.exists():
            items = iter([error_item(stem, source, "no such file")])
        elif not path.is_file():
            items = iter([error_item(stem, source, "not a regular file (a pipe, device or socket), not a note")])
        elif fmt == "hl7" or looks_like_hl7(path):
            items = iter_hl7(path, max_bytes)
        elif path.suffix.lower() == ".jsonl":
            items = iter_jsonl(path, max_bytes)
        elif path.suffix.lower() == ".csv":
            items = iter_csv(path, id_column, text_column, max_bytes)
        elif path.suffix.lower() == ".json":
            items = iter_fhir(path, max_bytes)
        else:
            items = iter([_note_file(raw, stem, source, max_bytes)])
        yield from _to_the_end(items, stem, source)


def _note_file(raw: str, stem: str, source: str, max_bytes: int) -> Item:
    try:
        note = read_note(raw, max_bytes)
    except InputError as exc:
        return error_item(stem, source, exc.problem)
    return Item(note.note_id, source, note)


def _to_the_end(items: Iterator[Item], stem: str, source: str) -> Iterator[Item]:
    """A reader's items; should the reader itself fail (a bug), one error row says the rest of the file was not
    read, and the run goes on with the next input. A usage error (a CSV without its column) still stops the run."""
    count = 0
    try:
        for item in items:
            count += 1
            yield item
    except InputError:
        raise
    except Exception as exc:  # per-record errors are the readers' own; this is the last line of defence
        yield error_item(f"{stem}-rest", source, f"reading stopped after {count} rows ({type(exc).__name__}; a "
                                                 "bug, please report it): the rest of this file was not read")


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
