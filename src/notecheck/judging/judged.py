"""A mention with its verdict: the unit every judgement rule reads and returns.

Rules of judgement are small functions from one Judged to another; keeping the type apart lets the walker, the
assessment and the ledger share it without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..reading import Mention, Sentence

FRAME = "FRAME"  # the ConText category whose modifier discounts the rest of its sentence
BOTH = frozenset({"left", "right"})
SITE_KIND = {"sacral": "sacral", "sacral_procedure": "sacral", "other_site": "other_site",
             "other_procedure": "other_site", "landmark": "landmark"}
Effects = dict[str, tuple[str, str]]
"""ConText category -> (its effect, 'negates' or 'discounts'; the reason a discounted mention gives)."""


@dataclass
class Judged:
    """A mention with its verdict: counted documented / not_performed, or discounted with a reason."""

    mention: Mention
    sentence: Sentence
    counted: str
    reason: str | None
    sites: str | None
    sides: frozenset[str]
    level: str | None = None
    site_in_sentence: bool = False
    exclusive: bool = False  # its clause says 'only': the other side did not get this act

    def discount(self, reason: str) -> Judged:
        return replace(self, counted="discounted", reason=reason)



def modifier_verdict(mention: Mention, effects: Effects) -> tuple[str, str | None]:
    """'discounted' beats 'not_performed': 'no biopsy will be needed' is a plan, not a negation."""
    negated = False
    for modifier in mention.modifiers:
        effect, reason = effects.get(modifier.category, ("", ""))
        if effect == "discounts":
            return "discounted", f"{reason} ({modifier.text!r})"
        negated = negated or effect == "negates"
    return ("not_performed", None) if negated else ("documented", None)
