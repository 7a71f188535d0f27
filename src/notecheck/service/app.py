"""The app factory: one FastAPI app per worker process, its routers, error handlers and middleware.

FastAPI because the report models are pydantic already: the OpenAPI schema and /docs come from the one contract;
fastapi-offline serves the /docs page's Swagger UI from the package instead of a CDN (no network at run time).
Each worker process builds its checkers once, in a background thread at start-up, so /healthz answers at once and
/readyz turns 200 when the pipeline is warm. Endpoints are async; the check itself runs in a process forked from the
worker once warm (checkpool), so a long note never holds the event loop and a check past --check-timeout is killed.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from ..inputs.bodies import RequestProblem
from .dependencies import require_key, require_ready
from .engine import Engine
from .middleware import BodyTimeout, RequestLog
from .responses import ERRORS, problem_response
from .routers import batch, check, health, page, query, schema, worksheet
from .settings import API_KEY_ENV, Settings


def create_app(settings: Settings | None = None, api_key: str | None = None) -> FastAPI:
    """The app for one worker; ``api_key`` (default: $NOTECHECK_API_KEY) guards every /v1 endpoint."""
    settings = settings or Settings()
    engine = Engine(settings)
    page.page()  # a page missing from the package fails here, at start-up, not on a coder's first visit

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()

        def warm() -> None:
            engine.warm()
            if engine.ready.is_set():  # forked from the loop's thread: a child dies with the thread that forked it
                loop.call_soon_threadsafe(engine.pool.start)

        threading.Thread(target=warm, name="notecheck-warm", daemon=True).start()
        yield
        engine.pool.close()

    app = FastAPIOffline(title="notecheck", version="1", lifespan=lifespan, redoc_url=None,
                         description="Checks procedure notes for what CPT 0201T/0200T (sacroplasty) requires.")
    app.state.engine, app.state.settings = engine, settings
    app.state.api_key = api_key if api_key is not None else os.environ.get(API_KEY_ENV) or None
    api = APIRouter(prefix="/v1", dependencies=[Depends(require_key), Depends(require_ready)], responses=ERRORS)
    for router in (check.router, batch.router, query.router, worksheet.router, schema.router):
        api.include_router(router)
    app.include_router(api)
    app.include_router(health.router)
    app.include_router(page.router)
    _handle_errors(app)
    app.add_middleware(BodyTimeout, seconds=settings.body_timeout)
    if settings.allowed_hosts is not None:  # bound to loopback: a page on another site cannot rebind a name to us
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts))
    app.add_middleware(RequestLog)
    return app


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _handle_errors(app: FastAPI) -> None:
    """Every error is JSON with a stable kind and the request id: ours, FastAPI's validation, Starlette's 404/405."""

    @app.exception_handler(RequestProblem)
    async def on_problem(request: Request, problem: RequestProblem) -> JSONResponse:
        return problem_response(problem, _request_id(request))

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error.get("loc", ()) if part not in ("query", "body")) or "request"
        problem = RequestProblem(422, "invalid_field", f"{field}: {error.get('msg', 'invalid')}", field)
        return problem_response(problem, _request_id(request))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kinds = {404: "not_found", 405: "method_not_allowed"}
        problem = RequestProblem(exc.status_code, kinds.get(exc.status_code, "http_error"),
                                 f"{request.method} {request.url.path}: {exc.detail}")
        response = problem_response(problem, _request_id(request))
        response.headers.update(exc.headers or {})
        return response


def app_from_env() -> FastAPI:
    """The uvicorn factory each worker calls: settings from `notecheck serve`, the key from $NOTECHECK_API_KEY."""
    return create_app(Settings.from_env())
