"""One pass over a note for many regexes: which of them can match and where, so Python's ``re`` searches only there.

Rules stay Python regexes (one per rule, in patterns/); what they match is always what ``re`` finds. Hyperscan
(Intel's multi-pattern engine, the optional ``[fast]`` extra) compiles a family's rules into databases, kept in a
cache, and scans a text once per database. Each rule loosened to a superset (look-arounds removed, long bounded
repeats unbounded: see ``relaxed``) is compiled exactly, with the start of each match, so the scan says where a match
of the rule may begin and ``re`` searches from there (``Found.finditer``), never through the text before it or after
the last possible match: ``re`` alone took 22% of a check, searching every rule through every note from its first
character. A rule the engine cannot take so is prefiltered (may match or not) and searched whole where it may. Without
Hyperscan (no wheel for the platform, or ``NOTECHECK_MATCHER=python``) every rule is searched whole, which is the
matching notecheck always did.

Hyperscan runs in byte mode (ASCII classes: a UTF-8 database was 16 times larger and 10 times slower to build). A
text outside ASCII is scanned as a stand-in of the same length in characters, where each other character becomes
an ASCII one ``re`` treats alike (see _stand_in); a rule a stand-in could mislead is always a candidate (_safe).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from pathlib import Path
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

ENV = "NOTECHECK_MATCHER"  # 'python' forces the pure-Python path (tests run both)
CACHE_ENV = "NOTECHECK_CACHE"  # where compiled databases are kept (default: ~/.cache/notecheck)
UNUSED_DAYS = 30  # a cached file no process loaded for this long is removed when a new plan is made
_SPACE, _SYMBOL, _WORD = "\x0b", "\x01", "_"  # stand-ins: each matches what a Unicode space, symbol, letter would
_FOLDS = {"ı": "i", "ſ": "s"}  # re.IGNORECASE folds these onto ASCII letters besides simple lower-casing
_PYTHON_SPACES = re.compile(r"[\x1c-\x1f]")  # ASCII, yet whitespace to Python's \s and not to Hyperscan's
# Python's {,n} (PCRE reads it literally); what PCRE would read as a POSIX class ('[:alpha:]', Python does not)
_UNSAFE_SOURCE = re.compile(r"\{,|\[([:.=])[^\]]*\1\]")
_RISKY_IN_NEGATION = frozenset({ord(_WORD), ord(_SPACE), ord(_SYMBOL)})
_LOOKAROUNDS = ("(?=", "(?!", "(?<=", "(?<!")
_LINE_START = ("(?<![^\\n])", "(?m:^)")  # the same test: at the text's start or after a newline (see relaxed)
_REPEAT = re.compile(r"\{(?P<least>\d+),(?P<most>\d+)\}")
_LONG_REPEAT = 16
_LARGE_DATABASE = 256 * 1024  # bytes: a rule whose exact database is larger gets a database of its own (_groups)


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


def _source(source: str) -> bytes:
    """A rule for Hyperscan: non-ASCII characters as the stand-ins the scanned copy holds."""
    return "".join(c if c.isascii() else f"\\x{ord(_stand_in(c) or _SYMBOL):02x}" for c in source).encode()


def _skip_class(source: str, i: int) -> int:
    """The index after the character class opening at ``source[i]``."""
    i += 1
    if source[i:i + 1] == "^":
        i += 1
    if source[i:i + 1] == "]":  # a ']' first in a class is a literal
        i += 1
    while i < len(source) and source[i] != "]":
        i += 2 if source[i] == "\\" else 1
    return i + 1


def _group_end(source: str, i: int) -> int:
    """The index after the group opening at ``source[i]``."""
    depth = 0
    while i < len(source):
        char = source[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = _skip_class(source, i)
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        i += 1
        if depth == 0:
            return i
    return i


def _next(source: str, i: int, groups: bool) -> int:
    """The index after the atom at ``source[i]``: an escape, a character class, a whole group if ``groups``, or
    one character."""
    char = source[i]
    if char == "\\":
        return i + 2
    if char == "[":
        return _skip_class(source, i)
    return _group_end(source, i) if groups and char == "(" else i + 1


def relaxed(source: str) -> str | None:
    """The rule with its look-arounds removed and its long bounded repeats unbounded ('{0,80}' becomes '{0,}'), at
    any depth: every match of the rule is a match of this one at the same offsets, and the engine's start tracking
    takes it (long bounded repeats made it refuse the section headers). One look-behind the engine can say
    otherwise is kept: 'not after a character other than a newline' is a line start, '(?m:^)' (a header's; without
    it the engine tried every position). None when a quantifier follows a look-around (it would move)."""
    kept: list[str] = []
    i = 0
    while i < len(source):
        if source.startswith(_LOOKAROUNDS, i):
            kept.append(_LINE_START[1] if source.startswith(_LINE_START[0], i) else "")
            i = _group_end(source, i)
            if source[i:i + 1] in ("*", "+", "?", "{"):
                return None
            continue
        repeat = _REPEAT.match(source, i)
        if repeat and int(repeat["most"]) > _LONG_REPEAT:
            kept.append(f"{{{repeat['least']},}}")
            i = repeat.end()
            continue
        end = _next(source, i, groups=False)
        kept.append(source[i:end])
        i = end
    return "".join(kept)


def branches(source: str) -> list[str]:
    """The top-level alternatives of a regex source ('a|(?:b|c)' gives 'a' and '(?:b|c)')."""
    found, begin, i = [], 0, 0
    while i < len(source):
        if source[i] == "|":
            found.append(source[begin:i])
            begin = i + 1
        i = _next(source, i, groups=True)
    return [*found, source[begin:]]


class Found:
    """What one scan of a text says of each pattern: whether it may match, and where its matches may start."""

    __slots__ = ("_leads", "candidates")

    def __init__(self, candidates: frozenset[int] | None, leads: dict[int, tuple[list[int], list[int]]]) -> None:
        self.candidates = candidates
        self._leads = leads

    def may_match(self, index: int) -> bool:
        return self.candidates is None or index in self.candidates

    def search(self, index: int, pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
        """``pattern.search(text)``, from where a match may start."""
        return next(self.finditer(index, pattern, text), None)

    def finditer(self, index: int, pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
        """``pattern.finditer(text)``: every match the same, found by searching only from where one may start.

        For a pattern compiled with starts, the scan gave every offset where a match of its relaxed form (a
        superset) ends and, for each, the leftmost start of such a match; a match of the pattern from ``pos`` on
        ends at one of those offsets after ``pos``, so it starts at or after the least start reported for them
        (``floors``). A search from there finds what a search from ``pos`` would; no offset left, no match left.
        The pattern matches no empty text (checked when compiled), so finditer's next search starts where a match
        ends. A pattern the scan rules out yields nothing; one without starts is searched whole."""
        if not self.may_match(index):
            return
        leads = self._leads.get(index)
        if leads is None:
            yield from pattern.finditer(text)
            return
        ends, floors = leads
        search, pos, i = pattern.search, 0, 0
        while True:
            i = bisect_left(ends, pos + 1, i)
            if i == len(ends):
                return
            match = search(text, max(pos, floors[i]))
            if match is None:
                return
            yield match
            pos = match.end()


class PatternIndex:
    """Which of ``patterns`` may match a text, and where: one Hyperscan scan, or every pattern without the engine.
    ``starts=False`` asks only whether (a cheaper scan, for short texts searched whole)."""

    def __init__(self, patterns: Sequence[re.Pattern[str]], starts: bool = True) -> None:
        self._local = threading.local()
        self._databases: list[Any] = []
        self._spanned: frozenset[int] = frozenset()
        if _hs is None:
            return
        plan = _plan(patterns, starts)
        self._always = frozenset(plan["always"])
        self._always_translated = frozenset(plan["translated"])
        rules = {int(i): [[(source.encode(), flags) for source, flags in way] for way in ways]
                 for i, ways in plan["rules"].items()}
        for group in plan["groups"]:
            database, failed, spanned = _database({i: rules[i] for i in group})
            self._databases.append(database)
            self._always |= failed
            self._spanned |= spanned

    def candidates(self, text: str) -> frozenset[int] | None:
        """Indexes of the patterns that may match ``text``; None when every one may (no engine)."""
        return self.find(text).candidates

    def find(self, text: str) -> Found:
        """One scan of ``text``: the patterns that may match it and, for those compiled with starts, where."""
        if not self._databases:
            return Found(None, {})
        scanned = stand_in_text(text)
        if scanned is None:
            return Found(None, {})
        found: set[int] = set(self._always)
        if scanned is not text:
            found |= self._always_translated
        spans: list[tuple[int, int, int]] = []
        scratches = getattr(self._local, "scratches", None)
        if scratches is None:
            scratches = self._local.scratches = [_hs.Scratch(database) for database in self._databases]
        data, context = scanned.encode(), (found, self._spanned, spans)
        for database, scratch in zip(self._databases, scratches):
            database.scan(data, match_event_handler=_collect, context=context, scratch=scratch)
        leads = _leads(spans)
        if scanned is not text:  # where a stand-in may mislead a rule, its starts may too: it is searched whole
            for index in self._always_translated:
                leads.pop(index, None)
        return Found(frozenset(found), leads)


def _collect(index: int, start: int, end: int, flags: int,
             context: tuple[set[int], frozenset[int], list[tuple[int, int, int]]]) -> None:
    found, spanned, spans = context
    found.add(index)
    if index in spanned:
        spans.append((index, end, start))


def _leads(spans: list[tuple[int, int, int]]) -> dict[int, tuple[list[int], list[int]]]:
    """Per spanned pattern: its match ends in order and, for each, the least start of a match ending there or
    later (a suffix minimum), so a search from ``pos`` may start at floors[first end after pos]."""
    by_pattern: dict[int, list[tuple[int, int]]] = {}
    for index, end, start in spans:
        by_pattern.setdefault(index, []).append((end, start))
    leads = {}
    for index, pairs in by_pattern.items():
        pairs.sort()
        floors = [start for _, start in pairs]
        for i in range(len(floors) - 2, -1, -1):
            floors[i] = min(floors[i], floors[i + 1])
        leads[index] = ([end for end, _ in pairs], floors)
    return leads


Way = list[tuple[bytes, int]]  # the expressions (source, flags) Hyperscan compiles for one rule


def _ways(pattern: re.Pattern[str]) -> list[Way]:
    """The ways Hyperscan may take a rule, best first: its relaxed form exactly with starts, as one expression and
    then one per top-level alternative (the engine's start tracking takes smaller expressions), only for a rule
    that never matches empty text (see Found.finditer); last, the whole rule as a prefilter."""
    prefilter = [(_source(pattern.pattern), _flags(pattern) | _hs.HS_FLAG_PREFILTER | _hs.HS_FLAG_SINGLEMATCH)]
    loose = relaxed(pattern.pattern)
    if loose is None or _parser.parse(pattern.pattern, pattern.flags).getwidth()[0] == 0:
        return [prefilter]
    spanned = _flags(pattern) | _hs.HS_FLAG_SOM_LEFTMOST
    ways = [[(_source(loose), spanned)]]
    alternatives = branches(loose)
    if len(alternatives) > 1:
        ways.append([(_source(alternative), spanned) for alternative in alternatives])
    return [*ways, prefilter]


def _flags(pattern: re.Pattern[str]) -> int:
    flags = _hs.HS_FLAG_ALLOWEMPTY
    for python, engine in ((re.IGNORECASE, _hs.HS_FLAG_CASELESS), (re.MULTILINE, _hs.HS_FLAG_MULTILINE),
                           (re.DOTALL, _hs.HS_FLAG_DOTALL)):
        flags |= engine if pattern.flags & python else 0
    return flags


def _plan(patterns: Sequence[re.Pattern[str]], starts: bool) -> dict[str, Any]:
    """How the engine takes each rule (_safe, _ways, _groups), kept in the cache beside the databases: working it
    out parses every rule, a third of a second at each start."""
    this_code = Path(__file__).read_bytes()  # a plan is this module's work: another version of it plans anew
    key = hashlib.sha256(repr((_hs.__version__, this_code, starts, [(p.pattern, p.flags) for p in patterns])).encode())
    cached = _cache_dir() / f"hyperscan-plan-{key.hexdigest()[:32]}.json"
    try:
        plan = json.loads(cached.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    else:
        _used(cached)
        return plan  # type: ignore[no-any-return]
    safety = [_safe(p) for p in patterns]
    always = [i for i, (ok, _) in enumerate(safety) if not ok]
    rules = {i: _ways(p)[0 if starts else -1:] for i, p in enumerate(patterns) if i not in always}
    plan = {"always": always, "translated": [i for i, (ok, ascii_only) in enumerate(safety) if ok and not ascii_only],
            "rules": {i: [[(source.decode(), flags) for source, flags in way] for way in ways]
                      for i, ways in rules.items()},
            "groups": _groups(rules)}
    _store(cached, json.dumps(plan).encode())
    _prune(_cache_dir())  # new rules or a new version: what the old ones used may never be loaded again
    return plan


def _groups(rules: dict[int, list[Way]]) -> list[list[int]]:
    """The rules in databases of their own: one whose exact database alone is large (a section header, where a
    long optional prefix precedes the title) made the database of all rules ten times larger and slower to build
    than the sum of its parts (40 MB and 54 s against 4 MB and 3 s without the headers). The rest share one."""
    alone = [i for i, ways in rules.items() if len(ways) > 1 and _exact_size(i, ways[0]) > _LARGE_DATABASE]
    return [[i] for i in alone] + [[i for i in rules if i not in alone]]


def _exact_size(index: int, way: Way) -> int:
    """The size of a rule's database of its own, built the way _database builds (and caches) it; 0 when the
    engine does not take that way."""
    database, failed, _ = _database({index: [way]})
    return 0 if failed else int(database.size())


def _database(rules: dict[int, list[Way]]) -> tuple[Any, frozenset[int], frozenset[int]]:
    """A block-mode database of the rules Hyperscan compiles, each the best way it takes (_ways); returns it, the
    rules it takes in no way (always candidates) and those compiled with starts. Loaded from the cache when a
    process built it before: compiling takes seconds, loading milliseconds."""
    chosen = dict.fromkeys(rules, 0)  # the way each rule is taken; len(ways) when none is
    while True:
        taken = [(i, expression) for i, ways in rules.items() if chosen[i] < len(ways)
                 for expression in ways[chosen[i]]]
        ids = [i for i, _ in taken]
        sources, flags = [source for _, (source, _) in taken], [flag for _, (_, flag) in taken]
        failed = frozenset(i for i, ways in rules.items() if chosen[i] == len(ways))
        spanned = frozenset(i for i, ways in rules.items() if chosen[i] < len(ways) - 1)
        key = hashlib.sha256(repr((_hs.__version__, ids, sources, flags)).encode()).hexdigest()[:32]
        cached = _cache_dir() / f"hyperscan-{key}.db"
        try:
            loaded = _hs.loadb(cached.read_bytes(), _hs.HS_MODE_BLOCK)
        except (OSError, _hs.error):
            pass
        else:
            _used(cached)
            return loaded, failed, spanned
        database = _hs.Database(mode=_hs.HS_MODE_BLOCK)
        try:
            database.compile(expressions=sources, ids=ids, elements=len(ids), flags=flags)
        except _hs.error:
            for i, ways in rules.items():
                while chosen[i] < len(ways) and not _compiles(ways[chosen[i]]):
                    chosen[i] += 1
            continue
        _store(cached, _hs.dumpb(database))
        return database, failed, spanned


def _compiles(way: Way) -> bool:
    try:
        _hs.Database(mode=_hs.HS_MODE_BLOCK).compile(
            expressions=[source for source, _ in way], ids=list(range(len(way))), elements=len(way),
            flags=[flag for _, flag in way])
    except _hs.error:
        return False
    return True


def _cache_dir() -> Path:
    base = os.environ.get(CACHE_ENV) or os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "notecheck")
    return Path(base).expanduser()


def _used(path: Path) -> None:
    """Mark a cached file as used now (its modification time), so pruning keeps what any version still loads."""
    try:
        os.utime(path)
    except OSError:
        pass


def _prune(folder: Path, unused_days: float = UNUSED_DAYS) -> None:
    """Remove our cached files no process has loaded for ``unused_days``: every edit of the patterns and every
    upgrade plans anew and leaves the old databases behind (megabytes each). Only after a new plan, which is rare;
    files of other programs in the folder are left alone."""
    oldest = time.time() - unused_days * 86400
    for path in folder.glob("hyperscan-*"):
        try:
            if path.stat().st_mtime < oldest:
                path.unlink()
        except OSError:
            pass


def _store(path: Path, blob: bytes) -> None:
    """Keep a compiled database for the next process; an unwritable cache only costs the next one the compile."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(blob)
        os.replace(partial, path)
    except OSError:
        pass
