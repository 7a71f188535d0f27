"""Words mended before reading: OCR damage inside words, words split by a stray space, hyphenated hard wraps.

Whether a token is a word is asked of pyspellchecker's English frequency list (160,000 words, medical ones among
them: 'sacrum', 'foramen', 'osteotome') together with the domain vocabulary built from patterns/. A token is
repaired only when it is not a word, and only by the confusions OCR makes (patterns/normalize.json 'ocr':
'1' for 'l', '0' for 'o', 'rn' for 'm', ...), never by any edit that happens to give a word: a spelling corrector's
own candidates would turn 'Hx' or 'insuff' into something else. Shapes written so on purpose ('L1', 'S1', '11G',
'T1 N0 M0') are protected. The list is read on the first note that needs it (about 0.4 s, once per process):
most notes have no hyphenated wrap and no OCR damage, and never load it.
"""

from __future__ import annotations

import re
from functools import cached_property
from itertools import combinations
from typing import TYPE_CHECKING

from ..rules import OcrRepair
from .markup import Edit

if TYPE_CHECKING:
    from spellchecker import SpellChecker

_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]+(?:\.[0-9Oo]+)?(?![A-Za-z0-9])")
_NUMBER = re.compile(r"(?=[0-9Oo.]*\d)[0-9Oo]+(?:\.[0-9Oo]+)?")
_SPLIT = re.compile(r"(?<![A-Za-z0-9])(?P<first>[A-Za-z]{2,})(?P<gap> )(?=(?P<next>[A-Za-z]{2,})(?![A-Za-z0-9]))")
HYPHEN_WRAP = re.compile(r"(?<![A-Za-z0-9])(?P<first>[A-Za-z0-9]+)(?P<gap>-[ \t]*\n[ \t]*)(?=(?P<next>[a-z][a-z]*))")
_SHAPE = str.maketrans({**{c: "a" for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"}, "1": "0"})
_BANNER_WORDS = ("fax", "page", "pg", "scan", "ocr", "illegible", "p.")  # every banner word the signal knows
_CONFUSABLE = "lIOo"  # letters that may be damage themselves: they do not decide a token's case
MAX_SITES = 10  # confusion sites considered in one token (2^10 variants at most)
MAX_CHANGES = 3  # confusions repaired in one token
JOIN_MIN = 7  # two words joined into a domain word this long ('com plications') were one word split by OCR


class Words:
    """English words (pyspellchecker's list) and the domain's; the list is loaded on first use."""

    def __init__(self, domain: frozenset[str]) -> None:
        self.domain = domain

    @cached_property
    def speller(self) -> SpellChecker:
        from spellchecker import SpellChecker

        return SpellChecker(language="en", distance=1)

    def known(self, word: str) -> bool:
        lower = word.lower()
        return lower in self.domain or lower in self.speller

    def rank(self, word: str) -> tuple[bool, float, str]:
        """Domain words first, then the more frequent; the word itself breaks ties, so output is deterministic."""
        return word in self.domain, self.speller.word_usage_frequency(word), word


def _cased(word: str, like: str) -> str:
    """The repaired word in the case of the damaged token ('0PERATIVE' -> 'OPERATIVE', 'SacropIasty' ->
    'Sacroplasty'), judged by its letters that cannot be damage themselves."""
    letters = [c for c in like if c.isalpha() and c not in _CONFUSABLE]
    if letters and all(c.isupper() for c in letters) and (len(letters) > 1 or like[:1].isupper()):
        return word.upper()
    if like[:1].isupper() or like[:1] == "0":
        return word.capitalize()
    return word


class OcrRepairer:
    """Repairs the tokens of one note that OCR damaged (see the module docstring)."""

    def __init__(self, rules: OcrRepair, words: Words) -> None:
        self.words = words
        self.signal = re.compile(rules.signal.pattern, re.IGNORECASE)
        self.min_count = rules.signal.min_count
        self.protected = re.compile(rules.protected.pattern)
        self.confusions = [(c.seen.lower(), c.meant.lower()) for c in rules.confusions]

    def shows_damage(self, text: str) -> bool:
        """At least min_count matches of the signal. Most notes have neither a 0 or 1 touching a letter nor a
        banner word, and are answered by two fast scans instead of the signal's alternatives."""
        shape = text.translate(_SHAPE)  # letters 'a', zeros and ones '0': 'bi1atera1' -> 'aa0aaaaa0'
        lowered = text.lower()
        if not any(mark in shape for mark in ("a0a", "0aaa", "aaa0")) and not any(
                word in lowered for word in _BANNER_WORDS):
            return False
        count = 0
        for _ in self.signal.finditer(text):
            count += 1
            if count >= self.min_count:
                return True
        return False

    def token_edits(self, text: str) -> list[Edit]:
        edits = []
        for match in _TOKEN.finditer(text):
            repaired = self.repair(match.group(0))
            if repaired != match.group(0):
                edits.append(Edit(match.start(), match.end(), repaired))
        return edits

    def repair(self, token: str) -> str:
        """The token as it was meant, or the token itself."""
        if _NUMBER.fullmatch(token):  # '2O94418', '1O mL', 'O.5': letters O in a number are zeros
            digits = sum(c.isdigit() for c in token)
            number = token[0].isdigit() or digits > 1 or "." in token
            return token.translate({ord("O"): "0", ord("o"): "0"}) if number else token
        if self.protected.fullmatch(token) or not any(c.isalpha() for c in token):
            return token
        if len(token) < 4 and not (any(c.isdigit() for c in token) and len(token) == 3 or "rn" in token):
            return token  # 'Hx', 'tol': too short to tell damage from an abbreviation
        if self.words.known(token):
            return token
        best = self._best(token.lower())
        return _cased(best, token) if best else token

    def _best(self, lower: str) -> str | None:
        """The known word the fewest confusions lead to (see Words.rank among equals)."""
        sites = [(i, seen, meant) for seen, meant in self.confusions
                 for i in range(len(lower)) if lower.startswith(seen, i)][:MAX_SITES]
        for count in range(1, min(MAX_CHANGES, len(sites)) + 1):
            found = set()
            for chosen in combinations(sites, count):
                variant = _apply(lower, chosen)
                if variant and self.words.known(variant):
                    found.add(variant)
            if found:
                return max(found, key=self.words.rank)
        return None

    def join_edits(self, text: str) -> list[Edit]:
        """'Proc edure', 'Ceme nt', 'Com plications': two pieces that are one word, split by OCR."""
        edits = []
        for match in _SPLIT.finditer(text):
            first, following = match.group("first"), match.group("next")
            joined = first + following
            if not self.words.known(joined):
                continue
            if (not self.words.known(first) or not self.words.known(following)
                    or joined.lower() in self.words.domain and len(joined) >= JOIN_MIN):
                edits.append(Edit(match.start("gap"), match.end("gap"), ""))
        return edits


def _apply(lower: str, chosen: tuple[tuple[int, str, str], ...]) -> str | None:
    """The token with the chosen confusions undone; None where two of them overlap."""
    out, position = [], 0
    for index, seen, meant in sorted(chosen):
        if index < position:
            return None
        out += [lower[position:index], meant]
        position = index + len(seen)
    return "".join(out) + lower[position:]


def hyphen_edits(text: str, words: Words) -> list[Edit]:
    """A word hard-wrapped with a hyphen ('sacro-' / 'plasty', 'guid-' / 'ance') is joined; a compound wrapped at
    its own hyphen ('balloon-' / 'assisted', 'CT-' / 'guided') keeps the hyphen. Either way the line break goes, so
    the sentence reads whole."""
    edits = []
    for match in HYPHEN_WRAP.finditer(text):
        first, following = match.group("first"), match.group("next")
        if words.known(first + following):
            joined = True
        elif first.isupper() and len(first) <= 5 or words.known(first) and words.known(following):
            joined = False
        else:
            joined = True  # 'bi1at-' / 'eral': damage is mended after the join
        edits.append(Edit(match.start("gap"), match.end("gap"), "" if joined else "-"))
    return edits
