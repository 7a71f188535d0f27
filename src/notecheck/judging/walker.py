"""The walk over a note's sentences: each mention judged with the site and the sides in force where it stands.

Sides come from side terms in the sentence or the side in force ('RIGHT SIDE:' headings carry over their paragraph;
'contralateral' flips it), taken in note order so that later statements and addenda win. A clause that names its
own side speaks for itself, and an explanatory or conditional frame discounts the rest of its sentence.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from ..reading import Mention, NoteScan, Sentence
from .judged import BOTH, FRAME, Effects, Judged, modifier_verdict
from .sites import Sites

_CLAUSE = re.compile(r";|\b(?:but|whereas|however|although|while)\b", re.IGNORECASE)
Clauses = dict[int, tuple[frozenset[str], frozenset[str]]]
"""Clause number -> (asserted sides, negated sides), for the clauses of a sentence that name a side."""


class Walker:
    """Walks the sentences in order, keeping the site and side in force across performed sentences."""

    def __init__(self, scan: NoteScan, effects: Effects) -> None:
        self.scan = scan
        self.effects = effects
        self.by_sentence: dict[int, list[Mention]] = {}
        for mention in scan.mentions:
            self.by_sentence.setdefault(mention.sentence, []).append(mention)
        self.sites = Sites(scan, effects, self.by_sentence)
        self.sentence_sides: dict[int, frozenset[str]] = {}

    def walk(self) -> list[Judged]:
        judged: list[Judged] = []
        site_focus: str | None = None
        side_focus: frozenset[str] = frozenset()
        for sentence in self.scan.sentences:
            mentions = self.by_sentence.get(sentence.index, [])
            sides_here, negated_sides = self._sides(mentions, side_focus)
            self.sentence_sides[sentence.index] = sides_here
            judged += self._sentence(sentence, mentions, site_focus, side_focus, (sides_here, negated_sides))
            if sentence.role != "context":
                site_focus = self._site_focus(sentence, site_focus)
                if sides_here:
                    side_focus = sides_here
        return judged

    def _site_focus(self, sentence: Sentence, focus: str | None) -> str | None:
        """The site in force after a performed sentence."""
        sites = self.sites.in_sentence(sentence.index)
        strong = self.sites.strong(sites)
        if strong:
            return self.sites.kind(strong[-1])
        if sites and focus != "sacral":
            return "other_site"  # landmarks outside a sacral focus keep the next lines there too
        return focus

    def _sentence(self, sentence: Sentence, mentions: list[Mention], site_focus: str | None,
                  side_focus: frozenset[str], here: tuple[frozenset[str], frozenset[str]]) -> list[Judged]:
        """Every mention of one sentence judged: its verdict, site and sides."""
        sites = self.sites.in_sentence(sentence.index)
        strong = self.sites.strong(sites)
        bounds, clauses = self._clauses(sentence, mentions, side_focus)
        # an explanatory or conditional frame covers the rest of its sentence, past every clause boundary
        framed = min((m.start for m in mentions if any(x.category == FRAME for x in m.modifiers)),
                     default=sentence.end)
        only = {bisect_right(bounds, m.start) for m in mentions if m.layer == "side" and m.category == "only"}
        judged = []
        for mention in mentions:
            if mention.layer == "site" and mention.category not in ("other_procedure", "sacral_procedure"):
                continue
            # a clause that names its own side speaks for itself: 'cement went in on the right; the left
            # needle was removed without injection'
            clause = bisect_right(bounds, mention.start)
            clause_sides, clause_negated = clauses.get(clause, here)
            site = self.sites.of(mention, strong, sites, site_focus, sentence.index)
            verdict, reason = modifier_verdict(mention, self.effects)
            if mention.start > framed and verdict != "discounted":
                verdict, reason = "discounted", self.effects[FRAME][1]
            if sentence.role == "context" and verdict != "discounted":
                verdict, reason = "discounted", f"{sentence.section} section"
            named = self.named(mention, side_focus)
            if named is not None:
                sides = named  # a side word stands for its own side(s), whatever the rest of the sentence says
            elif verdict == "not_performed" or mention.category == "untreated":
                sides = clause_negated or clause_sides or side_focus  # 'the right was not treated; the left
            else:
                sides = clause_sides or side_focus
            judged.append(Judged(mention, sentence, verdict, reason, site, frozenset(sides),
                                 site_in_sentence=bool(strong), exclusive=clause in only))
        return judged

    @staticmethod
    def named(mention: Mention, focus: frozenset[str]) -> frozenset[str] | None:
        """The sides a side word names ('contralateral' flips the side in force); None for other mentions."""
        if mention.layer != "side" or mention.category in ("repeat", "treated", "volume", "untreated", "only"):
            return None
        if mention.category == "bilateral":
            return BOTH
        if mention.category == "contralateral":
            return BOTH - focus if len(focus) == 1 else frozenset()
        return frozenset({mention.category})

    def _clauses(self, sentence: Sentence, mentions: list[Mention], focus: frozenset[str]
                 ) -> tuple[list[int], Clauses]:
        """The clause boundaries of a sentence, and the asserted and negated sides of each clause (numbered from
        0) that names one; none for a sentence of one clause."""
        bounds = [m.start() for m in _CLAUSE.finditer(self.scan.text, sentence.start, sentence.end)]
        if not bounds:
            return bounds, {}
        per_clause: dict[int, list[Mention]] = {}
        for mention in mentions:
            per_clause.setdefault(bisect_right(bounds, mention.start), []).append(mention)
        sides: Clauses = {}
        for clause, found in per_clause.items():
            asserted, negated = self._sides(found, focus)
            if asserted or negated:
                sides[clause] = (asserted, negated)
        return bounds, sides

    def _sides(self, mentions: list[Mention], focus: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
        """Sides named in a sentence, split into asserted and negated ('the right ala was not treated')."""
        asserted: set[str] = set()
        negated: set[str] = set()
        for mention in mentions:
            named = self.named(mention, focus)
            if named is None:
                continue
            verdict, _ = modifier_verdict(mention, self.effects)
            if verdict == "documented":
                asserted |= named
            elif verdict == "not_performed":
                negated |= named
        return frozenset(asserted), frozenset(negated)
