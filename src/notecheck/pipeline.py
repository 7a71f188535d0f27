"""The medspaCy pipeline: newline-aware sentences, target rules, sections and ConText, built from pattern data.

Every medspaCy option is set explicitly because its defaults mislead on procedure notes (see shared MEDSPACY.md):
default sections have no technique/consent/specimens categories, default ConText rules negate 'cement' in
'no cement extravasation', the Sectionizer marks some sections hypothetical, and PyRuSH is slow and noisy.
The pipeline ends by turning the Doc into plain data (scan.NoteScan), so nothing spaCy-specific leaves here.
"""

from __future__ import annotations

import re
import warnings
from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING, Any

from .rules import IGNORE, OTHER_SECTION, PatternSet, SectionTitles, regex_source
from .scan import Mention, Modifier, NoteScan, Sentence

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

SPAN_GROUP = "notecheck"
TEXT = "notecheck_text"  # doc.user_data key: the note text, built once by the sentence splitter
SENTENCIZER = "notecheck_sentences"
PRUNER = "notecheck_prune"
_ABBREVIATIONS = frozenset(
    {"dr", "mr", "mrs", "ms", "approx", "vs", "e.g", "i.e", "etc", "st", "no", "fig", "pt", "min", "max", "ca"}
)
_JOINERS = frozenset(
    {"and", "or", "the", "a", "an", "of", "to", "into", "in", "with", "under", "through", "from", "at", "on", "for",
     "was", "were", "is", "are", "by", "via", "then", "each", "both", "using", "over", "after", "before", "per"}
)
_WRAP_WIDTH = 45
MAX_SENTENCE_TOKENS = 400  # no real sentence is longer; a pasted wall of text is cut into pieces this size
_ANSWER = re.compile(r"(?i)(?:yes|no|none|nil|n/?a|not performed|not done|not indicated|declined)[ \t.]*(?:\n|$)")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_ITEM_LINE = re.compile(r"[ \t]*(?:\d{1,2}:\d{2}\b|[-*•]\s|\d{1,2}[.)]\s)")
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9 /&()'-]{0,40}:")
_BULLET = re.compile(r"^(?:[-*•·▪◦‣]|\d{1,2}[.)]|[a-z][.)]|\[|\(|☐|☒|☑|□)$")
_CLOCK = re.compile(r"\d{1,2}:\d{2}\b")  # the tokenizer splits '10:19' into three tokens: read the text


def _import_medspacy() -> Any:
    """Import medspaCy without letting it silence every warning in the process.

    medspaCy runs ``warnings.filterwarnings("ignore")`` at import time, which would hide our own warnings
    too; the filters are restored afterwards. PyRuSH's loguru DEBUG output is disabled at its source.
    """
    saved = list(warnings.filters)
    try:
        import medspacy
    finally:
        warnings.filters[:] = saved
    from loguru import logger

    logger.disable("PyRuSH")
    return medspacy


def _sentence_starts(doc: Doc) -> None:
    """Split at blank lines, at line breaks that are not mid-sentence wraps (see _wrapped), after sentence
    punctuation, before inline capitalised headers and before tabbed items.

    spaCy's sentencizer ignores newlines (so a header line joins the sentence before it) and PyRuSH costs
    ~50 ms a note; this rule set gives procedure-note boundaries in about a millisecond. The boundaries are
    set, in one array: each assignment to ``is_sent_start`` re-checks the Doc's annotations, which made long notes
    quadratic. A sentence is cut after MAX_SENTENCE_TOKENS tokens, so a note without punctuation or line breaks
    still gives ConText bounded sentences.
    """
    import numpy
    from spacy.attrs import SENT_START

    text = doc.user_data[TEXT] = doc.text  # Doc.text is rebuilt from every token on each access: keep it once
    prev = None
    last_start = 0
    starts = [-1] * len(doc)  # SENT_START per token: 1 starts a sentence, -1 continues one
    for token in doc:
        if token.is_space:
            if prev is None:
                starts[token.i] = 1
            continue
        if prev is None:
            start = True
        else:
            gap = text[prev.idx + len(prev.text) : token.idx]
            newlines = gap.count("\n")
            start = False
            if newlines >= 2:
                start = True
            elif newlines == 1:  # a header's value on the next line (a form field) stays with its header
                start = not (prev.text.endswith(":") or not _item(text, token) and _wrapped(text, prev, token))
            elif prev.text[-1:] in ".!?" and (token.text[:1].isupper() or token.text[:1].isdigit()):
                # 'L. PMMA 3 mL' ends a sentence at an abbreviation's own period; 'Dr. Smith' does not
                before = prev.lower_[:-1] if len(prev.text) > 1 else (doc[prev.i - 1].lower_ if prev.i > 0 else "")
                start = before not in _ABBREVIATIONS or token.text[:1].isupper() and len(before) > 3
            elif prev.text in {".", ",", ";"} and (token.text.isupper() and len(token.text) > 2 or prev.text == ";"
                                                   and token.text[:1].isupper()) and any(
                t.text == ":" for t in doc[token.i + 1 : token.i + 5]
            ):
                start = True  # an inline header run into the line: ',PROCEDURE:,' or '; Technique: ...'
            elif "\t" in gap and (token.text[:1].isupper() or _item(text, token)):
                start = True
        if token.i - last_start >= MAX_SENTENCE_TOKENS:
            start = True
        if start and (prev is not None or token.i == 0 or starts[0] != 1):
            starts[token.i] = 1
            last_start = token.i
        prev = token
    if starts:
        doc.from_array([SENT_START], numpy.array(starts, dtype="int64").astype("uint64").reshape(-1, 1))


