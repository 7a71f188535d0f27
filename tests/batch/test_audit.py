"""`notecheck audit` through the real CLI: every bad input becomes a row, order is kept, kill-and-resume is exact."""

from __future__ import annotations

import base64
import csv
import json
import subprocess
import sys
from pathlib import Path

from paths import CORPUS, SAMPLES, TESTS
from processes import kill_after_rows

from notecheck.batch.audit import iter_rows
from notecheck.outputs.html_report import card
from notecheck.rules import load_patterns

GOOD = (SAMPLES / "bilateral_complete.txt").read_text()


def audit(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "notecheck.cli", "audit", "--quiet", *args], capture_output=True,
                          timeout=timeout)


def rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def _fhir(doc_id: str, text: bytes, content_type: str = "text/plain; charset=utf-8") -> dict:
    return {"resourceType": "DocumentReference", "id": doc_id, "author": [{"display": "Dr. A"}],
            "content": [{"attachment": {"contentType": content_type, "data": base64.b64encode(text).decode()}}]}


def test_every_bad_input_kind_gets_an_error_row_in_order(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a_good.txt").write_text(GOOD)
    (notes / "b_binary.txt").write_bytes(b"\x89PNG\x00\x00binary")
    (notes / "c_latin1.txt").write_bytes(GOOD.encode("utf-8") + b"\nSigned: Dr. Mu\xf1oz\n")
    (notes / "d_empty.txt").write_text("  \n")
    (notes / "e_huge.txt").write_text(GOOD + "x" * 5000)
    (notes / "f_dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    jsonl = tmp_path / "batch.jsonl"
    jsonl.write_text(json.dumps({"note_id": "j1", "text": GOOD, "provider": "Dr. B"}) + "\n"
                     + "{not json\n" + json.dumps({"note_id": "j3"}) + "\n")
    table = tmp_path / "batch.csv"
    table.write_text('id,body,department\nc1,"' + GOOD.replace('"', '""') + '",IR\nc2,short\n')
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps({"resourceType": "Bundle", "entry": [
        {"resource": _fhir("f1", GOOD.encode("latin-1", "replace"), "text/plain; charset=ISO-8859-1")},
        {"resource": {"resourceType": "DocumentReference", "id": "f2", "content": [
            {"attachment": {"contentType": "application/pdf", "data": "JVBERi0="}}]}},
        {"resource": {"resourceType": "Patient", "id": "p1"}},
    ]}))
    out = tmp_path / "out"
    proc = audit(str(notes), str(jsonl), str(table), str(bundle), "-o", str(out), "--max-bytes", "4000",
                 "--id-column", "id", "--text-column", "body", "--workers", "2")
    assert proc.returncode == 1, proc.stderr.decode()
    got = rows(out)
    assert [r["row"] for r in got] == list(range(len(got)))
    assert [r["note_id"] for r in got] == ["a_good", "b_binary", "c_latin1", "d_empty", "e_huge", "f_dangling",
                                           "j1", "line-2", "j3", "c1", "c2", "f1", "f2", "entry-3"]
    by_id = {r["note_id"]: r for r in got}
    for note_id, reason in [("b_binary", "binary"), ("d_empty", "empty note"), ("e_huge", "over the 4,000-byte"),
                            ("f_dangling", "cannot read"), ("line-2", "malformed JSON"), ("j3", "no 'text'"),
                            ("c2", "malformed CSV row"), ("f2", "no text/plain attachment"),
                            ("entry-3", "Patient, not a DocumentReference")]:
        assert by_id[note_id]["outcome"] == "error" and reason in by_id[note_id]["error"], by_id[note_id]
    assert "invalid UTF-8" in by_id["c_latin1"]["flags"][0] and by_id["c_latin1"]["report"] is not None
    assert by_id["j1"]["metadata"] == {"provider": "Dr. B"} and by_id["c1"]["metadata"] == {"department": "IR"}
    assert by_id["f1"]["report"]["suggested_code"] == "0201T" and by_id["f1"]["metadata"]["provider"] == "Dr. A"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["inputs"] == len(got) == sum(summary["outcomes"].values())
    assert summary["outcomes"]["error"] == 9
    with (out / "results.csv").open() as handle:
        assert [r["note_id"] for r in csv.DictReader(handle)] == [r["note_id"] for r in got]
    page = (out / "report.html").read_text()
    assert page.count('class="card') >= len(got) and "https://" not in page


def test_fail_on_modes_and_usage_error(tmp_path: Path) -> None:
    note = tmp_path / "n.txt"
    note.write_text(GOOD)
    assert audit(str(note), "-o", str(tmp_path / "o1")).returncode == 0
    (tmp_path / "bad.txt").write_bytes(b"\x00")
    assert audit(str(note), str(tmp_path / "bad.txt"), "-o", str(tmp_path / "o2"),
                 "--fail-on", "never").returncode == 0
    assert audit(str(note), str(tmp_path / "bad.txt"), "-o", str(tmp_path / "o3"),
                 "--fail-on", "errors").returncode == 1
    table = tmp_path / "t.csv"
    table.write_text("a,b\n1,2\n")
    proc = audit(str(table), "-o", str(tmp_path / "o4"), "--text-column", "body")
    assert proc.returncode == 2 and "no column 'note_id' in the header" in proc.stderr.decode()


def test_killed_run_resumes_to_identical_output(tmp_path: Path) -> None:
    notes = sorted(CORPUS.glob("*.txt"))
    batch = tmp_path / "batch.jsonl"
    with batch.open("w") as out:
        for i in range(6):
            for path in notes:
                out.write(json.dumps({"note_id": f"{path.stem}-{i}", "text": path.read_text()}) + "\n")
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    assert audit(str(batch), "-o", str(whole), "--workers", "1", "--fail-on", "never").returncode == 0
    args = [sys.executable, "-m", "notecheck.cli", "audit", "--quiet", str(batch), "-o", str(broken),
            "--workers", "2", "--fail-on", "never"]
    results = broken / "results.jsonl"
    written = kill_after_rows(args, results, 150)
    assert 150 <= written < 600, written
    assert audit(str(batch), "-o", str(broken), "--workers", "2", "--resume", "--fail-on", "never").returncode == 0
    assert results.read_bytes() == (whole / "results.jsonl").read_bytes()
    assert (broken / "results.csv").read_bytes() == (whole / "results.csv").read_bytes()
    assert (broken / "summary.json").read_bytes() == (whole / "summary.json").read_bytes()
    assert (broken / "prior_auth.csv").read_bytes() == (whole / "prior_auth.csv").read_bytes()
    # the rows of the killed run are parsed back and rendered by the parent, the rest by the workers: alike
    assert _cards(broken) == _cards(whole)


def _cards(out: Path) -> str:
    """The page's cards, without its header (which names the start time and the number of workers)."""
    with (out / "report.html").open(encoding="utf-8", newline="") as handle:
        page = handle.read()
    return page[page.index('<main id="cards">'):page.index("</main>")]


def test_the_page_shows_every_row_review_first_as_its_card(tmp_path: Path) -> None:
    """Each row's card is rendered by the worker that made the row and spooled until the summary the page opens
    with is known: the page must hold exactly the rows' cards, review first, in the tables' order, bytes included
    (a carriage return in a metadata value, text beyond one spool read)."""
    table = tmp_path / "batch.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["note_id", "text", "ward"])
        # the corpus, then a set with notes in review (tests/holdout2/p027.txt among them)
        for i, path in enumerate(sorted(CORPUS.glob("*.txt")) + sorted((TESTS / "holdout2").glob("*.txt"))):
            writer.writerow([f"n{i}", path.read_text(encoding="utf-8"), f"ward\r{i}"])
    out = tmp_path / "out"
    assert audit(str(table), "-o", str(out), "--fail-on", "never", "--group-by", "ward").returncode == 0
    patterns = load_patterns(None)
    performed = {name for name, category in patterns.sections.categories.items() if category.role != "context"}
    rows = list(iter_rows(out))
    ordered = [row for row in rows if row.outcome == "review"] + [row for row in rows if row.outcome != "review"]
    assert ordered != rows  # the batch has notes in review after others, so the order is tested
    cards = "".join(card(row, performed, ("ward",)) for row in ordered)
    assert len(cards) > 1 << 16 and "\r" in cards
    assert _cards(out) == '<main id="cards">\n' + cards
    with (out / "results.csv").open(newline="", encoding="utf-8") as handle:
        order = [row["note_id"] for row in csv.DictReader(handle)]
    assert order == [row.note_id for row in ordered]
