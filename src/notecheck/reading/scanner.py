"""From the pipeline's Doc to plain data: sentences with their section and role, mentions with their modifiers.

Everything after this module works on a NoteScan (strings, ints and tuples), never on spaCy objects.
"""

from __future__ import annotations

import re
import warnings
from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING

from ..rules import OTHER_SECTION, PatternSet
from .medspacy_speedups import token_starts
from .pipeline import SPAN_GROUP, build_pipeline
from .scan import Mention, Modifier, NoteScan, Sentence
from .sections import FieldEnds, SectionTitles
from .sentences import TEXT, quoted

if TYPE_CHECKING:
    from spacy.tokens import Doc

QUOTED_SECTION = "history"  # a '>' block quote holds text copied forward from another note


def _collapse(text: str) -> str:
    return " ".join(text.split())


class Scanner:
    """The pipeline plus what turns its Doc into plain data; built once per process and reused."""

    def __init__(self, patterns: PatternSet) -> None:
        self.patterns = patterns
        self.nlp = build_pipeline(patterns)
        self.roles = {name: cat.role for name, cat in patterns.sections.categories.items()}
        self.titles = SectionTitles(patterns.sections)
        self.findings: dict[str, list[tuple[re.Pattern[str], str]]] = {}
        for layer, category, rule in patterns.target_rules():
            if rule.finding:
                self.findings.setdefault(f"{layer}:{category}", []).append(
                    (re.compile(patterns.rule_regex(rule), re.IGNORECASE), rule.finding)
                )

    def __call__(self, text: str) -> NoteScan:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*\[W036\]")  # regex-only matchers have no token patterns
            return self.to_scan(self.nlp(text))

    def _finding(self, label: str, text: str) -> str | None:
        for regex, finding in self.findings.get(label, ()):
            if regex.fullmatch(text):
                return finding
        return None

    @staticmethod
    def _inline_field_end(field_ends: FieldEnds, body: int, token_starts: list[int]) -> int:
        """sections.FieldEnds as a token index (len(doc) when the field does not end early)."""
        end = field_ends(body)
        return len(token_starts) if end is None else bisect_left(token_starts, end)

    def to_scan(self, doc: Doc) -> NoteScan:
        """Sentences with their section and role; mentions with sentence, modifiers and finding."""
        sections = []  # (start token, end token, category, title end token), in note order
        text = doc.user_data.get(TEXT) or doc.text
        starts = token_starts(doc)
        field_ends = FieldEnds(text)
        for section in doc._.sections:
            category = section.category
            if category == OTHER_SECTION:
                category = self.titles.category_of(doc[section.title_start : section.title_end].text)
            start, end = section.section_span
            if self.roles.get(category) == "context" and section.title_end < len(doc):
                end = min(end, self._inline_field_end(field_ends, doc[section.title_end].idx, starts))
            sections.append((start, end, category, section.title_end))
        section_starts = [s[0] for s in sections]

        def section_at(token: int) -> tuple[int, int, str, int] | None:
            i = bisect_right(section_starts, token) - 1
            return sections[i] if i >= 0 and token < sections[i][1] else None

        sentences: list[Sentence] = []
        sentence_starts: list[int] = []
        for sent in doc.sents:  # a Span's text is the Doc's between its offsets: sliced, not rebuilt from tokens
            sentence_text = text[sent.start_char:sent.end_char]
            if not sentence_text.strip():
                continue
            found = section_at(sent.start) or section_at(sent.end - 1)
            category = found[2] if found else None
            sentence_starts.append(sent.start)
            role = self.roles.get(category, "performed") if category else "performed"
            if role != "addendum" and quoted(text, sent.start_char):  # copied forward, unless an addendum quotes
                category, role = QUOTED_SECTION, self.roles.get(QUOTED_SECTION, "context")
            sentences.append(Sentence(len(sentences), sent.start_char, sent.end_char, _collapse(sentence_text),
                                      category, role))
        mentions = []
        for span in doc.spans[SPAN_GROUP]:
            layer, _, category = span.label_.partition(":")
            span_text = text[span.start_char:span.end_char]
            found = section_at(span.start)
            modifiers = tuple(dict.fromkeys(
                Modifier(m.category, _collapse(doc[m.modifier_span[0]:m.modifier_span[1]].text))
                for m in span._.modifiers
            ))
            mentions.append(Mention(
                layer=layer, category=category, text=span_text, start=span.start_char, end=span.end_char,
                token_start=span.start, token_end=span.end,
                sentence=max(bisect_right(sentence_starts, span.start) - 1, 0),
                modifiers=modifiers, finding=self._finding(span.label_, span_text),
                in_title=found is not None and span.start < found[3],
            ))
        return NoteScan(text=text, sentences=tuple(sentences), mentions=tuple(mentions))