def _wrapped(text: str, prev: Any, token: Any) -> bool:
    """A single line break inside a sentence: a hard wrap of pasted or dictated prose, not a new line of a form.

    Wrapped when the line does not end a sentence and either the next line goes on in lower case, the line
    ends on a comma or joining word, or the line is long (forms have short lines; wrapped prose, long ones)
    and the next line is not a bullet, checkbox or 'Header:' field.
    """
    if prev.text[-1:] in ".;!?":
        return False
    if _ANSWER.match(text, token.idx) and _short_label(text, prev):
        return True  # a form's label line ('Cavity Creation') and its value on the next line ('No')
    if token.text[:1].islower() or prev.text in {",", "-", "/", "(", "&", "+"} or prev.lower_ in _JOINERS:
        return True
    line_start = text.rfind("\n", 0, prev.idx) + 1
    line_end = text.find("\n", token.idx)
    next_line = text[token.idx : line_end if line_end >= 0 else len(text)]
    return prev.idx + len(prev.text) - line_start >= _WRAP_WIDTH and not (
        _item(text, token) or _FIELD.match(next_line)
    )


def _item(text: str, token: Any) -> bool:
    """A line that opens with a bullet, a box or a clock time ('10:19 Cement L injected') is a new item."""
    return bool(_BULLET.match(token.text) or _CLOCK.match(text, token.idx))


def _short_label(text: str, prev: Any) -> bool:
    line_start = text.rfind("\n", 0, prev.idx) + 1
    label = text[line_start : prev.idx + len(prev.text)]
    return len(label) <= 40 and ":" not in label


def _keep_longest_per_layer(doc: Doc) -> Doc:
    """Resolve overlaps within a layer (longest match wins) while letting layers overlap.

    'bilateral sacral alae' is a side term and a site term at once; 'bone biopsy needle' is a needle, not a
    biopsy; 'no cement extravasation' is a complication, not cement. Matches whose category is 'ignore' exist
    only to win such overlaps and are dropped afterwards. Labels are 'layer:category': span extensions are
    keyed by character offsets, so two spans over the same words must not rely on ``span._.target_rule``.
    """
    from spacy.util import filter_spans

    by_layer: dict[str, list[Any]] = {}
    for span in doc.spans[SPAN_GROUP]:
        by_layer.setdefault(span.label_.partition(":")[0], []).append(span)
    kept = [s for spans in by_layer.values() for s in filter_spans(spans) if not s.label_.endswith(f":{IGNORE}")]
    doc.spans[SPAN_GROUP] = sorted(kept, key=lambda s: (s.start, s.end))
    return doc


def _one_pass_regex(component: Any) -> None:
    """Make a medspaCy component's regex matching build the note text once per Doc, not once per rule.

    medspaCy's RegexMatcher reads ``Doc.text_with_ws`` (rebuilt from every token on each access) for every
    rule and twice more for every match that does not fall on token boundaries: over half of the pipeline's
    time on long notes. The component's own RegexMatcher instance is switched to a subclass whose __call__
    gives the same matches from one text and a bisect over token offsets; nothing global is patched.
    """
    from medspacy.common.medspacy_matcher import MedspacyMatcher

    for value in vars(component).values():
        if isinstance(value, MedspacyMatcher):
            inner = value._MedspacyMatcher__regex_matcher  # type: ignore[attr-defined]
            inner.__class__ = _one_pass_class(type(inner))


