"""Measuring the readers honestly: folds by writer, out-of-fold readings, the gate's threshold, the figures.

No writer is on both sides of a split (MTSamples texts are groups of their own), and the review threshold is
chosen on out-of-fold readings of the training side only, so a fold's figures never saw its own notes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from ..evaluation import is_false_code, ratio
from ..models import LearnedReading
from .data import LabeledNote
from .gate import agreement, learned_code
from .reader import LearnedReader
from .train import train

if TYPE_CHECKING:
    from thinc.api import Config

T = TypeVar("T")
THRESHOLDS = tuple(round(0.50 + 0.01 * step, 2) for step in range(50))


@dataclass(frozen=True)
class Targets:
    """What the threshold must keep among notes not in review, on the training folds' out-of-fold readings."""

    min_accuracy: float
    max_false_rate: float
    max_mtsamples_review: float

    @classmethod
    def of(cls, config: Config) -> Targets:
        section = config["notecheck"]
        return cls(float(section["min_accuracy"]), float(section["max_false_rate"]),
                   float(section["max_mtsamples_review"]))


@dataclass(frozen=True)
class Outcome:
    """One note under one system: the code it gives, and whether it goes to review."""

    note: LabeledNote
    code: str | None
    review: bool = False


@dataclass
class Figures:
    """The issue's figures for one system over a set of notes."""

    notes: int = 0
    correct: int = 0
    false_codes: int = 0
    reviewed: int = 0
    correct_kept: int = 0
    false_kept: int = 0
    false_kept_by_group: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        expected = outcome.note.expected_code
        right, false = outcome.code == expected, is_false_code(expected, outcome.code)
        self.notes += 1
        self.correct += right
        self.false_codes += false
        if outcome.review:
            self.reviewed += 1
            return
        self.correct_kept += right
        self.false_kept += false
        if false:
            group = outcome.note.group
            self.false_kept_by_group[group] = self.false_kept_by_group.get(group, 0) + 1

    @property
    def most_false_in_one_set(self) -> int:
        return max(self.false_kept_by_group.values(), default=0)

    @property
    def kept(self) -> int:
        return self.notes - self.reviewed

    def row(self) -> dict[str, float | int]:
        return {"notes": self.notes, "code_accuracy": ratio(self.correct, self.notes),
                "false_codes": self.false_codes, "coverage": ratio(self.kept, self.notes),
                "accuracy_not_in_review": ratio(self.correct_kept, self.kept), "false_codes_not_in_review":
                self.false_kept, "most_false_kept_in_one_set": self.most_false_in_one_set}


def figures(outcomes: Sequence[Outcome]) -> Figures:
    result = Figures()
    for outcome in outcomes:
        result.add(outcome)
    return result


def rules_alone(notes: Sequence[LabeledNote], rules: dict[str, str | None]) -> list[Outcome]:
    return [Outcome(note, rules[note.note_id]) for note in notes]


def learned_alone(notes: Sequence[LabeledNote], readings: Sequence[LearnedReading | None]) -> list[Outcome]:
    """A note the reader does not read (no sacral anchor) gets no code, as the checker gives it."""
    return [Outcome(note, learned_code(r) if r else None) for note, r in zip(notes, readings, strict=True)]


def gated_outcome(note: LabeledNote, code: str | None, reading: LearnedReading | None,
                  threshold: float) -> Outcome:
    """The rules' code, in review where the learned reader does not back it with at least ``threshold``: what the
    checker's verdict does with the two readings."""
    return Outcome(note, code, not agreement(code, reading, threshold).agree)


def gated(notes: Sequence[LabeledNote], rules: dict[str, str | None], readings: Sequence[LearnedReading | None],
          threshold: float) -> list[Outcome]:
    return [gated_outcome(note, rules[note.note_id], r, threshold) for note, r in zip(notes, readings, strict=True)]


def choose_threshold(notes: Sequence[LabeledNote], rules: dict[str, str | None],
                     readings: Sequence[LearnedReading | None], targets: Targets) -> float:
    """The lowest threshold (most notes kept out of review) whose out-of-fold figures meet the targets on labeled
    notes and on MTSamples; the one with the best accuracy not in review if none does."""
    labeled = [i for i, n in enumerate(notes) if n.source != "mtsamples"]
    real = [i for i, n in enumerate(notes) if n.source == "mtsamples"]
    best: tuple[float, float] = (-1.0, THRESHOLDS[-1])
    for threshold in THRESHOLDS:
        outcomes = gated(notes, rules, readings, threshold)
        kept = figures([outcomes[i] for i in labeled])
        review = figures([outcomes[i] for i in real]).reviewed
        accuracy = ratio(kept.correct_kept, kept.kept)
        if (accuracy >= targets.min_accuracy and kept.false_kept <= targets.max_false_rate * kept.kept
                and review <= targets.max_mtsamples_review * len(real)):
            return threshold
        best = max(best, (accuracy, threshold))
    return best[1]


