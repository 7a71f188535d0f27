"""Template fields left unfilled: every placeholder the normaliser masked, as a finding a coder can act on.

A placeholder documents nothing (normalisation reads it as the blank '***', so no side and no answer is taken from
it); it is itself a finding: 'template field left unfilled: side' where '[LEFT/RIGHT]' stood, 'biopsy' where
'Biopsy: Select: Yes/No' did. A signed note with a field nobody filled is a finding whatever the field; the
element is named only where the blank is that element's field, which is what a query may ask about.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from ..models import Evidence, Finding
from ..reading import NoteScan

KIND = "unfilled_placeholder"
REASON = "template placeholder left unfilled"
_LABEL = re.compile(r"([A-Za-z][\w /()&'-]{0,40}?)[ \t]*:[ \t]*$")


def unfilled(scan: NoteScan, boxes: re.Pattern[str]) -> list[Finding]:
    """One finding per unfilled placeholder, in note order. A blank after an unticked option ('[ ] Other: ___')
    was not to be filled: ``boxes`` finds template boxes, its group 'unchecked' the empty ones."""
    placeholders = scan.normalized.placeholders if scan.normalized else ()
    starts = [s.start for s in scan.sentences]
    findings: list[Finding] = []
    for placeholder in placeholders:
        index = bisect_right(starts, placeholder.start) - 1
        if index < 0:
            continue
        sentence = scan.sentences[index]
        mentions = [m for m in scan.mentions if m.sentence == index]
        line_start = scan.text.rfind("\n", 0, placeholder.start) + 1
        box = None
        for box in boxes.finditer(scan.text, line_start, placeholder.start):
            pass
        if box is not None and box.group("unchecked"):
            continue
        label = _LABEL.search(scan.text, line_start, placeholder.start)
        subject = placeholder.subject or (label.group(1).strip().lower() if label else "text")
        # the element whose field this is: 'Biopsy: Select: Yes/No' (a side or volume variable asks for those)
        element = next((m.category for m in mentions if m.layer == "element" and label is not None
                        and label.start(1) <= m.start < placeholder.start), None) \
            if placeholder.subject not in ("side", "volume") else None
        quote = scan.quote(placeholder.start, placeholder.end, sentence.start, sentence.end)
        message = placeholder.finding.format(subject=subject)
        message = f"{message[:1].upper()}{message[1:]} ('{quote['text']}', line {quote['line']})."
        if any(f.message == message for f in findings):
            continue
        evidence = Evidence(**quote, section=sentence.section, modifiers=[], sides=[],  # type: ignore[arg-type]
                            counted="discounted", reason=REASON)
        findings.append(Finding(kind=KIND, element=element, message=message, evidence=[evidence]))
    return findings