def _one_pass_class(base: type) -> type:
    if getattr(base, "_one_pass", False):
        return base

    class OnePassRegexMatcher(base):  # type: ignore[misc, valid-type]
        _one_pass = True

        def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
            text = doc.user_data.get(TEXT) or doc.text_with_ws
            starts = [token.idx for token in doc]
            size = len(starts)
            matches: list[tuple[int, int, int]] = []
            for match_id, patterns in self._patterns.items():
                on_match = self._callbacks[match_id]
                for pattern in patterns:
                    for found in pattern.finditer(text):
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


def _bounded_context(component: Any) -> None:
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


def _section_pattern(titles: list[str]) -> str:
    """A header: a title at the start of a line followed by ':' or '-', the title in capitals anywhere followed
    by ':' (dictated notes run headers into one line), a title after '; ' (one-line notes), or a capitalised
    title alone on its line."""
    ordered = sorted(titles, key=len, reverse=True)
    alternation = "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in ordered)
    caps = "|".join(re.escape(t.upper()).replace(r"\ ", r"[ \t]+") for t in ordered)  # not alternation.upper(),
    # which turned every '\s' into '\S' and so missed every multi-word title in capitals ('ATTENDING ATTESTATION')
    aside = r"(?:[ \t]*#?\d{1,2})?(?:[ \t]*\([^()\n]{0,80}\))?"  # 'ADDENDUM #1 (03/19/2025, Dr. X):'
    enumerator = r"(?:[-*•]\s*|(?:\d{1,2}|[A-Za-z]|[IVX]{1,4})[.)][ \t]+)?"  # '- ', '3. ', 'B) ', 'IV. '
    return (
        rf"(?<![^\n])[ \t]*{enumerator}(?:{alternation}){aside}[ \t]*(?::|\s-\s)"
        rf"|(?<![\w/])(?-i:{caps}){aside}[ \t]*:"
        rf"|(?<=; )(?:{alternation}){aside}[ \t]*:"
        rf"|(?<![^\n])[ \t]*(?-i:(?:{caps})(?:[ \t]+[A-Z/&(),'-]+)*)[ \t]*(?=\r?\n)"
    )


def _union(regexes: list[str]) -> str:
    """One regex per category: medspaCy's RegexMatcher rescans the whole text once per rule, so rules that
    behave alike are matched in a single pass (overlaps are still resolved longest-first afterwards)."""
    return "|".join(f"(?:{r})" for r in regexes)


