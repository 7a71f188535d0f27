"""The learned reader's tokenizer: a note's words, lower case, with two reading aids, as a spaCy Doc.

The reader does not reuse the medspaCy pipeline's tokenizer. It must read every note with a sacral anchor, most of
which the element pipeline never tokenizes (the pre-screen keeps them out), and medspaCy's tokenizer costs about
3 ms on a 4 kB MTSamples note against well under 1 ms for this one, which the +10% budget on MTSamples does not
allow. Words are runs of letters and digits ('l5', 's1', '0201t' stay whole); a run of digits alone becomes '<n>'.

The reading aids, both chosen by cross-validation (docs/accuracy.md, "The learned reader") and both set in the
model's config:
- negation scope: the few words after a negation cue, up to the next punctuation, are read as 'not_<word>'
  ('left side not treated' gives 'not_treated'), the classic bag-of-words answer to negation;
- sacral lines: every line that holds a sacral anchor is read a second time as 'a_<word>', so the words standing
  next to the sacrum (sides, cement, a plan) weigh apart from the rest of a long document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from spacy.language import Language
    from spacy.tokens import Doc
    from spacy.vocab import Vocab

TOKENIZER = "notecheck.note_words.v1"
_TOKEN = re.compile(r"[a-z0-9]+|[.;:|\n]")
NUMBER = "<n>"


class NoteWords:
    """A spaCy tokenizer (text -> Doc) that reads a note as the learned reader's words; it saves no state of its
    own, since its settings are in the model's config."""

    def __init__(self, vocab: Vocab, negations: Sequence[str] = (), negation_window: int = 0,
                 anchors: Sequence[str] = ()) -> None:
        self.vocab = vocab
        self.negations = frozenset(negations)
        self.window = negation_window
        self.anchors = tuple(anchors)

    def _marked(self, text: str) -> list[str]:
        """Words of lower-cased text, those in a negation's scope marked."""
        words: list[str] = []
        scope = 0
        for token in _TOKEN.findall(text):
            if not token[0].isalnum():
                scope = 0
                continue
            word = NUMBER if token.isdigit() else token
            words.append(f"not_{word}" if scope else word)
            scope = self.window if token in self.negations else max(scope - 1, 0)
        return words

    def words(self, text: str) -> list[str]:
        """The note's words, then the words of each line holding a sacral anchor, again."""
        lowered = text.lower()
        words = self._marked(lowered)
        for line in lowered.split("\n"):
            if any(anchor in line for anchor in self.anchors):
                words += [f"a_{word}" for word in self._marked(line)]
        return words

    def doc(self, text: str, features: Sequence[str] = ()) -> Doc:
        """The Doc the classifier reads: the note's words, then the rules' features (features.py) if the model
        was trained with them."""
        from spacy.tokens import Doc

        return Doc(self.vocab, words=[*self.words(text), *features])

    def __call__(self, text: str) -> Doc:
        return self.doc(text)

    def to_disk(self, path: Any, **kwargs: Any) -> None:
        """Nothing to save: the settings are in the model's config."""

    def from_disk(self, path: Any, **kwargs: Any) -> NoteWords:
        return self

    def to_bytes(self, **kwargs: Any) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs: Any) -> NoteWords:
        return self


def register_tokenizer() -> None:
    """Name the tokenizer in spaCy's registry so a model's config can build it; called when a reader is built,
    never at import (importing notecheck changes no global state)."""
    from spacy import registry

    if TOKENIZER not in registry.tokenizers:
        def create(negations: list[str], negation_window: int, anchors: list[str]) -> Callable[[Language], NoteWords]:
            return lambda nlp: NoteWords(nlp.vocab, negations, negation_window, anchors)

        registry.tokenizers.register(TOKENIZER, func=create)
