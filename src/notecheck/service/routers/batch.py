"""POST /v1/check/batch: up to 100 notes, one result each, in order."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError

from ...inputs.bodies import (BatchRequest, Params, RequestProblem, media_type, note_from_object, parse_json,
                              validation_problem)
from ...inputs.notes import shown
from ..dependencies import BATCH_BODY, check, read_limited, settings_of
from ..responses import ApiError, BatchResponse, BatchResult

router = APIRouter()


@router.post("/check/batch", openapi_extra=BATCH_BODY, response_model=BatchResponse)
async def check_batch(request: Request) -> BatchResponse:
    """Up to 100 notes: one result per note, in order; a bad note is an error result, never a failed batch."""
    if media_type(request.headers.get("content-type")) != "application/json":
        raise RequestProblem(415, "unsupported_media_type", "a batch is JSON: send application/json")
    max_bytes = settings_of(request).max_bytes
    value = parse_json(await read_limited(request, max_bytes))
    try:
        batch = BatchRequest.model_validate(value)
    except ValidationError as exc:
        raise validation_problem(exc) from None
    results = []
    for index, item in enumerate(batch.notes):
        try:
            try:
                note = note_from_object(item, Params(), max_bytes, prefix=f"notes[{index}]")
            except (RequestProblem, ValidationError):
                raise
            except Exception as exc:  # a reader's bug on one note costs that note's result only
                raise RequestProblem(422, "invalid_note", f"notes[{index}]: could not read this note "
                                                          f"({type(exc).__name__})", f"notes[{index}]") from None
            report = await check(note, request, f"notes[{index}].billed_code")
            results.append(BatchResult(index=index, note_id=note.note_id, report=report))
        except RequestProblem as problem:
            raw_id = item.get("note_id") if isinstance(item, dict) else None
            results.append(BatchResult(index=index, note_id=shown(raw_id) if isinstance(raw_id, str) else None,
                                       error=ApiError(error=problem.kind, message=problem.message,
                                                      field=problem.field)))
    request.state.note_id = f"batch of {len(results)}"
    return BatchResponse(results=results)
