"""One pass over a note for many regexes: which of them can match, so Python's ``re`` runs only those.

Rules stay Python regexes (one per rule, in patterns/); what they match is always what ``re`` finds. Hyperscan
(Intel's multi-pattern engine, the optional ``[fast]`` extra) compiles every rule of a family once per process in
prefilter mode, which reports a superset of the texts each rule matches, and scans a text once; ``re`` then runs only
the rules Hyperscan reported. Without Hyperscan (no wheel for the platform, or ``NOTECHECK_MATCHER=python``) every
rule is a candidate, which is the matching notecheck always did.

Hyperscan runs in byte mode (ASCII classes: a UTF-8 database was 16 times larger and 10 times slower to build). A
text outside ASCII is scanned as a stand-in of the same length in characters, where each other character becomes
an ASCII one ``re`` treats alike (see _stand_in); a rule a stand-in could mislead is always a candidate (_safe).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

ENV = "NOTECHECK_MATCHER"  # 'python' forces the pure-Python path (tests run both)
CACHE_ENV = "NOTECHECK_CACHE"  # where compiled databases are kept (default: ~/.cache/notecheck)
_SPACE, _SYMBOL, _WORD = "\x0b", "\x01", "_"  # stand-ins: each matches what a Unicode space, symbol, letter would
_FOLDS = {"ı": "i", "ſ": "s"}  # re.IGNORECASE folds these onto ASCII letters besides simple lower-casing
_PYTHON_SPACES = re.compile(r"[\x1c-\x1f]")  # ASCII, yet whitespace to Python's \s and not to Hyperscan's
_UNSAFE_SOURCE = re.compile(r"\{,|\[:")  # Python's {,n} (PCRE reads it literally); POSIX classes (Python does)
_RISKY_IN_NEGATION = frozenset({ord(_WORD), ord(_SPACE), ord(_SYMBOL)})


def _load_hyperscan() -> Any:
    if os.environ.get(ENV, "").lower() == "python":
        return None
    try:
        import hyperscan
    except ImportError:
        return None
    return hyperscan


_hs = _load_hyperscan()
ENGINE = (f"hyperscan {getattr(_hs, '__version__', '?')} (one pass, re confirms)" if _hs
          else "python re (every rule scanned; install notecheck-sacral[fast] for Hyperscan)")


def _stand_in(char: str) -> str | None:
    """The ASCII character a non-ASCII one becomes in the scanned copy; None for a decimal digit (no ASCII
    character is a digit to ``\\d`` yet outside [0-9]), which keeps every rule a candidate."""
    lower = char.lower()
    if char in _FOLDS or len(lower) == 1 and lower.isascii():
        return _FOLDS.get(char, lower)
    if char.isspace():
        return _SPACE
    if char.isdecimal():
        return None
    return _WORD if char.isalnum() else _SYMBOL


def stand_in_text(text: str) -> str | None:
    """``text`` as Hyperscan scans it: itself if ASCII, else with _stand_in for every other character."""
    if text.isascii() and not _PYTHON_SPACES.search(text):
        return text
    table: dict[int, str] = {code: _SPACE for code in range(0x1c, 0x20)}
    for char in set(text):
        if not char.isascii():
            replacement = _stand_in(char)
            if replacement is None:
                return None
            table[ord(char)] = replacement
    return text.translate(table)


def _items(node: Any) -> Any:
    """Every (op, value) of a parsed pattern, at every depth."""
    if isinstance(node, _parser.SubPattern):
        for op, value in node:
            yield op, value
            yield from _items(value)
    elif isinstance(node, (list, tuple)):
        for child in node:
            yield from _items(child)


def _risky(code: int, caseless: bool) -> bool:
    """A character in a negation that a stand-in could satisfy where the original does not, or the reverse."""
    return code in _RISKY_IN_NEGATION or code > 127 or not caseless and chr(code).isalpha()


def _stand_in_risk(parsed: Any, caseless: bool) -> bool:
    """Could a stand-in text make Hyperscan miss a match ``re`` finds? Only through a negated character or
    class naming a stand-in, a non-ASCII character or (case-sensitive) a letter that a fold stands in for."""
    for op, value in _items(parsed):
        if op is sre.NOT_LITERAL and _risky(value, caseless):
            return True
        if op is sre.IN and value and value[0][0] is sre.NEGATE:
            for member_op, member in value[1:]:
                codes = range(member[0], member[1] + 1) if member_op is sre.RANGE else \
                    (member,) if member_op is sre.LITERAL else ()
                if any(_risky(code, caseless) for code in codes):
                    return True
    return False


def _non_ascii_range(parsed: Any) -> bool:
    return any(op is sre.IN and any(m_op is sre.RANGE and m[1] > 127 for m_op, m in value)
               for op, value in _items(parsed))


def _safe(pattern: re.Pattern[str]) -> tuple[bool, bool]:
    """(may Hyperscan prefilter it at all, may it on a stand-in text): flags Hyperscan reads like ``re``, no syntax
    the two read differently, and no negation a stand-in character could get wrong."""
    if pattern.flags & (re.VERBOSE | re.ASCII | re.LOCALE) or _UNSAFE_SOURCE.search(pattern.pattern):
        return False, False
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
    except re.error:
        return False, False
    if _non_ascii_range(parsed):  # '[à-ÿ]' holds letters and symbols: no one stand-in is both
        return False, False
    caseless = bool(pattern.flags & re.IGNORECASE) and "(?-i" not in pattern.pattern
    return True, not _stand_in_risk(parsed, caseless)


def _source(pattern: re.Pattern[str]) -> bytes:
    """The rule for Hyperscan: non-ASCII characters as the stand-ins the scanned copy holds."""
    return "".join(c if c.isascii() else f"\\x{ord(_stand_in(c) or _SYMBOL):02x}" for c in pattern.pattern).encode()


class PatternIndex:
    """Which of ``patterns`` may match a text: one Hyperscan scan, or every pattern without the engine."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        self.size = len(patterns)
        self._local = threading.local()
        self._database: Any = None
        if _hs is None:
            return
        safety = [_safe(p) for p in patterns]
        self._always = frozenset(i for i, (ok, _) in enumerate(safety) if not ok)
        self._always_translated = frozenset(i for i, (ok, ascii_only) in enumerate(safety) if ok and not ascii_only)
        self._database, failed = _database({i: p for i, p in enumerate(patterns) if i not in self._always})
        self._always |= failed

    def candidates(self, text: str) -> frozenset[int] | None:
        """Indexes of the patterns that may match ``text``; None when every one may (no engine)."""
        if self._database is None:
            return None
        scanned = stand_in_text(text)
        if scanned is None:
            return None
        found: set[int] = set(self._always)
        if scanned is not text:
            found |= self._always_translated
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = _hs.Scratch(self._database)
        self._database.scan(scanned.encode(), match_event_handler=_collect, context=found, scratch=scratch)
        return frozenset(found)


