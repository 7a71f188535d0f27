"""The hostile corpus: the 2026-12-07 probes (../shared/probes/hostile-inputs-2026-12-07.md) turned into files, with
other values, names and sizes than the report's, each with the row it must give.

Patient identifiers and note words are planted where no output may show them (PID segments, the text and fields
of records that become error rows, escape sequences, MSH-2; not metadata, which results.jsonl keeps by design);
``PLANTED`` lists them, and the tests grep
every output, log and error row for them. Built in a test's temporary folder: nothing large is committed.
"""

from __future__ import annotations

import base64
import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from paths import SAMPLES

GOOD = (SAMPLES / "bilateral_complete.txt").read_text(encoding="utf-8")
NAME, GIVEN, MRN, DOB, WORD = "FARRADAY", "QUILLON", "MRN40417733", "19520311", "zephyrinexa"
PLANTED = (NAME, GIVEN, MRN, DOB, WORD, NAME.title(), GIVEN.title())
"""What must never reach an output, a log line, an error row, a note id or a file name of the outputs."""
PATIENT_LINE = f"{GIVEN.title()} {NAME.title()} {MRN} DOB {DOB} {WORD}"

MSH = "MSH|^~\\&|EHR|H|NC|H|20261201||MDM^T02|{id}|P|2.5\r"
PID = f"PID|1||{MRN}^^^H^MR||{NAME}^{GIVEN}||{DOB}|M\r"
OBX = "OBX|{set_id}|TX|||{text}\r"
TEXT = ("Under fluoroscopic guidance needles were placed in the right and left sacral ala and PMMA cement was "
        "injected on both sides")


def message(doc_id: str, txa: str = "", obx: str = "", set_id: str = "1", msh: str | None = None) -> str:
    """An MDM^T02 message with a planted PID; ``txa`` replaces TXA fields after TXA-3, ``obx`` the OBX text."""
    header = msh if msh is not None else MSH.format(id=doc_id)
    return (header + PID + (txa or f"TXA|1|OP|TX|20261201||||||||{doc_id}") + "\r"
            + OBX.format(set_id=set_id, text=obx or TEXT))


@dataclass
class Corpus:
    """The inputs, in audit order, and what each row must be: (note id, error substring or None for a report)."""

    inputs: list[Path] = field(default_factory=list)
    rows: list[tuple[str, str | None]] = field(default_factory=list)

    def expect(self, note_id: str, error: str | None = None) -> None:
        self.rows.append((note_id, error))


def _hl7(folder: Path, corpus: Corpus) -> None:
    """H1, H4, H5 and H8 variants in one file of messages, good ones between them."""
    bad = [
        ("h1-sup", message("h1-sup", set_id="\u2079"), "OBX-1 set ID is not a number"),  # superscript nine
        ("h1-arabic", message("h1-arabic", set_id="\u0663"), "OBX-1 set ID is not a number"),  # int() takes it
        ("h1-tz", message("h1-tz", txa="TXA|1|OP|TX|20261201083000-3100||||||||h1-tz"), None),
        ("h1-secs", message("h1-secs", txa="TXA|1|OP|TX|20261201083059123456789012345678||||||||h1-secs"), None),
        ("h1-pv1", message("h1-pv1").replace(PID, PID + "PV1|1|I|ICU\\.skZ9\\B\r"), "unknown escape sequence in PV1-3"),
        ("h1-txa22", message("h1-txa22", txa="TXA|1|OP|TX|20261201||||||||h1-txa22||||||||||DR\\.ti1e3\\X"),
         "unknown escape sequence in TXA-22"),
        ("message-8", message("x", txa=f"TXA|1|OP|TX|20261201||||||||{NAME}\\.in3000000\\"),
         "escape sequences in TXA-12 expand"),
        ("h4-obx", message("h4-obx", obx=f"{TEXT} \\.sp77777777\\ {WORD}"), "escape sequences in OBX-5 expand"),
        ("message-10", message("x", msh=f"MSH#^~\\&|EHR|H|NC|H|20261201||MDM^T02|{MRN}|P|2.5\r"),
         "unknown encoding characters"),
        ("h8-esc", message("h8-esc", obx=f"Patient \\{NAME} {GIVEN} {MRN}\\ {TEXT}"), "unknown escape sequence"),
        ("h8-open", message("h8-open", obx=f"{TEXT} \\{PATIENT_LINE}"), "unterminated escape sequence"),
        ("message-13", MSH.format(id="long") + PID + OBX.format(set_id=1, text=TEXT + " " + "y" * 1_200_000),
         "over the 1,000,000-byte limit"),
    ]
    lines = [message("hl7-good-1")]
    for _, text, _ in bad:
        lines.append(text)
    lines.append(message("hl7-good-2"))
    path = folder / "messages.hl7"
    path.write_text("\n".join(lines), encoding="utf-8")
    corpus.inputs.append(path)
    corpus.expect("hl7-good-1")
    for note_id, _, error in bad:
        corpus.expect(note_id, error)
    corpus.expect("hl7-good-2")


