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

import hl7

from ..errors import InputError
from .notes import DEFAULT_MAX_BYTES, Item, Note, decode_note

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
_KNOWN_ESCAPE = re.compile(r"[FSTRE]|[HN]|\.(br|fi|nf|ce|(sp|in|ti|sk)([+-]?\d+)?)|X([0-9A-Fa-f]{2})+")
_NO_HIGHLIGHT = {"H": "", "N": ""}  # the library's default turns highlight marks into underscores
# A document withdrawn from use is reported, not checked: TXA-19 availability (table 0273) or TXA-17 completion
# status (table 0271, where some senders put CA/OB), an ORU order cancelled (OBR-25 'X', table 0123), or MDM^T11.
_WITHDRAWN = {"CA": "cancelled", "OB": "obsolete"}


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
            yield from _items(iter(lambda: handle.read(_CHUNK), b""), str(path), max_bytes)
    except OSError as exc:
        yield Item(path.stem, str(path), error=f"cannot read ({exc.strerror or exc})")


def _segments(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Non-blank segments, whatever ends them (CR, LF, CRLF, MLLP frame bytes)."""
    rest = b""
    for chunk in chunks:
        pieces = _BOUNDARY.split(rest + chunk)
        rest = pieces.pop()
        yield from (piece for piece in pieces if piece.strip())
    if rest.strip():
        yield rest


def _items(chunks: Iterable[bytes], source: str, max_bytes: int) -> Iterator[Item]:
    """Group segments into messages and turn each into an item; stray segments become an error row of their own."""
    message: list[bytes] = []
    stray: list[bytes] = []
    count = 0

    def flush() -> Iterator[Item]:
        nonlocal count
        if stray:
            count += 1
            yield Item(f"message-{count}", f"{source}:message {count}",
                       error=f"{len(stray)} segment(s) outside any message: no MSH before them")
            stray.clear()
        if message:
            count += 1
            yield _message_item(b"\r".join(message), f"{source}:message {count}", f"message-{count}", max_bytes)
            message.clear()

    for segment in _segments(chunks):
        segment = segment.strip()
        tag = segment[:3]
        if tag == b"MSH" or tag in ENVELOPE:
            yield from flush()
            if tag == b"MSH":
                message.append(segment)
        elif message:
            message.append(segment)
        else:
            stray.append(segment)
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
        message = hl7.parse(text)
    except (hl7.HL7Exception, ValueError, IndexError) as exc:  # not seen on any input tried; never a crash
        return Item(fallback_id, source, error=f"not a parsable HL7 message ({exc})")
    note_id = _field(message, "TXA", 12) or _field(message, "OBR", 3) or _field(message, "MSH", 10) or fallback_id
    charset = _field(message, "MSH", 18).upper()
    if charset not in CHARSETS:
        return Item(note_id, source, error=f"MSH-18 character set {charset!r} is not supported "
                                            f"(supported: {', '.join(c for c in CHARSETS if c)})")
    if CHARSETS[charset] not in ("utf-8", "ascii"):
        text = data.decode(CHARSETS[charset], errors="replace")
        flags = (f"bytes undefined in {charset} replaced",) if "\ufffd" in text else ()
        message = hl7.parse(text)
    problem = _broken_segment(message) or _withdrawn(message)
    if problem:
        return Item(note_id, source, error=problem)
    lines, problem, skipped = _obx_lines(message)
    if problem:
        return Item(note_id, source, error=problem)
    if skipped:
        flags += (f"skipped {skipped} OBX segment(s) whose value type is not text",)
    return Item(note_id, source, Note(note_id, "\n".join(lines), source, flags, _metadata(message)))


def _encoding_problem(text: str) -> str | None:
    """MSH-1 and MSH-2 must name distinct delimiters, or every field after them is misread."""
    if len(text) < 8:
        return "MSH segment too short to hold its encoding characters"
    separator = text[3]
    encoding = text[4:text.find(separator, 4)] if separator in text[4:] else text[4:]
    delimiters = separator + encoding
    if not 4 <= len(encoding) <= 5 or len(set(delimiters)) != len(delimiters) or any(
            c.isalnum() or c.isspace() for c in delimiters):
        return (f"unknown encoding characters: MSH-1 {separator!r} and MSH-2 {encoding!r} are not distinct "
                "non-alphanumeric delimiters (expected e.g. '|' and '^~\\&')")
    return None


def _field(message: hl7.Message, segment: str, field: int, component: int = 1) -> str:
    """One unescaped component of the first such segment, or '' when the segment or field is absent."""
    try:
        return str(message.extract_field(segment, field_num=field, component_num=component)).strip()
    except (KeyError, IndexError):
        return ""


def _broken_segment(message: hl7.Message) -> str | None:
    """A segment without a segment ID is usually a note line that kept its raw line break. Errors name the
    segment by number only: its content is note text, which never goes into a row's error or a log."""
    for number, segment in enumerate(message, 1):
        name = str(segment[0])
        if not _SEGMENT_ID.match(name):
            return (f"broken segment {number}: it does not start with a segment ID "
                    f"and {message.separators[1]!r} (a line break inside a field?)")
        if name == "OBX" and not _field_text(segment, 1).isdigit():
            return f"broken segment {number} (OBX): its OBX-1 set ID is not a number"
    return None


def _withdrawn(message: hl7.Message) -> str | None:
    for segment, field in (("TXA", 19), ("TXA", 17)):
        status = _field(message, segment, field).upper()
        if status in _WITHDRAWN:
            return f"document status is {_WITHDRAWN[status]} ({segment}-{field} {status!r}): not checked"
    if _field(message, "OBR", 25).upper() == "X":
        return "order cancelled (OBR-25 'X'): not checked"
    if _field(message, "MSH", 9, 2).upper() == "T11":
        return "document cancel notification (MDM^T11): not checked"
    return None


def _obx_lines(message: hl7.Message) -> tuple[list[str], str | None, int]:
    """The text lines in OBX-1 order, or the reason there are none; also how many OBX of other types were
    skipped. Text types give their text; NM, CE/CWE and ST give 'label: value unit'."""
    try:
        segments = message.segments("OBX")
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
            raw = _component(message, segment, 5, 2) or _component(message, segment, 5, 1)
        unknown = _unknown_escape(raw, message.esc)
        if unknown:
            return [], f"OBX {_field_text(segment, 1)}: unknown escape sequence {unknown} in OBX-5", skipped
        text = message.unescape(raw, app_map=_NO_HIGHLIGHT) if raw else ""
        if kind in FIELD_TYPES:
            label = _component(message, segment, 3, 2) or _component(message, segment, 3, 1)
            if not label and kind != "ST":  # a bare number or code says nothing without what it measures
                skipped += 1
                continue
            unit = _component(message, segment, 6, 1) if kind == "NM" else ""
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


def _unknown_escape(raw: str, esc: str) -> str | None:
    """The first escape sequence HL7 does not define for text, or an unterminated one (the library drops both)."""
    parts = raw.split(esc)
    if len(parts) % 2 == 0:
        return f"{esc}{parts[-1][:20]} (unterminated)"
    for code in parts[1::2]:
        if not _KNOWN_ESCAPE.fullmatch(code):
            return f"{esc}{code}{esc}"
    return None


def _person(message: hl7.Message, segment: str, field: int) -> str:
    """An XCN name as 'Family, Given' (the provider id is left out)."""
    return ", ".join(part for part in (_field(message, segment, field, 2), _field(message, segment, field, 3)) if part)


def _metadata(message: hl7.Message) -> dict[str, str]:
    """Document and encounter facts for grouping; never patient identifiers (PID is not read)."""
    activity = _field(message, "TXA", 4) or _field(message, "OBR", 7)
    try:
        moment = hl7.parse_datetime(activity)
    except ValueError:
        moment = None  # kept as sent; the field is informational
    if moment:
        activity = moment.date().isoformat() if len(activity) <= 8 else moment.isoformat()
    provider = next((name for name in (_person(message, "TXA", 22), _person(message, "TXA", 5),
                                       _person(message, "TXA", 9), _person(message, "OBR", 16),
                                       _person(message, "PV1", 7)) if name), "")
    location = " ".join(p for p in (_field(message, "PV1", 3, c) for c in (1, 2, 3, 4)) if p)
    values = {
        "message_type": "^".join(p for p in (_field(message, "MSH", 9), _field(message, "MSH", 9, 2)) if p),
        "document_type": _field(message, "TXA", 2),
        "document_status": _field(message, "TXA", 17),
        "activity_date": activity,
        "provider": provider,
        "patient_class": _field(message, "PV1", 2),
        "location": location,
    }
    return {key: value for key, value in values.items() if value}
