"""The audit history (--history FILE, `notecheck history`): real audits in subprocesses appending to a real SQLite
file over three nights of changing inputs, a SIGKILLed audit, a resumed one, two appends at once, a migration from
the first schema version, and a scan of the file's bytes for anything a note or its metadata planted."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser import axe_violations, browser_page
from paths import CORPUS, SAMPLES
from processes import kill_after_rows

from notecheck.batch.history.schema import MIGRATIONS
from notecheck.batch.history.store import connect, migrate
from notecheck.rules import ELEMENT_IDS

PLANTED = ("Jonathan Quixley", "MRN99887766", "1961-04-17", "Zyxquorblat")
"""A patient's name, MRN and birth date, and a made-up word, put in every note's text and its metadata."""
FIELDS = "provider,department"


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "notecheck.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


def audit(*args: str) -> subprocess.CompletedProcess[str]:
    return cli("audit", "--quiet", "--fail-on", "never", *args)


def sample(name: str) -> str:
    """A sample note with the planted patient data in a header line and the made-up word in a sentence."""
    return (f"Patient: {PLANTED[0]}  MRN: {PLANTED[1]}  DOB: {PLANTED[2]}\n"
            + (SAMPLES / f"{name}.txt").read_text() + f"\nTransport by {PLANTED[3]} ambulance.\n")


def write_night(folder: Path, notes: list[tuple[str | None, str, str, str]], files: dict[str, str]) -> list[str]:
    """A night's inputs: a JSONL export (id, text, provider, department, and fields never grouped by), one
    malformed line, and a folder of note files; returns the inputs to audit."""
    folder.mkdir()
    with (folder / "export.jsonl").open("w") as out:
        for note_id, name, provider, department in notes:
            out.write(json.dumps({"note_id": note_id, "text": sample(name), "provider": provider,
                                  "department": department, "mrn": PLANTED[1], "patient": PLANTED[0]}) + "\n")
        out.write('{"note_id": "broken", "text": \n')
    (folder / "files").mkdir()
    for stem, name in files.items():
        (folder / "files" / f"{stem}.txt").write_text(sample(name))
    return [str(folder / "export.jsonl"), str(folder / "files")]


NIGHTS = {
    "2026-11-21": ([("enc-1", "missing_imaging", "Dr. A", "IR"), ("enc-2", "bilateral_complete", "Dr. A", "IR"),
                    ("enc-3", "consent_only", "Dr. B", "Spine"), ("enc-4", "missing_cement", "Dr. B", "Spine"),
                    (None, "bilateral_complete", "Dr. B", "Spine")],
                   {"f-1": "missing_imaging"}),
    "2026-11-22": ([("enc-1", "addendum_correction", "Dr. A", "IR"), ("enc-5", "unilateral_right", "Dr. B", "Spine"),
                    (None, "missing_imaging", "Dr. B", "Spine")],
                   {"f-1": "bilateral_complete", "f-2": "lumbar_kyphoplasty_trap"}),
    "2026-11-23": ([("enc-2", "missing_imaging", "Dr. A", "IR"), ("enc-6", "negated_biopsy", "Dr. B", "Spine"),
                    ("enc-4", "missing_cement", "Dr. B", "Spine")],
                   {"f-1": "bilateral_complete"}),
}
"""Three nights over changing inputs. enc-1 and the file f-1 turn complete (an addendum landed), enc-2 turns back;
enc-4 is audited twice, in review both times (needles, no cement: the rules read a discontinued procedure, the learned
reader a sacroplasty), so not complete; the two notes without an id (line-5, line-3) are two notes, never
one. Per night, by latest verdict: 2 of 5 complete, 3 of 4, 2 of 4; over the period 5 of 8 (Dr. A 1 of 2,
Dr. B 3 of 5, no provider 1 of 1)."""
EXPECTED_NIGHTS = {"2026-11-21": (5, 2, 1, 1), "2026-11-22": (4, 3, 1, 1), "2026-11-23": (4, 2, 0, 1)}
"""night -> applicable notes, complete, not applicable, error rows."""
EXPECTED_PROVIDERS = {"Dr. B": (5, 3, "cement_injection"), "Dr. A": (2, 1, "imaging_guidance"),
                      "(none)": (1, 1, "")}


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three audits with --history, one a night, each over its own export and its own folder."""
    root = tmp_path_factory.mktemp("nights")
    for night, (notes, files) in NIGHTS.items():
        inputs = write_night(root / night, notes, files)
        proc = audit(*inputs, "-o", str(root / f"audit-{night}"), "--history", str(root / "history.db"),
                     "--run-date", night, "--group-by", FIELDS, "--workers", "1")
        assert proc.returncode == 0, proc.stderr
    return root


