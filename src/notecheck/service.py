"""The REST service and the coder's page (`notecheck serve`), on FastAPI and uvicorn.

FastAPI because the report models are pydantic already: the OpenAPI schema and /docs come from the one contract;
fastapi-offline serves the /docs page's Swagger UI from the package instead of a CDN (no network at run time).
Each worker process builds its checkers once, in a background thread at start-up, so /healthz answers at once and
/readyz turns 200 when the pipeline is warm. Endpoints are async and call the checker on the event loop: a check is
~10 ms of CPU under the GIL, and keeping it off the thread pool means the pipeline is never shared between threads.
Logs carry the request id, note id, body size, status and timing, never note text or report content.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from importlib.resources import files
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .bodies import (BODY_READERS, BatchRequest, NoteInput, Params, RequestProblem, media_type,
                     note_from_object, parse_json, read_body, validation_problem)
from .models import Query as DraftQuery
from .models import Report
from .readers import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from .checker import Checker

LOG = logging.getLogger("notecheck.serve")
SETTINGS_ENV = "NOTECHECK_SERVE_SETTINGS"
API_KEY_ENV = "NOTECHECK_API_KEY"
WARM_NOTE = ("TECHNIQUE: Under fluoroscopic guidance, needles were placed in the right and left sacral ala and "
             "PMMA cement was injected on both sides.")
"""Checked once per profile at start-up so every lazy part of the pipeline is built before /readyz says ready."""
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True)
class Settings:
    """What `notecheck serve` passes to each worker; workers are separate processes, so it travels as JSON."""

    patterns: str | None = None
    profile: str = "0201T"
    max_bytes: int = DEFAULT_MAX_BYTES

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> Settings:
        raw = os.environ.get(SETTINGS_ENV)
        return cls(**json.loads(raw)) if raw else cls()


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


class Engine:
    """This worker's checkers, one per profile sharing one pipeline, built once; ready only when each has
    checked a note."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.checkers: dict[str, Checker] = {}
        self.ready = threading.Event()
        self.failure: str | None = None

    def warm(self) -> None:
        started = time.perf_counter()
        try:
            from .checker import Checker  # imported here so the socket answers /healthz while spaCy loads

            first = Checker(self.settings.patterns, profile=self.settings.profile)
            for name in sorted(first.patterns.profiles):
                checker = first if name == self.settings.profile else first.for_profile(name)
                checker.check_text(WARM_NOTE)
                self.checkers[name] = checker
        except Exception as exc:  # a worker that cannot warm stays alive and says why on /readyz
            self.failure = f"{type(exc).__name__}: {exc}".splitlines()[0]
            LOG.error("pipeline failed to build: %s", self.failure)
            return
        self.ready.set()
        LOG.info("pid=%d ready in %.2f s (profiles %s)", os.getpid(), time.perf_counter() - started,
                 ", ".join(self.checkers))

    def checker(self, profile: str | None, field: str = "profile") -> Checker:
        name = profile or self.settings.profile
        if name not in self.checkers:
            known = ", ".join(self.checkers)
            raise RequestProblem(422, "invalid_field", f"{field}: unknown profile {name!r}: expected one of {known}",
                                 field)
        return self.checkers[name]


def _problem_response(problem: RequestProblem, request_id: str | None) -> JSONResponse:
    body = ApiError(error=problem.kind, message=problem.message, field=problem.field, request_id=request_id)
    headers = {"WWW-Authenticate": 'Bearer realm="notecheck"'} if problem.status == 401 else None
    return JSONResponse(body.model_dump(), status_code=problem.status, headers=headers)


