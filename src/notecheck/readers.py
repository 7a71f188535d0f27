"""Input readers: note files, stdin and batch sources (folders, JSONL, CSV, FHIR), streamed in input order.

A note that cannot be read becomes an error item with a one-line reason, never a gap in the output.
"""

from __future__ import annotations

import base64
import binascii
import csv
import fnmatch
import hashlib
import json
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from .errors import InputError
from .tolerant_json import TOO_DEEP as DEEP_VALUE
from .tolerant_json import load_object

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
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8"  # a BOM says UTF-16, not binary
    if encoding == "utf-8" and b"\x00" in data[:8192]:
        raise InputError(source, "binary file (contains NUL bytes), not a text note")
    flags: tuple[str, ...] = ()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        text = data.decode(encoding, errors="replace")
        flags = (f"invalid {encoding.upper()} at byte {exc.start}: decoded with replacement characters",)
    if not text.strip():
        raise InputError(source, "empty note")
    return text, flags


def read_capped(path: str | Path, max_bytes: int) -> bytes:
    """A regular file's bytes, at most ``max_bytes + 1`` of them, its size checked before reading.

    Opened non-blocking, so a FIFO cannot hang the run, and checked with fstat on the open descriptor, so a device
    (/dev/zero behind a symlink) or a huge sparse file is refused before a byte is read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        problem = "cannot read (a symlink to a missing file)" if os.path.islink(path) else "no such file"
        raise InputError(str(path), problem) from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(str(path), "is a directory, not a note file")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(str(path), "not a regular file (a pipe, device or socket), not a note")
        if info.st_size > max_bytes:
            raise InputError(str(path), f"note is {info.st_size:,} bytes, over the {max_bytes:,}-byte limit")
        try:
            return handle.read(max_bytes + 1)
        except OSError as exc:
            raise InputError(str(path), f"cannot read ({exc.strerror or exc})") from None


def read_note(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Note:
    """Read one note from a file path, or from standard input when the path is '-'."""
    if path == "-":
        text, flags = decode_note(sys.stdin.buffer.read(max_bytes + 1), "<stdin>", max_bytes)
        return Note(note_id="stdin", text=text, source="<stdin>", flags=flags)
    text, flags = decode_note(read_capped(path, max_bytes), path, max_bytes)
    return Note(note_id=Path(path).stem, text=text, source=path, flags=flags)


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


@dataclass
class InputStats:
    """What the readers saw besides notes, for the summary: files the folder glob left out."""

    left_out_by_glob: int = 0
    unreadable_folders: int = 0


def _matches(relative: str, glob: str) -> bool:
    """Case-insensitive: 'A.TXT' and 'c.Txt' are notes under '*.txt'. A glob with '/' matches the relative path."""
    target = relative if "/" in glob else relative.rsplit("/", 1)[-1]
    return fnmatch.fnmatchcase(target.lower(), glob.lower())


def iter_directory(folder: Path, glob: str, max_bytes: int, exclude: tuple[Path, ...] = (),
                   stats: InputStats | None = None, fmt: str = "auto") -> Iterator[Item]:
    """Every file matching ``glob`` below ``folder``, recursively, in sorted path order; HL7 v2 files (by
    ``fmt``, suffix or first bytes) give one item per message.

    A folder that cannot be listed is an error row naming it (never a silent gap); folders in ``exclude`` (the
    audit's own output) and symlinked folders (loops) are not entered.
    """
    from .readers_hl7 import hl7_items, looks_like_hl7

    def walk(current: Path) -> Iterator[Item]:
        relative = current.relative_to(folder).as_posix()
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            if stats is not None:
                stats.unreadable_folders += 1
            yield _error(relative if relative != "." else current.name, str(current),
                         f"cannot read folder ({exc.strerror or exc})")
            return
        for entry in entries:
            path = Path(entry.path)
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_folder = False
            if is_folder:
                if path.resolve() not in exclude:
                    yield from walk(path)
                continue
            name = path.relative_to(folder).as_posix()
            if not _matches(name, glob):
                if stats is not None:
                    stats.left_out_by_glob += 1
                continue
            note_id = str(Path(name).with_suffix(""))
            try:
                data = read_capped(path, max_bytes)
            except InputError as exc:
                yield _error(note_id, str(path), exc.problem)
                continue
            if fmt == "hl7" or looks_like_hl7(path, data):
                yield from hl7_items(data, str(path), max_bytes)
                continue
            yield _from_bytes(note_id, str(path), data, max_bytes)

    yield from walk(folder)


def note_files(folder: Path, glob: str, exclude: tuple[Path, ...] = ()) -> Iterator[tuple[str, Path]]:
    """(relative path, path) of the files the glob selects below ``folder``, cheaply: for counts and digests."""
    for current, folders, files in os.walk(folder):
        folders[:] = sorted(f for f in folders if (Path(current) / f).resolve() not in exclude)
        for name in sorted(files):
            path = Path(current) / name
            relative = path.relative_to(folder).as_posix()
            if _matches(relative, glob):
                yield relative, path


def folder_fingerprint(folder: Path, glob: str, exclude: tuple[Path, ...] = ()) -> str:
    """A digest of every note file's relative path, size and mtime below ``folder``: equal digests, same inputs."""
    digest = hashlib.sha256()
    for relative, path in note_files(folder, glob, exclude):
        try:
            info = path.stat()
            stamp = f"{info.st_size}\0{info.st_mtime_ns}"
        except OSError as exc:
            stamp = f"error {exc.errno}"
        digest.update(f"{relative}\0{stamp}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


TOO_DEEP = "JSON nested too deeply to read"


def _plain(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _note_id(value: object, fallback: str) -> str:
    """The id as a string; a missing, null or empty id is the row's position, never the string 'null'."""
    if value is None or value == "" or isinstance(value, (dict, list)):
        return fallback
    return _plain(value)


OTHER_FIELDS = 65_536
"""Bytes a JSONL line or CSV record may hold beyond its note, for the id and metadata."""


def iter_jsonl(path: Path, max_bytes: int) -> Iterator[Item]:
    """One note per line: ``note_id``, ``text``, and any other fields kept as metadata.

    A line is read at most to the length a note within ``max_bytes`` can take as JSON (escapes such as \\u0000
    take six bytes per byte); a longer one is skipped to its end in chunks and is one error row."""
    limit = max_bytes * 6 + OTHER_FIELDS
    with path.open("rb") as lines:
        for number, raw in enumerate(iter(lambda: lines.readline(limit + 1), b""), 1):
            source = f"{path}:{number}"
            if len(raw) > limit and not raw.endswith(b"\n"):
                while (chunk := lines.readline(1 << 20)) and not chunk.endswith(b"\n"):
                    pass
                yield _error(f"line-{number}", source, f"JSON line is over {limit:,} bytes: the note is over the "
                                                       f"{max_bytes:,}-byte limit")
                continue
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                yield _error(f"line-{number}", source, f"malformed JSON line ({exc})")
                continue
            except RecursionError:
                yield _error(f"line-{number}", source, TOO_DEEP)
                continue
            if not isinstance(record, dict):
                yield _error(f"line-{number}", source, "JSON line is not an object")
                continue
            note_id = _note_id(record.get("note_id"), f"line-{number}")
            text = record.get("text")
            if not isinstance(text, str):
                yield _error(note_id, source, "no 'text' string in this line")
                continue
            try:
                metadata = {k: _plain(v) for k, v in record.items() if k not in ("note_id", "text")}
            except RecursionError:
                yield _error(note_id, source, TOO_DEEP)
                continue
            yield _from_bytes(note_id, source, text.encode("utf-8", "surrogatepass"), max_bytes, metadata)


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
                yield _error(f"row-{number}", f"{path}:row {number}",
                             f"CSV record is over {max_bytes + OTHER_FIELDS:,} bytes: the note is over "
                             f"the {max_bytes:,}-byte limit")
                continue
            except csv.Error as exc:
                number += 1
                yield _error(f"row-{number}", f"{path}:row {number}", f"malformed CSV row ({exc})")
                continue
            if not row:
                continue  # a blank line, e.g. trailing ones, as JSONL skips them
            number += 1
            source = f"{path}:row {number}"
            fallback = f"row-{number}"
            if len(row) != len(header):
                note_id = _note_id(row[id_at], fallback) if id_at < len(row) else fallback
                yield _error(note_id, source, f"malformed CSV row: {len(row)} fields, header has {len(header)}")
                continue
            metadata = {name: value for name, value in zip(header, row) if name not in (id_column, text_column)}
            item = _from_bytes(_note_id(row[id_at], fallback), source, row[text_at].encode("utf-8"), max_bytes,
                               metadata)
            if item.note is not None and lines.invalid_at is not None:
                flag = f"invalid UTF-8 at byte {lines.invalid_at} of the record: decoded with replacement characters"
                item = replace(item, note=replace(item.note, flags=(*item.note.flags, flag)))
            yield item


def _attachment_text(resource: dict, source: str, max_bytes: int) -> Item:
    """The first text/plain attachment of a DocumentReference, decoded by its charset.

    Every field is checked for its type, so one malformed entry is one error row, never the end of its Bundle."""
    note_id = _note_id(resource.get("id"), "DocumentReference")
    metadata = {"date": _plain(resource.get("date", ""))} if resource.get("date") else {}
    for key, path in (("type", ("type", "text")), ("author", ("author", 0, "display")),
                      ("department", ("context", "practiceSetting", "text"))):
        value: object = resource
        for step in path:
            value = value[step] if isinstance(value, (dict, list)) and _has(value, step) else None
        if isinstance(value, str):
            metadata[key] = value
    contents = resource.get("content")
    for content in contents if isinstance(contents, list) else []:
        attachment = content.get("attachment") if isinstance(content, dict) else None
        if not isinstance(attachment, dict):
            continue
        content_type = attachment.get("contentType")
        content_type = "text/plain" if content_type is None else content_type
        if not isinstance(content_type, str) or not content_type.lower().startswith("text/plain"):
            continue
        if not isinstance(attachment.get("data"), str):
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


def read_document_reference(resource: object, source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Item:
    """One parsed FHIR R4 DocumentReference (the service's ``application/fhir+json`` body), read as ``audit``
    reads one from a file."""
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if not isinstance(resource, dict) or kind != "DocumentReference":
        return _error("DocumentReference", source, f"FHIR resourceType {kind!r} is not a DocumentReference")
    return _attachment_text(resource, source, max_bytes)


def iter_fhir(path: Path, max_bytes: int) -> Iterator[Item]:
    """A FHIR R4 DocumentReference, or a Bundle of them; each entry that is not one is an error row."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
        try:
            resource = json.loads(text)
        except RecursionError:  # read again member by member: a too-deep entry is its own error row
            resource = load_object(text, "entry")
    except (OSError, ValueError) as exc:
        yield _error(path.stem, str(path), f"not a readable FHIR JSON file ({exc})")
        return
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if kind == "DocumentReference":
        deep = any(value is DEEP_VALUE for value in resource.values())
        yield _error(_note_id(resource.get("id"), path.stem), str(path), TOO_DEEP) if deep else _attachment_text(
            resource, str(path), max_bytes)
    elif kind == "Bundle":
        entries = resource.get("entry")
        for number, entry in enumerate(entries if isinstance(entries, list) else [], 1):
            item = entry.get("resource") if isinstance(entry, dict) else None
            source = f"{path}:entry {number}"
            if entry is DEEP_VALUE:
                yield _error(f"entry-{number}", source, TOO_DEEP)
                continue
            if not isinstance(item, dict) or item.get("resourceType") != "DocumentReference":
                found = item.get("resourceType") if isinstance(item, dict) else "nothing"
                found = found if isinstance(found, str) else "not a resource"
                yield _error(f"entry-{number}", source, f"bundle entry is {found}, not a DocumentReference")
                continue
            try:
                yield _attachment_text(item, source, max_bytes)
            except RecursionError:
                yield _error(f"entry-{number}", source, TOO_DEEP)
    else:
        kind = kind if isinstance(kind, str) else None
        yield _error(path.stem, str(path), f"FHIR resourceType {kind!r} is not a DocumentReference or Bundle")


def iter_inputs(paths: list[str], glob: str = "*.txt", id_column: str = "note_id", text_column: str = "text",
                max_bytes: int = DEFAULT_MAX_BYTES, exclude: tuple[Path, ...] = (),
                stats: InputStats | None = None, fmt: str = "auto") -> Iterator[Item]:
    """Stream every input note, in order: folders, .jsonl, .csv, FHIR .json, HL7 v2, or single note files.

    Folders in ``exclude`` (an audit's own output folder) are never read as input. ``fmt="hl7"`` reads every
    file as HL7 v2; otherwise ``.hl7`` files and files starting with MSH/FHS/BHS are."""
    return flag_duplicate_ids(_iter_sources(paths, glob, id_column, text_column, max_bytes, exclude, stats, fmt))


def _iter_sources(paths: list[str], glob: str, id_column: str, text_column: str, max_bytes: int,
                  exclude: tuple[Path, ...], stats: InputStats | None, fmt: str) -> Iterator[Item]:
    from .readers_hl7 import iter_hl7, looks_like_hl7

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from iter_directory(path, glob, max_bytes, exclude, stats, fmt)
        elif not path.exists():
            yield _error(path.stem, raw, "no such file")
        elif not path.is_file():
            yield _error(path.stem, raw, "not a regular file (a pipe, device or socket), not a note")
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
                yield _error(path.stem, raw, exc.problem)
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


def item_from_bytes(note_id: str, source: str, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES,
                    metadata: dict[str, str] | None = None) -> Item:
    """The batch item for note bytes another engine has already read (the Spark integration): same checks."""
    return _from_bytes(note_id, source, data, max_bytes, metadata)
