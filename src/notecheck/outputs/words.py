"""The words every output uses for a verdict and an element's status, so the terminal, the worksheet, the audit
page and the CSV never contradict one another.

A required element that is missing is a gap (shown in red where there is colour, and always in words); an optional
step that was not done or not mentioned is neutral; a note that is not applicable has no gaps at all.
"""

from __future__ import annotations

from typing import Literal

from ..models import ElementResult, Report

Tone = Literal["ok", "gap", "neutral"]

VERDICT_WORDS = {"complete": "complete", "incomplete": "incomplete", "review": "review",
                 "not_applicable": "not applicable"}


def verdict_line(report: Report) -> str:
    """The verdict in one line: what it is, against which code, and its first reason."""
    if report.verdict == "complete":
        where = f" ({report.laterality})" if report.laterality in ("left", "right", "bilateral") else ""
        return (f"COMPLETE: the documentation supports {report.suggested_code}{where} and documents every element "
                f"{report.profile} requires.")
    if report.verdict == "not_applicable":
        return "NOT APPLICABLE: " + (report.verdict_reasons[0] if report.verdict_reasons else
                                     "no sacral augmentation is recorded in this encounter.")
    head = "INCOMPLETE" if report.verdict == "incomplete" else "REVIEW: a person should read this note"
    against = f" against {report.profile}" if report.verdict == "incomplete" and report.profile else ""
    return f"{head}{against}: " + " ".join(report.verdict_reasons)


def status_words(report: Report, result: ElementResult) -> tuple[str, Tone]:
    """An element's status in words, and its tone: a gap only where the judged code requires the element."""
    if result.status == "documented":
        return "documented", "ok"
    done = "not performed" if result.status == "not_performed" else "not mentioned"
    if report.verdict == "not_applicable":
        return done, "neutral"
    if result.requirement == "required":
        return ("NOT PERFORMED" if result.status == "not_performed" else "MISSING") + " (required)", "gap"
    return f"{done} (optional)", "neutral"


def section_words(section: str | None) -> str | None:
    """A section category as a reader says it ('procedure_title' -> 'procedure title'); None for a header the
    patterns do not name ('other'), which would tell a physician nothing."""
    return None if section in (None, "other") else section.replace("_", " ")  # type: ignore[union-attr]
