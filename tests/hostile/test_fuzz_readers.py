"""Seeded fuzzing of every reader (Hypothesis, derandomized, capped examples): whatever bytes arrive, a reader gives
items, never an exception (a CSV without its columns is the one documented stop, exit 2); every item is a note or
an error, with ids, sources and metadata any output can hold; JSON Lines and FHIR Bundles give exactly one item
per record; a note never exceeds the byte limit after decoding; and no error message quotes a planted word."""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notecheck.errors import InputError
from notecheck.inputs import Item, iter_inputs
from notecheck.inputs.bodies import BODY_READERS, Params, RequestProblem, read_body
from notecheck.inputs.hl7 import hl7_items

WORD = "zephyrinexa"  # planted in the input; no error may quote it
MAX_BYTES = 400  # small, so the over-size paths are taken often
FUZZ = settings(max_examples=60, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

_ALPHABET = st.sampled_from(list("ab1 ,;=|^~\\&\"'\r\n\t.{}[]:") + ["\u00b2", "\u0663", "\udc80", "\x00", "\x1b",
                                                                      WORD, "\\.sp99999\\", "\\.in5\\", "MSH|"])
_TEXT = st.lists(_ALPHABET, max_size=60).map("".join)


def _sound(items: Iterable[Item]) -> list[Item]:
    """Each item a note or an error, every string UTF-8 (an output can hold it), no error quoting the planted word,
    no note over the limit."""
    items = list(items)
    for item in items:
        assert (item.note is None) != (item.error is None), item
        for text in (item.note_id, item.source, *(item.note.metadata.items() if item.note else ())):
            for part in (text if isinstance(text, tuple) else (text,)):
                part.encode("utf-8")
        if item.error is not None:
            assert WORD not in item.error, item.error
            item.error.encode("utf-8")
        else:
            assert item.note is not None and len(item.note.text) <= MAX_BYTES
    return items


def _read(name: str, data: bytes, **options: str) -> list[Item]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return _sound(iter_inputs([str(path)], max_bytes=MAX_BYTES, **options))


_SEGMENT = st.tuples(st.sampled_from(["MSH|^~\\&|", "MSH#^~\\&|", "PID|", "TXA|", "OBX|", "PV1|", "OBR|", "FHS|",
                                      "BTS|", "ZZ", ""]),
                     st.lists(_TEXT, max_size=14)).map(lambda pair: pair[0] + "|".join(pair[1]))


@FUZZ
@given(st.lists(_SEGMENT, min_size=1, max_size=12), st.sampled_from(["\r", "\n", "\r\n", "\x1c\x0b"]))
def test_hl7(segments: list[str], end: str) -> None:
    payload = end.join(segments).encode("utf-8", "surrogatepass")
    items = _sound(hl7_items(payload, "fuzz", MAX_BYTES))
    assert len(items) >= sum(s.startswith("MSH") for s in segments)  # one row per message at least
    _read("fuzz.hl7", payload)


@FUZZ
@given(st.lists(_TEXT, max_size=12))
def test_csv(records: list[str]) -> None:
    data = ("note_id,text,other\n" + "\n".join(records)).encode("utf-8", "surrogatepass")
    try:
        _read("fuzz.csv", data)
    except InputError as exc:  # the one documented stop: a header without the columns (exit 2)
        assert "header" in exc.problem and WORD not in exc.problem


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | _TEXT,
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
                     max_leaves=12)


@FUZZ
@given(st.lists(st.one_of(st.dictionaries(st.sampled_from(["note_id", "text", WORD, "\udc80"]), _JSON, max_size=4),
                          _JSON, _TEXT), min_size=1, max_size=8))
def test_jsonl(records: list[object]) -> None:
    lines = [json.dumps(r) if not isinstance(r, str) else r for r in records]
    lines = [line.replace("\n", " ").replace("\r", " ") for line in lines]
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    items = _read("fuzz.jsonl", data)
    assert len(items) == sum(1 for line in data.split(b"\n") if line.strip())  # one item per non-blank line


_CHARSET = st.sampled_from(["", "; charset=utf-8", "; charset=latin-1", "; charset=unicode_escape",
                            "; charset=punycode", "; charset=utf-16", "; charset=nonsense", "; charset=utf-7"])


@FUZZ
@given(st.lists(st.tuples(_TEXT, _CHARSET, st.booleans(), _JSON), min_size=1, max_size=6))
def test_fhir_bundle(entries: list[tuple[str, str, bool, object]]) -> None:
    bundle = []
    for text, charset, valid, extra in entries:
        data = base64.b64encode(text.encode("utf-8", "surrogatepass")).decode() if valid else text
        bundle.append({"resource": {"resourceType": "DocumentReference", "id": text, "extra": extra,
                                    "content": [{"attachment": {"contentType": "text/plain" + charset, "data": data}}]}})
    items = _read("fuzz.json", json.dumps({"resourceType": "Bundle", "entry": bundle}).encode())
    assert len(items) == len(entries)


@FUZZ
@given(st.sampled_from(sorted(BODY_READERS)), st.binary(max_size=300) | _TEXT.map(lambda t: t.encode("utf-8",
                                                                                                     "surrogatepass")))
def test_service_bodies(kind: str, body: bytes) -> None:
    """A body is a note or a 4xx naming the problem; never another exception (a 500)."""
    try:
        note = read_body(kind, body, Params(), MAX_BYTES)
    except RequestProblem as problem:
        assert 400 <= problem.status < 500 and WORD not in problem.message
    else:
        assert len(note.text) <= MAX_BYTES
        (note.note_id or "").encode("utf-8")


@settings(max_examples=12, derandomize=True, deadline=None, database=None)
@given(st.lists(st.binary(min_size=1, max_size=12).filter(lambda n: b"/" not in n and b"\x00" not in n
                                                          and n not in (b".", b"..")), min_size=1, max_size=5,
                unique=True))
def test_folder_names(names: list[bytes]) -> None:
    """Any file name a filesystem holds (not UTF-8, control characters) is a row with a printable id."""
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            with open(os.path.join(os.fsencode(folder), name + b".txt"), "wb") as handle:
                handle.write(b"sacral cement injected")
        items = _sound(iter_inputs([folder], max_bytes=MAX_BYTES))
    assert len(items) == len(names)
