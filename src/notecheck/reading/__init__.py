"""Reading the note: normalisation, the medspaCy pipeline, and the plain-data scan it produces.

A note's text goes in; a NoteScan comes out: sentences with their section and role, and target mentions with their
ConText modifiers, all as plain data whose offsets lead back to the note as written. spaCy and medspaCy are used
here and nowhere else. This layer may import ``notecheck.rules`` and ``notecheck.errors`` only.
"""

from .matching import PatternIndex
from .normalize import Normalized, Normalizer
from .pipeline import build_pipeline, normalize_newlines
from .plain import PlainScanner
from .scan import Mention, Modifier, NoteScan, Sentence
from .scanner import Scanner

__all__ = ["Mention", "Modifier", "Normalized", "Normalizer", "NoteScan", "PatternIndex", "PlainScanner", "Scanner",
           "Sentence", "build_pipeline", "normalize_newlines"]
