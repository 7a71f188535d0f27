"""Rule regexes as authors write them: one space matches any whitespace run, and every regex is checked on load."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator


def flexible_spaces(pattern: str) -> str:
    """Let a space in a rule's regex match any run of whitespace, line breaks included.

    Notes wrap lines mid-phrase ('no cement\\nextravasation'); rule authors write plain spaces. Spaces inside
    character classes and lookbehinds (which must stay fixed-width) are left alone.
    """
    out: list[str] = []
    in_class = escaped = False
    lookbehind_depth = 0
    depth = 0
    for i, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
            if pattern.startswith("(?<=", i) or pattern.startswith("(?<!", i):
                lookbehind_depth = lookbehind_depth or depth
        elif char == ")":
            if depth == lookbehind_depth:
                lookbehind_depth = 0
            depth -= 1
        elif char == " " and not lookbehind_depth:
            quantified = pattern[i + 1 : i + 2] in ("?", "*", "+", "{")
            out.append(r"\s" if quantified else r"\s+")
            continue
        out.append(char)
    return "".join(out)


def regex_source(pattern: str | None, literal: str) -> str:
    """The regex a rule is matched with: its pattern with flexible spaces, or its literal as a whole word."""
    return flexible_spaces(pattern) if pattern else rf"\b{re.escape(literal)}\b"


def _check_regex(value: str) -> str:
    """Reject a rule whose regex does not compile, naming the regex error."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"pattern is not a valid regular expression: {exc}") from exc
    return value


Regex = Annotated[str, AfterValidator(_check_regex)]


def first_chars(pattern: str, ignorecase: bool = True) -> frozenset[str] | None:
    """The characters a match of ``pattern`` can start with, or None where that cannot be told (a class such as
    '\\w', an optional start). A union of rules prefixed with a lookahead on this set is tried only where a
    match can start: Python's engine otherwise tries every alternative at every position."""
    from re import _constants as c, _parser

    def of(items: list, index: int = 0) -> set[str] | None:
        for position in range(index, len(items)):
            op, arg = items[position]
            if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
                continue  # zero-width: the next item starts the match
            if op is c.LITERAL:
                return {chr(arg)}
            if op is c.IN:
                return _members(arg)
            if op is c.BRANCH:
                return _union(of(list(branch)) for branch in arg[1])
            if op is c.SUBPATTERN:
                return of(list(arg[3]))
            if op in (c.MAX_REPEAT, c.MIN_REPEAT):
                head = of(list(arg[2]))
                return head if arg[0] >= 1 else _union([head, of(items, position + 1)])
            return None
        return None  # the pattern can match the empty string

    def _members(items: list) -> set[str] | None:
        out: set[str] = set()
        for op, arg in items:
            if op is c.LITERAL:
                out.add(chr(arg))
            elif op is c.RANGE and arg[1] - arg[0] < 128:
                out.update(chr(code) for code in range(arg[0], arg[1] + 1))
            elif op is c.CATEGORY and arg is c.CATEGORY_DIGIT:
                out.update("0123456789")
            else:
                return None
        return out

    def _union(parts: object) -> set[str] | None:
        out: set[str] = set()
        for part in parts:  # type: ignore[attr-defined]
            if part is None:
                return None
            out |= part
        return out

    found = of(list(_parser.parse(pattern)))
    if found is None:
        return None
    return frozenset(found | {ch.swapcase() for ch in found} if ignorecase else found)


def union(patterns: list[str], flags: int = re.IGNORECASE, named: bool = False) -> re.Pattern[str]:
    """One regex for several rules (each its own named group 'p<i>' where ``named``), tried only where one of
    them can start when that can be told (see first_chars)."""
    body = "|".join(f"(?P<p{i}>{p})" if named else f"(?:{p})" for i, p in enumerate(patterns)) or "(?!)"
    starts = [first_chars(p, bool(flags & re.IGNORECASE)) for p in patterns]
    if not patterns or any(s is None for s in starts):
        return re.compile(body, flags)
    chars = "".join(sorted(set().union(*starts)))  # type: ignore[arg-type]
    return re.compile(f"(?=[{re.escape(chars)}])(?:{body})", flags)
