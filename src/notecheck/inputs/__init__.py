"""Inputs: every way a note arrives, read into ``Note``s and batch ``Item``s with one error row per unreadable one.

Note files and standard input (notes), folders (folders), JSON Lines (jsonl), CSV (csvfile), FHIR R4
DocumentReference and Bundle (fhir, with tolerant_json for hostile nesting), HL7 v2 (hl7), their dispatch in input
order (sources), and the service's request bodies (bodies). No reader knows about checking. May import
``notecheck.errors`` only.
"""

from .folders import InputStats, folder_fingerprint, note_files, walk_notes
from .notes import DEFAULT_MAX_BYTES, Item, Note, decode_note, item_from_bytes, read_capped, read_note
from .sources import iter_inputs

__all__ = ["DEFAULT_MAX_BYTES", "InputStats", "Item", "Note", "decode_note", "folder_fingerprint", "item_from_bytes",
           "iter_inputs", "note_files", "read_capped", "read_note", "walk_notes"]
