"""The text a coder reads at a terminal: one table per note, and a query ready to paste into an EHR query tool.

Every output renders the Report model and nothing else (the same holds for every module of this package).
"""

from __future__ import annotations

import textwrap

from ..indications.render import render_indications_text
from ..models import Evidence, Query, Report
from .words import section_words, status_words, verdict_line


def snippet(evidence: Evidence, width: int = 72) -> str:
    """The evidence sentence cut to ``width`` characters around the matched words."""
    sentence = evidence.sentence
    at = sentence.lower().find(evidence.text.lower().split()[0]) if evidence.text.split() else -1
    if len(sentence) <= width or at < 0:
        return sentence if len(sentence) <= width else sentence[: width - 1] + "…"
    start = max(0, min(at - width // 3, len(sentence) - width))
    text = sentence[start : start + width]
    return ("…" if start else "") + text.strip() + ("…" if start + width < len(sentence) else "")


def render_text(report: Report) -> str:
    """The verdict in words on the first line, then a table a coder reads in ten seconds (element, status,
    evidence), then the findings."""
    lines = [f"{report.note_id}: {verdict_line(report)}"]
    width = max(len(e.label) for e in report.elements.values())
    for result in report.elements.values():
        counted = [e for e in result.evidence if e.counted != "discounted"]
        if counted:
            section = section_words(counted[0].section)
            where = f" [{section}]" if section else ""
            evidence = f'"{snippet(counted[0])}"{where}'
        elif result.evidence:
            first = result.evidence[0]
            evidence = f'(only: "{first.text}" — {first.reason})'
        else:
            evidence = "(no mention)"
        sides = f" {'+'.join(result.sides)}" if result.sides else ""
        lines.append(f"  {result.label:<{width}}  {status_words(report, result)[0] + sides:<26} {evidence}")
    for finding in report.findings:
        lines.extend(textwrap.wrap(finding.message, 100, initial_indent="  - ", subsequent_indent="    "))
    if report.indications:
        lines += render_indications_text(report.indications)
    return "\n".join(lines) + "\n"


def render_query_text(query: Query) -> str:
    """A query ready to paste into an EHR query tool; the tool adds provider name and signature."""
    audience = " (for prior-authorisation staff)" if query.audience == "prior_authorization" else ""
    lines = [f"Query{audience}: {query.topic}", f"Note: {query.note_id}" + (f"   Date of service: {query.encounter_date}"
                                                                   if query.encounter_date else ""),
             "", "Clinical indicators from the note:"]
    for indicator in query.indicators:
        section = section_words(indicator.section)
        where = f"line {indicator.line}" + (f", {section} section" if section else "")
        lines.append(f'  - "{indicator.quote}" ({where})')
    lines += ["", query.question]
    if query.options:
        lines += [""] + [f"  [ ] {option}" for option in query.options]
    else:
        lines += ["", "  Response: ______________________________"]
    return "\n".join(lines) + "\n"
