"""The history file's schema, versioned: each migration is applied once, in order, in its own transaction.

A history is kept for months and read by other tools (sqlite3, DuckDB, pandas, a BI tool), so its tables change
only by a migration appended here, never by editing one already released. ``PRAGMA user_version`` holds the
version a file is at and ``schema_migrations`` when each step ran; ``PRAGMA application_id`` marks the file as a
notecheck history, so a path to some other database is refused instead of altered.
"""

from __future__ import annotations

from dataclasses import dataclass

APPLICATION_ID = 0x4E43484B
"""'NCHK': what `file` and `PRAGMA application_id` show for a notecheck history."""

_V1 = """
CREATE TABLE schema_migrations (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied TEXT NOT NULL                   -- UTC, ISO 8601
);
CREATE TABLE runs (
    run INTEGER PRIMARY KEY,                -- 1, 2, 3 ... in the order runs were recorded
    run_uid TEXT NOT NULL UNIQUE,           -- the audit's run id (manifest.json): a resumed run is recorded once
    run_date TEXT NOT NULL,                 -- YYYY-MM-DD: the night audited (--run-date, else the start date)
    started TEXT NOT NULL,                  -- when the audit started, as manifest.json says
    recorded TEXT NOT NULL,                 -- UTC, ISO 8601: when the run was appended
    judged_against TEXT,                    -- the --billed code every note was judged against; NULL: each note's own
    notecheck TEXT NOT NULL,                -- notecheck version
    inputs TEXT NOT NULL,                   -- JSON list of the inputs as named on the command line
    options TEXT NOT NULL,                  -- JSON object of the audit's options
    group_by TEXT NOT NULL,                 -- JSON list of the metadata fields recorded (--group-by)
    notes INTEGER NOT NULL                  -- rows in this run: one per input note
);
CREATE INDEX runs_by_date ON runs (run_date, run);
CREATE TABLE notes (
    run INTEGER NOT NULL REFERENCES runs (run),
    position INTEGER NOT NULL,              -- 0-based row of the run's results.jsonl
    source TEXT NOT NULL,                   -- kind of input: file, jsonl, csv, fhir, hl7
    note_id TEXT NOT NULL,
    matched INTEGER NOT NULL CHECK (matched IN (0, 1)),  -- 0: a fallback id (line-3), never matched across runs
    outcome TEXT NOT NULL CHECK (outcome IN ('complete', 'incomplete', 'review', 'not_applicable', 'error')),
    code TEXT,                              -- suggested code: 0201T, 0200T, NULL
    judged_against TEXT,                    -- the code this note was judged against (the report's profile)
    PRIMARY KEY (run, position)
);
CREATE INDEX notes_by_key ON notes (source, note_id) WHERE matched = 1;
CREATE TABLE missing (
    run INTEGER NOT NULL,
    position INTEGER NOT NULL,
    element TEXT NOT NULL,                  -- a required element the note does not document
    PRIMARY KEY (run, position, element),
    FOREIGN KEY (run, position) REFERENCES notes (run, position)
);
CREATE TABLE metadata (
    run INTEGER NOT NULL,
    position INTEGER NOT NULL,
    field TEXT NOT NULL,                    -- only the fields named in the run's --group-by
    value TEXT NOT NULL,
    PRIMARY KEY (run, position, field),
    FOREIGN KEY (run, position) REFERENCES notes (run, position)
);
"""

_V2 = """
CREATE TABLE settings (
    name TEXT PRIMARY KEY,                  -- ids: plain or hmac-sha256; key_fingerprint: the key that hashed them
    value TEXT NOT NULL
);
INSERT INTO settings SELECT 'ids', 'plain' WHERE EXISTS (SELECT 1 FROM runs);
ALTER TABLE runs ADD COLUMN ids TEXT NOT NULL DEFAULT 'plain';  -- how this run's note ids are kept
CREATE VIEW note_results AS
SELECT r.run, r.run_date, n.position, n.source, n.note_id, n.matched, n.outcome, n.code, n.judged_against,
       (SELECT group_concat(m.element, ';') FROM missing m WHERE m.run = n.run AND m.position = n.position)
           AS missing
FROM notes n JOIN runs r ON r.run = n.run;
"""


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    script: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "runs, notes, missing elements and --group-by metadata", _V1),
    Migration(2, "keyed hashed note ids (settings, runs.ids) and the note_results view", _V2),
)
CURRENT_VERSION = MIGRATIONS[-1].version
