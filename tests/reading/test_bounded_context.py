"""Our ConText indexing (medspacy_speedups.bounded_context) gives exactly medspaCy's own ConText results, in linear
time, and our lean Sectionizer (medspacy_speedups.lean_sections) exactly medspaCy's sections."""

from __future__ import annotations


import pytest
from paths import ROOT

from notecheck.checker import Checker
from notecheck.reading import normalize_newlines
from notecheck.reading.pipeline import SPAN_GROUP

NOTES = sorted(ROOT.glob("tests/*/*.txt")) + sorted(ROOT.glob("sample_notes/*.txt"))


def _modifiers(checker: Checker, text: str, bounded: bool) -> list[tuple]:
    nlp = checker.scanner.nlp
    doc = nlp.make_doc(text)
    for name, component in nlp.pipeline:
        if name == "medspacy_context" and not bounded:
            doc = type(component).__mro__[1].__call__(component, doc)  # medspaCy's own ConText.__call__
        else:
            doc = component(doc)
    return [(span.start, span.end, span.label_, tuple((m.category, m.modifier_span) for m in span._.modifiers))
            for span in doc.spans[SPAN_GROUP]]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_same_modifiers_as_medspacy_on_every_labeled_and_sample_note(checker: Checker) -> None:
    assert len(NOTES) > 300
    for path in NOTES:
        text = checker._normalize(normalize_newlines(path.read_text(encoding="utf-8"))).text
        assert _modifiers(checker, text, bounded=True) == _modifiers(checker, text, bounded=False), path.name


def _sections(checker: Checker, text: str, lean: bool) -> list[tuple]:
    nlp = checker.scanner.nlp
    doc = nlp.make_doc(text)
    for name, component in nlp.pipeline:
        if name == "medspacy_sectionizer":
            doc = component(doc) if lean else type(component).__mro__[1].__call__(component, doc)
            return [(s.category, s.title_start, s.title_end, s.body_start, s.body_end, s.parent, s.rule)
                    for s in doc._.sections]
        doc = component(doc)
    raise AssertionError("no sectionizer in the pipeline")


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_same_sections_as_medspacy_on_every_labeled_and_sample_note(checker: Checker) -> None:
    for path in NOTES:
        text = checker._normalize(normalize_newlines(path.read_text(encoding="utf-8"))).text
        assert _sections(checker, text, lean=True) == _sections(checker, text, lean=False), path.name
    assert _sections(checker, "no header at all", lean=True) == _sections(checker, "no header at all", lean=False)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_wall_of_text_is_cut_into_bounded_sentences(checker: Checker) -> None:
    sentence = "bilateral sacroplasty PMMA 3 mL injected into the left and right sacral ala under fluoroscopy "
    doc = checker.scanner.nlp(sentence * 400)
    assert max(len(s) for s in doc.sents) <= 400
