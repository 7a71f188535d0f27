"""FHIR R4 input: a DocumentReference, or a Bundle of them, each text/plain attachment one note.

Every field is checked for its type, so one malformed entry is one error row, never the end of its Bundle.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

from ..errors import InputError
from .notes import (DEFAULT_MAX_BYTES, OTHER_FIELDS, TOO_DEEP, Item, error_item, guarded, item_from_bytes,
                    note_id_of, plain, shown)
from .tolerant_json import TOO_DEEP as DEEP_VALUE
from .tolerant_json import load_object


def _attachment_text(resource: dict, source: str, max_bytes: int) -> Item:
    """The first text/plain attachment of a DocumentReference, decoded by its charset.

    Every field is checked for its type, so one malformed entry is one error row, never the end of its Bundle."""
    note_id = note_id_of(resource.get("id"), "DocumentReference")
    metadata = {"document_date": plain(resource.get("date", ""))} if resource.get("date") else {}
    for key, path in (("document_type", ("type", "text")), ("provider", ("author", 0, "display")),
                      ("department", ("context", "practiceSetting", "text"))):
        value: object = resource
        for step in path:
            value = value[step] if isinstance(value, (dict, list)) and _has(value, step) else None
        if isinstance(value, str):
            metadata[key] = shown(value)
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
        return _decoded(attachment["data"], charset, note_id, source, max_bytes, metadata)
    return error_item(note_id, source, "DocumentReference has no text/plain attachment with data")


# Codecs Python calls text encodings that are not character sets: escape and transfer syntaxes that can decode
# to lone surrogates (unicode_escape) or take quadratic time (punycode), and the one that always fails.
_NOT_CHARSETS = {"unicode-escape", "raw-unicode-escape", "punycode", "idna", "utf-7", "undefined"}


def _decoded(data: str, charset: str, note_id: str, source: str, max_bytes: int,
             metadata: dict[str, str]) -> Item:
    """An attachment's base64 data decoded by its charset, each step bounded by ``max_bytes`` before it allocates.

    Base64 is sized from its length before it is decoded; a charset must be a character set (``_NOT_CHARSETS``);
    errors name the charset's length, never the field's value."""
    if len(data) // 4 * 3 > max_bytes + 2:
        return error_item(note_id, source, f"attachment data decodes to about {len(data) // 4 * 3:,} bytes, over "
                                           f"the {max_bytes:,}-byte limit")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        return error_item(note_id, source, f"attachment data is not valid base64 ({exc})")
    if charset.lower().replace("-", "") in ("utf8", "usascii", "ascii"):
        return item_from_bytes(note_id, source, raw, max_bytes, metadata)
    try:
        codec = codecs.lookup(charset)
    except LookupError:
        codec = None
    if codec is None or not codec._is_text_encoding or codec.name in _NOT_CHARSETS:  # type: ignore[attr-defined]
        return error_item(note_id, source, f"attachment charset ({len(charset)} characters) is not a character "
                                           "set notecheck decodes")
    try:
        raw = raw.decode(codec.name).encode("utf-8")
    except UnicodeError as exc:
        where = f" at byte {exc.start}" if isinstance(exc, UnicodeDecodeError) else ""
        return error_item(note_id, source, f"attachment is not valid {codec.name}{where}")
    return item_from_bytes(note_id, source, raw, max_bytes, metadata)


def _has(container: dict | list, step: str | int) -> bool:
    return step in container if isinstance(container, dict) else isinstance(step, int) and step < len(container)


def read_document_reference(resource: object, source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Item:
    """One parsed FHIR R4 DocumentReference (the service's ``application/fhir+json`` body), read as ``audit``
    reads one from a file."""
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if not isinstance(resource, dict) or kind != "DocumentReference":
        return error_item("DocumentReference", source, f"FHIR resourceType {kind!r} is not a DocumentReference")
    return _attachment_text(resource, source, max_bytes)


FILE_NOTES = 100
"""A FHIR file is parsed whole (the standard library's json), so it may hold at most this many notes' worth of
bytes: 100 x --max-bytes. A larger export is one error row; split it, or give it as JSON Lines."""


def _read_bounded(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refused by its size before it is read when it is over ``FILE_NOTES`` notes' worth."""
    limit = FILE_NOTES * (max_bytes * 4 // 3 + OTHER_FIELDS)
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise InputError(shown(path), f"FHIR file is {size:,} bytes, over the {limit:,}-byte limit for one file "
                                          f"({FILE_NOTES} notes of --max-bytes): split it, or give it as JSON Lines")
        return handle.read(limit + 1)


def iter_fhir(path: Path, max_bytes: int) -> Iterator[Item]:
    """A FHIR R4 DocumentReference, or a Bundle of them; each entry that is not one is an error row."""
    try:
        text = _read_bounded(path, max_bytes).decode("utf-8-sig")
        try:
            resource = json.loads(text)
        except RecursionError:  # read again member by member: a too-deep entry is its own error row
            resource = load_object(text, "entry")
    except InputError as exc:
        yield error_item(shown(path.stem), shown(path), exc.problem)
        return
    except (OSError, ValueError) as exc:
        yield error_item(shown(path.stem), shown(path), f"not a readable FHIR JSON file ({exc})")
        return
    except RecursionError:
        yield error_item(shown(path.stem), shown(path), TOO_DEEP)
        return
    name, stem = shown(path), shown(path.stem)
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if kind == "DocumentReference":
        deep = any(value is DEEP_VALUE for value in resource.values())
        note_id = note_id_of(resource.get("id"), stem)
        yield error_item(note_id, name, TOO_DEEP) if deep else guarded(
            lambda: _attachment_text(resource, name, max_bytes), note_id, name)
    elif kind == "Bundle":
        entries = resource.get("entry")
        for number, entry in enumerate(entries if isinstance(entries, list) else [], 1):
            yield guarded(lambda: _entry_item(entry, f"{name}:entry {number}", number, max_bytes),
                          f"entry-{number}", f"{name}:entry {number}")
    else:
        found = repr(kind) if kind is None else _kind(kind)
        yield error_item(stem, name, f"FHIR resourceType {found} is not a DocumentReference or Bundle")


def _entry_item(entry: object, source: str, number: int, max_bytes: int) -> Item:
    """One Bundle entry's item: its DocumentReference's note, or why there is none."""
    if entry is DEEP_VALUE:
        return error_item(f"entry-{number}", source, TOO_DEEP)
    item = entry.get("resource") if isinstance(entry, dict) else None
    if not isinstance(item, dict) or item.get("resourceType") != "DocumentReference":
        found = _kind(item.get("resourceType")) if isinstance(item, dict) else "nothing"
        return error_item(f"entry-{number}", source, f"bundle entry is {found}, not a DocumentReference")
    return _attachment_text(item, source, max_bytes)


_TYPE_NAME = re.compile(r"[A-Z][A-Za-z]{0,63}")


def _kind(kind: object) -> str:
    """A resourceType as an error names it: a FHIR type name as written, anything else by its length only."""
    if isinstance(kind, str) and _TYPE_NAME.fullmatch(kind):
        return kind
    return f"a {len(kind)}-character string" if isinstance(kind, str) else "not a resource"
