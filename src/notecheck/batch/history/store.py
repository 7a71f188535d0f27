"""The history file: opened, checked and upgraded before a run; one transaction appends a whole run at its end.

SQLite through the standard library (README, Audit history): no dependency, a stable file format, file locking
that serialises two writers. The audit opens the file twice: at its start, to refuse a bad ``--history`` before
hours of work (a folder, another program's database, a schema newer than this notecheck), and at its end, after
every row is in results.jsonl, to append the run, read the trends and commit. No connection is held while the
workers run: an SQLite connection must not cross a fork.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path

from ...errors import NotecheckError
from ...models import AuditRow
from .keys import HASHED, PLAIN, fingerprint, hashed_id, read_key
from .schema import APPLICATION_ID, CURRENT_VERSION, MIGRATIONS

DEFAULT_WAIT = 600.0
"""Seconds an audit waits for another audit's append to the same history before it gives up."""
DEFAULT_NIGHTS = 30


@dataclass(frozen=True)
class HistorySettings:
    """Where the history lives and how the audit uses it (the --history options)."""

    path: Path
    nights: int = DEFAULT_NIGHTS
    run_date: str | None = None
    wait: float = DEFAULT_WAIT
    key_file: Path | None = None
    """A secret key: note ids are kept as keyed hashes (keys.py)."""

    def key(self) -> bytes | None:
        return read_key(self.key_file) if self.key_file else None


@dataclass(frozen=True)
class RunRecord:
    """A run's context as the history keeps it: no note text, no metadata beyond ``group_by``."""

    uid: str
    run_date: str
    started: str
    judged_against: str | None
    version: str
    inputs: list[str]
    options: dict[str, object] = field(default_factory=dict)
    group_by: tuple[str, ...] = ()


def connect(path: Path, wait: float = DEFAULT_WAIT, create: bool = True) -> sqlite3.Connection:
    """An autocommit connection (transactions are explicit) that waits ``wait`` s for another writer's lock."""
    if path.is_dir():
        raise NotecheckError(f"{path}: is a folder; --history names a file")
    if not create and not path.is_file():
        raise NotecheckError(f"{path}: no such history file")
    try:
        connection = sqlite3.connect(path, timeout=wait, isolation_level=None)
        connection.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        raise NotecheckError(f"{path}: cannot open the history ({exc})") from None
    return connection


@contextmanager
def transaction(connection: sqlite3.Connection, path: Path, wait: float) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT: the write lock is taken first, so two audits appending to one history take turns
    (the second waits up to ``wait`` s, then stops with one line); anything raised, or a kill, rolls it all back."""
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise _refused(path, exc, wait) from None
    try:
        yield
        connection.execute("COMMIT")
    except BaseException as exc:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise _refused(path, exc, wait) from None
        raise


def _refused(path: Path, exc: sqlite3.Error, wait: float) -> NotecheckError:
    if "locked" in str(exc) or "busy" in str(exc):
        return NotecheckError(f"{path}: another notecheck audit held the history's write lock for over {wait:g} s; "
                              "nothing was recorded (run the audit again with --resume to record this run)")
    if "not a database" in str(exc):
        return NotecheckError(f"{path}: not a notecheck history (not an SQLite database)")
    return NotecheckError(f"{path}: cannot write the history ({exc})")


def _statements(script: str) -> Iterator[str]:
    """A migration script one statement at a time: executescript() would commit the open transaction."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending
            pending = ""


def schema_version(connection: sqlite3.Connection, path: Path) -> int:
    """The file's schema version; a database that is not a notecheck history, or a newer one, is refused."""
    try:
        application = connection.execute("PRAGMA application_id").fetchone()[0]
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        tables = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise _refused(path, exc, 0) from None
    if application != APPLICATION_ID and (version or tables):
        raise NotecheckError(f"{path}: not a notecheck history (an SQLite database of another program)")
    if version > CURRENT_VERSION:
        raise NotecheckError(f"{path}: history schema version {version} is newer than this notecheck's "
                             f"({CURRENT_VERSION}); upgrade notecheck to record or read it")
    return int(version)


def migrate(connection: sqlite3.Connection, path: Path, wait: float = DEFAULT_WAIT,
            upto: int = CURRENT_VERSION) -> int:
    """Bring the file to schema ``upto`` (a new file starts at 0), each step in the one transaction that also
    moves ``user_version``: a killed upgrade leaves the file at its old version, never half-way."""
    if schema_version(connection, path) >= upto:
        return upto
    with transaction(connection, path, wait):
        version = schema_version(connection, path)  # another process may have upgraded it meanwhile
        for step in MIGRATIONS[version:upto]:
            for statement in _statements(step.script):
                connection.execute(statement)
            connection.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                               (step.version, step.description, _utc_now()))
            connection.execute(f"PRAGMA user_version = {step.version:d}")
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID:d}")
    return upto


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


