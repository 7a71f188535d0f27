"""Input readers: note files and stdin, with one-line errors that name the file and the problem."""

from __future__ import annotations

import sys
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