def assign_folds(notes: Sequence[LabeledNote], folds: int, seed: int) -> list[int]:
    """A fold per note, by group: writers dealt round-robin in a seeded order, MTSamples texts likewise."""
    fold_of: dict[str, int] = {}
    for source in sorted({n.source == "mtsamples" for n in notes}):
        groups = sorted({n.group for n in notes if (n.source == "mtsamples") == source})
        random.Random(seed).shuffle(groups)
        fold_of.update({group: i % folds for i, group in enumerate(groups)})
    return [fold_of[n.group] for n in notes]


Trainer = Callable[[Sequence[LabeledNote]], LearnedReader]


def out_of_fold(notes: Sequence[LabeledNote], anchored: Sequence[bool], fold_of: Sequence[int],
                fit: Trainer) -> list[LearnedReading | None]:
    """Each note read by a reader trained on the other folds' anchored notes; None where it has no anchor."""
    readings: list[LearnedReading | None] = [None] * len(notes)
    for fold in sorted(set(fold_of)):
        reader = fit([n for n, a, f in zip(notes, anchored, fold_of, strict=True) if a and f != fold])
        read_fold(reader, notes, [i for i, (a, f) in enumerate(zip(anchored, fold_of, strict=True))
                                  if a and f == fold], readings)
    return readings


def read_fold(reader: LearnedReader, notes: Sequence[LabeledNote], test: Sequence[int],
              readings: list[LearnedReading | None]) -> None:
    """Fill ``readings`` at the ``test`` positions with the reader's readings of those notes."""
    for i, reading in zip(test, reader.read_many((notes[i].text, notes[i].features) for i in test), strict=True):
        readings[i] = reading


def trainer(config: Config) -> Trainer:
    return lambda notes: LearnedReader(train(config, notes))


def subset(items: Sequence[T], keep: Sequence[int]) -> list[T]:
    return [items[i] for i in keep]


def threshold_for(notes: Sequence[LabeledNote], anchored: Sequence[bool], rules: dict[str, str | None],
                  config: Config, fit: Trainer) -> float:
    """The gate's threshold for a reader trained on ``notes``, from their own out-of-fold readings."""
    inner = assign_folds(notes, int(config["notecheck"]["folds"]), int(config["training"]["seed"]))
    return choose_threshold(notes, rules, out_of_fold(notes, anchored, inner, fit), Targets.of(config))


@dataclass
class CrossValidation:
    """Per note: its outer fold, the reading by the reader that never saw its fold, and that fold's threshold."""

    notes: list[LabeledNote]
    fold_of: list[int]
    readings: list[LearnedReading | None]
    thresholds: dict[int, float]

    def gated(self, rules: dict[str, str | None]) -> list[Outcome]:
        """Each note gated with its own fold's threshold."""
        return [gated_outcome(n, rules[n.note_id], r, self.thresholds[f])
                for n, r, f in zip(self.notes, self.readings, self.fold_of, strict=True)]


def cross_validate(notes: Sequence[LabeledNote], anchored: Sequence[bool], rules: dict[str, str | None],
                   config: Config, folds: int, fit: Trainer | None = None) -> CrossValidation:
    """Leave-writers-out: each outer fold's reader and threshold come from the other folds only (the threshold
    from an inner split of those, by writer again)."""
    fit = fit or trainer(config)
    fold_of = assign_folds(notes, folds, int(config["training"]["seed"]))
    result = CrossValidation(list(notes), fold_of, [None] * len(notes), {})
    for fold in range(folds):
        side = [i for i, f in enumerate(fold_of) if f != fold]
        train_notes, train_anchored = subset(notes, side), subset(anchored, side)
        result.thresholds[fold] = threshold_for(train_notes, train_anchored, rules, config, fit)
        reader = fit([n for n, a in zip(train_notes, train_anchored, strict=True) if a])
        read_fold(reader, notes, [i for i, f in enumerate(fold_of) if f == fold and anchored[i]], result.readings)
    return result
