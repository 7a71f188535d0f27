"""POST /v1/query: the provider queries for one note's documentation gaps."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...inputs.bodies import Params
from ...outputs.queries import draft_queries
from ...outputs.report_json import render_queries_json
from ..dependencies import NOTE_BODY, NoteIdParam, ProfileParam, check, engine_of, read_note
from ..responses import QueryResponse, json_text

router = APIRouter()


@router.post("/query", openapi_extra=NOTE_BODY, response_class=Response,
             responses={200: {"model": QueryResponse, "description": "As `notecheck query --format json`."}})
async def query_note(request: Request, note_id: NoteIdParam = None, profile: ProfileParam = None) -> Response:
    """Draft the provider queries for one note's documentation gaps."""
    note = await read_note(request, Params(note_id, profile))
    checker = engine_of(request).checker(note.profile)
    report = await check(note, request)
    return json_text(render_queries_json(report.note_id, draft_queries(report, checker.patterns)), request)
