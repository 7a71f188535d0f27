"""A note as the checker receives it, and one input position of a batch (a note, or the reason there is none).

Every reader decodes bytes here, so a note is judged the same whichever way it arrived: binary, empty and oversized
notes are refused with a one-line reason; invalid UTF-8 is repaired and flagged.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError

DEFAULT_MAX_BYTES = 1_000_000
TOO_DEEP = "JSON nested too deeply to read"
OTHER_FIELDS = 65_536
"""Bytes a JSONL line or CSV record may hold beyond its note, for the id and metadata."""


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
        raise InputError(shown(path), problem) from None
    except OSError as exc:
        raise InputError(shown(path), f"cannot read ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)  # before fdopen, which refuses a directory (a symlink to a folder) by raising
        if stat.S_ISDIR(info.st_mode):
            raise InputError(shown(path), "is a directory, not a note file")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(shown(path), "not a regular file (a pipe, device or socket), not a note")
        if info.st_size > max_bytes:
            raise InputError(shown(path), f"note is {info.st_size:,} bytes, over the {max_bytes:,}-byte limit")
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            return handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(shown(path), f"cannot read ({exc.strerror or exc})") from None
    finally:
        if fd >= 0:
            os.close(fd)


def read_note(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Note:
    """Read one note from a file path, or from standard input when the path is '-'."""
    if path == "-":
        text, flags = decode_note(sys.stdin.buffer.read(max_bytes + 1), "<stdin>", max_bytes)
        return Note(note_id="stdin", text=text, source="<stdin>", flags=flags)
    text, flags = decode_note(read_capped(path, max_bytes), shown(path), max_bytes)
    return Note(note_id=shown(Path(path).stem), text=text, source=shown(path), flags=flags)


@dataclass(frozen=True)
class Item:
    """One input position of a batch: a note to check, or the reason there is none. Never dropped."""

    note_id: str
    source: str
    note: Note | None = None
    error: str | None = None


def error_item(note_id: str, source: str, problem: str) -> Item:
    return Item(note_id=note_id, source=source, error=problem)


def item_from_bytes(note_id: str, source: str, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES,
                    metadata: dict[str, str] | None = None) -> Item:
    """The batch item for a note's bytes, however they were read (a file, a JSON field, a Spark row): same checks."""
    try:
        text, flags = decode_note(data, source, max_bytes)
    except InputError as exc:
        return error_item(note_id, source, exc.problem)
    return Item(note_id, source, Note(note_id, text, source, flags, metadata or {}))


_SURROGATE = re.compile("[\ud800-\udfff]")


def shown(value: str | Path) -> str:
    """A name, id or metadata value as text every output can hold: a lone surrogate (from JSON's \\ud800, or a
    file name that is not UTF-8, which Python keeps as surrogate escapes) becomes U+FFFD."""
    return _SURROGATE.sub("\ufffd", str(value))


def plain(value: object) -> str:
    return shown(value if isinstance(value, str) else json.dumps(value, sort_keys=True))


def note_id_of(value: object, fallback: str) -> str:
    """The id as a string; a missing, null or empty id is the row's position, never the string 'null'."""
    if value is None or value == "" or isinstance(value, (dict, list)):
        return fallback
    return plain(value)


def guarded(read: Callable[[], Item], note_id: str, source: str) -> Item:
    """One record's item, whatever the reader does: an unexpected exception on one record is that record's error
    row (naming the exception's type, never its message, which may quote the record), and the file goes on."""
    try:
        return read()
    except RecursionError:
        return error_item(note_id, source, TOO_DEEP)
    except Exception as exc:  # a reader's bug on one record must cost that record only
        return error_item(note_id, source, f"could not read this record ({type(exc).__name__}; a bug, please "
                                           "report it)")