class RequestLog:
    """Pure ASGI middleware: a request id on every response, one log line per request, and no stack trace ever
    reaching a client (an unexpected error is a JSON 500 naming only its request id)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            LOG.error("rid=%s unexpected %s", request_id, type(exc).__name__)
            if not response_started:
                problem = RequestProblem(500, "internal", f"internal error; quote request id {request_id}")
                await _problem_response(problem, request_id)(scope, receive, send_with_id)
        finally:
            note_id = state.get("note_id")
            LOG.info("rid=%s %s %s status=%d bytes=%d note_id=%s ms=%.1f", request_id, scope["method"],
                     scope["path"], status, state.get("body_bytes", 0),
                     json.dumps(note_id[:80]) if isinstance(note_id, str) else "-",
                     (time.perf_counter() - started) * 1000)


def _page() -> tuple[str, str]:
    """The coder's page as one document (CSS and script inlined from package data), and its CSP header: the page
    may talk to this service only."""
    web = files("notecheck") / "web"
    css, script = (web / "page.css").read_text("utf-8"), (web / "page.js").read_text("utf-8")
    html = (web / "index.html").read_text("utf-8").replace("/*CSS*/", css).replace("/*JS*/", script)

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    csp = (f"default-src 'none'; script-src {digest(script)}; style-src {digest(css)}; connect-src 'self'; "
           "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    return html, csp


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ApiError, "description": description} for status, description in {
        400: "Malformed body (not JSON).",
        401: "NOTECHECK_API_KEY is set and the request carries neither a matching Bearer token nor X-API-Key.",
        413: "Body over the server's --max-bytes.",
        415: "Unsupported Content-Type.",
        422: "A field or the note is invalid; 'field' names it.",
        503: "The pipeline is not warm yet.",
    }.items()
}

_NOTE_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    kind: {"schema": body_type.schema} for kind, body_type in BODY_READERS.items()}}}
_BATCH_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": BatchRequest.model_json_schema()}}}}

NoteIdParam = Annotated[str | None, Query(description="Note id for text/plain and FHIR bodies (a JSON body "
                                                      "carries its own).")]
ProfileParam = Annotated[str | None, Query(description="Code profile for text/plain and FHIR bodies.")]


def create_app(settings: Settings | None = None, api_key: str | None = None) -> FastAPI:
    """The app for one worker; ``api_key`` (default: $NOTECHECK_API_KEY) guards every /v1 endpoint."""
    settings = settings or Settings()
    api_key = api_key if api_key is not None else os.environ.get(API_KEY_ENV) or None
    engine = Engine(settings)
    page, csp = _page()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=engine.warm, name="notecheck-warm", daemon=True).start()
        yield

    async def require_key(
        key: Annotated[str | None, Security(APIKeyHeader(name="X-API-Key", auto_error=False))],
        bearer: Annotated[HTTPAuthorizationCredentials | None, Security(HTTPBearer(auto_error=False))],
    ) -> None:
        if api_key is None:
            return
        given = key or (bearer.credentials if bearer else "")
        if not hmac.compare_digest(given.encode(), api_key.encode()):
            raise RequestProblem(401, "unauthorized", "missing or wrong API key: send 'Authorization: Bearer <key>' "
                                                      "or 'X-API-Key: <key>'")

    async def require_ready() -> None:
        if not engine.ready.is_set():
            raise RequestProblem(503, "not_ready", engine.failure or "the pipeline is warming up; retry shortly")

    app = FastAPIOffline(title="notecheck", version="1", lifespan=lifespan, redoc_url=None,
                  description="Checks procedure notes for what CPT 0201T/0200T (sacroplasty) requires.")
    api = APIRouter(prefix="/v1", dependencies=[Depends(require_key), Depends(require_ready)], responses=_ERRORS)

    async def read_note(request: Request, params: Params) -> NoteInput:
        kind = media_type(request.headers.get("content-type"))
        body = await _read_limited(request, settings.max_bytes)
        note = read_body(kind, body, params, settings.max_bytes)
        request.state.note_id = note.note_id
        return note

    def check(note: NoteInput, request: Request, field: str = "profile") -> Report:
        report = engine.checker(note.profile, field).check_text(note.text, note_id=note.note_id or "note")
        if note.flags:
            request.state.flags = note.flags
        return report

    @api.post("/check", openapi_extra=_NOTE_BODY, response_class=Response,
              responses={200: {"model": Report, "description": "The report, as `notecheck check --format json` "
                                                                "prints it."}})
    async def check_note(request: Request, note_id: NoteIdParam = None, profile: ProfileParam = None) -> Response:
        """Check one note: JSON {note_id, text, profile}, text/plain, or a FHIR R4 DocumentReference."""
        from .writers import render_json

        report = check(await read_note(request, Params(note_id, profile)), request)
        return _json_text(render_json(report), request)

    @api.post("/check/batch", openapi_extra=_BATCH_BODY, response_model=BatchResponse)
    async def check_batch(request: Request) -> BatchResponse:
        """Up to 100 notes: one result per note, in order; a bad note is an error result, never a failed batch."""
        if media_type(request.headers.get("content-type")) != "application/json":
            raise RequestProblem(415, "unsupported_media_type", "a batch is JSON: send application/json")
        value = parse_json(await _read_limited(request, settings.max_bytes))
        try:
            batch = BatchRequest.model_validate(value)
        except ValidationError as exc:
            raise validation_problem(exc) from None
        results = []
        for index, item in enumerate(batch.notes):
            try:
                note = note_from_object(item, Params(), settings.max_bytes, prefix=f"notes[{index}]")
                report = check(note, request, f"notes[{index}].profile")
                results.append(BatchResult(index=index, note_id=note.note_id, report=report))
            except RequestProblem as problem:
                raw_id = item.get("note_id") if isinstance(item, dict) else None
                results.append(BatchResult(index=index, note_id=raw_id if isinstance(raw_id, str) else None,
                                           error=ApiError(error=problem.kind, message=problem.message,
                                                          field=problem.field)))
        request.state.note_id = f"batch of {len(results)}"
        return BatchResponse(results=results)

    @api.post("/query", openapi_extra=_NOTE_BODY, response_class=Response,
              responses={200: {"model": QueryResponse, "description": "As `notecheck query --format json`."}})
    async def query_note(request: Request, note_id: NoteIdParam = None, profile: ProfileParam = None) -> Response:
        """Draft the provider queries for one note's documentation gaps."""
        from .queries import draft_queries
        from .writers import render_queries_json

        note = await read_note(request, Params(note_id, profile))
        checker = engine.checker(note.profile)
        report = check(note, request)
        return _json_text(render_queries_json(report.note_id, draft_queries(report, checker.patterns)), request)

    @api.post("/worksheet", openapi_extra=_NOTE_BODY, response_class=Response,
              responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}},
                               "description": "The coder worksheet, as `notecheck check --format markdown`."}})
    async def worksheet(request: Request, note_id: NoteIdParam = None, profile: ProfileParam = None) -> Response:
        """The one-page markdown coder worksheet: verdict, evidence, findings, drafted queries."""
        from .queries import draft_queries
        from .writers import render_worksheet

        note = await read_note(request, Params(note_id, profile))
        checker = engine.checker(note.profile)
        report = check(note, request)
        return Response(render_worksheet(report, draft_queries(report, checker.patterns)),
                        media_type="text/markdown; charset=utf-8", headers=_flag_headers(request))

    @api.get("/schema", response_class=Response,
             responses={200: {"content": {"application/json": {"schema": {"type": "object"}}},
                              "description": "The report JSON Schema, as `notecheck schema` prints it."}})
    async def schema() -> Response:
        from .writers import report_schema

        return Response(report_schema(), media_type="application/json")

    app.include_router(api)

    @app.get("/healthz", response_model=dict[str, str])
    async def healthz() -> dict[str, str]:
        """The process is alive (it may still be warming up)."""
        return {"status": "alive"}

    @app.get("/readyz", response_model=dict[str, Any],
             responses={503: {"model": ApiError, "description": "The pipeline is not warm yet."}})
    async def readyz() -> dict[str, Any]:
        """200 only when this worker's pipeline is built and warm."""
        await require_ready()
        return {"status": "ready", "profiles": list(engine.checkers), "default_profile": settings.profile,
                "max_bytes": settings.max_bytes, "auth": api_key is not None}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff"})

    @app.exception_handler(RequestProblem)
    async def on_problem(request: Request, problem: RequestProblem) -> JSONResponse:
        return _problem_response(problem, getattr(request.state, "request_id", None))

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error.get("loc", ()) if part not in ("query", "body")) or "request"
        problem = RequestProblem(422, "invalid_field", f"{field}: {error.get('msg', 'invalid')}", field)
        return _problem_response(problem, getattr(request.state, "request_id", None))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kinds = {404: "not_found", 405: "method_not_allowed"}
        problem = RequestProblem(exc.status_code, kinds.get(exc.status_code, "http_error"),
                                 f"{request.method} {request.url.path}: {exc.detail}")
        response = _problem_response(problem, getattr(request.state, "request_id", None))
        response.headers.update(exc.headers or {})
        return response

    app.add_middleware(RequestLog)
    return app


def _flag_headers(request: Request) -> dict[str, str]:
    """Input repairs (e.g. invalid UTF-8 replaced) travel in a header, so the body stays the CLI's bytes."""
    flags = getattr(request.state, "flags", ())
    return {"Notecheck-Warning": "; ".join(flags)} if flags else {}


def _json_text(text: str, request: Request) -> Response:
    return Response(text, media_type="application/json", headers=_flag_headers(request))


async def _read_limited(request: Request, max_bytes: int) -> bytes:
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


def app_from_env() -> FastAPI:
    """The uvicorn factory each worker calls: settings from `notecheck serve`, the key from $NOTECHECK_API_KEY."""
    return create_app(Settings.from_env())


__all__ = ["Settings", "app_from_env", "create_app"]
