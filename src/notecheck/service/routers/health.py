"""GET /healthz (the process is alive) and GET /readyz (its pipeline is warm); no key needed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ..dependencies import engine_of, require_ready, settings_of
from ..responses import ApiError

router = APIRouter()


@router.get("/healthz", response_model=dict[str, str])
async def healthz() -> dict[str, str]:
    """The process is alive (it may still be warming up)."""
    return {"status": "alive"}


@router.get("/readyz", response_model=dict[str, Any],
            responses={503: {"model": ApiError, "description": "The pipeline is not warm yet."}})
async def readyz(request: Request) -> dict[str, Any]:
    """200 only when this worker's pipeline is built and warm."""
    await require_ready(request)
    settings = settings_of(request)
    return {"status": "ready", "profiles": sorted(engine_of(request).checker.patterns.profiles),
            "default_profile": settings.profile,
            "max_bytes": settings.max_bytes, "auth": request.app.state.api_key is not None}
