"""HL7 v2 input through the real CLI: one row per message in order, reports equal to `check`, framings agree."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from notecheck.readers_hl7 import hl7_items

SAMPLES = Path(__file__).resolve().parent.parent / "sample_notes"
HL7 = SAMPLES / "hl7"
EXPECTED = [json.loads(line) for line in (HL7 / "expected.jsonl").read_text().splitlines()]
FILES = ["mdm_batch.hl7", "oru_r01.hl7", "edge_cases.txt", "edge_cases_latin1.hl7"]
# The escape-test line of edge_cases.txt as a reader must decode it, written out by hand.
ESCAPE_LINE = "SYNTHETIC ESCAPE TEST: pipe | caret ^ amp & tilde ~ backslash \\ hex A bold end\nsecond line"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "notecheck.cli", *args], capture_output=True, timeout=600)


def audit_rows(out: Path, *inputs: str) -> list[dict]:
    proc = cli("audit", "--quiet", "--workers", "1", *inputs, "-o", str(out))
    assert proc.returncode in (0, 1), proc.stderr.decode()
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def check_reports(*paths: Path) -> list[dict]:
    proc = cli("check", "--format", "json", *map(str, paths))
    assert proc.returncode in (0, 1), proc.stderr.decode()
    return [json.loads(line) for line in proc.stdout.decode().splitlines()]


def without_id(report: dict) -> dict:
    return {key: value for key, value in report.items() if key != "note_id"}


def comparable(row: dict) -> dict:
    return {key: value for key, value in row.items() if key not in ("row", "source")}


def test_rows_match_expected_and_reports_equal_check(tmp_path: Path) -> None:
    rows = audit_rows(tmp_path / "out", *(str(HL7 / name) for name in FILES))
    got = [{"file": Path(r["source"].rsplit(":", 1)[0]).name, "note_id": r["note_id"], "outcome": r["outcome"],
            "error": r["error"]} for r in rows]
    assert got == [{k: v for k, v in e.items() if k != "sample_note"} for e in EXPECTED]
    # The batch bar: three MDM^T02 notes and one malformed message, four rows in file order.
    batch = rows[:4]
    assert [r["source"].rsplit(":", 1)[1] for r in batch] == [f"message {n}" for n in range(1, 5)]
    assert batch[2]["outcome"] == "error" and batch[2]["error"].startswith("broken segment 15")
    # Every checked message built from a sample note gets exactly the report `check` gives that note.
    pairs = [(row, e["sample_note"]) for row, e in zip(rows, EXPECTED) if e["sample_note"]]
    assert len(pairs) == 7
    reports = check_reports(*(SAMPLES / f"{name}.txt" for _, name in pairs))
    for (row, name), report in zip(pairs, reports):
        assert without_id(row["report"]) == without_id(report), name
        assert row["report"]["note_id"] == row["note_id"]
    first = rows[0]["metadata"]
    assert first == {"message_type": "MDM^T02", "document_type": "OP", "document_status": "AU",
                     "document_date": "2026-12-01T08:00:00", "provider": "SYNTHETIC, PROVIDER",
                     "patient_class": "O", "department": "IR SUITE 2 A SYNTHETIC HOSPITAL"}
    written = (tmp_path / "out" / "results.jsonl").read_text() + (tmp_path / "out" / "results.csv").read_text()
    for identifier in ("SYN-MRN-0001", "19450101", "SYNTHETIC^TEST", "TEST, SYNTHETIC"):
        assert identifier not in written  # PID is never read into a row


def test_id_fallback_and_withdrawn_documents() -> None:
    by_id = {e["note_id"]: e for e in EXPECTED}
    assert by_id["SYN-DOC-0101"]["outcome"] != "error"  # TXA-12
    assert by_id["SYN-ORD-0102"]["sample_note"] == "missing_bilateral"  # no TXA-12: OBR-3
    assert by_id["SYN-MSG-0103"]["sample_note"] == "negated_biopsy"  # neither: MSH-10
    assert "cancelled (TXA-19 'CA'): not checked" in by_id["SYN-DOC-0104"]["error"]
    assert "obsolete (TXA-17 'OB'): not checked" in by_id["SYN-DOC-0105"]["error"]


def test_mllp_and_fhs_envelopes_give_the_same_rows_as_the_plain_file(tmp_path: Path) -> None:
    # one audit each: the same ids in one run would be flagged as duplicates
    plain, mllp, fhs = (list(map(comparable, audit_rows(tmp_path / f"out{kind}", str(HL7 / f"mdm_batch{kind}.hl7"))))
                        for kind in ("", "_mllp", "_fhs"))
    assert len(plain) == 4
    assert plain == mllp == fhs
    assert [r["outcome"] for r in plain] == ["complete", "incomplete", "error", "complete"]


def test_escapes_decode_and_obx_order_wins(tmp_path: Path) -> None:
    note = (SAMPLES / "bilateral_no_balloon_no_biopsy.txt").read_text()
    decoded = tmp_path / "decoded.txt"
    decoded.write_text(ESCAPE_LINE + "\n" + note)
    rows = audit_rows(tmp_path / "out", str(HL7 / "edge_cases.txt"))
    (report,) = check_reports(decoded)
    assert rows[0]["note_id"] == "SYN-DOC-0101"
    assert without_id(rows[0]["report"]) == without_id(report)  # offsets shift if any escape decodes wrongly


def test_format_option_and_folders(tmp_path: Path) -> None:
    odd = tmp_path / "batch.csv"  # would be read as CSV without --format hl7
    shutil.copy(HL7 / "mdm_batch.hl7", odd)
    forced = audit_rows(tmp_path / "forced", "--format", "hl7", str(odd))
    plain = audit_rows(tmp_path / "plain", str(HL7 / "mdm_batch.hl7"))
    assert list(map(comparable, forced)) == list(map(comparable, plain))
    folder = tmp_path / "drop"
    folder.mkdir()
    shutil.copy(HL7 / "edge_cases.txt", folder / "b_interface.txt")  # a .txt starting with MSH is HL7
    shutil.copy(SAMPLES / "consent_only.txt", folder / "a_note.txt")
    rows = audit_rows(tmp_path / "folder", str(folder))
    assert [r["note_id"] for r in rows] == ["a_note"] + [e["note_id"] for e in EXPECTED if e["file"] == "edge_cases.txt"]


def test_payload_function_for_the_service() -> None:
    """`hl7_items` is what a request body goes through: str or bytes, any framing, exact text out."""
    data = (HL7 / "edge_cases.txt").read_bytes()
    items = hl7_items(data, source="request")
    assert [i.note_id for i in items] == [e["note_id"] for e in EXPECTED if e["file"] == "edge_cases.txt"]
    assert items[0].note is not None and items[0].note.text.startswith(ESCAPE_LINE + "\n")
    assert items[0].source == "request:message 1"
    mllp = b"\x0b" + (HL7 / "mdm_batch.hl7").read_bytes().replace(b"\n\n", b"\x1c\r\x0b") + b"\x1c\r"
    assert [i.note_id for i in hl7_items(mllp.decode())] == ["SYN-DOC-0001", "SYN-DOC-0002", "SYN-DOC-0003",
                                                             "SYN-DOC-0004"]
    (latin1,) = hl7_items((HL7 / "edge_cases_latin1.hl7").read_bytes())
    assert latin1.note is not None and latin1.note.text.endswith("Dictated by: Dr. Mu\u00f1oz (SYNTHETIC)")
    assert latin1.note.flags == ()


def test_stray_segments_unterminated_escapes_and_non_text_obx() -> None:
    message = "MSH|^~\\&|A|B|C|D|20261201||ORU^R01|SYN-1|P|2.5.1\rOBR|1||SYN-ORD-9\r"
    payload = ("OBX|1|TX|||orphan\r" + message + "OBX|1|NM|||42\rOBX|2|TX|||Cement injected.\r\n\n"
               + message.replace("SYN-ORD-9", "SYN-ORD-10") + "OBX|1|TX|||C:\\temp\r")
    stray, good, unterminated = hl7_items(payload, source="x")
    assert stray.error is not None and "outside any message" in stray.error and stray.note_id == "message-1"
    assert good.note is not None and good.note.text == "Cement injected." and good.note_id == "SYN-ORD-9"
    assert good.note.flags == ("skipped 1 OBX segment(s) whose value type is not text",)
    assert unterminated.error == ("OBX 1: unterminated escape sequence in OBX-5 (4 characters after the last escape "
                                  "character)")  # named by length: what follows may be note text


def test_cancelled_orders_and_cancel_notifications_are_not_checked() -> None:
    oru = "MSH|^~\\&|A|B|C|D|20261201||ORU^R01|SYN-2|P|2.5.1\rOBR|1||SYN-ORD-2" + "|" * 22 + "X\r"  # OBR-25
    t11 = "MSH|^~\\&|A|B|C|D|20261201||MDM^T11|SYN-3|P|2.5.1\rTXA|1|OP|TX|||||||||SYN-DOC-3\r"
    text = "OBX|1|TX|||Cement injected in both sacral alae.\r"
    cancelled, notification = hl7_items(oru + text + t11 + text)
    assert (cancelled.note_id, cancelled.error) == ("SYN-ORD-2", "order cancelled (OBR-25 'X'): not checked")
    assert (notification.note_id, notification.error) == (
        "SYN-DOC-3", "document cancel notification (MDM^T11): not checked")


def test_structured_obx_values_read_as_field_lines(checker) -> None:
    """NM and CE/CWE values are facts ('Cement volume left: 4.0 mL'); an ST value keeps its OBX-3 label. A
    bilateral procedure recorded only in them is 0201T, as it would be written in prose (issue 20)."""
    message = ("MSH|^~\\&|A|B|C|D|20261201||ORU^R01|SYN-20|P|2.5.1\rOBR|1||SYN-ORD-20|SACRO^Sacroplasty\r"
               "OBX|1|CWE|GUID^Guidance^L||FL^Fluoroscopy-guided^L||||||F\r"
               "OBX|2|ST|NDL^Needles^L||11G needles, right and left sacral alae||||||F\r"
               "OBX|3|NM|CEMVOL^Cement volume left^L||4.0|mL^milliliter^UCUM|||||F\r"
               "OBX|4|NM|CEMVOL^Cement volume right^L||3.5|mL|||||F\r"
               "OBX|5|CWE|BX^Bone biopsy^L||N^No^HL70136||||||F\r"
               "OBX|6|TX|NARR^Narrative^L||Sacroplasty, PMMA injected under fluoroscopy.||||||F\r"
               "OBX|7|DT|DOS^Date^L||20261201||||||F\r")
    (item,) = hl7_items(message, source="x")
    assert item.note is not None
    assert item.note.text.split("\n") == [
        "Guidance: Fluoroscopy-guided", "Needles: 11G needles, right and left sacral alae",
        "Cement volume left: 4.0 mL", "Cement volume right: 3.5 mL", "Bone biopsy: No",
        "Sacroplasty, PMMA injected under fluoroscopy."]
    assert item.note.flags == ("skipped 1 OBX segment(s) whose value type is not text",)
    report = checker.check_text(item.note.text, note_id=item.note_id)
    assert report.suggested_code == "0201T"
    assert report.elements["bone_biopsy"].status == "not_performed"
