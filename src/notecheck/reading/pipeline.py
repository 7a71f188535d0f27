"""The medspaCy pipeline: newline-aware sentences, target rules, sections and ConText, built from pattern data.

Every medspaCy option is set explicitly because its defaults mislead on procedure notes (see shared MEDSPACY.md):
default sections have no technique/consent/specimens categories, default ConText rules negate 'cement' in
'no cement extravasation', the Sectionizer marks some sections hypothetical, and PyRuSH is slow and noisy.
The Scanner (scanner.py) turns its Doc into plain data (scan.NoteScan), so nothing spaCy-specific leaves this layer.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from ..rules import IGNORE, OTHER_SECTION, PatternSet, regex_source
from .medspacy_speedups import bounded_context, lean_sections, one_index, one_pass_regex
from .sections import section_pattern
from .sentences import sentence_starts

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

SPAN_GROUP = "notecheck"
SENTENCIZER = "notecheck_sentences"
PRUNER = "notecheck_prune"


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
        Language.component(SENTENCIZER, func=lambda doc: (sentence_starts(doc), doc)[1])
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
    one_pass_regex(matcher)
    nlp.add_pipe(PRUNER)
    sectionizer = nlp.add_pipe(
        "medspacy_sectionizer",
        config={"rules": None, "max_section_length": None, "phrase_matcher_attr": "LOWER",
                "require_start_line": False, "require_end_line": False, "input_span_type": "group",
                "span_group_name": SPAN_GROUP, "span_attrs": None, "apply_sentence_boundary": False},
    )
    sectionizer.add([
        SectionRule(category=name, literal=name, pattern=section_pattern(category.titles))
        for name, category in patterns.sections.categories.items()
    ] + [SectionRule(category=OTHER_SECTION, literal=OTHER_SECTION, pattern=patterns.sections.generic_header)])
    one_pass_regex(sectionizer)
    lean_sections(sectionizer)
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
    one_pass_regex(context)
    one_index([matcher, sectionizer, context])
    bounded_context(context)
    return nlp



def normalize_newlines(text: str) -> str:
    """CRLF and CR become LF without moving any offset: '\\r\\n' -> ' \\n', lone '\\r' -> '\\n'."""
    return text.replace("\r\n", " \n").replace("\r", "\n")

