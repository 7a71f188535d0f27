"""Normalisation: the note as a reader sees it, with a map back to the note as it was written.

Real exports reach us as RTF or HTML remnants, dictation with spoken punctuation, flowsheets whose fields are
joined by dotted leaders or aligned with tabs, Markdown and pipe tables (markup.py), HL7 v2 messages pasted as
text, fax banners and hyphenated hard wraps, OCR damage inside words (repair.py) and template placeholders nobody
filled. The pipeline reads a canonical text (control words gone, spoken 'period' a '.', 'Balloon ...... No' a
'Balloon: No' field, '1eft' 'left', '[LEFT/RIGHT]' the blank '***'); every offset it finds is mapped back through
the recorded passes, so evidence still points into the original note. The vocabulary (spoken punctuation,
misrecognised terms, corrections, banners, OCR confusions, placeholders) is data in patterns/normalize.json; only
the formats' own syntax is here.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import NoteTooLong
from ..rules import NormalizeFile, union
from .markup import HL7, MARKDOWN, Edit, hl7_edits, markdown_edits, table_edits
from .repair import HYPHEN_WRAP, OcrRepairer, Words, hyphen_edits

Replace = Callable[[re.Match[str]], str]
MASK = "***"  # what an unfilled placeholder reads as: the blank every ConText 'unchecked' rule knows


@dataclass(frozen=True)
class _Pass:
    """One substitution pass: segment i starts at canonical offset canon[i] and original offset orig[i];
    changed segments stand for orig[i]..orig_end[i] as a whole."""

    canon: list[int]
    orig: list[int]
    orig_end: list[int]
    changed: list[bool]

    def back(self, offset: int, end: bool) -> int:
        # an end offset belongs to the segment holding the character before it
        i = max(bisect_right(self.canon, offset - 1 if end and offset > 0 else offset) - 1, 0)
        if not self.changed[i]:
            return self.orig[i] + (offset - self.canon[i])
        return self.orig_end[i] if end else self.orig[i]


def _substitute(text: str, regex: re.Pattern[str], replace: Replace, group: int | str = 0,
                limit: int | None = None) -> tuple[str, _Pass | None]:
    """re.sub that records where every replaced piece came from; None when nothing changed. With ``group``,
    only that group of each match is replaced, so the words around it keep their own offsets."""
    edits = []
    for match in regex.finditer(text):
        new = replace(match)
        if new != match.group(group):
            edits.append(Edit(*match.span(group), new))
    text, step, _ = _apply(text, edits, limit)
    return text, step


def _apply(text: str, edits: list[Edit], limit: int | None = None
           ) -> tuple[str, _Pass | None, list[tuple[int, int]]]:
    """Apply edits in order (an edit that overlaps one before it is left out) and record where every piece came
    from; also the span each edit's text takes in the result. A text growing past ``limit`` characters raises
    NoteTooLong as soon as it does, before its pieces are joined."""
    pieces: list[str] = []
    canon: list[int] = []
    orig: list[int] = []
    orig_end: list[int] = []
    changed: list[bool] = []
    spans: list[tuple[int, int]] = []
    out_len = last = 0
    modified = False

    def add(piece: str, start: int, end: int, is_change: bool) -> None:
        nonlocal out_len
        if piece:
            canon.append(out_len)
            orig.append(start)
            orig_end.append(end)
            changed.append(is_change)
            pieces.append(piece)
            out_len += len(piece)

    for edit in edits:
        if edit.start < last:
            continue
        add(text[last:edit.start], last, edit.start, False)
        begin = out_len
        same = edit.source is None and edit.text == text[edit.start:edit.end]
        add(edit.text, *(edit.source or (edit.start, edit.end)), not same)
        spans.append((begin, out_len))
        last = edit.end
        modified = modified or not same
        if limit is not None and out_len + len(text) - last > limit:
            raise NoteTooLong(f"note grows to over {limit:,} characters when normalised (key=value fields, aligned "
                              f"columns), over the pipeline's limit of twice --max-bytes")
    if not modified:
        return text, None, spans
    add(text[last:], last, len(text), False)
    return "".join(pieces), _Pass(canon, orig, orig_end, changed), spans


@dataclass(frozen=True)
class Placeholder:
    """A template field left unfilled, at its place in the canonical text (where it reads as MASK)."""

    start: int
    end: int
    subject: str | None
    finding: str


@dataclass(frozen=True)
class Normalized:
    """Canonical text for the pipeline and the passes that lead back to the original."""

    text: str
    original: str
    passes: tuple[_Pass, ...] = ()
    placeholders: tuple[Placeholder, ...] = ()

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        for step in reversed(self.passes):
            start, end = step.back(start, end=False), step.back(end, end=True)
        return start, end


# 'needle_1=side=L;gauge=11' and 'Balloon=N.': a key=value dump, one field per line, as 'needle 1: side: L'
# The separator starts where its run of blanks does (a start inside the run finds the same match from the run's
# first blank): tried at every blank of a long run, '[ \t]*' made a note of spaces quadratic.
_KEY_VALUE = re.compile(r"(?P<sep>(?<![ \t])[ \t]*[;|][ \t]*)?(?<!\w)(?P<key>[A-Za-z][A-Za-z0-9_]{0,30})=(?=[^\s=])")
_SNAKE = re.compile(r"(?<=[A-Za-z0-9])_(?=[A-Za-z0-9])")  # 'FLUORO_BIPLANE', 'S1_ala' in an export's values
KEY_VALUE_MIN = 3  # fewer pairs in a note are prose ('INR=1.1'), not an export
_RTF_GROUP = re.compile(r"\{\\(?:\*\\)?(?:fonttbl|colortbl|stylesheet|info|generator|listtable|listoverridetable)"
                        r"(?:[^{}]|\{[^{}]*\})*\}")
_RTF = re.compile(r"\\'([0-9a-fA-F]{2})|\\(par|line|tab|cell|row)\b ?|\\[a-zA-Z]+-?\d* ?|\\[{}\\]|[{}]")
_RTF_BREAKS = {"par": "\n", "line": "\n", "row": "\n", "tab": "\t", "cell": "\t"}
_HTML = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^<>]{0,400}?>|&(?:#\d{1,6}|#x[0-9a-fA-F]{1,5}|[a-zA-Z]{2,8});")
_HTML_BREAKS = {"br": "\n", "p": "\n", "div": "\n", "tr": "\n", "li": "\n", "h1": "\n", "h2": "\n", "h3": "\n",
                "h4": "\n", "table": "\n", "td": "\t", "th": "\t"}
# 'Cement vol RIGHT (mL) ........ 3.5' and 'Balloon <tab> No': a label and its value joined by a dotted leader
# or a single wide gap (a line with more gaps is a table row and keeps them).
_LABEL = r"[ \t]*[A-Za-z][\w/()#&'+-]*(?: [\w/()#&'+-]+){0,6}"
_LEADER = re.compile(rf"(?m)^{_LABEL}(?P<gap>[ \t]*(?:\.{{3,}}|…+|_{{3,}})[ \t]*)(?=\S)")
_ALIGNED = re.compile(rf"(?m)^{_LABEL}(?<![:\s])(?P<gap>\t[ \t]*| {{3,}})(?=[^\s:])(?![^\n]*(?:\t| {{3,}})\S)")


def _rtf(match: re.Match[str]) -> str:
    if match.group(1):
        return bytes([int(match.group(1), 16)]).decode("cp1252", errors="replace")
    if match.group(2):
        return _RTF_BREAKS[match.group(2)]
    token = match.group(0)
    if token[:1] != "\\":
        return ""  # a group brace
    return token[1] if token[1:2] in "{}\\" else " "  # a control word still parts the words around it


def _key_value(match: re.Match[str]) -> str:
    return ("\n" if match.group("sep") else "") + match.group("key") + ": "


def _html(match: re.Match[str]) -> str:
    if match.group(0).startswith("&"):
        return html.unescape(match.group(0)).replace("\xa0", " ")
    return _HTML_BREAKS.get(match.group(2).lower(), "")


class _Passes:
    """A note being normalised: its current text and the passes that lead back to the original."""

    def __init__(self, text: str, limit: int | None = None) -> None:
        self.text, self.limit = text, limit
        self.passes: list[_Pass] = []

    def run(self, regex: re.Pattern[str], replace: Replace, group: int | str = 0) -> None:
        self.text, step = _substitute(self.text, regex, replace, group, self.limit)
        if step is not None:
            self.passes.append(step)

    def edit(self, edits: list[Edit]) -> list[tuple[int, int]]:
        self.text, step, spans = _apply(self.text, edits, self.limit)
        if step is not None:
            self.passes.append(step)
        return spans


def _layout(note: _Passes) -> None:
    """Exports' field layouts: key=value dumps, dotted leaders, tab-aligned columns."""
    if "=" in note.text and _count(_KEY_VALUE, note.text, KEY_VALUE_MIN) >= KEY_VALUE_MIN:
        note.run(_KEY_VALUE, _key_value)
        note.run(_SNAKE, lambda m: " ")
    if "..." in note.text or "…" in note.text or "___" in note.text:
        note.run(_LEADER, lambda m: ": ", "gap")
    if "\t" in note.text or "   " in note.text:
        note.run(_ALIGNED, lambda m: ": ", "gap")


