"""JSON Lines input: one note per line, ``note_id`` and ``text``, every other field kept as metadata."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from .notes import OTHER_FIELDS, TOO_DEEP, Item, error_item, guarded, item_from_bytes, note_id_of, plain, shown


def iter_jsonl(path: Path, max_bytes: int) -> Iterator[Item]:
    """One note per line: ``note_id``, ``text``, and any other fields kept as metadata.

    A line is read at most to the length a note within ``max_bytes`` can take as JSON (escapes such as \\u0000
    take six bytes per byte); a longer one is skipped to its end in chunks and is one error row."""
    limit = max_bytes * 6 + OTHER_FIELDS
    with path.open("rb") as lines:
        for number, raw in enumerate(iter(lambda: lines.readline(limit + 1), b""), 1):
            source = f"{shown(path)}:{number}"
            if len(raw) > limit and not raw.endswith(b"\n"):
                while (chunk := lines.readline(1 << 20)) and not chunk.endswith(b"\n"):
                    pass
                yield error_item(f"line-{number}", source, f"JSON line is over {limit:,} bytes: the note is over the "
                                                       f"{max_bytes:,}-byte limit")
                continue
            if raw.strip():
                yield guarded(lambda: _line_item(raw, number, source, max_bytes), f"line-{number}", source)


def _line_item(raw: bytes, number: int, source: str, max_bytes: int) -> Item:
    """One JSON line's item: its note, or why there is none."""
    try:
        record = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return error_item(f"line-{number}", source, f"malformed JSON line ({exc})")
    if not isinstance(record, dict):
        return error_item(f"line-{number}", source, "JSON line is not an object")
    note_id = note_id_of(record.get("note_id"), f"line-{number}")
    text = record.get("text")
    if not isinstance(text, str):
        return error_item(note_id, source, "no 'text' string in this line")
    try:
        metadata = {shown(k): plain(v) for k, v in record.items() if k not in ("note_id", "text")}
    except RecursionError:
        return error_item(note_id, source, TOO_DEEP)
    return item_from_bytes(note_id, source, text.encode("utf-8", "surrogatepass"), max_bytes, metadata)
