"""POST /v1/check: one note's report."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...inputs.bodies import Params
from ...models import Report
from ...outputs.report_json import render_json
from ..dependencies import NOTE_BODY, NoteIdParam, ProfileParam, check, read_note
from ..responses import json_text

router = APIRouter()


@router.post("/check", openapi_extra=NOTE_BODY, response_class=Response,
             responses={200: {"model": Report, "description": "The report, as `notecheck check --format json` "
                                                               "prints it."}})
async def check_note(request: Request, note_id: NoteIdParam = None, profile: ProfileParam = None) -> Response:
    """Check one note: JSON {note_id, text, profile}, text/plain, or a FHIR R4 DocumentReference."""
    report = await check(await read_note(request, Params(note_id, profile)), request)
    return json_text(render_json(report), request)
