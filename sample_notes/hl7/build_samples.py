"""Build the synthetic HL7 v2 sample files in this folder from the sample notes (run from anywhere).

Every message is synthetic: patient SYNTHETIC^TEST, identifiers starting SYN-, sending application SYNTHETIC_DICT.
Note text is escaped with python-hl7 (the library notecheck reads HL7 with), one OBX per note line.
``expected.jsonl`` is not written here: it is the reviewed output of ``notecheck audit`` on these files.
"""

from __future__ import annotations

from pathlib import Path

import hl7

HERE = Path(__file__).resolve().parent
NOTES = HERE.parent
ESCAPER = hl7.parse("MSH|^~\\&|")
PROVIDER = "1001^SYNTHETIC^PROVIDER^^^^MD"
PID = "PID|1||SYN-MRN-0001^^^SYNTHETIC^MR||SYNTHETIC^TEST||19450101|F"
PV1 = "PV1|1|O|IR^SUITE 2^A^SYNTHETIC HOSPITAL|||||||||||||||SYN-VISIT-0001"


def msh(control_id: str, kind: str = "MDM^T02^MDM_T02", charset: str = "UNICODE UTF-8", encoding: str = "^~\\&") -> str:
    return f"MSH|{encoding}|SYNTHETIC_DICT|SYNTHETIC HOSPITAL|NOTECHECK|SYNTHETIC HOSPITAL|20261201083000||{kind}|" \
           f"{control_id}|P|2.5.1||||||{charset}"


def txa(document_id: str, completion: str = "AU", availability: str = "AV") -> str:
    fields = ["TXA", "1", "OP", "TX", "20261201080000", PROVIDER, "20261201083000", "", "", "", "", "",
              document_id, "", "", "", "", completion, "", availability, "", "", PROVIDER]
    return "|".join(fields)


def obx(lines: list[str], value_type: str = "TX", first: int = 1) -> list[str]:
    return [f"OBX|{number}|{value_type}|28570-0^Procedure note^LN||{ESCAPER.escape(line)}||||||F"
            for number, line in enumerate(lines, first)]


def note_lines(name: str) -> list[str]:
    return (NOTES / f"{name}.txt").read_text(encoding="utf-8").split("\n")


def mdm(control_id: str, document_id: str, note: str) -> list[str]:
    return [msh(control_id), "EVN|T02|20261201083000", PID, PV1, txa(document_id), *obx(note_lines(note))]


def broken(control_id: str, document_id: str, note: str) -> list[str]:
    """A message whose first long note line kept a raw line break: one segment split in two."""
    segments = mdm(control_id, document_id, note)
    at = next(n for n, segment in enumerate(segments) if segment.startswith("OBX") and len(segment) > 120)
    cut = segments[at].index(" ", 80)
    segments[at:at + 1] = [segments[at][:cut], segments[at][cut + 1:]]
    return segments


def batch() -> list[list[str]]:
    return [mdm("SYN-MSG-0001", "SYN-DOC-0001", "bilateral_complete"),
            mdm("SYN-MSG-0002", "SYN-DOC-0002", "missing_imaging"),
            broken("SYN-MSG-0003", "SYN-DOC-0003", "needles_both_cement_one"),
            mdm("SYN-MSG-0004", "SYN-DOC-0004", "unilateral_right")]


def oru() -> list[list[str]]:
    """ORU^R01: id from OBR-3; the second message has no filler number (id from MSH-10) and one FT OBX."""
    first = [msh("SYN-MSG-0201", "ORU^R01^ORU_R01"), PID, PV1,
             f"OBR|1|SYN-PLC-0201|SYN-ORD-0201|28570-0^Procedure note^LN|||20261201080000|||||||||{PROVIDER}"
             "||||||20261201083000|||F", *obx(note_lines("checkbox_template"), "FT")]
    text = "\\.br\\".join(ESCAPER.escape(line) for line in note_lines("lumbar_kyphoplasty_trap"))
    second = [msh("SYN-MSG-0202", "ORU^R01^ORU_R01"), PID, PV1,
              f"OBR|1|SYN-PLC-0202||28570-0^Procedure note^LN|||20261201080000|||||||||{PROVIDER}||||||"
              "20261201083000|||F", f"OBX|1|FT|28570-0^Procedure note^LN||{text}||||||F"]
    return [first, second]