def _collect(index: int, start: int, end: int, flags: int, found: set[int]) -> None:
    found.add(index)


def _flags(pattern: re.Pattern[str]) -> int:
    flags = _hs.HS_FLAG_PREFILTER | _hs.HS_FLAG_SINGLEMATCH | _hs.HS_FLAG_ALLOWEMPTY
    for python, engine in ((re.IGNORECASE, _hs.HS_FLAG_CASELESS), (re.MULTILINE, _hs.HS_FLAG_MULTILINE),
                           (re.DOTALL, _hs.HS_FLAG_DOTALL)):
        flags |= engine if pattern.flags & python else 0
    return flags


def _database(patterns: dict[int, re.Pattern[str]]) -> tuple[Any, frozenset[int]]:
    """A block-mode database of the patterns Hyperscan compiles (the others are returned, always candidates),
    loaded from the cache when a process built it before: compiling takes seconds, loading milliseconds."""
    failed: set[int] = set()
    while True:
        ids = [i for i in patterns if i not in failed]
        sources, flags = [_source(patterns[i]) for i in ids], [_flags(patterns[i]) for i in ids]
        key = hashlib.sha256(repr((_hs.__version__, ids, sources, flags)).encode()).hexdigest()[:32]
        cached = _cache_dir() / f"hyperscan-{key}.db"
        try:
            return _hs.loadb(cached.read_bytes(), _hs.HS_MODE_BLOCK), frozenset(failed)
        except (OSError, _hs.error):
            pass
        database = _hs.Database(mode=_hs.HS_MODE_BLOCK)
        try:
            database.compile(expressions=sources, ids=ids, elements=len(ids), flags=flags)
        except _hs.error:
            failed |= {i for i, source, flag in zip(ids, sources, flags) if not _compiles(source, flag)}
            continue
        _store(cached, _hs.dumpb(database))
        return database, frozenset(failed)


def _compiles(source: bytes, flags: int) -> bool:
    try:
        _hs.Database(mode=_hs.HS_MODE_BLOCK).compile(expressions=[source], ids=[0], elements=1, flags=[flags])
    except _hs.error:
        return False
    return True


def _cache_dir() -> Path:
    base = os.environ.get(CACHE_ENV) or os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "notecheck")
    return Path(base).expanduser()


def _store(path: Path, blob: bytes) -> None:
    """Keep a compiled database for the next process; an unwritable cache only costs the next one the compile."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(blob)
        os.replace(partial, path)
    except OSError:
        pass
