"""Input readers: note files, stdin and batch sources (folders, JSONL, CSV, FHIR), streamed in input order.

A note that cannot be read becomes an error item with a one-line reason, never a gap in the output.
"""

from __future__ import annotations

import base64
import binascii
import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError

DEFAULT_MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class Note:
    """A note ready to check; ``flags`` records what was repaired on the way in (e.g. invalid UTF-8)."""

    note_id: str
    text: str
    source: str
    flags: tuple[str, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)


def decode_note(data: bytes, source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, tuple[str, ...]]:
    """Decode note bytes: reject binary, oversized and empty notes; repair invalid UTF-8 and say so."""
    if len(data) > max_bytes:
        raise InputError(source, f"note is {len(data):,} bytes, over the {max_bytes:,}-byte limit")
    if b"\x00" in data[:8192]:
        raise InputError(source, "binary file (contains NUL bytes), not a text note")
    flags: tuple[str, ...] = ()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        flags = (f"invalid UTF-8 at byte {exc.start}: decoded with replacement characters",)
    if not text.strip():
        raise InputError(source, "empty note")
    return text, flags


def read_note(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Note:
    """Read one note from a file path, or from standard input when the path is '-'."""
    if path == "-":
        text, flags = decode_note(sys.stdin.buffer.read(), "<stdin>", max_bytes)
        return Note(note_id="stdin", text=text, source="<stdin>", flags=flags)
    file = Path(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, not a note file") from None
    except OSError as exc:
        raise InputError(path, f"cannot read ({exc.strerror or exc})") from None
    text, flags = decode_note(data, path, max_bytes)
    return Note(note_id=file.stem, text=text, source=path, flags=flags)


@dataclass(frozen=True)
class Item:
    """One input position of a batch: a note to check, or the reason there is none. Never dropped."""

    note_id: str
    source: str
    note: Note | None = None
    error: str | None = None


def _error(note_id: str, source: str, problem: str) -> Item:
    return Item(note_id=note_id, source=source, error=problem)


def _from_bytes(note_id: str, source: str, data: bytes, max_bytes: int,
                metadata: dict[str, str] | None = None) -> Item:
    try:
        text, flags = decode_note(data, source, max_bytes)
    except InputError as exc:
        return _error(note_id, source, exc.problem)
    return Item(note_id, source, Note(note_id, text, source, flags, metadata or {}))


def iter_directory(folder: Path, glob: str, max_bytes: int) -> Iterator[Item]:
    """Every file matching ``glob`` below ``folder``, recursively, in sorted path order."""
    for path in sorted(p for p in folder.rglob(glob) if not p.is_dir()):
        note_id = str(path.relative_to(folder).with_suffix(""))
        try:
            data = path.read_bytes()
        except OSError as exc:
            yield _error(note_id, str(path), f"cannot read ({exc.strerror or exc})")
            continue
        yield _from_bytes(note_id, str(path), data, max_bytes)


def _plain(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def iter_jsonl(path: Path, max_bytes: int) -> Iterator[Item]:
    """One note per line: ``note_id``, ``text``, and any other fields kept as metadata."""
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, 1):
            source = f"{path}:{number}"
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                yield _error(f"line-{number}", source, f"malformed JSON line ({exc})")
                continue
            if not isinstance(record, dict):
                yield _error(f"line-{number}", source, "JSON line is not an object")
                continue
            note_id = _plain(record.get("note_id", f"line-{number}"))
            text = record.get("text")
            if not isinstance(text, str):
                yield _error(note_id, source, "no 'text' string in this line")
                continue
            metadata = {k: _plain(v) for k, v in record.items() if k not in ("note_id", "text")}
            yield _from_bytes(note_id, source, text.encode("utf-8", "surrogatepass"), max_bytes, metadata)


def iter_csv(path: Path, id_column: str, text_column: str, max_bytes: int) -> Iterator[Item]:
    """One note per row; the other columns are kept as metadata. A missing column stops the run (exit 2)."""
    csv.field_size_limit(max(csv.field_size_limit(), max_bytes * 4))
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise InputError(str(path), "empty CSV file (no header row)")
        for column in (id_column, text_column):
            if column not in header:
                raise InputError(str(path), f"no column {column!r} in the header (columns: {', '.join(header)})")
        id_at, text_at = header.index(id_column), header.index(text_column)
        number = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                number += 1
                yield _error(f"row-{number}", f"{path}:row {number}", f"malformed CSV row ({exc})")
                continue
            number += 1
            source = f"{path}:row {number}"
            if len(row) != len(header):
                note_id = row[id_at] if id_at < len(row) else f"row-{number}"
                yield _error(note_id, source, f"malformed CSV row: {len(row)} fields, header has {len(header)}")
                continue
            metadata = {name: value for name, value in zip(header, row) if name not in (id_column, text_column)}
            yield _from_bytes(row[id_at] or f"row-{number}", source, row[text_at].encode("utf-8"), max_bytes,
                              metadata)


def _attachment_text(resource: dict, source: str, max_bytes: int) -> Item:
    """The first text/plain attachment of a DocumentReference, decoded by its charset."""
    note_id = _plain(resource.get("id", "DocumentReference"))
    metadata = {"date": _plain(resource.get("date", ""))} if resource.get("date") else {}
    for key, path in (("type", ("type", "text")), ("author", ("author", 0, "display")),
                      ("department", ("context", "practiceSetting", "text"))):
        value: object = resource
        for step in path:
            value = value[step] if isinstance(value, (dict, list)) and _has(value, step) else None
        if isinstance(value, str):
            metadata[key] = value
    for content in resource.get("content") or []:
        attachment = content.get("attachment") or {} if isinstance(content, dict) else {}
        content_type = attachment.get("contentType", "text/plain")
        if not content_type.startswith("text/plain") or "data" not in attachment:
            continue
        charset = "utf-8"
        for part in content_type.split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            data = base64.b64decode(attachment["data"], validate=True)
        except (binascii.Error, ValueError, TypeError) as exc:
            return _error(note_id, source, f"attachment data is not valid base64 ({exc})")
        if charset.lower().replace("-", "") not in ("utf8", "usascii", "ascii"):
            try:
                data = data.decode(charset).encode("utf-8")
            except (LookupError, UnicodeDecodeError) as exc:
                return _error(note_id, source, f"cannot decode attachment as {charset} ({exc})")
        return _from_bytes(note_id, source, data, max_bytes, metadata)
    return _error(note_id, source, "DocumentReference has no text/plain attachment with data")


def _has(container: dict | list, step: str | int) -> bool:
    return step in container if isinstance(container, dict) else isinstance(step, int) and step < len(container)


def iter_fhir(path: Path, max_bytes: int) -> Iterator[Item]:
    """A FHIR R4 DocumentReference, or a Bundle of them; each entry that is not one is an error row."""
    try:
        resource = json.loads(path.read_bytes())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        yield _error(path.stem, str(path), f"not a readable FHIR JSON file ({exc})")
        return
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if kind == "DocumentReference":
        yield _attachment_text(resource, str(path), max_bytes)
    elif kind == "Bundle":
        for number, entry in enumerate(resource.get("entry") or [], 1):
            item = entry.get("resource") if isinstance(entry, dict) else None
            source = f"{path}:entry {number}"
            if not isinstance(item, dict) or item.get("resourceType") != "DocumentReference":
                found = item.get("resourceType") if isinstance(item, dict) else "nothing"
                yield _error(f"entry-{number}", source, f"bundle entry is {found}, not a DocumentReference")
            else:
                yield _attachment_text(item, source, max_bytes)
    else:
        yield _error(path.stem, str(path), f"FHIR resourceType {kind!r} is not a DocumentReference or Bundle")


def iter_inputs(paths: list[str], glob: str = "*.txt", id_column: str = "note_id", text_column: str = "text",
                max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Item]:
    """Stream every input note, in order: folders, .jsonl, .csv, FHIR .json, or single note files."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from iter_directory(path, glob, max_bytes)
        elif not path.exists():
            yield _error(path.stem, raw, "no such file")
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
                yield _error(path.stem, raw, exc.problem)
            else:
                yield Item(note.note_id, raw, note)


def item_from_bytes(note_id: str, source: str, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES,
                    metadata: dict[str, str] | None = None) -> Item:
    """The batch item for note bytes another engine has already read (the Spark integration): same checks."""
    return _from_bytes(note_id, source, data, max_bytes, metadata)
