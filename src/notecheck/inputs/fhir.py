"""FHIR R4 input: a DocumentReference, or a Bundle of them, each text/plain attachment one note.

Every field is checked for its type, so one malformed entry is one error row, never the end of its Bundle.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from pathlib import Path

from .notes import DEFAULT_MAX_BYTES, TOO_DEEP, Item, error_item, item_from_bytes, note_id_of, plain
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
            return error_item(note_id, source, f"attachment data is not valid base64 ({exc})")
        if charset.lower().replace("-", "") not in ("utf8", "usascii", "ascii"):
            try:
                data = data.decode(charset).encode("utf-8")
            except (LookupError, UnicodeDecodeError) as exc:
                return error_item(note_id, source, f"cannot decode attachment as {charset} ({exc})")
        return item_from_bytes(note_id, source, data, max_bytes, metadata)
    return error_item(note_id, source, "DocumentReference has no text/plain attachment with data")


def _has(container: dict | list, step: str | int) -> bool:
    return step in container if isinstance(container, dict) else isinstance(step, int) and step < len(container)


def read_document_reference(resource: object, source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Item:
    """One parsed FHIR R4 DocumentReference (the service's ``application/fhir+json`` body), read as ``audit``
    reads one from a file."""
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if not isinstance(resource, dict) or kind != "DocumentReference":
        return error_item("DocumentReference", source, f"FHIR resourceType {kind!r} is not a DocumentReference")
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
        yield error_item(path.stem, str(path), f"not a readable FHIR JSON file ({exc})")
        return
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if kind == "DocumentReference":
        deep = any(value is DEEP_VALUE for value in resource.values())
        yield error_item(note_id_of(resource.get("id"), path.stem), str(path), TOO_DEEP) if deep else _attachment_text(
            resource, str(path), max_bytes)
    elif kind == "Bundle":
        entries = resource.get("entry")
        for number, entry in enumerate(entries if isinstance(entries, list) else [], 1):
            item = entry.get("resource") if isinstance(entry, dict) else None
            source = f"{path}:entry {number}"
            if entry is DEEP_VALUE:
                yield error_item(f"entry-{number}", source, TOO_DEEP)
                continue
            if not isinstance(item, dict) or item.get("resourceType") != "DocumentReference":
                found = item.get("resourceType") if isinstance(item, dict) else "nothing"
                found = found if isinstance(found, str) else "not a resource"
                yield error_item(f"entry-{number}", source, f"bundle entry is {found}, not a DocumentReference")
                continue
            try:
                yield _attachment_text(item, source, max_bytes)
            except RecursionError:
                yield error_item(f"entry-{number}", source, TOO_DEEP)
    else:
        kind = kind if isinstance(kind, str) else None
        yield error_item(path.stem, str(path), f"FHIR resourceType {kind!r} is not a DocumentReference or Bundle")
