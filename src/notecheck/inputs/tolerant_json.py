"""A JSON object read member by member, so one member nested too deeply costs that member, not the whole file.

``json.loads`` raises RecursionError on a value nested deeper than the interpreter's limit, and then nothing of
the document is left: a FHIR Bundle of 10,000 notes would be lost over one hostile entry. Here the top-level
object, and the elements of one named array in it (a Bundle's ``entry``), are each decoded by themselves; a value
that is too deep is skipped by a linear scan of its brackets and stands as ``TOO_DEEP`` in the result.
"""

from __future__ import annotations

import json

TOO_DEEP = object()
"""Stands for a value that was nested too deeply to decode."""

_DECODER = json.JSONDecoder()
_SPACE = " \t\n\r"


def _space(text: str, at: int) -> int:
    while at < len(text) and text[at] in _SPACE:
        at += 1
    return at


def _expect(text: str, at: int, char: str) -> int:
    at = _space(text, at)
    if at >= len(text) or text[at] != char:
        raise ValueError(f"expected {char!r} at character {at}")
    return at + 1


def _skip(text: str, at: int) -> int:
    """The end of the JSON value starting at ``at`` (an array or object), found without decoding it."""
    depth, inside, index = 0, False, at
    while index < len(text):
        char = text[index]
        if inside:
            if char == "\\":
                index += 1  # the escaped character cannot end the string
            elif char == '"':
                inside = False
        elif char == '"':
            inside = True
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    raise ValueError("unterminated JSON value")


def _value(text: str, at: int) -> tuple[object, int]:
    try:
        return _DECODER.raw_decode(text, at)
    except RecursionError:
        return TOO_DEEP, _skip(text, at)


def load_object(text: str, array: str) -> dict[str, object]:
    """The top-level object of ``text``; the elements of its member ``array`` are decoded one by one."""
    at = _expect(text, 0, "{")
    result: dict[str, object] = {}
    at = _space(text, at)
    if at < len(text) and text[at] == "}":
        return result
    while True:
        key, at = _DECODER.raw_decode(text, _space(text, at))
        if not isinstance(key, str):
            raise ValueError("object key is not a string")
        at = _space(text, _expect(text, at, ":"))
        if key == array and text.startswith("[", at):
            items: list[object] = []
            at = _space(text, at + 1)
            if text.startswith("]", at):
                at += 1
            else:
                while True:
                    item, at = _value(text, _space(text, at))
                    items.append(item)
                    at = _space(text, at)
                    if text.startswith(",", at):
                        at += 1
                        continue
                    at = _expect(text, at, "]")
                    break
            result[key] = items
        else:
            result[key], at = _value(text, at)
        at = _space(text, at)
        if text.startswith(",", at):
            at += 1
            continue
        _expect(text, at, "}")
        return result