_VARIABLE = re.compile(r"(?:\{|@|<<)[ \t]*([A-Za-z][A-Za-z_ ]*?)[ \t]*(?:\}|@|>>)")


class Normalizer:
    """Compiled once per checker; a note with nothing to normalise costs a few regex searches."""

    def __init__(self, rules: NormalizeFile, vocabulary: frozenset[str] = frozenset()) -> None:
        self.dictation = re.compile(rules.dictation_signal.pattern, re.IGNORECASE)
        self.dictation_min = rules.dictation_signal.min_count
        self.always = [(re.compile(r.pattern, re.IGNORECASE), r.to) for r in rules.rules if r.when == "always"]
        # one search tells whether any 'always' rule applies: most notes need none of them
        self.any_always = union([r.pattern for r in rules.rules if r.when == "always"])
        self.dictated = [(re.compile(r.pattern, re.IGNORECASE), r.to) for r in rules.rules if r.when == "dictated"]
        self.ocr_rules = [(re.compile(r.pattern, re.IGNORECASE), r.to) for r in rules.rules if r.when == "ocr"]
        own = frozenset(w.lower() for w in rules.ocr.vocabulary) if rules.ocr else frozenset()
        self.words = Words(vocabulary | own)
        self.ocr = OcrRepairer(rules.ocr, self.words) if rules.ocr else None
        self.placeholder_rules = rules.placeholders
        self.placeholders = union([r.pattern for r in rules.placeholders], named=True)

    def __call__(self, text: str, limit: int | None = None) -> Normalized:
        """The canonical text; it may grow (``a=b`` becomes ``a: b``), never past ``limit`` characters."""
        note = _Passes(text, limit)
        damaged = self.ocr is not None and self.ocr.shows_damage(text)  # banners count, so ask before they go
        if "\\" in text and ("{\\rtf" in text or "\\par" in text):
            note.run(_RTF_GROUP, lambda m: "")
            note.run(_RTF, _rtf)
        if "<" in note.text or "&" in note.text:
            note.run(_HTML, _html)
        if HL7.match(note.text):
            note.edit(hl7_edits(note.text))
        self._vocabulary_rules(note, damaged)
        if ("*" in note.text or "#" in note.text) and MARKDOWN.search(note.text):
            note.edit(markdown_edits(note.text))
        if "|" in note.text:
            note.edit(table_edits(note.text))
        if "-" in note.text and HYPHEN_WRAP.search(note.text):
            note.edit(hyphen_edits(note.text, self.words))
        if damaged and self.ocr is not None:
            note.edit(self.ocr.token_edits(note.text))
            note.edit(self.ocr.join_edits(note.text))
        _layout(note)
        placeholders = self._placeholders(note)
        return Normalized(text=note.text, original=text, passes=tuple(note.passes), placeholders=placeholders)

    def _vocabulary_rules(self, note: _Passes, damaged: bool) -> None:
        """The rewrites of patterns/normalize.json: dictated, always, and (in a damaged note) OCR."""
        if self._dictated(note.text):
            for regex, to in self.dictated:
                note.run(regex, lambda m, to=to: m.expand(to))
        if self.any_always.search(note.text):
            for regex, to in self.always:
                note.run(regex, lambda m, to=to: m.expand(to))
        if damaged:
            for regex, to in self.ocr_rules:
                note.run(regex, lambda m, to=to: m.expand(to))

    def _placeholders(self, note: _Passes) -> tuple[Placeholder, ...]:
        """Mask every unfilled placeholder as MASK, last, so no rule reads a side or an answer in it; return where
        each now stands, with its subject."""
        found = list(self.placeholders.finditer(note.text))
        if not found:
            return ()
        spans = note.edit([Edit(m.start(), m.end(), MASK) for m in found])
        out = []
        for match, (start, end) in zip(found, spans, strict=True):
            rule = self.placeholder_rules[int((match.lastgroup or "p0")[1:])]
            variable = _VARIABLE.fullmatch(match.group(0))
            subject = rule.subject or (variable.group(1).replace("_", " ").lower() if variable else None)
            out.append(Placeholder(start, end, subject, rule.finding))
        return tuple(out)

    def _dictated(self, text: str) -> bool:
        return _count(self.dictation, text, self.dictation_min) >= self.dictation_min


def _count(regex: re.Pattern[str], text: str, enough: int) -> int:
    """Matches of ``regex`` in ``text``, counting no further than ``enough``."""
    count = 0
    for _ in regex.finditer(text):
        count += 1
        if count >= enough:
            break
    return count