def _fhir(folder: Path, corpus: Corpus) -> None:
    """H2 (a charset that decodes to a lone surrogate) and M11 (punycode) inside a Bundle of good entries."""
    def doc(doc_id: str, data: bytes, content_type: str = "text/plain") -> dict:
        attachment = {"contentType": content_type, "data": base64.b64encode(data).decode()}
        return {"resource": {"resourceType": "DocumentReference", "id": doc_id, "content": [{"attachment": attachment}]}}

    entries = [doc("fhir-good-1", GOOD.encode()),
               doc("fhir-raw-escape", f"{WORD} \\udc80 {MRN}".encode(), "text/plain; charset=raw_unicode_escape"),
               doc("fhir-utf7", f"{WORD} +2D3-".encode(), "text/plain; charset=UTF-7"),
               doc("fhir-puny", ("a" * 20_000 + "-" + "b" * 20_000).encode(), "text/plain; charset=punycode"),
               doc("fhir-bomb", b"x", "text/plain"),
               doc("fhir-good-2", GOOD.encode())]
    entries[4]["resource"]["content"][0]["attachment"]["data"] = "QUFB" * 400_000  # 1.2 MB once decoded
    path = folder / "bundle.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "entry": entries}), encoding="utf-8")
    corpus.inputs.append(path)
    corpus.expect("fhir-good-1")
    for note_id in ("fhir-raw-escape", "fhir-utf7", "fhir-puny"):
        corpus.expect(note_id, "is not a character set notecheck decodes")
    corpus.expect("fhir-bomb", "attachment data decodes to about")
    corpus.expect("fhir-good-2")


def _jsonl(folder: Path, corpus: Corpus) -> None:
    """H2: lone surrogates in an id, a metadata key and a metadata value; M4: a CR inside an id."""
    path = folder / "notes.jsonl"
    lines = [json.dumps({"note_id": "jsonl-good", "text": GOOD, "department": "IR"}),
             '{"note_id": "\\udfff\\ud801", "text": ' + json.dumps(GOOD) + "}",
             '{"note_id": "jsonl-key", "\\ud800x": "1", "text": ' + json.dumps(GOOD) + "}",
             json.dumps({"note_id": "jsonl-cr\r=1+2", "text": GOOD}),
             json.dumps({"note_id": "jsonl-long", "text": f"{PATIENT_LINE} " + "w" * 1_100_000})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    corpus.inputs.append(path)
    for note_id in ("jsonl-good", "\ufffd\ufffd", "jsonl-key", "jsonl-cr\r=1+2"):
        corpus.expect(note_id)
    corpus.expect("jsonl-long", "over the 1,000,000-byte limit")


def _csv(folder: Path, corpus: Corpus) -> None:
    """H6 (an over-size unquoted record holding one '"') and M7 (an unclosed quote) among good rows."""
    path = folder / "table.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["note_id", "text", "department"])
        writer.writerow(["csv-1", TEXT, "IR"])
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write(f'csv-big,The patient said "it hurts. {WORD} ' + "z" * 1_300_000 + f",{NAME}\n")
        handle.write(f"csv-3,{TEXT},IR\n")
        handle.write(f'"csv-open,{TEXT} {WORD},{NAME} {MRN}\ncsv-5,{TEXT},{GIVEN}\n')
    corpus.inputs.append(path)
    corpus.expect("csv-1")
    corpus.expect("row-3", "CSV record is over")
    corpus.expect("csv-3")
    corpus.expect("row-5", "an unclosed quote?")


def _folder(folder: Path, corpus: Corpus) -> None:
    """H2 (a Latin-1 file name), H3 (symlinks to folders), M4 and L5 (CR and ESC in names), a FIFO."""
    notes = folder / "notes"
    (notes / "2026-12-01").mkdir(parents=True)
    (notes / "a-good.txt").write_text(GOOD, encoding="utf-8")
    os.symlink("2026-12-01", notes / "b-latest.txt")
    os.symlink("2026-12-01", notes / "c-link")  # no .txt: left out by the glob, not read
    (notes / "2026-12-01" / "d-inside.txt").write_text(GOOD, encoding="utf-8")
    with open(os.path.join(os.fsencode(notes), b"e-Zo\xeb.txt"), "w", encoding="utf-8") as handle:
        handle.write(GOOD)
    (notes / "f-cr\r=2.txt").write_text(GOOD, encoding="utf-8")
    (notes / "g-esc\x1b[2J.txt").write_text(GOOD, encoding="utf-8")
    os.mkfifo(notes / "h-fifo.txt")
    corpus.inputs.append(notes)
    corpus.expect("2026-12-01/d-inside")
    corpus.expect("a-good")
    corpus.expect("b-latest", "a symlink to a folder, not followed")
    corpus.expect("e-Zo\ufffd")
    corpus.expect("f-cr\r=2")
    corpus.expect("g-esc\x1b[2J")
    corpus.expect("h-fifo", "not a regular file")


def build(folder: Path) -> Corpus:
    """Every hostile input of the corpus below ``folder``, and the rows an audit of them in order must give."""
    corpus = Corpus()
    for part in (_hl7, _fhir, _jsonl, _csv, _folder):
        part(folder, corpus)
    return corpus