def build_pipeline(patterns: PatternSet) -> Language:
    """Build the pipeline once per process: medspaCy tokenizer, sentences, targets, sections, ConText."""
    medspacy = _import_medspacy()
    from medspacy.context import ConTextRule
    from medspacy.section_detection import SectionRule
    from medspacy.target_matcher import TargetRule
    from spacy.language import Language

    if not Language.has_factory(SENTENCIZER):
        Language.component(SENTENCIZER, func=lambda doc: (_sentence_starts(doc), doc)[1])
    if not Language.has_factory(PRUNER):
        Language.component(PRUNER, func=_keep_longest_per_layer)

    nlp = medspacy.load("default", medspacy_enable=["medspacy_tokenizer"], load_rules=False)
    nlp.add_pipe(SENTENCIZER)
    matcher = nlp.add_pipe(
        "medspacy_target_matcher",
        config={"rules": None, "phrase_matcher_attr": "LOWER", "result_type": "group",
                "span_group_name": SPAN_GROUP, "prune": False},
    )
    by_label: dict[str, list[str]] = {}
    for layer, category, rule in patterns.target_rules():
        by_label.setdefault(f"{layer}:{category}", []).append(patterns.rule_regex(rule))
    matcher.add([TargetRule(label, label, pattern=_union(regexes)) for label, regexes in by_label.items()])
    _one_pass_regex(matcher)
    nlp.add_pipe(PRUNER)
    sectionizer = nlp.add_pipe(
        "medspacy_sectionizer",
        config={"rules": None, "max_section_length": None, "phrase_matcher_attr": "LOWER",
                "require_start_line": False, "require_end_line": False, "input_span_type": "group",
                "span_group_name": SPAN_GROUP, "span_attrs": None, "apply_sentence_boundary": False},
    )
    sectionizer.add([
        SectionRule(category=name, literal=name, pattern=_section_pattern(category.titles))
        for name, category in patterns.sections.categories.items()
    ] + [SectionRule(category=OTHER_SECTION, literal=OTHER_SECTION, pattern=patterns.sections.generic_header)])
    _one_pass_regex(sectionizer)
    context = nlp.add_pipe(
        "medspacy_context",
        config={"rules": None, "phrase_matcher_attr": "LOWER", "allowed_types": None, "excluded_types": None,
                "terminating_types": None, "max_scope": None, "max_targets": None,
                "prune_on_modifier_overlap": True, "prune_on_target_overlap": False, "span_attrs": None,
                "input_span_type": "group", "span_group_name": SPAN_GROUP},
    )
    by_behaviour: dict[tuple[Any, ...], list[str]] = {}
    for rule in patterns.context.rules:
        key = (rule.category, rule.direction, rule.max_scope, tuple(rule.excluded_types or ()))
        by_behaviour.setdefault(key, []).append(regex_source(rule.pattern, rule.literal))
    context.add([
        ConTextRule(category, category, pattern=_union(regexes), direction=direction, max_scope=max_scope,
                    excluded_types=set(excluded) or None)
        for (category, direction, max_scope, excluded), regexes in by_behaviour.items()
    ])
    _one_pass_regex(context)
    _bounded_context(context)
    return nlp


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
    def _inline_field_end(text: str, body: int, token_starts: list[int]) -> int:
        """A context field written on its header's line ('Indication: bilateral fractures') ends with its
        paragraph, so a form's next block is not taken for indication, and with its own line where the next line
        is an item of its own (a clock time, a bullet: 'Time out: 10:02 ...' then '10:10 needle inserted'); a
        header alone on its line keeps its section up to the next header. Returns a token index (len(doc) when it
        does not end early)."""
        line_end = text.find("\n", body)
        if line_end < 0 or not text[body:line_end].strip():
            return len(token_starts)
        if _ITEM_LINE.match(text, line_end + 1):
            return bisect_left(token_starts, line_end + 1)
        blank = _BLANK_LINE.search(text, line_end)
        return bisect_left(token_starts, blank.end()) if blank else len(token_starts)

    def to_scan(self, doc: Doc) -> NoteScan:
        """Sentences with their section and role; mentions with sentence, modifiers and finding."""
        sections = []  # (start token, end token, category, title end token), in note order
        text = doc.user_data.get(TEXT) or doc.text
        token_starts = [token.idx for token in doc]
        for section in doc._.sections:
            category = section.category
            if category == OTHER_SECTION:
                category = self.titles.category_of(doc[section.title_start : section.title_end].text)
            start, end = section.section_span
            if self.roles.get(category) == "context" and section.title_end < len(doc):
                end = min(end, self._inline_field_end(text, doc[section.title_end].idx, token_starts))
            sections.append((start, end, category, section.title_end))
        section_starts = [s[0] for s in sections]

        def section_at(token: int) -> tuple[int, int, str, int] | None:
            i = bisect_right(section_starts, token) - 1
            return sections[i] if i >= 0 and token < sections[i][1] else None

        sentences: list[Sentence] = []
        sentence_starts: list[int] = []
        for sent in doc.sents:
            sentence_text = sent.text
            if not sentence_text.strip():
                continue
            found = section_at(sent.start) or section_at(sent.end - 1)
            category = found[2] if found else None
            sentence_starts.append(sent.start)
            role = self.roles.get(category, "performed") if category else "performed"
            sentences.append(Sentence(len(sentences), sent.start_char, sent.end_char, _collapse(sentence_text),
                                      category, role))
        mentions = []
        for span in doc.spans[SPAN_GROUP]:
            layer, _, category = span.label_.partition(":")
            found = section_at(span.start)
            modifiers = tuple(dict.fromkeys(
                Modifier(m.category, _collapse(doc[m.modifier_span[0]:m.modifier_span[1]].text))
                for m in span._.modifiers
            ))
            mentions.append(Mention(
                layer=layer, category=category, text=span.text, start=span.start_char, end=span.end_char,
                token_start=span.start, token_end=span.end,
                sentence=max(bisect_right(sentence_starts, span.start) - 1, 0),
                modifiers=modifiers, finding=self._finding(span.label_, span.text),
                in_title=found is not None and span.start < found[3],
            ))
        return NoteScan(text=text, sentences=tuple(sentences), mentions=tuple(mentions))


def normalize_newlines(text: str) -> str:
    """CRLF and CR become LF without moving any offset: '\\r\\n' -> ' \\n', lone '\\r' -> '\\n'."""
    return text.replace("\r\n", " \n").replace("\r", "\n")
