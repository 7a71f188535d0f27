"""The validated pattern set: every rule notecheck runs on, and the views of it the pipeline needs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .criteria import CriteriaSet
from .regex import regex_source
from .schema import (ELEMENT_IDS, IGNORE, Compliance, ContextFile, ElementFile, EncounterFile, NormalizeFile,
                     Profile, QueryTemplate, Rule, RuleFile, SectionFile)


@dataclass(frozen=True)
class PatternSet:
    """Every rule notecheck runs on, validated, plus where it came from."""

    source: str
    elements: dict[str, ElementFile]
    sites: RuleFile
    laterality: RuleFile
    coding: RuleFile
    context: ContextFile
    sections: SectionFile
    profiles: dict[str, Profile]
    queries: dict[str, QueryTemplate]
    compliance: Compliance
    marks: dict[str, str]
    normalize: NormalizeFile
    encounter: EncounterFile
    indications: dict[str, CriteriaSet] = field(default_factory=dict)

    def target_rules(self) -> list[tuple[str, str, Rule]]:
        """(layer, category, rule) for every target rule; layers are pruned for overlaps separately."""
        out: list[tuple[str, str, Rule]] = []
        for element_id, element in self.elements.items():
            out += [("element", rule.category or element_id, rule) for rule in element.rules]
        out += [("site", rule.category or IGNORE, rule) for rule in self.sites.rules]
        out += [("side", rule.category or IGNORE, rule) for rule in self.laterality.rules]
        out += [("coding", rule.category or IGNORE, rule) for rule in self.coding.rules]
        return out

    def vocabulary(self) -> frozenset[str]:
        """The domain's words, lower case: every word of a target rule's, a ConText rule's and a section title's
        literal, and the OCR repair's own list. OCR repair treats them as words (so 'PMMA' and 'sacroplasty' are
        never 'repaired') and repairs damaged tokens towards them."""
        phrases = [rule.literal for _, _, rule in self.target_rules()]
        phrases += [rule.literal for rule in self.context.rules]
        phrases += [title for category in self.sections.categories.values() for title in category.titles]
        if self.normalize.ocr is not None:
            phrases += self.normalize.ocr.vocabulary
        return frozenset(word for phrase in phrases for word in re.findall(r"[a-z]{2,}", phrase.lower()))

    def rule_regex(self, rule: Rule) -> str:
        return regex_source(rule.pattern, rule.literal)

    def prescreen(self) -> tuple[tuple[str, ...], re.Pattern[str], re.Pattern[str]]:
        """Sacral anchors, then sacral-site and element vocabularies as two regexes built from the rules.

        A note that lacks either vocabulary cannot have an element attributed to the sacrum, so skipping the
        pipeline for it changes no element status and no code (tests/test_prescreen.py checks that on real
        notes). The anchors are a cheap substring test run before the sacral regex.
        """
        anchors = tuple(self.sites.prescreen_anchors.substrings) if self.sites.prescreen_anchors else ("",)
        sacral = [self.rule_regex(r) for r in self.sites.rules if r.category in ("sacral", "sacral_procedure")]
        element = [self.rule_regex(r) for _, c, r in self.target_rules() if c in ELEMENT_IDS]
        return (anchors, re.compile("|".join(f"(?:{r})" for r in sacral), re.IGNORECASE),
                re.compile("|".join(f"(?:{r})" for r in element), re.IGNORECASE))

