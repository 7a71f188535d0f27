"""Speed-ups of medspaCy components, each applied to one component instance: nothing global is patched.

medspaCy's RegexMatcher rebuilds the note text once per rule and scans it with every rule; its ConTextGraph
compares every modifier with every other one and every target in the Doc; its Sectionizer writes every token's
``_.section``, which nothing here reads. All give the same results here as medspaCy's own code
(tests/reading/test_bounded_context.py and test_matching.py compare them on every labeled note).
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING, Any

from .matching import Found, PatternIndex
from .sentences import TEXT

if TYPE_CHECKING:
    from spacy.tokens import Doc

FOUND = "notecheck_found"  # doc.user_data key: what the one-pass index found of each rule in the note
STARTS = "notecheck_token_starts"  # doc.user_data key: every token's character offset, listed once per Doc


def one_pass_regex(component: Any) -> None:
    """Make a medspaCy component's regex matching build the note text once per Doc, not once per rule.

    medspaCy's RegexMatcher reads ``Doc.text_with_ws`` (rebuilt from every token on each access) for every
    rule and twice more for every match that does not fall on token boundaries: over half of the pipeline's
    time on long notes. The component's own RegexMatcher instance is switched to a subclass whose __call__
    gives the same matches from one text and a bisect over token offsets; nothing global is patched.
    """
    for inner in _regex_matchers(component):
        inner.__class__ = _one_pass_class(type(inner))


def _regex_matchers(component: Any) -> list[Any]:
    from medspacy.common.medspacy_matcher import MedspacyMatcher

    return [value._MedspacyMatcher__regex_matcher for value in vars(component).values()  # type: ignore[attr-defined]
            if isinstance(value, MedspacyMatcher)]


def one_index(components: list[Any]) -> None:
    """Give the components' one-pass regex matchers one PatternIndex over all their rules: the note is scanned
    once for every family (targets, sections, cues) and each matcher runs ``re`` only for the rules found
    possible. Call after one_pass_regex on each component."""
    inners = [inner for component in components for inner in _regex_matchers(component)]
    patterns = list(dict.fromkeys(p for inner in inners for group in inner._patterns.values() for p in group))
    index = PatternIndex(patterns)
    positions = {pattern: i for i, pattern in enumerate(patterns)}
    for inner in inners:
        inner._index, inner._positions = index, positions


def _found(matcher: Any, doc: Doc, text: str) -> Found:
    """What the shared index finds of each rule in this Doc, found once for every component (every rule may
    match, searched whole, without an index)."""
    if FOUND not in doc.user_data:
        index = getattr(matcher, "_index", None)
        doc.user_data[FOUND] = index.find(text) if index is not None else Found(None, {})
    return doc.user_data[FOUND]  # type: ignore[no-any-return]


def token_starts(doc: Doc) -> list[int]:
    """Every token's character offset, listed once per Doc for the matchers and the Scanner."""
    if STARTS not in doc.user_data:
        doc.user_data[STARTS] = [token.idx for token in doc]
    return doc.user_data[STARTS]  # type: ignore[no-any-return]


def _one_pass_class(base: type) -> type:
    if getattr(base, "_one_pass", False):
        return base

    class OnePassRegexMatcher(base):  # type: ignore[misc, valid-type]
        _one_pass = True

        def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
            text = doc.user_data.get(TEXT) or doc.text_with_ws
            starts = token_starts(doc)
            size = len(starts)
            matches: list[tuple[int, int, int]] = []
            index = _found(self, doc, text)
            positions = getattr(self, "_positions", {})  # set by one_index; without it every rule is searched whole
            for match_id, patterns in self._patterns.items():
                on_match = self._callbacks[match_id]
                for pattern in patterns:
                    for found in index.finditer(positions.get(pattern, -1), pattern, text):
                        span = doc.char_span(found.start(), found.end())
                        if span is not None:
                            start, end = span.start, span.end
                        else:  # medspaCy's get_token_for_char: start snaps left, end snaps right
                            i = bisect_left(starts, found.start())
                            start = i if i < size and starts[i] == found.start() else (i - 1) % size
                            end = bisect_left(starts, found.end())
                        if end > start:
                            matches.append((match_id, start, end))
                        if on_match is not None:
                            on_match(self, doc, len(matches) - 1, matches)
            return matches

    return OnePassRegexMatcher


def bounded_context(component: Any) -> None:
    """Make a ConText component compare each modifier only with the modifiers and targets near it.

    medspaCy's ConTextGraph compares every modifier with every other modifier and every target in the Doc:
    quadratic in note size (a 200 KB note spent 15 s in 6.4 million comparisons). Scopes lie within a sentence or
    a short window, so the instance is switched to a subclass that indexes scopes by position and makes the same
    calls, in the same order, for the pairs whose scopes overlap; every other pair was a no-op (scopes only
    shrink, and both checks need an overlap). Nothing global is patched.
    """
    if not getattr(type(component), "_bounded", False):
        component.__class__ = _bounded_class(type(component))


