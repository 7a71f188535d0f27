"""Pure ASGI middleware: a request id on every response, one log line per request, no stack trace to a client."""

from __future__ import annotations

import json
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..inputs.bodies import RequestProblem
from .engine import LOG
from .responses import problem_response

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


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
