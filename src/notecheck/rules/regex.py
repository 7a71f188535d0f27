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
