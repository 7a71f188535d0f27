"""Sentence boundaries for procedure notes: newline-aware, in about a millisecond a note.

spaCy's sentencizer ignores newlines (so a header line joins the sentence before it) and PyRuSH costs ~50 ms a
note (shared MEDSPACY.md); these rules split at blank lines, at line breaks that are not mid-sentence wraps, after
sentence punctuation, before inline capitalised headers and before tabbed items.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.tokens import Doc

TEXT = "notecheck_text"  # doc.user_data key: the note text, built once by the sentence splitter
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
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9 /&()'-]{0,40}:")
_BULLET = re.compile(r"^(?:[-*•·▪◦‣]|\d{1,2}[.)]|[a-z][.)]|\[|\(|☐|☒|☑|□)$")
_CLOCK = re.compile(r"\d{1,2}:\d{2}\b")  # the tokenizer splits '10:19' into three tokens: read the text


def sentence_starts(doc: Doc) -> None:
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
    starts = start_flags(text, doc)
    if starts:
        doc.from_array([SENT_START], numpy.array(starts, dtype="int64").astype("uint64").reshape(-1, 1))


def start_flags(text: str, doc: Sequence[Any]) -> list[int]:
    """The rules of sentence_starts over any tokens with spaCy's ``text``, ``lower_``, ``idx``, ``i`` and
    ``is_space``: 1 where a token starts a sentence, -1 where it continues one. The pipeline gives it spaCy's
    tokens; a note read without the pipeline (reading/plain.py) gives it words found by a regex."""
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
                start = not (prev.text.endswith(":") or not _item(text, token) and _wrapped(text, prev, token)) \
                    or quoted(text, prev.idx) != quoted(text, token.idx)  # a block quote is a passage apart
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
    return starts


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


def quoted(text: str, offset: int) -> bool:
    """The line holding ``offset`` is a Markdown block quote ('> copied from the clinic note ...')."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text[line_start : line_start + 4].lstrip(" \t").startswith(">")


def _item(text: str, token: Any) -> bool:
    """A line that opens with a bullet, a box or a clock time ('10:19 Cement L injected') is a new item."""
    return bool(_BULLET.match(token.text) or _CLOCK.match(text, token.idx))


def _short_label(text: str, prev: Any) -> bool:
    line_start = text.rfind("\n", 0, prev.idx) + 1
    label = text[line_start : prev.idx + len(prev.text)]
    return len(label) <= 40 and ":" not in label
