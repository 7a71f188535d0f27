"""The service's response models and the helpers every route answers with: JSON errors, flag headers."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from ..inputs.bodies import RequestProblem
from ..models import Query as DraftQuery
from ..models import Report


class ApiError(BaseModel):
    """Every error response: a stable kind, one line for a person, and the field at fault where there is one."""

    error: str = Field(description="Stable kind, e.g. invalid_field, malformed_body, too_large, "
                                   "unsupported_media_type, unauthorized, not_ready, not_found.")
    message: str
    field: str | None = None
    request_id: str | None = None


class BatchResult(BaseModel):
    """One note of a batch, in request order: its report, or why it has none."""

    index: int
    note_id: str | None
    report: Report | None = None
    error: ApiError | None = None


class BatchResponse(BaseModel):
    results: list[BatchResult]


class QueryResponse(BaseModel):
    """As `notecheck query --format json` prints it for one note."""

    note_id: str
    queries: list[DraftQuery]


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ApiError, "description": description} for status, description in {
        400: "Malformed body (not JSON).",
        401: "NOTECHECK_API_KEY is set and the request carries neither a matching Bearer token nor X-API-Key.",
        413: "Body over the server's --max-bytes.",
        415: "Unsupported Content-Type.",
        422: "A field or the note is invalid; 'field' names it.",
        503: "The pipeline is not warm yet.",
    }.items()
}
"""The error responses every /v1 route may give, for /openapi.json."""


def problem_response(problem: RequestProblem, request_id: str | None) -> JSONResponse:
    body = ApiError(error=problem.kind, message=problem.message, field=problem.field, request_id=request_id)
    headers = {"WWW-Authenticate": 'Bearer realm="notecheck"'} if problem.status == 401 else None
    return JSONResponse(body.model_dump(), status_code=problem.status, headers=headers)


def flag_headers(request: Request) -> dict[str, str]:
    """Input repairs (e.g. invalid UTF-8 replaced) travel in a header, so the body stays the CLI's bytes."""
    flags = getattr(request.state, "flags", ())
    return {"Notecheck-Warning": "; ".join(flags)} if flags else {}


def json_text(text: str, request: Request) -> Response:
    return Response(text, media_type="application/json", headers=flag_headers(request))
