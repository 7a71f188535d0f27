"""Request bodies the service reads, dispatched by content type through one small table.

Each reader turns a raw body into a ``NoteInput`` or raises ``RequestProblem`` naming the field at fault. Notes
are decoded by the readers ``check`` and ``audit`` use, so a body is judged exactly as the same note in a file.
Adding a body type is one reader function here and one row in ``BODY_READERS``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError
from .fhir import read_document_reference
from .hl7 import hl7_items
from .notes import TOO_DEEP, Item, decode_note, shown

MAX_BATCH = 100
"""Notes per batch request: a batch answers within a second or two on one worker."""


class RequestProblem(Exception):
    """A request the service cannot answer, with its HTTP status, a stable kind, and the field at fault."""

    def __init__(self, status: int, kind: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.field = status, kind, message, field


class CheckRequest(BaseModel):
    """A note to check, as JSON."""

    model_config = ConfigDict(extra="forbid")

    note_id: str | None = Field(default=None, description="Your id for the note; 'note' when absent.")
    text: str = Field(description="The note text.")
    billed_code: str | None = Field(default=None, description="The billed code to judge the note against, e.g. "
                                                              "0201T or 0201T-50; absent: the code the note's "
                                                              "documentation supports (or the server's default).")
    profile: str | None = Field(default=None, description="Alias of billed_code, kept for older clients.")


class BatchRequest(BaseModel):
    """Up to 100 notes; each is validated on its own, so one bad note gives one error result."""

    notes: list[Any] = Field(description="Notes shaped like a CheckRequest; each is validated on its own.",
                             min_length=1, max_length=MAX_BATCH,
                             json_schema_extra={"items": CheckRequest.model_json_schema()})


@dataclass(frozen=True)
class NoteInput:
    """A decoded note and the options it came with; ``flags`` says what was repaired (e.g. invalid UTF-8)."""

    note_id: str | None
    text: str
    profile: str | None  # the billed code, as given
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Params:
    """Options given in the query string, for bodies that cannot carry them (text/plain, FHIR)."""

    note_id: str | None = None
    profile: str | None = None


def parse_json(body: bytes) -> object:
    """The body as JSON, or a 400 that says where it broke."""
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise RequestProblem(400, "malformed_body", f"body: not valid JSON ({exc})", "body") from None


def _field(location: tuple[int | str, ...], prefix: str) -> str:
    path = prefix
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def validation_problem(exc: ValidationError, prefix: str = "") -> RequestProblem:
    """The first validation error as a 422 naming its field, e.g. 'notes[3].text: Field required'."""
    error = exc.errors(include_url=False, include_input=False)[0]
    field = _field(tuple(error["loc"]), prefix)
    return RequestProblem(422, "invalid_field", f"{field}: {error['msg']}", field)


def _decode(data: bytes, field: str, max_bytes: int) -> tuple[str, tuple[str, ...]]:
    try:
        return decode_note(data, field, max_bytes)
    except InputError as exc:
        raise RequestProblem(422, "invalid_note", str(exc), field) from None


def note_from_object(value: object, params: Params, max_bytes: int, prefix: str = "") -> NoteInput:
    """A CheckRequest object (a JSON body, or one note of a batch) as a decoded note."""
    try:
        request = CheckRequest.model_validate(value)
    except ValidationError as exc:
        raise validation_problem(exc, prefix) from None
    text, flags = _decode(request.text.encode("utf-8", "surrogatepass"), _field(("text",), prefix), max_bytes)
    note_id = request.note_id or params.note_id
    return NoteInput(shown(note_id) if note_id else note_id, text,
                     request.billed_code or request.profile or params.profile, flags)


def _json_body(body: bytes, params: Params, max_bytes: int) -> NoteInput:
    return note_from_object(parse_json(body), params, max_bytes)


def _plain_body(body: bytes, params: Params, max_bytes: int) -> NoteInput:
    text, flags = _decode(body, "body", max_bytes)
    return NoteInput(params.note_id, text, params.profile, flags)


def from_item(item: Item, params: Params) -> NoteInput:
    """A batch reader's item (a note, or the reason there is none) as a body's note, or a 422 naming the body."""
    if item.note is None:
        raise RequestProblem(422, "invalid_note", f"body: {item.error}", "body")
    return NoteInput(params.note_id or item.note_id, item.note.text, params.profile, item.note.flags)


def _fhir_body(body: bytes, params: Params, max_bytes: int) -> NoteInput:
    return from_item(read_document_reference(parse_json(body), "body", max_bytes), params)


def _hl7_body(body: bytes, params: Params, max_bytes: int) -> NoteInput:
    """One HL7 v2 message (MDM or ORU; plain, MLLP-framed or in a batch envelope), read as ``audit`` reads it."""
    items = hl7_items(body, "body", max_bytes)
    if len(items) != 1:
        raise RequestProblem(422, "invalid_note", f"body: expected one HL7 v2 message, found {len(items)}", "body")
    return from_item(items[0], params)


class BodyType(NamedTuple):
    """How to read one media type, and how /openapi.json describes it."""

    read: Callable[[bytes, Params, int], NoteInput]
    schema: dict[str, Any]


_FHIR_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["resourceType", "content"],
    "description": "FHIR R4 DocumentReference; the note is the first text/plain attachment's base64 data.",
    "properties": {"resourceType": {"type": "string", "enum": ["DocumentReference"]}, "id": {"type": "string"},
                   "content": {"type": "array", "items": {"type": "object"}}},
}

BODY_READERS: dict[str, BodyType] = {
    "application/json": BodyType(_json_body, CheckRequest.model_json_schema()),
    "text/plain": BodyType(_plain_body, {"type": "string"}),
    "application/fhir+json": BodyType(_fhir_body, _FHIR_SCHEMA),
    "application/hl7-v2": BodyType(_hl7_body, {"type": "string", "description": "One HL7 v2 MDM^T02 or ORU^R01 "
                                                                             "message; the note is its OBX text."}),
}
"""Media type -> reader and schema. Another body type is one row; a batch reader's item converts with
``from_item``."""

_UTF8 = {"utf-8", "utf8", "us-ascii", "ascii"}


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type header, checked against the table; 415 when it is not there."""
    accepted = ", ".join(BODY_READERS)
    if not content_type:
        raise RequestProblem(415, "unsupported_media_type", f"no Content-Type header: send one of {accepted}")
    kind, *parameters = (part.strip() for part in content_type.split(";"))
    kind = kind.lower()
    if kind not in BODY_READERS:
        raise RequestProblem(415, "unsupported_media_type", f"Content-Type {kind!r} is not accepted: send one of "
                                                            f"{accepted}")
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in _UTF8:
            raise RequestProblem(415, "unsupported_media_type", f"charset {value.strip()!r} is not accepted: "
                                                                "send UTF-8")
    return kind


def read_body(kind: str, body: bytes, params: Params, max_bytes: int) -> NoteInput:
    """One note from a body whose media type ``media_type`` accepted. A reader's unexpected failure is the body's
    fault as far as the client is concerned (422, never 500), named by its type only."""
    try:
        return BODY_READERS[kind].read(body, params, max_bytes)
    except RequestProblem:
        raise
    except RecursionError:
        raise RequestProblem(422, "invalid_note", f"body: {TOO_DEEP}", "body") from None
    except Exception as exc:  # a reader's bug on this body must cost this request only
        raise RequestProblem(422, "invalid_note", f"body: could not read this body ({type(exc).__name__})",
                             "body") from None
