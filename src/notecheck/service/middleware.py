"""Pure ASGI middleware: a request id on every response, one log line per request, no stack trace to a client;
and a time limit on reading a request's body."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..inputs.bodies import RequestProblem
from .engine import LOG
from .responses import problem_response

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
CLIENT_GONE = 499
"""Logged for a request whose client disconnected before the body arrived (nginx's code for it)."""


class RequestLog:
    """Logs carry the request id, note id, body size, status and timing, never note text or report content; an
    unexpected error is a JSON 500 naming only its request id."""

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
        except ClientDisconnect:
            status = CLIENT_GONE  # the client went away mid-body: nobody to answer, and not our error
        except Exception as exc:
            LOG.error("rid=%s unexpected %s", request_id, type(exc).__name__)
            if not response_started:
                problem = RequestProblem(500, "internal", f"internal error; quote request id {request_id}")
                await problem_response(problem, request_id)(scope, receive, send_with_id)
        finally:
            note_id = state.get("note_id")
            LOG.info("rid=%s %s %s status=%d bytes=%d note_id=%s ms=%.1f", request_id, scope["method"],
                     scope["path"], status, state.get("body_bytes", 0),
                     json.dumps(note_id[:80]) if isinstance(note_id, str) else "-",
                     (time.perf_counter() - started) * 1000)


class BodyTimeout:
    """A request body must arrive within ``seconds`` of the request's start, or the request is answered 408: a
    client trickling a body byte by byte would otherwise hold a connection and a coroutine for as long as it
    likes. uvicorn has a keep-alive timeout and --limit-concurrency, but no body or header read timeout; the
    header timeout is a reverse proxy's to set (README: notecheck serve)."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.seconds
        complete = False

        async def timed_receive() -> Message:
            nonlocal complete
            if complete:  # after the body, receive() waits for a disconnect: that wait is not bounded here
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0.0))
            except asyncio.TimeoutError:
                raise RequestProblem(408, "body_timeout", f"body: not received within {self.seconds:g} s "
                                                          "(--body-timeout)", "body") from None
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, timed_receive, send)
