"""What several routers need: the API key and readiness checks, the worker's engine, and reading a note body.

FastAPI's "bigger applications" layout keeps these in one place; the app factory puts the engine, the settings and
the key on ``app.state``, and every route reaches them through its request.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Query, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from ..inputs.bodies import BODY_READERS, BatchRequest, NoteInput, Params, RequestProblem, media_type, read_body
from ..models import Report
from .engine import Engine
from .settings import Settings

NOTE_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    kind: {"schema": body_type.schema} for kind, body_type in BODY_READERS.items()}}}
BATCH_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": BatchRequest.model_json_schema()}}}}

NoteIdParam = Annotated[str | None, Query(description="Note id for text/plain and FHIR bodies (a JSON body "
                                                      "carries its own).")]
ProfileParam = Annotated[str | None, Query(description="Billed code for text/plain, FHIR and HL7 bodies (e.g. "
                                                      "0201T-50); absent: the code the note supports.")]
IndicationQueriesParam = Annotated[bool, Query(description="Also draft coverage questions for prior-authorisation "
                                                           "staff (the indications checklist).")]


def engine_of(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def settings_of(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def require_key(
    request: Request,
    key: Annotated[str | None, Security(APIKeyHeader(name="X-API-Key", auto_error=False))],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(HTTPBearer(auto_error=False))],
) -> None:
    """Every /v1 route, when the server has a key ($NOTECHECK_API_KEY): a Bearer token or X-API-Key matching it."""
    api_key: str | None = request.app.state.api_key
    if api_key is None:
        return
    given = key or (bearer.credentials if bearer else "")
    if not hmac.compare_digest(given.encode(), api_key.encode()):
        raise RequestProblem(401, "unauthorized", "missing or wrong API key: send 'Authorization: Bearer <key>' "
                                                  "or 'X-API-Key: <key>'")


async def require_ready(request: Request) -> None:
    engine = engine_of(request)
    if not engine.ready.is_set():
        raise RequestProblem(503, "not_ready", engine.failure or "the pipeline is warming up; retry shortly")


async def read_limited(request: Request, max_bytes: int) -> bytes:
    """The body, refused with 413 as soon as it passes ``max_bytes`` (by Content-Length or while streaming)."""
    declared = request.headers.get("content-length")
    too_large = RequestProblem(413, "too_large", f"body is over the {max_bytes:,}-byte limit (--max-bytes)", "body")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    request.state.body_bytes = size
    return b"".join(chunks)


async def read_note(request: Request, params: Params) -> NoteInput:
    """One note from the body, whatever its media type, read as `check` reads a file."""
    kind = media_type(request.headers.get("content-type"))
    max_bytes = settings_of(request).max_bytes
    note = read_body(kind, await read_limited(request, max_bytes), params, max_bytes)
    request.state.note_id = note.note_id
    return note


async def check(note: NoteInput, request: Request, field: str = "billed_code") -> Report:
    """The note's report, judged against the billed code it comes with (else the code it supports), checked in one
    of this worker's check processes (off the event loop, within --check-timeout)."""
    engine = engine_of(request)
    report = await engine.pool.check(engine.billed(note.profile, field), note.text, note.note_id or "note")
    if note.flags:
        request.state.flags = note.flags
    return report