_POSITION = re.compile(r":(?:(row|entry|message) )?([0-9]+)$")
_POSITIONAL = {"row": ("csv", "row-"), "entry": ("fhir", "entry-"), "message": ("hl7", "message-"),
               None: ("jsonl", "line-")}
"""How a row's source names its place in a stream ('x.csv:row 3', 'x.jsonl:3') and the id a reader gives a note
that has none there ('row-3', 'line-3'); see inputs/."""


def note_key(source: str, note_id: str) -> tuple[str, bool]:
    """The note's kind of source (file, jsonl, csv, fhir, hl7), and whether its id names the note or only its
    place in this night's export (a fallback id such as line-3, never matched across runs)."""
    place = _POSITION.search(source)
    if place:
        kind, prefix = _POSITIONAL[place.group(1)]
        fallback = note_id == f"{prefix}{place.group(2)}" or (kind == "fhir" and note_id == "DocumentReference")
        return kind, not fallback
    if source.lower().endswith(".json"):
        return "fhir", note_id != "DocumentReference"
    return "file", True


def clean(text: str) -> str:
    """Text SQLite can store: a lone surrogate (from a JSON escape) becomes U+FFFD instead of failing the run."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def check_ids(connection: sqlite3.Connection, path: Path, key: bytes | None, claim: bool = False) -> None:
    """A history keeps all its ids one way: plain, or hashed under one key. A run that would mix them is refused;
    ``claim`` sets the way for a history that has none yet (its first run)."""
    settings = dict(connection.execute("SELECT name, value FROM settings").fetchall())
    wanted = {"ids": HASHED, "key_fingerprint": fingerprint(key)} if key else {"ids": PLAIN}
    if "ids" not in settings:
        if claim:
            connection.executemany("INSERT INTO settings VALUES (?, ?)", wanted.items())
        return
    if settings["ids"] == PLAIN and key:
        raise NotecheckError(f"{path}: this history keeps plain note ids; record hashed ids in a new history "
                             "file (ids hashed from tonight on would never match the earlier nights')")
    if settings["ids"] == HASHED and not key:
        raise NotecheckError(f"{path}: this history keeps hashed note ids; give its key with --history-key FILE")
    if key and settings.get("key_fingerprint") != wanted["key_fingerprint"]:
        raise NotecheckError(f"{path}: the --history-key is not the key this history's ids were hashed with "
                             f"(fingerprint {settings.get('key_fingerprint')}, given {wanted['key_fingerprint']})")


def ids_hashed(connection: sqlite3.Connection) -> bool:
    return connection.execute("SELECT 1 FROM settings WHERE name = 'ids' AND value = ?", (HASHED,)).fetchone() \
        is not None


def insert_run(connection: sqlite3.Connection, run: RunRecord, rows: Iterable[AuditRow], key: bytes | None = None,
               chunk: int = 1000) -> int:
    """Append the run and its rows (inside the caller's transaction); returns the run's number. With ``key``, an id
    that names a note is kept as its keyed hash; a fallback id (line-3) names only a place and is kept as is."""
    cursor = connection.execute(
        "INSERT INTO runs (run_uid, run_date, started, recorded, judged_against, notecheck, inputs, options, "
        "group_by, notes, ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
        (run.uid, run.run_date, run.started, _utc_now(), run.judged_against, run.version,
         json.dumps(run.inputs), json.dumps(run.options, sort_keys=True, default=str), json.dumps(run.group_by),
         HASHED if key else PLAIN))
    number = int(cursor.lastrowid or 0)
    count = 0
    stream = iter(rows)
    while batch := list(islice(stream, chunk)):
        notes, missing, metadata = [], [], []
        for row in batch:
            kind, matched = note_key(row.source, row.note_id)
            note_id = hashed_id(key, kind, row.note_id) if key and matched else clean(row.note_id)
            report = row.report
            notes.append((number, row.row, kind, note_id, int(matched), row.outcome,
                          report.suggested_code if report else None, report.profile if report else None))
            missing.extend((number, row.row, element) for element in (report.missing_required if report else ()))
            metadata.extend((number, row.row, clean(name), clean(row.metadata[name]))
                            for name in run.group_by if row.metadata.get(name) is not None)
        connection.executemany("INSERT INTO notes VALUES (?, ?, ?, ?, ?, ?, ?, ?)", notes)
        connection.executemany("INSERT INTO missing VALUES (?, ?, ?)", missing)
        connection.executemany("INSERT INTO metadata VALUES (?, ?, ?, ?)", metadata)
        count += len(batch)
    connection.execute("UPDATE runs SET notes = ? WHERE run = ?", (count, number))
    return number


def recorded(connection: sqlite3.Connection, uid: str) -> bool:
    return connection.execute("SELECT 1 FROM runs WHERE run_uid = ?", (uid,)).fetchone() is not None
