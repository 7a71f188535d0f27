"""HL7 v2 input: MDM^T02 / ORU^R01 messages from batch files, FHS/BHS envelopes, MLLP frames or a request body.

Each message is one note: its OBX-5 text, in OBX-1 order, one line per OBX. Fields are read and escape sequences
decoded by python-hl7 (``hl7``; the README says why it was chosen). We frame the messages ourselves, because the
library's ``parse_batch`` / ``parse_file`` reject a whole file over one bad message, where an audit must give one
row per message and go on: a segment starting ``MSH`` starts a message; FHS/BHS/BTS/FTS and the MLLP bytes
(``\\x0b``, ``\\x1c``) are envelope. Files are read in chunks, so a large batch is never held whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import hl7

from ..errors import InputError
from .notes import DEFAULT_MAX_BYTES, Item, Note, decode_note, guarded, shown

ENVELOPE = (b"FHS", b"BHS", b"BTS", b"FTS")
_BOUNDARY = re.compile(rb"[\r\n\x0b\x1c]")  # segment ends and MLLP frame bytes
_START = re.compile(rb"\s*\x0b?\s*(MSH|FHS|BHS)[^A-Za-z0-9\s]")
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}$")
_CHUNK = 1 << 16
# MSH-18 (HL7 table 0211) -> Python codec; an empty MSH-18 means the sender's default, read as UTF-8.
CHARSETS = {"": "utf-8", "ASCII": "ascii", "UNICODE UTF-8": "utf-8", "UTF-8": "utf-8",
            **{f"8859/{n}": f"iso8859-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 15)}}
TEXT_TYPES = ("TX", "FT", "")  # OBX-2 value types that carry note text; blank is read as text too
# value types read as a field line 'label: value unit' (OBX-3's text, OBX-5, OBX-6): a number, a coded value's
# text, a short string. 'CEMVOL^Cement volume left||4.0|mL' says what the narrative may not.
FIELD_TYPES = ("NM", "CE", "CWE", "ST")
# Escape sequences HL7 2.x defines for text (section 2.7): delimiters, highlighting, formatting, hex bytes.
_KNOWN_ESCAPE = re.compile(r"[FSTRE]|[HN]|\.(br|fi|nf|ce|(sp|in|ti|sk)([+-]?[0-9]{1,9})?)|X([0-9A-Fa-f]{2})+")
_REPEATED = {"sp": 1, "in": 4, "ti": 4, "sk": 1}  # characters python-hl7 writes per count of each command
_SET_ID = re.compile(r"[0-9]{1,9}")  # ASCII: str.isdigit() also takes '²', which int() refuses
_NO_HIGHLIGHT = {"H": "", "N": ""}  # the library's default turns highlight marks into underscores
# A document withdrawn from use is reported, not checked: TXA-19 availability (table 0273) or TXA-17 completion
# status (table 0271, where some senders put CA/OB), an ORU order cancelled (OBR-25 'X', table 0123), or MDM^T11.
_WITHDRAWN = {"CA": "cancelled", "OB": "obsolete"}
# The rest of HL7 table 0211: named in an error as sent, as they are codes; any other MSH-18 value by its length.
UNSUPPORTED_CHARSETS = {"UNICODE", "UNICODE UTF-16", "UNICODE UTF-32", "ISO IR14", "ISO IR87", "ISO IR159",
                        "GB 18030-2000", "KS X 1001", "CNS 11643-1992", "BIG-5"}


def looks_like_hl7(path: Path, data: bytes | None = None) -> bool:
    """An ``.hl7`` file, or one whose first bytes (``data``, else read) are an MSH, FHS or BHS segment."""
    if path.suffix.lower() == ".hl7":
        return True
    if data is None:
        try:
            with path.open("rb") as handle:
                data = handle.read(16)
        except OSError:
            return False  # the plain reader that follows reports why
    return bool(_START.match(data[:16].removeprefix(b"\xef\xbb\xbf")))


def hl7_items(payload: bytes | str, source: str = "<hl7>", max_bytes: int = DEFAULT_MAX_BYTES) -> list[Item]:
    """Every message of one HL7 v2 payload (a request body or a file's bytes) as items, in order.

    One item per message: a note to check, or an error (broken segment, no OBX text, unknown escape or encoding
    character, cancelled document) with a one-line reason. Text is decoded per message by MSH-18.
    """
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    return list(_items([data], source, max_bytes))


def iter_hl7(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Item]:
    """Stream the messages of one HL7 file; an unreadable file is one error row."""
    try:
        with path.open("rb") as handle:
            yield from _items(iter(lambda: handle.read(_CHUNK), b""), shown(path), max_bytes)
    except OSError as exc:
        yield Item(shown(path.stem), shown(path), error=f"cannot read ({exc.strerror or exc})")


class _Long(NamedTuple):
    """Stands for a segment longer than any message within the limit: skipped as it streamed by, never held."""

    head: bytes
    size: int


def _segments(chunks: Iterable[bytes], limit: int) -> Iterator[bytes | _Long]:
    """Non-blank segments, stripped, whatever ends them (CR, LF, CRLF, MLLP frame bytes). Each chunk is split once
    and a segment's pieces are joined once, so reading is linear in the input; a segment over ``limit`` bytes is
    dropped as it streams by and stands as ``_Long`` with its first bytes (its segment ID)."""
    pieces: list[bytes] = []
    size = 0
    head = b""

    def segment() -> bytes | _Long | None:
        if size > limit:
            return _Long(head.strip()[:3], size)
        data = b"".join(pieces).strip()
        return data or None

    for chunk in chunks:
        for number, part in enumerate(_BOUNDARY.split(chunk)):
            if number:  # a boundary came before this part: the segment so far is complete
                done = segment()
                if done is not None:
                    yield done
                pieces, size, head = [], 0, b""
            size += len(part)
            if len(head) < 16:
                head += part[:16]
            if size <= limit:
                pieces.append(part)
            elif pieces:
                pieces = []
    done = segment()
    if done is not None:
        yield done


def _items(chunks: Iterable[bytes], source: str, max_bytes: int) -> Iterator[Item]:
    """Group segments into messages and turn each into an item; stray segments become an error row of their own.
    A message is held only up to ``max_bytes``: past that it is counted, not kept, and is one error row."""
    message: list[bytes] = []
    stray = 0
    size = count = 0  # the message's bytes as its segments joined by CR

    def flush() -> Iterator[Item]:
        nonlocal count, size, stray
        if stray:
            count += 1
            yield Item(f"message-{count}", f"{source}:message {count}",
                       error=f"{stray} segment(s) outside any message: no MSH before them")
            stray = 0
        if size:
            count += 1
            where, fallback = f"{source}:message {count}", f"message-{count}"
            if size > max_bytes:
                yield Item(fallback, where, error=f"message is {size:,} bytes, over the {max_bytes:,}-byte "
                                                  "limit")
            else:
                data = b"\r".join(message)
                yield guarded(lambda: _message_item(data, where, fallback, max_bytes), fallback, where)
            message.clear()
            size = 0

    for segment in _segments(chunks, max_bytes):
        tag = segment[:3] if isinstance(segment, bytes) else segment.head
        length = len(segment) if isinstance(segment, bytes) else segment.size
        if tag == b"MSH" or tag in ENVELOPE:
            yield from flush()
            if tag != b"MSH":
                continue
        elif not size:
            stray += 1
            continue
        size += length + bool(size)
        if size <= max_bytes and isinstance(segment, bytes):
            message.append(segment)
        else:
            message.clear()
    yield from flush()


def _message_item(data: bytes, source: str, fallback_id: str, max_bytes: int) -> Item:
    try:
        text, flags = decode_note(data, source, max_bytes)
    except InputError as exc:
        return Item(fallback_id, source, error=exc.problem)
    problem = _encoding_problem(text)
    if problem:
        return Item(fallback_id, source, error=problem)
    try:
        fields = _Fields(hl7.parse(text), max_bytes - len(text))
    except (hl7.HL7Exception, ValueError, IndexError) as exc:  # not seen on any input tried; never a crash
        return Item(fallback_id, source, error=f"not a parsable HL7 message ({type(exc).__name__})")
    try:
        note_id = fields.get("TXA", 12) or fields.get("OBR", 3) or fields.get("MSH", 10) or fallback_id
    except _BadField as exc:
        return Item(fallback_id, source, error=str(exc))
    try:
        return _note_item(data, fields, note_id, source, flags)
    except _BadField as exc:
        return Item(note_id, source, error=str(exc))


def _note_item(data: bytes, fields: _Fields, note_id: str, source: str, flags: tuple[str, ...]) -> Item:
    """The note of a message whose framing and encoding characters are sound, or the reason there is none."""
    charset = fields.get("MSH", 18).upper()
    if charset not in CHARSETS:
        named = repr(charset) if charset in UNSUPPORTED_CHARSETS else f"of {len(charset)} characters"
        return Item(note_id, source, error=f"MSH-18 character set {named} is not supported "
                                            f"(supported: {', '.join(c for c in CHARSETS if c)})")
    if CHARSETS[charset] not in ("utf-8", "ascii"):
        text = data.decode(CHARSETS[charset], errors="replace")
        flags = (f"bytes undefined in {charset} replaced",) if "\ufffd" in text else ()
        fields = _Fields(hl7.parse(text), fields.budget)
    problem = _broken_segment(fields.message) or _withdrawn(fields)
    if problem:
        return Item(note_id, source, error=problem)
    lines, problem, skipped = _obx_lines(fields)
    if problem:
        return Item(note_id, source, error=problem)
    if skipped:
        flags += (f"skipped {skipped} OBX segment(s) whose value type is not text",)
    return Item(note_id, source, Note(note_id, "\n".join(lines), source, flags, _metadata(fields)))


def _encoding_problem(text: str) -> str | None:
    """MSH-1 and MSH-2 must name distinct delimiters, or every field after them is misread. Named by length only:
    when they are wrong, what follows MSH is as likely a patient's name as a delimiter."""
    if len(text) < 8:
        return "MSH segment too short to hold its encoding characters"
    separator = text[3]
    encoding = text[4:text.find(separator, 4)] if separator in text[4:] else text[4:]
    delimiters = separator + encoding
    if not 4 <= len(encoding) <= 5 or len(set(delimiters)) != len(delimiters) or any(
            c.isalnum() or c.isspace() for c in delimiters):
        return (f"unknown encoding characters: MSH-1 and MSH-2 ({len(encoding)} characters up to the next MSH-1) "
                "are not distinct non-alphanumeric delimiters (expected e.g. '|' and '^~\\&')")
    return None


class _BadField(Exception):
    """A field notecheck reads holds an escape sequence it will not decode; the message names the field and its
    length, never its content."""


class _Fields:
    """A message's fields as notecheck reads them: each field's escape sequences are checked before python-hl7
    decodes them, so an unknown one (which the library drops or logs with the field's value) or a repeat count
    (``\\.sp5000000\\``, which it expands in memory) is an error row, and everything decoded from one message
    together stays within ``budget`` characters beyond the message's own length."""

    def __init__(self, message: hl7.Message, budget: int) -> None:
        self.message, self.budget = message, budget

    def get(self, segment: str, field: int, component: int = 1) -> str:
        """One unescaped component of the first such segment, or '' when the segment or field is absent."""
        try:
            raw = str(self.message.segments(segment)[0](field))
        except (KeyError, IndexError):
            return ""
        if field > 2 or segment != "MSH":
            self.check(raw, f"{segment}-{field}", "")
        try:
            return str(self.message.extract_field(segment, field_num=field, component_num=component)).strip()
        except (KeyError, IndexError):
            return ""

    def unescape(self, raw: str, name: str, where: str) -> str:
        self.check(raw, name, where)
        return self.message.unescape(raw, app_map=_NO_HIGHLIGHT) if raw else ""

    def check(self, raw: str, name: str, where: str) -> None:
        """Every escape sequence in ``raw`` known and terminated, and what they expand to within the budget."""
        esc = self.message.esc
        if esc not in raw:
            return
        parts = raw.split(esc)
        if len(parts) % 2 == 0:
            raise _BadField(f"{where}unterminated escape sequence in {name} ({len(parts[-1])} characters after "
                            "the last escape character)")
        grown = 0
        for code in parts[1::2]:
            known = _KNOWN_ESCAPE.fullmatch(code)
            if not known:
                raise _BadField(f"{where}unknown escape sequence in {name} ({len(code)} characters)")
            if known.group(3):
                grown += max(int(known.group(3)), 0) * _REPEATED[known.group(2)]
        if grown > self.budget:
            raise _BadField(f"{where}escape sequences in {name} expand to {grown:,} more characters, over the "
                            "--max-bytes limit for the message")
        self.budget -= grown


def _broken_segment(message: hl7.Message) -> str | None:
    """A segment without a segment ID is usually a note line that kept its raw line break. Errors name the
    segment by number only: its content is note text, which never goes into a row's error or a log."""
    for number, segment in enumerate(message, 1):
        name = str(segment[0])
        if not _SEGMENT_ID.match(name):
            return (f"broken segment {number}: it does not start with a segment ID "
                    f"and {message.separators[1]!r} (a line break inside a field?)")
        if name == "OBX" and not _SET_ID.fullmatch(_field_text(segment, 1)):
            return f"broken segment {number} (OBX): its OBX-1 set ID is not a number"
    return None


def _withdrawn(fields: _Fields) -> str | None:
    for segment, field in (("TXA", 19), ("TXA", 17)):
        status = fields.get(segment, field).upper()
        if status in _WITHDRAWN:
            return f"document status is {_WITHDRAWN[status]} ({segment}-{field} {status!r}): not checked"
    if fields.get("OBR", 25).upper() == "X":
        return "order cancelled (OBR-25 'X'): not checked"
    if fields.get("MSH", 9, 2).upper() == "T11":
        return "document cancel notification (MDM^T11): not checked"
    return None


def _obx_lines(fields: _Fields) -> tuple[list[str], str | None, int]:
    """The text lines in OBX-1 order, or the reason there are none; also how many OBX of other types were
    skipped. Text types give their text; NM, CE/CWE and ST give 'label: value unit'."""
    try:
        segments = fields.message.segments("OBX")
    except KeyError:
        return [], "no OBX segment: the message carries no note text", 0
    numbered: list[tuple[int, str]] = []
    skipped = 0
    for segment in segments:
        kind = _field_text(segment, 2).upper()
        if kind not in TEXT_TYPES and kind not in FIELD_TYPES:
            skipped += 1
            continue
        raw = "\n".join(str(repetition) for repetition in segment(5)) if len(segment) > 5 else ""
        if kind in ("CE", "CWE"):
            raw = _component(fields.message, segment, 5, 2) or _component(fields.message, segment, 5, 1)
        text = fields.unescape(raw, "OBX-5", f"OBX {_field_text(segment, 1)}: ") if raw else ""
        if kind in FIELD_TYPES:
            label = _component(fields.message, segment, 3, 2) or _component(fields.message, segment, 3, 1)
            if not label and kind != "ST":  # a bare number or code says nothing without what it measures
                skipped += 1
                continue
            unit = _component(fields.message, segment, 6, 1) if kind == "NM" else ""
            text = f"{label}: {text.strip()} {unit}".strip() if label else text
        numbered.append((int(_field_text(segment, 1)), text.replace("\r\n", "\n").replace("\r", "\n")))
    lines = [text for _, text in sorted(numbered, key=lambda pair: pair[0])]
    if not any(line.strip() for line in lines):
        return [], f"no OBX text: {len(segments)} OBX segment(s), none with a text value in OBX-5", skipped
    return lines, None, skipped


def _component(message: hl7.Message, segment: hl7.Segment, field: int, component: int) -> str:
    """One component of a segment's field (its first repetition), as sent; '' when absent."""
    repetition = _field_text(segment, field).split(message.separators[2])[0]
    parts = repetition.split(message.separators[3])
    return parts[component - 1].strip() if component <= len(parts) else ""


def _field_text(segment: hl7.Segment, field: int) -> str:
    return str(segment(field)).strip() if len(segment) > field else ""


def _person(fields: _Fields, segment: str, field: int) -> str:
    """An XCN name as 'Family, Given' (the provider id is left out)."""
    return ", ".join(part for part in (fields.get(segment, field, 2), fields.get(segment, field, 3)) if part)


def _activity_date(value: str) -> str:
    """TXA-4 or OBR-7 as an ISO date (or date and time); kept as sent when it is not a valid HL7 timestamp: an
    offset past 24 hours, or seconds with more digits than a float holds, must not cost the message its row."""
    try:
        moment = hl7.parse_datetime(value)
        if moment:
            return moment.date().isoformat() if len(value) <= 8 else moment.isoformat()
    except (ValueError, OverflowError):
        pass
    return value


def _metadata(fields: _Fields) -> dict[str, str]:
    """Document and encounter facts for grouping; never patient identifiers (PID is not read)."""
    provider = next((name for name in (_person(fields, "TXA", 22), _person(fields, "TXA", 5),
                                       _person(fields, "TXA", 9), _person(fields, "OBR", 16),
                                       _person(fields, "PV1", 7)) if name), "")
    department = " ".join(p for p in (fields.get("PV1", 3, c) for c in (1, 2, 3, 4)) if p)
    values = {
        "message_type": "^".join(p for p in (fields.get("MSH", 9), fields.get("MSH", 9, 2)) if p),
        "document_type": fields.get("TXA", 2),
        "document_status": fields.get("TXA", 17),
        "document_date": _activity_date(fields.get("TXA", 4) or fields.get("OBR", 7)),
        "provider": provider,
        "patient_class": fields.get("PV1", 2),
        "department": department,
    }
    return {key: value for key, value in values.items() if value}