ESCAPE_LINE = ("SYNTHETIC ESCAPE TEST: pipe \\F\\ caret \\S\\ amp \\T\\ tilde \\R\\ backslash \\E\\ hex \\X41\\ "
               "\\H\\bold\\N\\ end\\.br\\second line")


def edge_cases() -> list[list[str]]:
    """One message per rule: escapes and OBX order, id fallbacks, and each kind of error row."""
    escapes = mdm("SYN-MSG-0101", "SYN-DOC-0101", "bilateral_no_balloon_no_biopsy")
    escapes[5:] = [f"OBX|1|TX|28570-0^Procedure note^LN||{ESCAPE_LINE}||||||F",
                   *reversed(obx(note_lines("bilateral_no_balloon_no_biopsy"), first=2))]  # OBX-1 order must win
    from_obr = mdm("SYN-MSG-0102", "", "missing_bilateral")
    from_obr.insert(5, "OBR|1|SYN-PLC-0102|SYN-ORD-0102|28570-0^Procedure note^LN")
    from_msh = mdm("SYN-MSG-0103", "", "negated_biopsy")
    cancelled = mdm("SYN-MSG-0104", "SYN-DOC-0104", "addendum_correction")
    cancelled[4] = txa("SYN-DOC-0104", availability="CA")
    obsolete = mdm("SYN-MSG-0105", "SYN-DOC-0105", "consent_only")
    obsolete[4] = txa("SYN-DOC-0105", completion="OB")
    no_obx = mdm("SYN-MSG-0106", "SYN-DOC-0106", "missing_cement")[:5]
    bad_encoding = mdm("SYN-MSG-0107", "SYN-DOC-0107", "missing_cement")
    bad_encoding[0] = msh("SYN-MSG-0107", encoding="^~")
    bad_escape = mdm("SYN-MSG-0108", "SYN-DOC-0108", "laterality_spread")
    bad_escape[7] = bad_escape[7].replace("||||||F", "\\Q7\\||||||F")
    bad_charset = mdm("SYN-MSG-0109", "SYN-DOC-0109", "billing_codes_modifier")
    bad_charset[0] = msh("SYN-MSG-0109", charset="ISO IR87")
    latin1 = mdm("SYN-MSG-0110", "SYN-DOC-0110", "missing_cement")
    latin1[0] = msh("SYN-MSG-0110", charset="8859/1")
    latin1 += obx(["Dictated by: Dr. Mu\u00f1oz (SYNTHETIC)"], first=len(latin1) - 4)
    return [escapes, from_obr, from_msh, cancelled, obsolete, no_obx, bad_encoding, bad_escape, bad_charset, latin1]


def write(name: str, messages: list[list[str]], segment_end: str = "\n", between: str = "\n",
          frame: tuple[str, str] = ("", ""), envelope: bool = False, charset: str = "utf-8") -> None:
    parts = [frame[0] + segment_end.join(m) + segment_end + frame[1] for m in messages]
    if envelope:
        parts = ["FHS|^~\\&|SYNTHETIC_DICT|SYNTHETIC HOSPITAL|||20261201090000" + segment_end
                 + "BHS|^~\\&|SYNTHETIC_DICT|SYNTHETIC HOSPITAL|||20261201090000" + segment_end,
                 *parts, f"BTS|{len(messages)}{segment_end}FTS|1{segment_end}"]
    (HERE / name).write_bytes(between.join(parts).encode(charset) if not envelope else "".join(parts).encode(charset))


def main() -> None:
    write("mdm_batch.hl7", batch())
    write("mdm_batch_mllp.hl7", batch(), segment_end="\r", between="", frame=("\x0b", "\x1c\r"))
    write("mdm_batch_fhs.hl7", batch(), segment_end="\r", envelope=True)
    write("oru_r01.hl7", oru(), segment_end="\r\n")
    cases = edge_cases()
    write("edge_cases.txt", cases[:-1])
    (HERE / "edge_cases_latin1.hl7").write_bytes("\r".join(cases[-1]).encode("latin-1") + b"\r")


if __name__ == "__main__":
    main()
