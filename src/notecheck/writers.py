"""Output writers: every format renders the Report model and nothing else."""

from __future__ import annotations

import csv
import json
import re
import textwrap
from collections.abc import Iterable, Iterator
from typing import TextIO

from .indication_render import indication_cells, render_indications_markdown, render_indications_text
from .indication_rules import CRITERION_IDS
from .models import AuditRow, Evidence, Query, Report
from .rules import ELEMENT_IDS

_STATUS = {"documented": "documented", "not_performed": "not performed", "missing": "MISSING"}


def snippet(evidence: Evidence, width: int = 72) -> str:
    """The evidence sentence cut to ``width`` characters around the matched words."""
    sentence = evidence.sentence
    at = sentence.lower().find(evidence.text.lower().split()[0]) if evidence.text.split() else -1
    if len(sentence) <= width or at < 0:
        return sentence if len(sentence) <= width else sentence[: width - 1] + "…"
    start = max(0, min(at - width // 3, len(sentence) - width))
    text = sentence[start : start + width]
    return ("…" if start else "") + text.strip() + ("…" if start + width < len(sentence) else "")


def verdict_line(report: Report) -> str:
    if report.suggested_code is None:
        code = "no code supported"
    else:
        code = f"supports {report.suggested_code} ({report.laterality})"
    state = "complete" if report.complete else "incomplete"
    return f"{code}; {report.profile} {state}"


def render_text(report: Report) -> str:
    """A table a coder reads in ten seconds: element, status, evidence; then verdict and findings."""
    lines = [f"{report.note_id}: {verdict_line(report)}"]
    width = max(len(e.label) for e in report.elements.values())
    for result in report.elements.values():
        counted = [e for e in result.evidence if e.counted != "discounted"]
        if counted:
            where = f" [{counted[0].section}]" if counted[0].section else ""
            evidence = f'"{snippet(counted[0])}"{where}'
        elif result.evidence:
            first = result.evidence[0]
            evidence = f'(only: "{first.text}" — {first.reason})'
        else:
            evidence = "(no mention)"
        need = "" if result.requirement == "required" else " (when performed)"
        sides = f" {'+'.join(result.sides)}" if result.sides else ""
        lines.append(f"  {result.label:<{width}}  {_STATUS[result.status] + sides:<22} {evidence}{need}")
    for finding in report.findings:
        lines.extend(textwrap.wrap(finding.message, 100, initial_indent="  - ", subsequent_indent="    "))
    if report.indications:
        lines += render_indications_text(report.indications)
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    """One compact JSON object on one line: a single report is JSON, several are JSON Lines."""
    return report.model_dump_json() + "\n"


def report_schema() -> str:
    """The JSON Schema of the report contract, as committed in schema/report.schema.json."""
    return json.dumps(Report.model_json_schema(), indent=2, sort_keys=True) + "\n"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#!|~])")


def csv_cell(value: object) -> object:
    """A cell a spreadsheet shows as text: one starting with = + - @ tab or CR gets a leading apostrophe, as
    OWASP recommends against CSV formula injection (an id like '=HYPERLINK(...)' comes from the input)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def markdown_text(text: str) -> str:
    """Note text made inert in Markdown: HTML characters become entities and Markdown punctuation is
    backslash-escaped, so no viewer renders a tag or fetches an image written into a note."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


CSV_COLUMNS = ["row", "note_id", "source", "outcome", "suggested_code", "laterality", "complete",
               *ELEMENT_IDS, "missing_required", "error",
               *(f"indication_{c}" for c in CRITERION_IDS)]  # the checklist: a coverage aid, not a coding rule


def write_csv(rows: Iterable[AuditRow], out: TextIO) -> Iterator[AuditRow]:
    """One row per note: verdict, code, one column per element status, the missing list (';'-separated).
    Passes each row on once written, so the summary is computed in the same pass."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        report = row.report
        writer.writerow([csv_cell(cell) for cell in (
            row.row, row.note_id, row.source, row.outcome,
            (report.suggested_code or "") if report else "", report.laterality if report else "",
            str(report.complete).lower() if report else "",
            *((report.elements[e].status if report else "") for e in ELEMENT_IDS),
            ";".join(report.missing_required) if report else "", row.error or "",
            *indication_cells(report.indications if report else None, CRITERION_IDS),
        )])
        yield row


def render_query_text(query: Query) -> str:
    """A query ready to paste into an EHR query tool; the tool adds provider name and signature."""
    lines = [f"Query: {query.topic}", f"Note: {query.note_id}" + (f"   Date of service: {query.encounter_date}"
                                                                   if query.encounter_date else ""),
             "", "Clinical indicators from the note:"]
    for indicator in query.indicators:
        where = f"line {indicator.line}" + (f", {indicator.section} section" if indicator.section else "")
        lines.append(f'  - "{indicator.quote}" ({where})')
    lines += ["", query.question]
    if query.options:
        lines += [""] + [f"  [ ] {option}" for option in query.options]
    else:
        lines += ["", "  Response: ______________________________"]
    return "\n".join(lines) + "\n"


def render_queries_json(note_id: str, queries: list[Query]) -> str:
    """One note's drafted queries as one JSON line: `notecheck query --format json` and the service's /v1/query."""
    return json.dumps({"note_id": note_id, "queries": [q.model_dump() for q in queries]}) + "\n"


def render_query_markdown(query: Query) -> str:
    head = f"### Query: {query.topic}\n\n"
    indicators = "\n".join(
        f"> \"{markdown_text(i.quote)}\"  \n> — line {i.line}" + (f", {i.section} section" if i.section else "")
        for i in query.indicators
    )
    options = "\n".join(f"- [ ] {o}" for o in query.options) or "_Response:_ ______________________________"
    return f"{head}**Clinical indicators**\n\n{indicators}\n\n**Question.** {query.question}\n\n{options}\n"


def render_worksheet(report: Report, queries: list[Query]) -> str:
    """The coder's one-page worksheet: verdict, evidence per element, findings, and the drafted queries."""
    lines = [f"# Coding worksheet: {markdown_text(report.note_id)}", ""]
    if report.encounter_date:
        lines.append(f"Date of service: {markdown_text(report.encounter_date)}  ")
    lines += [f"**Verdict:** {verdict_line(report)}", "", "| Element | Requirement | Status | Evidence |",
              "|---|---|---|---|"]
    for result in report.elements.values():
        counted = [e for e in result.evidence if e.counted != "discounted"]
        evidence = f"line {counted[0].line}: {snippet(counted[0])}" if counted else (
            f"only: {result.evidence[0].text} ({result.evidence[0].reason})" if result.evidence else "no mention")
        sides = f" ({'+'.join(result.sides)})" if result.sides else ""
        cell = markdown_text(evidence)
        lines.append(f"| {result.label} | {result.requirement.replace('_', ' ')} | "
                     f"{_STATUS[result.status]}{sides} | {cell} |")
    lines += ["", "## Findings", ""] + ([f"- {f.message}" for f in report.findings] or ["- None."])
    if report.indications:
        lines += [""] + render_indications_markdown(report.indications, markdown_text)
    lines += ["", "## Provider queries", ""]
    lines += [render_query_markdown(q) for q in queries] or ["None needed."]
    return "\n".join(lines).rstrip() + "\n"
