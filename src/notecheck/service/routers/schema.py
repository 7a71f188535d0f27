"""GET /v1/schema: the report's JSON Schema."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from ...outputs.report_json import report_schema

router = APIRouter()


@router.get("/schema", response_class=Response,
            responses={200: {"content": {"application/json": {"schema": {"type": "object"}}},
                             "description": "The report JSON Schema, as `notecheck schema` prints it."}})
async def schema() -> Response:
    return Response(report_schema(), media_type="application/json")
