"""Where a mention stands: the sacrum, another site, or a landmark.

The nearest site term in a mention's sentence decides; a sentence with no site term inherits the site in force from
the performed sentences before it (or, before any, the first one after it). SI-joint, foramen and iliac landmarks
only decide where no sacral site is in force, and in a note that names another procedure and no sacral one,
sacral anatomy is itself only a landmark.
"""

from __future__ import annotations

from functools import cached_property

from ..reading import Mention, NoteScan
from .judged import SITE_KIND, Effects, modifier_verdict


class Sites:
    """The site terms of one note, by sentence, and the site each mention belongs to."""

    def __init__(self, scan: NoteScan, effects: Effects, by_sentence: dict[int, list[Mention]]) -> None:
        self.scan = scan
        self.effects = effects
        roles = {s.index: s.role for s in scan.sentences}
        named = {m.category for m in scan.mentions
                 if m.category in ("sacral_procedure", "other_procedure") and self._live(m)
                 and roles.get(m.sentence) != "context"}
        # A note that names another procedure (SI-joint fusion, kyphoplasty) and no sacral augmentation uses the
        # sacrum only as a landmark: 'needle advanced across the sacral ala' then belongs to that procedure.
        self.sacrum_is_landmark = named == {"other_procedure"}
        self.by_sentence = {index: [m for m in found if m.layer == "site" and self._live(m)]
                            for index, found in by_sentence.items()}
        self._after: dict[int, str | None] = {}

    def kind(self, mention: Mention) -> str:
        kind = SITE_KIND[mention.category]
        if kind == "sacral" and self.sacrum_is_landmark and mention.category == "sacral":
            return "landmark"
        return kind

    def _live(self, mention: Mention) -> bool:
        """A site term locates the sentence unless it is itself plan or history; negation does not move it
        ('no cement was injected into the sacrum' is still about the sacrum)."""
        return modifier_verdict(mention, self.effects)[0] != "discounted"

    def in_sentence(self, index: int) -> list[Mention]:
        return self.by_sentence.get(index, [])

    def strong(self, sites: list[Mention]) -> list[Mention]:
        """The site terms that are not mere landmarks."""
        return [m for m in sites if self.kind(m) != "landmark"]

    def _first_after(self, index: int) -> str | None:
        """The site of the next performed sentence that names one; failing that, the note's only site.
        Computed once per sentence: every mention of a sentence without a site in force asks the same."""
        if index not in self._after:
            self._after[index] = next(
                (self.kind(strong[0]) for sentence in self.scan.sentences[index + 1:] if sentence.role != "context"
                 for strong in [self.strong(self.in_sentence(sentence.index))] if strong),
                self.note_site,
            )
        return self._after[index]

    @cached_property
    def note_site(self) -> str | None:
        """Where every site named in the note's performed sections is of one kind, that kind."""
        context = {s.index for s in self.scan.sentences if s.role == "context"}
        kinds = {self.kind(m) for m in self.scan.mentions
                 if m.layer == "site" and m.sentence not in context
                 and modifier_verdict(m, self.effects)[0] == "documented"} - {"landmark"}
        return kinds.pop() if len(kinds) == 1 else None

    def of(self, mention: Mention, strong: list[Mention], sites: list[Mention], focus: str | None,
           index: int) -> str | None:
        """The site a mention belongs to, given its sentence's site terms and the site in force."""
        if mention.layer == "site":
            return self.kind(mention)
        if strong:
            named = {s.category for s in strong}
            if "other_procedure" in named and "sacral_procedure" not in named:
                return "other_site"  # 'cement augmentation of the S1 pedicle screws': the procedure named decides
            nearest = min(strong, key=lambda s: (distance(s, mention), self.kind(s) == "sacral"))
            return self.kind(nearest)
        if sites:  # landmarks only: the sacrum only where a sentence before has already put us there
            return "sacral" if focus == "sacral" else "other_site"
        return focus if focus is not None else self._first_after(index)


def distance(a: Mention, b: Mention) -> int:
    """Tokens between two mentions; 0 where they overlap."""
    if a.token_end <= b.token_start:
        return b.token_start - a.token_end
    if b.token_end <= a.token_start:
        return a.token_start - b.token_end
    return 0
