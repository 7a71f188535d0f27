"""POST /v1/worksheet: the coder's one-page Markdown worksheet for one note."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...inputs.bodies import Params
from ...outputs.markdown import render_worksheet
from ...outputs.queries import draft_queries
from ..dependencies import NOTE_BODY, IndicationQueriesParam, NoteIdParam, ProfileParam, check, engine_of, read_note
from ..responses import flag_headers

router = APIRouter()


@router.post("/worksheet", openapi_extra=NOTE_BODY, response_class=Response,
             responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}},
                              "description": "The coder worksheet, as `notecheck check --format markdown`."}})
async def worksheet(request: Request, note_id: NoteIdParam = None, profile: ProfileParam = None,
                    indication_queries: IndicationQueriesParam = False) -> Response:
    """The one-page markdown coder worksheet: verdict, evidence, findings, drafted queries."""
    note = await read_note(request, Params(note_id, profile))
    report = await check(note, request)
    queries = draft_queries(report, engine_of(request).checker.patterns, indication_queries)
    return Response(render_worksheet(report, queries),
                    media_type="text/markdown; charset=utf-8", headers=flag_headers(request))
