"""Markdown: the coder's one-page worksheet and the provider queries, with note text made inert."""

from __future__ import annotations

import re

from ..indications.render import render_indications_markdown
from ..models import Query, Report
from .text import snippet
from .words import section_words, status_words, verdict_line

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#!|~])")


def markdown_text(text: str) -> str:
    """Note text made inert in Markdown: HTML characters become entities and Markdown punctuation is
    backslash-escaped, so no viewer renders a tag or fetches an image written into a note."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def render_query_markdown(query: Query) -> str:
    audience = " (for prior-authorisation staff)" if query.audience == "prior_authorization" else ""
    head = f"### Query{audience}: {query.topic}\n\n"
    indicators = "\n".join(
        f"> \"{markdown_text(i.quote)}\"  \n> — line {i.line}" + (f", {words} section" if words else "")
        for i in query.indicators for words in [section_words(i.section)]
    )
    options = "\n".join(f"- [ ] {o}" for o in query.options) or "_Response:_ ______________________________"
    return f"{head}**Clinical indicators**\n\n{indicators}\n\n**Question.** {query.question}\n\n{options}\n"


def render_worksheet(report: Report, queries: list[Query]) -> str:
    """The coder's one-page worksheet: verdict, evidence per element, findings, and the drafted queries."""
    lines = [f"# Coding worksheet: {markdown_text(report.note_id)}", ""]
    if report.encounter_date:
        lines.append(f"Date of service: {markdown_text(report.encounter_date)}  ")
    lines += [f"**Verdict:** {markdown_text(verdict_line(report))}", "",
              "| Element | Requirement | Status | Evidence |", "|---|---|---|---|"]
    for result in report.elements.values():
        counted = [e for e in result.evidence if e.counted != "discounted"]
        evidence = f"line {counted[0].line}: {snippet(counted[0])}" if counted else (
            f"only: {result.evidence[0].text} ({result.evidence[0].reason})" if result.evidence else "no mention")
        sides = f" ({'+'.join(result.sides)})" if result.sides else ""
        cell = markdown_text(evidence)
        lines.append(f"| {result.label} | {result.requirement.replace('_', ' ')} | "
                     f"{status_words(report, result)[0]}{sides} | {cell} |")
    # messages quote the note (a heading line, a mention): inert like the evidence
    lines += ["", "## Findings", ""] + ([f"- {markdown_text(f.message)}" for f in report.findings] or ["- None."])
    if report.indications:
        lines += [""] + render_indications_markdown(report.indications, markdown_text)
    lines += ["", "## Provider queries", ""]
    lines += [render_query_markdown(q) for q in queries] or ["None needed."]
    return "\n".join(lines).rstrip() + "\n"
