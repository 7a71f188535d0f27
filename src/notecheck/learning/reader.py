"""The learned reader at run time: the shipped spaCy model (the note's words, then a text classifier) and its meta.

The model ships inside the package (notecheck/learning/model, written by ``notecheck train``) and is loaded from
there, never downloaded. Its meta records the review threshold chosen on training folds and the hashes of the
config and the notes it was trained on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotecheckError
from ..models import LearnedReading
from .data import CLASSES
from .words import register_tokenizer

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

MODEL_DIR = Path(__file__).resolve().parent / "model"
META_KEY = "notecheck"
TEXTCAT = "textcat"
BATCH = 64


def reading_of(cats: dict[str, float]) -> LearnedReading:
    """A textcat's scores as a reading: every class, rounded so the report's bytes are stable."""
    probabilities = {name: round(float(cats[name]), 4) for name in CLASSES}
    performed = round(float(sum(cats[name] for name in CLASSES if name != "none")), 4)
    return LearnedReading(probabilities=probabilities, performed=performed)


def load_model(path: Path) -> Language:
    """A saved reader model; a missing or damaged one is a clear error, never a download."""
    from spacy.util import load_model_from_path

    register_tokenizer()
    if not (path / "config.cfg").is_file():
        raise NotecheckError(f"{path}: no learned reader model here (config.cfg is missing); "
                             "run `notecheck train` from the repository")
    try:
        return load_model_from_path(path)
    except (OSError, ValueError) as exc:
        raise NotecheckError(f"{path}: cannot load the learned reader model ({exc})") from None


def _reads_words_alone(nlp: Language) -> bool:
    """Does every component read a word by its text alone? spaCy's bag-of-words textcat reads ORTH n-grams only,
    yet the vocabulary computes some twenty lexical attributes (shape, stop word, like_num...) in Python for
    every word it meets first, which cost about 3% of a check; a model that reads them (a CNN) keeps them."""
    return all(str(nlp.config["components"][name].get("model", {}).get("@architectures", "")).startswith(
        "spacy.TextCatBOW") for name in nlp.pipe_names)


class LearnedReader:
    """The second reader: per note, the probability of each class and of a sacral augmentation done here."""

    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        self.meta: dict[str, Any] = dict(nlp.meta.get(META_KEY, {}))
        if _reads_words_alone(nlp):
            nlp.vocab.lex_attr_getters = {}

    @classmethod
    def load(cls, path: Path | None = None) -> LearnedReader:
        """The shipped model, or one written by ``notecheck train --output``."""
        return cls(load_model(path or MODEL_DIR))

    @property
    def threshold(self) -> float:
        """The review threshold chosen on training folds, recorded with the model."""
        return float(self.meta.get("threshold", 0.5))

    @property
    def uses_rules(self) -> bool:
        """Whether the model was trained with the rules' reading beside the words (features.py)."""
        return bool(self.meta.get("rule_features", False))

    def __call__(self, text: str, features: Sequence[str] = ()) -> LearnedReading:
        return reading_of(self.nlp(self._doc(text, features)).cats)

    def read_many(self, notes: Iterable[tuple[str, Sequence[str]]]) -> list[LearnedReading]:
        docs = (self._doc(text, features) for text, features in notes)
        return [reading_of(doc.cats) for doc in self.nlp.pipe(docs, batch_size=BATCH)]

    def _doc(self, text: str, features: Sequence[str]) -> Doc:
        return self.nlp.tokenizer.doc(text, features if self.uses_rules else ())  # type: ignore[attr-defined]
