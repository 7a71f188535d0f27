"""JSON: one compact object per report (several are JSON Lines), the drafted queries, and the report's schema."""

from __future__ import annotations

import json

from ..models import Query, Report


def render_json(report: Report) -> str:
    """One compact JSON object on one line: a single report is JSON, several are JSON Lines."""
    return report.model_dump_json() + "\n"


def report_schema() -> str:
    """The JSON Schema of the report contract, as committed in schema/report.schema.json."""
    return json.dumps(Report.model_json_schema(), indent=2, sort_keys=True) + "\n"


def render_queries_json(note_id: str, queries: list[Query]) -> str:
    """One note's drafted queries as one JSON line: `notecheck query --format json` and the service's /v1/query."""
    return json.dumps({"note_id": note_id, "queries": [q.model_dump() for q in queries]}) + "\n"