def query(path: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(sql, params).fetchall()


def history_csv(path: Path, *args: str) -> list[dict[str, str]]:
    proc = cli("history", str(path), "--format", "csv", *args)
    assert proc.returncode == 0, proc.stderr
    return list(csv.DictReader(io.StringIO(proc.stdout)))


def test_three_nights_give_three_runs_and_the_right_rates(nights: Path) -> None:
    history = nights / "history.db"
    assert query(history, "SELECT run, run_date, notes FROM runs ORDER BY run") == [
        (1, "2026-11-21", 7), (2, "2026-11-22", 6), (3, "2026-11-23", 5)]
    verdicts = dict(query(history, "SELECT source || ' ' || note_id || ' ' || run, outcome FROM notes"))
    assert verdicts["jsonl enc-1 1"] == "incomplete" and verdicts["jsonl enc-1 2"] == "complete"
    assert verdicts["file f-1 1"] == "incomplete" and verdicts["jsonl enc-4 3"] == "review"
    assert verdicts["jsonl enc-4 1"] == "review", "a note re-audited keeps its earlier rows"
    assert query(history, "SELECT note_id, matched FROM notes WHERE note_id LIKE 'line-%' ORDER BY run, position") == [
        ("line-5", 0), ("line-6", 0), ("line-3", 0), ("line-4", 0), ("line-4", 0)]
    rows = {r["night"]: r for r in history_csv(history, "--table", "nights")}
    for night, (applicable, complete, not_applicable, errors) in EXPECTED_NIGHTS.items():
        row = rows[night]
        assert (int(row["notes"]), int(row["complete"]), int(row["not_applicable"]), int(row["error_rows"])) == (
            applicable, complete, not_applicable, errors), night
        assert float(row["share_complete"]) == round(complete / applicable, 4)
    providers = {r["value"]: r for r in history_csv(history) if r["field"] == "provider"}
    assert {value: (int(r["notes"]), int(r["complete"]), r["most_missing"]) for value, r in providers.items()} == {
        value: (n, c, _label(element)) for value, (n, c, element) in EXPECTED_PROVIDERS.items()}
    changes = {(r["change"], r["note_id"], r["before_night"], r["after_night"])
               for r in history_csv(history, "--table", "transitions")}
    assert changes == {("to complete", "enc-1", "2026-11-21", "2026-11-22"),
                       ("to complete", "f-1", "2026-11-21", "2026-11-22"),
                       ("to not complete", "enc-2", "2026-11-21", "2026-11-23")}


def _label(element: str) -> str:
    from notecheck.rules import load_patterns

    return load_patterns().elements[element].label if element else ""


def test_history_command_reproduces_the_pages_per_provider_rates(nights: Path) -> None:
    page = (nights / "audit-2026-11-23" / "report.html").read_text()
    section = page[page.index('<section class="trends"'):page.index("</section>", page.index('class="trends"'))]
    table = section[section.index("<h3>Trends by provider"):]
    shown = dict(re.findall(r"<tr><td>([^<]+)</td><td>\d+</td><td>\d+</td><td><svg.*?</svg> ([\d.]+%)</td>",
                            table.split("</table>")[0]))
    text = cli("history", str(nights / "history.db")).stdout
    assert shown == {"Dr. B": "60.0%", "Dr. A": "50.0%", "(none)": "100.0%"}
    for provider, share in shown.items():
        assert re.search(rf"^{re.escape(provider)}\s+\d+\s+\d+\s+{re.escape(share)}\s", text, re.MULTILINE), provider
    assert "3 runs, 8 applicable notes, 62.5% complete" in text and "62.5% complete" in section
    earlier = cli("history", str(nights / "history.db"), "--until", "2026-11-22", "--group-by", "department").stdout
    assert "2 runs" in earlier and "By provider" not in earlier and "By department" in earlier


def test_the_history_holds_no_note_text_and_no_field_outside_group_by(nights: Path) -> None:
    history = nights / "history.db"
    data = history.read_bytes()
    for planted in PLANTED:
        assert planted.encode() not in data, planted
    assert b"mrn" not in data.lower() and b"patient" not in data.lower()
    legitimate = " ".join(
        [sql for (sql,) in query(history, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")]
        + [" ".join(row) for row in query(history, "SELECT inputs, options, group_by FROM runs")]
        + [" ".join(row) for row in query(history, "SELECT field, value FROM metadata")]
        + [d for (d,) in query(history, "SELECT description FROM schema_migrations")] + list(ELEMENT_IDS))
    texts = [(SAMPLES / f"{name}.txt").read_text() for notes, files in NIGHTS.values()
             for name in [n[1] for n in notes] + list(files.values())]
    words = {word for text in texts for word in re.findall(r"[A-Za-z]{7,}", text)} - set(
        re.findall(r"[A-Za-z]{7,}", legitimate))
    assert len(words) > 100
    assert sorted(word for word in words if word.encode() in data) == []
    assert {field for (field,) in query(history, "SELECT DISTINCT field FROM metadata")} == {"provider", "department"}


def test_hashed_ids_under_a_key(tmp_path: Path) -> None:
    key = tmp_path / "history.key"
    key.write_text("9f" * 32 + "\n")
    key.chmod(0o600)
    inputs = write_night(tmp_path / "night", [("MRN12345678-01", "missing_imaging", "Dr. A", "IR"),
                                              (None, "bilateral_complete", "Dr. A", "IR")], {})
    history = tmp_path / "history.db"
    args = (*inputs, "--history", str(history), "--group-by", "provider")
    assert audit(*args, "-o", str(tmp_path / "o1"), "--history-key", str(key)).returncode == 0
    assert b"MRN12345678" not in history.read_bytes()
    ids = query(history, "SELECT note_id, matched FROM notes ORDER BY position")
    assert re.fullmatch(r"h:[0-9a-f]{32}", ids[0][0]) and ids[0][1] == 1 and ids[1] == ("line-2", 0)
    assert query(history, "SELECT value FROM settings WHERE name = 'ids'") == [("hmac-sha256",)]
    assert audit(*args, "-o", str(tmp_path / "o2"), "--history-key", str(key), "--run-date", "2026-12-01"
                 ).returncode == 0
    assert len({note_id for (note_id,) in query(history, "SELECT note_id FROM notes WHERE matched = 1")}) == 1
    refused = audit(*args, "-o", str(tmp_path / "o3"))
    assert refused.returncode == 2 and "keeps hashed note ids; give its key with --history-key" in refused.stderr
    assert not (tmp_path / "o3").exists(), "a history it cannot append to is refused before the run"
    other = tmp_path / "other.key"
    other.write_text("a" * 64)
    other.chmod(0o644)
    loose = audit(*args, "-o", str(tmp_path / "o4"), "--history-key", str(other))
    assert loose.returncode == 2 and "readable by other users; chmod 600" in loose.stderr
    other.chmod(0o600)
    wrong = audit(*args, "-o", str(tmp_path / "o5"), "--history-key", str(other))
    assert wrong.returncode == 2 and "not the key this history's ids were hashed with" in wrong.stderr
    assert query(history, "SELECT count(*) FROM runs") == [(2,)]


def big_batch(path: Path, copies: int) -> Path:
    with path.open("w") as out:
        for i in range(copies):
            for note in sorted(CORPUS.glob("*.txt")):
                out.write(json.dumps({"note_id": f"{note.stem}-{i}", "text": note.read_text(),
                                      "provider": f"Dr. {note.stem[0]}"}) + "\n")
    return path


def test_killed_audit_adds_no_run_and_its_resume_adds_it_once(tmp_path: Path) -> None:
    batch, out, history = big_batch(tmp_path / "batch.jsonl", 3), tmp_path / "out", tmp_path / "history.db"
    args = [sys.executable, "-m", "notecheck.cli", "audit", "--quiet", str(batch), "-o", str(out), "--workers", "1",
            "--history", str(history), "--group-by", "provider", "--fail-on", "never"]
    assert 40 <= kill_after_rows(args, out / "results.jsonl", 40) < 300
    assert query(history, "SELECT count(*) FROM runs") == [(0,)]
    assert query(history, "SELECT count(*) FROM notes") == [(0,)]
    for _ in range(2):  # the second --resume finds the run already recorded
        done = subprocess.run([*args, "--resume"], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    run_id = json.loads((out / "manifest.json").read_text())["run_id"]
    assert query(history, "SELECT run_uid, notes FROM runs") == [(run_id, 300)]
    assert query(history, "SELECT count(*), count(DISTINCT position) FROM notes") == [(300, 300)]


KILL_INSIDE = """
import os, signal, sys
from pathlib import Path
from notecheck.batch.audit import iter_rows
from notecheck.batch.history import HistorySettings, RunRecord, recording

run = RunRecord(uid="killed", run_date="2026-11-30", started="2026-11-30 02:00 UTC", judged_against=None,
                version="test", inputs=["x"], group_by=("provider",))
with recording(HistorySettings(Path(sys.argv[1])), run, iter_rows(Path(sys.argv[2]))) as trends:
    print(trends.period.runs, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_process_killed_inside_the_append_leaves_the_history_as_it_was(nights: Path, tmp_path: Path) -> None:
    """SIGKILL between the rows going in and the commit: SQLite's journal rolls the whole run back."""
    history = tmp_path / "history.db"
    history.write_bytes((nights / "history.db").read_bytes())
    proc = subprocess.run([sys.executable, "-c", KILL_INSIDE, str(history), str(nights / "audit-2026-11-23")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL and proc.stdout.strip() == "4", proc.stderr
    assert Path(f"{history}-journal").exists(), "the killed append left its hot journal"
    assert query(history, "SELECT count(*) FROM runs") == [(3,)]
    assert query(history, "SELECT count(*) FROM notes") == [(18,)]
    assert history_csv(history) == history_csv(nights / "history.db")


def test_two_audits_appending_at_once_take_turns_or_one_is_refused(tmp_path: Path) -> None:
    history = tmp_path / "history.db"
    inputs = write_night(tmp_path / "night", [("enc-1", "missing_imaging", "Dr. A", "IR")], {"f-1": "consent_only"})
    assert audit(*inputs, "-o", str(tmp_path / "first"), "--history", str(history)).returncode == 0
    holder = connect(history)
    holder.execute("BEGIN IMMEDIATE")  # a third writer holds the lock while both audits reach their append
    procs = [subprocess.Popen([sys.executable, "-m", "notecheck.cli", "audit", "--quiet", *inputs, "-o",
                               str(tmp_path / name), "--history", str(history), "--fail-on", "never"],
                              stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all((tmp_path / n / "summary.json").exists() for n in "ab"):
        time.sleep(0.1)
    time.sleep(1)
    assert [p.poll() for p in procs] == [None, None], "both wait for the lock"
    holder.execute("ROLLBACK")
    assert [p.wait(120) for p in procs] == [0, 0], [p.stderr.read() for p in procs if p.stderr]
    assert query(history, "SELECT notes FROM runs ORDER BY run") == [(3,), (3,), (3,)]
    assert query(history, "SELECT run, count(*) FROM notes GROUP BY run") == [(1, 3), (2, 3), (3, 3)]
    holder.execute("BEGIN IMMEDIATE")
    args = (*inputs, "-o", str(tmp_path / "c"), "--history", str(history), "--history-wait", "1")
    refused = audit(*args)
    holder.execute("ROLLBACK")
    holder.close()
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        f"notecheck: error: {history}: another notecheck audit held the history's write lock for over 1 s; nothing "
        "was recorded (run the audit again with --resume to record this run)"]
    assert not (tmp_path / "c" / "report.html").exists()
    assert query(history, "SELECT count(*) FROM runs") == [(3,)]
    assert audit(*args, "--resume").returncode == 0
    assert query(history, "SELECT count(*) FROM runs") == [(4,)]


def test_a_first_version_history_is_migrated_and_kept(tmp_path: Path) -> None:
    """A history written by schema version 1 (built here by its own migration) is upgraded in place by the next
    audit: its run stays, its ids are marked plain, and the new run's trends reach back to it."""
    history = tmp_path / "history.db"
    connection = connect(history)
    assert migrate(connection, history, upto=1) == 1
    connection.executescript("""
        INSERT INTO runs VALUES (1, 'v1-run', '2026-11-20', '2026-11-20 02:00 UTC', '2026-11-20T02:10:00+00:00',
                                 NULL, '0.1.0', '["old.jsonl"]', '{}', '["provider"]', 1);
        INSERT INTO notes VALUES (1, 0, 'jsonl', 'enc-1', 1, 'incomplete', '0201T', '0201T');
        INSERT INTO missing VALUES (1, 0, 'imaging_guidance');
        INSERT INTO metadata VALUES (1, 0, 'provider', 'Dr. A');
    """)
    connection.close()
    assert query(history, "PRAGMA user_version") == [(1,)]
    inputs = write_night(tmp_path / "night", [("enc-1", "bilateral_complete", "Dr. A", "IR")], {})
    proc = audit(*inputs, "-o", str(tmp_path / "out"), "--history", str(history), "--run-date", "2026-11-21",
                 "--group-by", "provider")
    assert proc.returncode == 0, proc.stderr
    assert query(history, "PRAGMA user_version") == [(MIGRATIONS[-1].version,)]
    assert [v for (v,) in query(history, "SELECT version FROM schema_migrations")] == [m.version for m in MIGRATIONS]
    assert query(history, "SELECT run_uid, ids FROM runs ORDER BY run")[0] == ("v1-run", "plain")
    assert query(history, "SELECT value FROM settings WHERE name = 'ids'") == [("plain",)]
    assert query(history, "SELECT run_date, note_id, outcome, missing FROM note_results ORDER BY run, position")[:2] == [
        ("2026-11-20", "enc-1", "incomplete", "imaging_guidance"), ("2026-11-21", "enc-1", "complete", None)]
    assert "Notes that turned complete (an addendum landed): 1" in (tmp_path / "out" / "report.html").read_text()
    with sqlite3.connect(history) as newer:
        newer.execute("PRAGMA user_version = 99")
    refused = cli("history", str(history))
    assert refused.returncode == 2 and "schema version 99 is newer than this notecheck's" in refused.stderr


def test_sources_and_fallback_ids_of_every_reader(tmp_path: Path) -> None:
    """A note is keyed by its kind of source and its id; an id a reader made up from a position is never matched."""
    text = sample("bilateral_complete")
    (tmp_path / "in").mkdir()
    table = tmp_path / "in" / "t.csv"
    with table.open("w", newline="") as out:
        csv.writer(out).writerows([["note_id", "text"], ["c-1", text], ["", text]])
    bundle = {"resourceType": "Bundle", "entry": [{"resource": {
        "resourceType": "DocumentReference", "content": [{"attachment": {"contentType": "text/plain", "data": ""}}]}}]}
    (tmp_path / "in" / "b.json").write_text(json.dumps(bundle))
    (tmp_path / "in" / "notes").mkdir()
    (tmp_path / "in" / "notes" / "enc-9.txt").write_text(text)
    history = tmp_path / "history.db"
    inputs = [str(table), str(tmp_path / "in" / "b.json"), str(SAMPLES / "hl7" / "oru_r01.hl7"),
              str(tmp_path / "in" / "notes")]
    assert audit(*inputs, "-o", str(tmp_path / "out"), "--history", str(history)).returncode == 0
    assert query(history, "SELECT source, note_id, matched FROM notes ORDER BY position") == [
        ("csv", "c-1", 1), ("csv", "row-3", 0), ("fhir", "DocumentReference", 0),
        *[("hl7", note_id, 1) for (note_id,) in query(history, "SELECT note_id FROM notes WHERE source = 'hl7'")],
        ("file", "enc-9", 1)]


def test_bad_history_files_and_dates_are_one_line_errors(tmp_path: Path) -> None:
    note = tmp_path / "n.txt"
    note.write_text(sample("bilateral_complete"))
    (tmp_path / "folder").mkdir()
    (tmp_path / "text.db").write_text("not a database, just text\n" * 100)
    with sqlite3.connect(tmp_path / "other.db") as other:
        other.execute("CREATE TABLE patients (name TEXT)")
    empty = tmp_path / "empty.db"
    migrate(connect(empty), empty)
    cases = [
        (("audit", "--quiet", str(note), "-o", str(tmp_path / "o1"), "--history", str(tmp_path / "folder")),
         "is a folder; --history names a file"),
        (("audit", "--quiet", str(note), "-o", str(tmp_path / "o2"), "--history", str(tmp_path / "text.db")),
         "not a notecheck history (not an SQLite database)"),
        (("audit", "--quiet", str(note), "-o", str(tmp_path / "o3"), "--history", str(tmp_path / "other.db")),
         "not a notecheck history (an SQLite database of another program)"),
        (("audit", "--quiet", str(note), "-o", str(tmp_path / "o4"), "--history", str(tmp_path / "h.db"),
          "--run-date", "28/11/2026"), "--run-date '28/11/2026': not a date (expected YYYY-MM-DD)"),
        (("audit", "--quiet", str(note), "-o", str(tmp_path / "o5"), "--run-date", "2026-11-28"),
         "--history-key and --run-date only apply with --history FILE"),
        (("history", str(tmp_path / "absent.db")), "no such history file"),
        (("history", str(empty)), f"{empty}: the history holds no run yet"),
        (("history", str(empty), "--since", "2026-13-01"), "--since '2026-13-01': not a date"),
        (("history", str(tmp_path / "other.db")), "an SQLite database of another program"),
    ]
    for args, message in cases:
        proc = cli(*args)
        assert proc.returncode == 2 and message in proc.stderr and len(proc.stderr.splitlines()) == 1, (args, proc)
    assert not any((tmp_path / f"o{i}").exists() for i in range(1, 6)), "refused before the run"
    assert query(tmp_path / "other.db", "SELECT name FROM sqlite_master") == [("patients",)]
    spark = cli("spark", str(note), "--history", str(tmp_path / "h.db"))
    assert spark.returncode == 2 and "unrecognized arguments: --history" in spark.stderr, "Spark runs are not recorded"


def test_the_file_reads_in_sqlite3_and_pandas(nights: Path) -> None:
    history = nights / "history.db"
    sqlite = subprocess.run(["sqlite3", "-readonly", str(history), "SELECT count(*) FROM note_results"],
                            capture_output=True, text=True, check=False) if os.path.exists("/usr/bin/sqlite3") else None
    if sqlite is not None:
        assert sqlite.stdout.strip() == "18"
    pandas = pytest.importorskip("pandas", reason="pandas comes with the [spark] extra")
    with sqlite3.connect(f"file:{history}?mode=ro", uri=True) as connection:
        frame = pandas.read_sql("SELECT r.run_date, n.outcome, m.value AS provider FROM note_results n JOIN runs r "
                                "USING (run) JOIN metadata m USING (run, position) WHERE m.field = 'provider'",
                                connection)
    assert len(frame) == 11 and set(frame["provider"]) == {"Dr. A", "Dr. B"}


def test_the_trend_section_in_headless_chromium(nights: Path, tmp_path: Path) -> None:
    """The page as a QA lead opens it from disk: the trend section's chart and tables, no request beyond the file,
    WCAG 2.1 AA by axe-core on screen and in print, and the print layout (no sticky bar over the tables)."""
    report = nights / "audit-2026-11-23" / "report.html"
    with browser_page(tmp_path / "profile") as page:
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(report.as_uri())
        page.wait_for_selector("body[data-ready='1']")
        assert page.locator("#trends h2").inner_text() == "Trends over the last 30 nights, 2026-10-25 to 2026-11-23"
        assert page.locator("#trends svg.nights rect.bar").count() == 3
        nights_table = page.locator("#trends table").first.locator("tr")
        shown = [nights_table.nth(i).locator("td").all_inner_texts() for i in range(1, nights_table.count())]
        assert [(row[0], row[4]) for row in shown] == [("2026-11-21", "40.0%"), ("2026-11-22", "75.0%"),
                                                       ("2026-11-23", "50.0%")]
        providers = page.locator("#trends .panel", has_text="Trends by provider").locator("tr")
        rates = {cells[0]: cells[3].strip() for cells in (providers.nth(i).locator("td").all_inner_texts()
                                                          for i in range(1, providers.count()))}
        expected = {r["value"]: f"{float(r['share_complete']):.1%}" for r in history_csv(nights / "history.db")
                    if r["field"] == "provider"}
        assert rates == expected == {"Dr. B": "60.0%", "Dr. A": "50.0%", "(none)": "100.0%"}
        assert page.locator("#trends h3", has_text="turned complete").inner_text().endswith(": 2")
        assert axe_violations(page) == []
        page.emulate_media(media="print")
        assert page.evaluate("getComputedStyle(document.querySelector('.filters')).position") == "static"
        assert page.locator("#trends").is_visible() and axe_violations(page) == []
        page.screenshot(path=str(tmp_path / "print.png"), full_page=True)
    assert requests and all(url.startswith("file://") for url in requests), requests
