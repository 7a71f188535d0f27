"""POST /v1/query: the provider queries for one note's documentation gaps."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...inputs.bodies import Params
from ...outputs.queries import draft_queries
from ...outputs.report_json import render_queries_json
from ..dependencies import NOTE_BODY, IndicationQueriesParam, NoteIdParam, ProfileParam, check, engine_of, read_note
from ..responses import QueryResponse, json_text

router = APIRouter()


@router.post("/query", openapi_extra=NOTE_BODY, response_class=Response,
             responses={200: {"model": QueryResponse, "description": "As `notecheck query --format json`."}})
async def query_note(request: Request, note_id: NoteIdParam = None, profile: ProfileParam = None,
                     indication_queries: IndicationQueriesParam = False) -> Response:
    """Draft the provider queries for one note's documentation gaps (and coverage questions on request)."""
    note = await read_note(request, Params(note_id, profile))
    report = await check(note, request)
    queries = draft_queries(report, engine_of(request).checker.patterns, indication_queries)
    return json_text(render_queries_json(report.note_id, queries), request)
