"""Build the sample batch inputs in this folder from the sample notes: JSON Lines, CSV, a FHIR R4 Bundle, Parquet.

Run from anywhere, with the [spark] extra installed (pyarrow writes the Parquet file; the core install has no
pyarrow): ``python sample_notes/batch/build_samples.py``. Every note is one of ``sample_notes/*.txt``, byte for
byte, so each row's report is that note's golden report (``sample_notes/expected/``) unless the row names a billed
code. Metadata is synthetic and uses the keys every reader gives: ``provider``, ``department``, ``document_date``
(and ``billed_code`` where the feed carries one). No patient identifier appears anywhere.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import sys
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOTES = HERE.parent
COLUMNS = ("note_id", "text", "provider", "department", "document_date", "billed_code")
FHIR_SCHEMA_NOTE = "Synthetic FHIR R4 Bundle for notecheck's documentation and tests; every name is made up."

# (note, provider, department, document date, billed code or ''): which sample note goes to which file.
JSONL = [("bilateral_complete", "Synthetic, Provider A", "Interventional Radiology", "2026-11-02", ""),
         ("unilateral_right", "Synthetic, Provider A", "Interventional Radiology", "2026-11-02", "0201T"),
         ("missing_imaging", "Synthetic, Provider B", "Pain Medicine", "2026-11-03", ""),
         ("consent_only", "Synthetic, Provider B", "Pain Medicine", "2026-11-03", ""),
         ("addendum_correction", "Synthetic, Provider C", "Interventional Radiology", "2026-11-04", "")]
CSV = [("bilateral_no_balloon_no_biopsy", "Synthetic, Provider C", "Interventional Radiology", "2026-11-04", ""),
       ("billing_codes_modifier", "Synthetic, Provider A", "Interventional Radiology", "2026-11-05", "0201T-50"),
       ("checkbox_template", "Synthetic, Provider B", "Pain Medicine", "2026-11-05", ""),
       ("laterality_spread", "Synthetic, Provider C", "Interventional Radiology", "2026-11-06", ""),
       ("lumbar_kyphoplasty_trap", "Synthetic, Provider B", "Pain Medicine", "2026-11-06", "")]
FHIR = [("missing_bilateral", "Synthetic, Provider A", "Interventional Radiology", "2026-11-09", ""),
        ("missing_cement", "Synthetic, Provider C", "Interventional Radiology", "2026-11-09", ""),
        ("needles_both_cement_one", "Synthetic, Provider B", "Pain Medicine", "2026-11-10", ""),
        ("negated_biopsy", "Synthetic, Provider A", "Interventional Radiology", "2026-11-10", "")]
PARQUET = JSONL + CSV + FHIR  # every sample note, for `notecheck spark`


def note_text(name: str) -> str:
    return (NOTES / f"{name}.txt").read_text(encoding="utf-8")


def fhir_id(name: str) -> str:
    """A FHIR id allows letters, digits, '-' and '.', not '_'."""
    return name.replace("_", "-")


def jsonl() -> str:
    """One object a line; billed_code only where the feed knows it."""
    lines = []
    for name, provider, department, date, billed in JSONL:
        record = {"note_id": name, "text": note_text(name), "provider": provider, "department": department,
                  "document_date": date}
        lines.append(json.dumps(record | ({"billed_code": billed} if billed else {}), ensure_ascii=False))
    return "".join(line + "\n" for line in lines)


def csv_text() -> str:
    """A header and one quoted record per note; notes keep their own line breaks (LF, as in the .txt files)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for name, provider, department, date, billed in CSV:
        writer.writerow([name, note_text(name), provider, department, date, billed])
    return out.getvalue()


def _document_reference(name: str, provider: str, department: str, date: str) -> dict:
    data = base64.b64encode(note_text(name).encode("utf-8")).decode("ascii")
    return {"resourceType": "DocumentReference", "id": fhir_id(name), "status": "current",
            "type": {"text": "Procedure note"}, "date": f"{date}T09:00:00Z", "author": [{"display": provider}],
            "context": {"practiceSetting": {"text": department}},
            "content": [{"attachment": {"contentType": "text/plain; charset=utf-8", "data": data}}]}


def fhir_bundle() -> str:
    """A collection Bundle of DocumentReferences, each note a base64 text/plain attachment."""
    entries = [{"fullUrl": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'notecheck-sample/' + name)}",
                "resource": _document_reference(name, provider, department, date)}
               for name, provider, department, date, _ in FHIR]
    bundle = {"resourceType": "Bundle", "id": "notecheck-sample-bundle", "type": "collection",
              "meta": {"tag": [{"display": FHIR_SCHEMA_NOTE}]}, "entry": entries}
    return json.dumps(bundle, indent=2) + "\n"


def parquet_table() -> object:
    """Every sample note as a pyarrow Table (string columns; a null billed_code where none is known)."""
    import pyarrow as pa

    rows = [(name, note_text(name), provider, department, date, billed or None)
            for name, provider, department, date, billed in PARQUET]
    return pa.table({column: pa.array([row[i] for row in rows], pa.string()) for i, column in enumerate(COLUMNS)})


TEXT_FILES = {"notes.jsonl": jsonl, "notes.csv": csv_text, "bundle.json": fhir_bundle}


def main() -> int:
    for name, build in TEXT_FILES.items():
        (HERE / name).write_text(build(), encoding="utf-8", newline="")
    try:
        import pyarrow.parquet as pq
    except ImportError:
        print("notes.parquet needs pyarrow, from the [spark] extra: pip install '.[spark]'", file=sys.stderr)
        return 2
    pq.write_table(parquet_table(), HERE / "notes.parquet", compression="zstd")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
