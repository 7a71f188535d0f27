"""The review gate: the rules' code against the learned reader's reading, in plain words."""

from __future__ import annotations

import pytest

from notecheck.learning import agreement, learned_code, support
from notecheck.models import LearnedReading


def reading(p0201: float, p0200: float, unknown: float, none: float) -> LearnedReading:
    return LearnedReading(probabilities={"0201T": p0201, "0200T": p0200, "side_unknown": unknown, "none": none},
                          performed=round(p0201 + p0200 + unknown, 4))


def test_a_note_without_a_reading_agrees() -> None:
    assert agreement(None, None, 0.9).agree


def test_confident_agreement_on_each_code() -> None:
    assert agreement("0201T", reading(0.95, 0.03, 0.01, 0.01), 0.9).agree
    assert agreement("0200T", reading(0.02, 0.96, 0.01, 0.01), 0.9).agree
    # no code: side_unknown and none both back it
    assert agreement(None, reading(0.02, 0.02, 0.46, 0.50), 0.9).agree


@pytest.mark.parametrize(("code", "probabilities", "words"), [
    ("0201T", (0.05, 0.05, 0.0, 0.90), "reads this as a document with no sacral augmentation done here; "
                                       "the rules find 0201T"),
    ("0201T", (0.10, 0.85, 0.0, 0.05), "finds one side treated, the rules two"),
    ("0200T", (0.80, 0.15, 0.0, 0.05), "finds both sides treated, the rules one"),
    (None, (0.90, 0.05, 0.0, 0.05), "finds a sacral augmentation done here, 0201T (both sides treated); "
                                    "the rules suggest no code"),
    ("0200T", (0.05, 0.05, 0.80, 0.10), "whose side it cannot tell; the rules find 0200T (one side treated)"),
])
def test_disagreement_says_why(code: str | None, probabilities: tuple[float, ...], words: str) -> None:
    result = agreement(code, reading(*probabilities), 0.5)
    assert not result.agree
    assert result.reason is not None and words in result.reason


def test_unsure_below_the_threshold() -> None:
    result = agreement("0201T", reading(0.70, 0.20, 0.05, 0.05), 0.9)
    assert not result.agree
    assert result.reason == ("the learned reader is unsure: it gives the rules' 0201T (both sides treated) a "
                             "probability of 0.70, under the 0.90 it needs")
    assert result.support == pytest.approx(0.70)


def test_learned_code_groups_the_two_no_code_classes() -> None:
    split = reading(0.40, 0.0, 0.30, 0.30)  # 0201T is the largest class, but no code has 0.60
    assert learned_code(split) is None
    assert support(None, split) == pytest.approx(0.60)
