"""The indications checklist in text, Markdown and HTML: always under a heading that says it is a coverage aid,
not a coding rule, so no reader takes it for part of the code's verdict. Renders the report model only."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from ..models import CriterionResult, Indications

NOTICE = "coverage aid, not a coding rule"
STATUS_WORDS = {"documented": "documented", "below_threshold": "below threshold", "missing": "MISSING"}


def _unit(criterion: str) -> str:
    return {"pain_severity": "/10", "failed_conservative_care": " weeks"}.get(criterion, "")


def value_words(criterion: str, result: CriterionResult) -> str:
    """'8/10 (threshold 5)', '4 weeks (threshold 6)', 'Roland-Morris 20 (threshold 18)', 'MRI, 03/02/2024', or ''
    when nothing was read."""
    if result.value is None:
        return ""
    if isinstance(result.value, (int, float)):
        threshold = f" (threshold {result.threshold})" if result.threshold is not None else ""
        if result.detail and criterion == "functional_impairment":  # the score by its name: 'ODI today 38'
            return f"{result.detail}{threshold}"
        return f"{result.value}{_unit(criterion)}{threshold}"
    return result.detail if result.detail and criterion == "fracture_on_imaging" else str(result.value)


def best_evidence(result: CriterionResult) -> str:
    counted = [e for e in result.evidence if e.counted != "discounted"]
    if counted:
        return counted[0].sentence
    if result.evidence:
        first = result.evidence[0]
        return f'only: "{first.text}" — {first.reason}'
    return ""


NOT_READ = ("not read: the note names no sacral augmentation or sacral fracture (pre-screened), every criterion "
            "missing")


def heading(block: Indications) -> str:
    return f"Indications checklist ({NOTICE}; set {block.criteria_set}, {block.setting} thresholds)"


def render_indications_text(block: Indications, snippet_width: int = 60) -> list[str]:
    """Lines for `notecheck check` under the element table."""
    lines = [f"  {heading(block)}:"]
    if not block.read:
        return lines + [f"    {NOT_READ}"]
    width = max(len(r.label) for r in block.criteria.values())
    for criterion, result in block.criteria.items():
        evidence = best_evidence(result)
        if len(evidence) > snippet_width:
            evidence = evidence[: snippet_width - 1] + "…"
        value = value_words(criterion, result)
        lines.append(f"    {result.label:<{width}}  {STATUS_WORDS[result.status]:<16} {value:<24} "
                     + (f'"{evidence}"' if evidence and not evidence.startswith("only:") else evidence))
    return [line.rstrip() for line in lines]


def render_indications_markdown(block: Indications, escape_md: Callable[[str], str]) -> list[str]:
    """A worksheet section; ``escape_md`` makes note text inert in Markdown (writers.markdown_text)."""
    lines = [f"## {heading(block)}", "",
             f"_{escape_md(block.notice)}_", ""]
    if not block.read:
        return lines + [NOT_READ]
    lines += ["| Criterion | Status | Value | Evidence |", "|---|---|---|---|"]
    for criterion, result in block.criteria.items():
        lines.append(f"| {result.label} | {STATUS_WORDS[result.status]} | {escape_md(value_words(criterion, result))} "
                     f"| {escape_md(best_evidence(result))} |")
    lines += ["", "Sources: " + escape_md("; ".join(block.sources))]
    return lines


def render_indications_html(block: Indications) -> str:
    """A card's table of criteria, under its coverage-aid caption."""
    if not block.read:
        return f'<p class="more">{escape(heading(block))}: {NOT_READ}</p>'
    css = {"documented": "ok", "below_threshold": "np", "missing": "na"}
    rows = "".join(
        f"<tr><td>{escape(r.label)}</td><td class=\"s-{css[r.status]}\">{STATUS_WORDS[r.status]}"
        f"<small>{escape(value_words(c, r))}</small></td><td>{escape(best_evidence(r))}</td></tr>"
        for c, r in block.criteria.items())
    return (f'<table class="el ind"><caption>{escape(heading(block))}</caption>'
            f"<tr><th>Criterion</th><th>Status</th><th>Evidence</th></tr>{rows}</table>")


def indication_cells(block: Indications | None, criteria: tuple[str, ...]) -> list[str]:
    """CSV cells, one status per criterion ('' when the checklist was off or the row is an error)."""
    return [block.criteria[c].status if block and c in block.criteria else "" for c in criteria]

