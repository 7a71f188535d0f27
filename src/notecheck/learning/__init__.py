"""The learned reader (issue 19): a second reader of each note, trained on labeled notes, beside the rules.

It reads every note with a sacral anchor and gives the probability of each code (0201T, 0200T), of a sacral
augmentation done here whose side cannot be told, and of none; ``agreement`` turns the rules' code and that reading
into "agree" or a reason in plain words for a person to read the note. It never changes an element status or the
rules' code. spaCy is imported here (the reader's model) and in ``notecheck.reading`` only. May import
``notecheck.evaluation``, ``notecheck.rules``, ``notecheck.models`` and ``notecheck.errors``.
"""

from .data import CLASSES, LabeledNote
from .features import rule_features
from .gate import Agreement, agreement, learned_code, support
from .reader import LearnedReader

__all__ = ["CLASSES", "Agreement", "LabeledNote", "LearnedReader", "agreement", "learned_code", "rule_features",
           "support"]