def _bounded_class(base: type) -> type:
    from medspacy.context.context_graph import ConTextGraph
    from medspacy.context.context_modifier import ConTextModifier

    class BoundedContext(base):  # type: ignore[misc, valid-type]
        _bounded = True

        def __call__(self, doc: Doc, targets: str | None = None) -> Doc:
            if targets or self.input_span_type != "group" or self.prune_on_target_overlap:
                return super().__call__(doc, targets)
            graph = ConTextGraph(prune_on_modifier_overlap=False)
            graph.targets = doc.spans[self.span_group_name]
            matcher = self._ConText__matcher
            graph.modifiers = [ConTextModifier(matcher.rule_map[self.nlp.vocab[match_id].text], start, end, doc,
                                               max_scope=self.max_scope)
                               for match_id, start, end in matcher(doc)]
            _update_scopes(graph.modifiers)
            graph.edges = _apply_modifiers(graph.modifiers, graph.targets)
            for target, modifier in graph.edges:
                target._.modifiers += (modifier,)
            if self.context_attributes_mapping:
                self.set_context_attributes(graph.edges)
            doc._.context_graph = graph
            return doc

    return BoundedContext


class _ScopeIndex:
    """Modifiers' scopes sorted by start, for the ones that overlap a span."""

    def __init__(self, scopes: list[tuple[int, int]]) -> None:
        self.scopes = scopes
        self.order = sorted(range(len(scopes)), key=lambda i: scopes[i][0])
        self.starts = [scopes[i][0] for i in self.order]
        self.longest = max((end - start for start, end in scopes), default=0)

    def overlapping(self, start: int, end: int) -> list[int]:
        """Indexes, ascending, of the scopes that share a token with start..end."""
        low = bisect_left(self.starts, start - self.longest)
        high = bisect_left(self.starts, max(end, start + 1))
        return sorted(i for i in self.order[low:high] if self.scopes[i][1] > start)


def _update_scopes(modifiers: list[Any]) -> None:
    """ConTextGraph.update_scopes for the pairs whose scopes overlap, in its order (i ascending, then j)."""
    index = _ScopeIndex([m.scope_span for m in modifiers])
    for i, modifier in enumerate(modifiers):
        start, end = index.scopes[i]
        for j in index.overlapping(start, end):
            if j > i:
                modifier.limit_scope(modifiers[j])
                modifiers[j].limit_scope(modifier)


def _apply_modifiers(modifiers: list[Any], targets: Any) -> list[tuple[Any, Any]]:
    """ConTextGraph.apply_modifiers (without pruning) for the modifiers whose scope overlaps each target."""
    index = _ScopeIndex([m.scope_span for m in modifiers])
    for target in targets:
        for i in index.overlapping(target.start, target.end):
            if modifiers[i].modifies(target):
                modifiers[i].modify(target)
    edges = []
    for modifier in modifiers:
        modifier.reduce_targets()
        edges += [(target, modifier) for target in modifier._targets]
    return edges


def lean_sections(component: Any) -> None:
    """Make a Sectionizer set ``doc._.sections`` without writing every token's ``_.section`` as well.

    medspaCy's Sectionizer stores the section on each token through spaCy's extension machinery (two Python
    objects per token: about 4% of a check); the Scanner reads ``doc._.sections`` alone. The instance is switched
    to a subclass that builds the same Section list for the options this pipeline sets (no parent sections, no
    line filters, no sentence boundaries, no span attributes) and defers to medspaCy for any other.
    """
    if not getattr(type(component), "_lean", False):
        component.__class__ = _lean_class(type(component))


def _lean_class(base: type) -> type:
    from medspacy.section_detection.section import Section

    class LeanSectionizer(base):  # type: ignore[misc, valid-type]
        _lean = True

        def __call__(self, doc: Doc) -> Doc:
            if (self.require_start_line or self.require_end_line or self._parent_sections
                    or self._apply_sentence_boundary or self.assertion_attributes_mapping):
                return super().__call__(doc)
            matcher = self._Sectionizer__matcher
            matches = matcher(doc)
            sections = [] if not matches or matches[0][1] == 0 else [Section(None, 0, 0, 0, matches[0][1])]
            for i, (match_id, start, end) in enumerate(matches):  # as Sectionizer.__call__, without parents
                rule = matcher.rule_map[self.nlp.vocab.strings[match_id]]
                stop = matches[i + 1][1] if i + 1 < len(matches) else len(doc)
                limit = rule.max_scope if rule.max_scope is not None else self.max_section_length
                if limit is not None:
                    stop = min(end + limit, stop if i + 1 < len(matches) else doc[-1].i + 1)
                sections.append(Section(rule.category, start, end, end, stop, None, rule))
            doc._.sections = sections or [Section(None, 0, 0, 0, len(doc))]
            return doc

    return LeanSectionizer
