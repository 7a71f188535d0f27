"""The hostile-tester probes of issue 9, each through the real CLI in a subprocess, on fixtures made here.

Every probe must end in one error row (or one stderr line and its exit code), never a hang, a crash that loses
the rest of the run, a silently missing row, or patient data in a log, summary or CSV.
"""

from __future__ import annotations

import base64
import csv
import ctypes
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser import chromium, run_chromium
from paths import ROOT

GOOD = (ROOT / "sample_notes" / "bilateral_complete.txt").read_text()
NOT_SACRAL = "Procedure: left knee arthroscopy. The meniscus was trimmed. No complications.\n"
DEEP = "[" * 100_000 + "]" * 100_000
PATIENT = ("Jonathan Quixley", "1961-04-17", "MRN99887766")


def cli(*args: str, timeout: float = 300, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "notecheck.cli", *args], capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def audit(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return cli("audit", "--quiet", *args, **kwargs)


def rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def _fhir_doc(doc_id: str, attachment: object) -> dict:
    return {"resourceType": "DocumentReference", "id": doc_id, "content": [{"attachment": attachment}]}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_hostile_inputs_each_give_exactly_one_error_row(tmp_path: Path) -> None:
    """FIFO, /dev/zero symlink, 4 GB sparse file, deep JSON (line, metadata, FHIR file), FHIR entries with
    contentType null or a list, a 4 MB multi-line CSV field: one error row each, and every other row is there."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a_good.txt").write_text(GOOD)
    os.mkfifo(notes / "b_fifo.txt")
    (notes / "c_zero.txt").symlink_to("/dev/zero")
    with (notes / "d_sparse.txt").open("wb") as handle:
        handle.truncate(4 * 1024**3)
    (notes / "e_good.txt").write_text(GOOD)
    jsonl = tmp_path / "batch.jsonl"
    jsonl.write_text("\n".join([
        json.dumps({"note_id": "j1", "text": GOOD}),
        '{"note_id": "j2", "text": ' + DEEP + "}",
        '{"note_id": "j3", "text": "x", "extra": ' + DEEP + "}",
        json.dumps({"note_id": "j4", "text": GOOD}),
    ]) + "\n")
    deep_fhir = tmp_path / "deep.json"
    good_entry = json.dumps({"resource": _fhir_doc("d{}", {"contentType": "text/plain", "data": _b64(GOOD)})})
    deep_fhir.write_text('{"resourceType": "Bundle", "entry": [' + good_entry.replace("d{}", "d1") + ","
                         + '{"resource": {"resourceType": "DocumentReference", "id": "d2", "x": ' + DEEP + "}},"
                         + good_entry.replace("d{}", "d3") + "]}")
    bundle = tmp_path / "bundle.json"
    entries = [_fhir_doc("f1", {"contentType": "text/plain", "data": _b64(GOOD)}),
               _fhir_doc("f2", {"contentType": None, "data": _b64(GOOD)}),
               _fhir_doc("f3", [{"contentType": "text/plain", "data": _b64(GOOD)}]),
               _fhir_doc("f4", {"contentType": "TEXT/PLAIN; charset=UTF-8", "data": _b64(GOOD)})]
    entries += [_fhir_doc(f"g{i}", {"contentType": "text/plain", "data": _b64(GOOD)}) for i in range(20)]
    bundle.write_text(json.dumps({"resourceType": "Bundle", "entry": [{"resource": e} for e in entries]}))
    table = tmp_path / "big.csv"
    with table.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["note_id", "text"])
        writer.writerow(["c1", GOOD])
        writer.writerow(["c2", "Procedure note line\n" * 220_000])  # 4.4 MB, newlines inside the quoted field
        writer.writerow(["c3", GOOD])
    out = tmp_path / "out"
    start = time.monotonic()
    proc = audit(str(notes), str(jsonl), str(deep_fhir), str(bundle), str(table), "-o", str(out), "--workers", "2",
                 timeout=240)
    assert proc.returncode == 1, proc.stderr
    got = rows(out)
    assert [r["row"] for r in got] == list(range(len(got)))
    by_id = {r["note_id"]: r for r in got}
    expected_ids = ["a_good", "b_fifo", "c_zero", "d_sparse", "e_good", "j1", "line-2", "line-3", "j4", "d1",
                    "entry-2", "d3", "f1", "f2", "f3", "f4", *(f"g{i}" for i in range(20)), "c1", "row-3", "c3"]
    assert [r["note_id"] for r in got] == expected_ids
    errors = {r["note_id"]: r["error"] for r in got if r["outcome"] == "error"}
    assert set(errors) == {"b_fifo", "c_zero", "d_sparse", "line-2", "line-3", "entry-2", "f3", "row-3"}
    assert "not a regular file" in errors["b_fifo"] and "not a regular file" in errors["c_zero"]
    assert "4,294,967,296 bytes, over the 1,000,000-byte limit" in errors["d_sparse"]
    assert "nested too deeply" in errors["line-2"] and "nested too deeply" in errors["line-3"]
    assert "nested too deeply" in errors["entry-2"] and "over the 1,000,000-byte limit" in errors["row-3"]
    # contentType null means the default text/plain; TEXT/PLAIN is text/plain; an attachment given as a list is
    # not an attachment, so its entry has no text attachment: one error row, and the Bundle goes on
    assert by_id["f2"]["outcome"] == "complete" and by_id["f4"]["outcome"] == "complete"
    assert "no text/plain attachment" in errors["f3"]
    for note_id in ("a_good", "e_good", "j1", "j4", "d1", "d3", "f1", "c1", "c3", *(f"g{i}" for i in range(20))):
        assert by_id[note_id]["outcome"] == "complete", by_id[note_id]
    assert time.monotonic() - start < 200


def test_an_endless_jsonl_line_is_one_error_row_read_in_bounded_memory(tmp_path: Path) -> None:
    """A 300 MB line of NUL bytes (sparse) between two notes: never read whole, one error row, both notes kept."""
    batch = tmp_path / "batch.jsonl"
    with batch.open("wb") as handle:
        handle.write(json.dumps({"note_id": "first", "text": GOOD}).encode() + b"\n")
        handle.truncate(handle.tell() + 300 * 1024**2)
        handle.seek(0, 2)
        handle.write(b"\n" + json.dumps({"note_id": "last", "text": GOOD}).encode() + b"\n")
    out = tmp_path / "out"
    probe = ("import resource, subprocess, sys\n"
             "rc = subprocess.run(sys.argv[1:]).returncode\n"
             "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)\n")
    proc = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "notecheck.cli", "audit", "--quiet",
                           str(batch), "-o", str(out)], capture_output=True, text=True, timeout=300)
    code, peak_mb = map(int, proc.stdout.split())
    assert code == 1, proc.stderr
    assert [(r["note_id"], r["outcome"]) for r in rows(out)] == [
        ("first", "complete"), ("line-2", "error"), ("last", "complete")]
    assert "JSON line is over 6,065,536 bytes" in rows(out)[1]["error"]
    assert peak_mb < 250, peak_mb


def test_check_and_query_refuse_pipes_and_devices_in_one_line(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.txt"
    zero.symlink_to("/dev/zero")
    for command in ("check", "query"):
        proc = cli(command, str(fifo), str(zero), timeout=60)
        assert proc.returncode == 2 and proc.stdout == ""
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 2 and all("not a regular file" in line for line in lines), proc.stderr
    note = tmp_path / "n.txt"
    note.write_text(GOOD)
    proc = cli("check", "--max-bytes", "100", str(note))
    assert proc.returncode == 2 and "over the 100-byte limit" in one_line(proc.stderr)


def test_max_bytes_above_spacys_default_limit(tmp_path: Path) -> None:
    """A note over spaCy's 1,000,000-character default is checked when --max-bytes allows it (E088 before)."""
    note = tmp_path / "long.txt"
    note.write_text(GOOD + " " * 1_100_000 + "\nEnd of note.\n")
    proc = cli("check", "--max-bytes", "2000000", "--format", "json", str(note), timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["suggested_code"] == "0201T"
    out = tmp_path / "out"
    # on a loaded machine this note can take longer than the default 60 s budget; what is tested is spaCy's limit
    proc = audit(str(note), "-o", str(out), "--max-bytes", "2000000", "--note-timeout", "600", timeout=700)
    assert proc.returncode == 0, proc.stderr
    assert rows(out)[0]["outcome"] == "complete"


def slow_patterns(tmp_path: Path) -> Path:
    """The shipped patterns plus one pathological user edit (nested quantifiers): a note with a long run of 'z'
    makes the regex engine backtrack for hours. The note timeout is what saves the night. The edit ends in a
    look-ahead: Hyperscan's exact check (reading/matching.py) drops look-arounds, so it finds a possible match
    and leaves the search to ``re``, as on the fallback; '(?:z+)+y' alone never reaches ``re`` there."""
    patterns = tmp_path / "patterns"
    shutil.copytree(ROOT / "patterns", patterns)
    path = patterns / "elements" / "cement_injection.json"
    data = json.loads(path.read_text())
    data["rules"].append({"literal": "zzy", "pattern": "\\b(?:z+)+(?!\\s)\\b", "comment": "pathological on purpose"})
    path.write_text(json.dumps(data))
    return patterns


SLOW = GOOD + "\nCement " + "z" * 40 + " done.\n"


def test_note_over_its_time_budget_becomes_an_error_row_and_the_run_goes_on(tmp_path: Path) -> None:
    patterns = slow_patterns(tmp_path)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a_slow.txt").write_text(SLOW)
    for i in range(6):
        (notes / f"b{i}.txt").write_text(GOOD)
    (notes / "c_slow.txt").write_text(SLOW)
    out = tmp_path / "out"
    start = time.monotonic()
    proc = cli("--patterns", str(patterns), "audit", "--quiet", str(notes), "-o", str(out), "--note-timeout", "5",
               "--workers", "1", timeout=120)
    elapsed = time.monotonic() - start
    assert proc.returncode == 1, proc.stderr
    got = rows(out)
    assert [r["note_id"] for r in got] == ["a_slow", *(f"b{i}" for i in range(6)), "c_slow"]
    assert got[0]["error"] == "timed out after 5 s" and got[-1]["error"] == "timed out after 5 s"
    assert all(r["outcome"] == "complete" for r in got[1:-1])
    assert elapsed < 60, elapsed  # two budgets plus start-up, not hours


def _drop_dac() -> None:
    """In the child: give up root's power to read anything, so chmod 000 means what it says (CI runs as root)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) refused")


def _as_normal_user(*args: str) -> subprocess.CompletedProcess[str]:
    if os.geteuid() != 0:
        return audit(*args)
    try:
        return audit(*args, preexec_fn=_drop_dac)
    except subprocess.SubprocessError as exc:
        pytest.skip(f"cannot drop CAP_DAC_OVERRIDE here ({exc}); root reads chmod-000 folders regardless")


def test_unreadable_folders_are_error_rows_and_no_notes_exits_2(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    (notes / "locked").mkdir(parents=True)
    (notes / "a.txt").write_text(GOOD)
    (notes / "locked" / "hidden.txt").write_text(GOOD)
    (notes / "z.txt").write_text(GOOD)
    (notes / "locked").chmod(0)
    top = tmp_path / "top"
    top.mkdir()
    (top / "x.txt").write_text(GOOD)
    top.chmod(0)
    try:
        out = tmp_path / "out"
        proc = _as_normal_user(str(notes), str(top), "-o", str(out), "--fail-on", "never")
        got = rows(out)
        if len(got) == 4 and got[1]["outcome"] == "complete":
            pytest.skip("this process reads chmod-000 folders even without CAP_DAC_OVERRIDE")
        assert proc.returncode == 0, proc.stderr
        assert [(r["note_id"], r["outcome"]) for r in got] == [
            ("a", "complete"), ("locked", "error"), ("z", "complete"), ("top", "error")]
        assert "cannot read folder (Permission denied)" in got[1]["error"] and got[1]["source"].endswith("locked")
        proc = _as_normal_user(str(top), "-o", str(tmp_path / "out2"))  # nothing readable at all: exit 2, one line
        assert proc.returncode == 2 and "no notes found" in one_line(proc.stderr)
        assert [r["outcome"] for r in rows(tmp_path / "out2")] == ["error"]
    finally:
        (notes / "locked").chmod(0o755)
        top.chmod(0o755)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.md").write_text("not a note")
    proc = audit(str(empty), "-o", str(tmp_path / "out3"))
    assert proc.returncode == 2
    assert "no notes found" in one_line(proc.stderr) and "left out 1 files" in proc.stderr


def test_resume_refuses_changed_inputs_and_options(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    for i in range(3):
        (notes / f"n{i}.txt").write_text(GOOD)
    out = tmp_path / "out"
    assert audit(str(notes), "-o", str(out)).returncode == 0
    whole = (out / "results.jsonl").read_bytes()
    proc = audit(str(notes), "-o", str(out), "--resume")
    assert proc.returncode == 0 and (out / "results.jsonl").read_bytes() == whole

    (notes / "n3.txt").write_text(GOOD)  # a new file
    proc = audit(str(notes), "-o", str(out), "--resume")
    assert proc.returncode == 2 and "cannot resume: the inputs differ" in one_line(proc.stderr)
    (notes / "n3.txt").unlink()
    os.utime(notes / "n0.txt", ns=(time.time_ns(), time.time_ns() + 10**9))  # an edited note
    proc = audit(str(notes), "-o", str(out), "--resume")
    assert proc.returncode == 2 and "cannot resume: the inputs differ" in one_line(proc.stderr)

    batch = tmp_path / "b.jsonl"
    batch.write_text(json.dumps({"note_id": "j", "text": GOOD}) + "\n")
    out2 = tmp_path / "out2"
    assert audit(str(batch), "-o", str(out2)).returncode == 0
    proc = cli("--profile", "0200T", "audit", "--quiet", str(batch), "-o", str(out2), "--resume")
    assert proc.returncode == 2 and "the options differ" in one_line(proc.stderr) and "profile" in proc.stderr
    assert (out2 / "results.jsonl").read_text().count('"profile":"0201T"') == 1


def test_second_concurrent_audit_into_the_same_folder_is_refused(tmp_path: Path) -> None:
    patterns = slow_patterns(tmp_path)
    note = tmp_path / "slow.txt"
    note.write_text(SLOW)
    out = tmp_path / "out"
    first = subprocess.Popen([sys.executable, "-m", "notecheck.cli", "--patterns", str(patterns), "audit", "--quiet",
                              str(note), "-o", str(out), "--note-timeout", "60"], start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (out / "results.jsonl").exists():
            time.sleep(0.1)
        assert (out / "results.jsonl").exists()
        proc = audit(str(note), "-o", str(out))
        assert proc.returncode == 2 and "another notecheck audit is writing" in one_line(proc.stderr)
        assert first.poll() is None
    finally:
        os.killpg(first.pid, 9)
        first.wait()
    with (out / ".notecheck.lock").open("a") as handle:  # the kernel dropped the dead run's lock
        for _ in range(50):
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                time.sleep(0.1)  # the killed processes take a moment to exit
        else:
            pytest.fail("the lock outlived the killed audit")


def test_worker_stuck_on_a_note_dies_with_its_parent(tmp_path: Path) -> None:
    """Killing only the audit's own process (as a scheduler's timeout may) must not leave a worker burning a core
    on a pathological note and holding the folder's lock."""
    patterns = slow_patterns(tmp_path)
    note = tmp_path / "slow.txt"
    note.write_text(SLOW)
    out = tmp_path / "out"
    first = subprocess.Popen([sys.executable, "-m", "notecheck.cli", "--patterns", str(patterns), "audit", "--quiet",
                              str(note), "-o", str(out), "--note-timeout", "600"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (out / "results.jsonl").exists():
        time.sleep(0.1)
    time.sleep(1)
    first.kill()
    first.wait()
    proc = audit(str(note), "-o", str(tmp_path / "other"), "--help")
    assert proc.returncode == 0
    with (out / ".notecheck.lock").open("a") as handle:
        for _ in range(50):
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                time.sleep(0.1)
    pytest.fail("an orphaned worker still holds the output folder's lock")


def test_failed_run_leaves_no_outputs_of_the_previous_run(tmp_path: Path) -> None:
    note = tmp_path / "n.txt"
    note.write_text(GOOD)
    out = tmp_path / "out"
    assert audit(str(note), "-o", str(out)).returncode == 0
    assert {"report.html", "summary.json", "results.csv"} <= {p.name for p in out.iterdir()}
    table = tmp_path / "t.csv"
    table.write_text("a,b\n1,2\n")
    proc = audit(str(note), str(table), "-o", str(out))
    assert proc.returncode == 2
    proc = audit(str(note), "-o", str(note))  # -o naming a file is a usage error, not a crash
    assert proc.returncode == 2 and "cannot be the output folder" in one_line(proc.stderr)
    names = {p.name for p in out.iterdir()}
    assert not names & {"report.html", "summary.json", "results.csv"} and not any(n.endswith(".tmp") for n in names)


def test_workers_are_bounded_and_below_one_rejected(tmp_path: Path) -> None:
    note = tmp_path / "n.txt"
    note.write_text(GOOD)
    for bad in ("0", "-1"):
        proc = audit(str(note), "-o", str(tmp_path / "o"), "--workers", bad)
        assert proc.returncode == 2 and "must be 1 or more" in proc.stderr
    out = tmp_path / "big"
    proc = audit(str(note), "-o", str(out), "--workers", "1000")
    assert proc.returncode == 0, proc.stderr
    shown = re.search(r"workers (\d+)", (out / "report.html").read_text())
    assert shown and int(shown.group(1)) == len(os.sched_getaffinity(0))


def test_no_patient_data_in_messages_summary_or_csv_and_formulas_neutralised(tmp_path: Path) -> None:
    name, dob, mrn = PATIENT
    headless = tmp_path / "headless.csv"
    headless.write_text(f"{name},{dob},{mrn},\"{GOOD[:60]}\"\n")
    proc = audit(str(headless), "-o", str(tmp_path / "o1"))
    assert proc.returncode == 2
    line = one_line(proc.stderr)
    assert "line 1 has 4 fields" in line and str(headless) in line
    assert not any(value in line for value in (*PATIENT, GOOD[:30]))

    table = tmp_path / "patients.csv"
    ids = ["=HYPERLINK(\"http://x\",\"y\")", "@SUM(1)", "+1", "-1+1", "\tTAB", "plain"]
    with table.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["note_id", "text", "patient_name", "mrn", "dob", "department"])
        for i, note_id in enumerate(ids):
            writer.writerow([note_id, GOOD if i % 2 else NOT_SACRAL, f"{name} {i}", f"{mrn}{i}", dob, "IR"])
        writer.writerow(["short", "a,b", name, mrn, dob])  # malformed row: its values must not surface
    out = tmp_path / "out"
    proc = audit(str(table), "-o", str(out), "--quiet")
    everything = proc.stderr + (out / "summary.json").read_text() + (out / "results.csv").read_text()
    assert not any(value in everything for value in PATIENT), everything
    page = (out / "report.html").read_text()
    assert "By patient_name" not in page and "By mrn" not in page
    assert not any(value in page for value in (name, dob, mrn))  # cards show only --group-by fields
    with (out / "results.csv").open(newline="") as handle:
        cells = [r["note_id"] for r in csv.DictReader(handle)]
    assert cells[:6] == ["'" + i for i in ids[:5]] + ["plain"]
    proc = audit(str(table), "-o", str(tmp_path / "grouped"), "--group-by", "department", "--fail-on", "never")
    summary = json.loads((tmp_path / "grouped" / "summary.json").read_text())
    assert list(summary["by_metadata"]) == ["department"] and proc.returncode == 0

    evil = tmp_path / "evil.txt"
    evil.write_text(GOOD.replace("PMMA", "PMMA ![x](http://evil.example/p.png) <img src=x onerror=alert(1)>", 1))
    worksheet = cli("check", "--format", "markdown", str(evil)).stdout
    assert "Coding worksheet" in worksheet
    assert "![" not in worksheet and "<img" not in worksheet and not re.search(r"(?<!\\)\]\(http", worksheet)
    assert "\\!\\[x\\](http" in worksheet and "&lt;img" in worksheet  # shown as written, inert


def _mixed_batch(tmp_path: Path) -> Path:
    """A complete 0201T note, a knee arthroscopy (no sacral procedure) and a clear 0200T note."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a_bilateral.txt").write_text(GOOD)
    (notes / "b_knee.txt").write_text(NOT_SACRAL)
    (notes / "c_unilateral.txt").write_text((ROOT / "sample_notes" / "unilateral_right.txt").read_text())
    return notes


def test_not_applicable_outcome_and_the_report_page(tmp_path: Path) -> None:
    notes = _mixed_batch(tmp_path)
    out = tmp_path / "out"
    proc = audit(str(notes), "-o", str(out))
    got = {r["note_id"]: r["outcome"] for r in rows(out)}
    assert got == {"a_bilateral": "complete", "b_knee": "not_applicable", "c_unilateral": "complete"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["outcomes"] == {"complete": 2, "incomplete": 0, "review": 0, "not_applicable": 1, "error": 0}
    # the clear 0200T note was not due a second side: only the 0201T note counts for bilateral needles
    assert summary["missing_due"]["bilateral_needle_placement"] == 1
    assert summary["missing_rates"]["bilateral_needle_placement"] == 0.0
    assert proc.returncode == 0  # every applicable note complete; not_applicable never fails a run
    billed = tmp_path / "billed"
    assert audit(str(notes), "-o", str(billed), "--billed", "0201T").returncode == 1
    reports = {r["note_id"]: r["report"] for r in rows(billed)}
    assert reports["c_unilateral"]["verdict"] == "incomplete"
    assert "supports 0200T; billed 0201T" in " ".join(reports["c_unilateral"]["verdict_reasons"])
    assert reports["b_knee"]["verdict"] == "incomplete"  # a billed code on an undocumented note is a gap
    page = (out / "report.html").read_text()
    for key in ("complete", "not_applicable", "review", "0201T", "nocode", "errors"):
        assert f'data-filter="{key}"' in page
    assert 'data-outcome="not_applicable"' in page and "search note id or text" in page
    assert 'class="run">judged against <b>the code each note supports</b>' in page and "notecheck <b>" in page
    assert str(notes) in page
    assert "procedure_title" not in page and "NEGATED_EXISTENCE" not in page


def test_smaller_input_repairs(tmp_path: Path) -> None:
    table = tmp_path / "bom.csv"
    table.write_bytes(b"\xef\xbb\xbfnote_id,text\r\nb1,\"" + GOOD.encode() + b"\"\r\nb2,\"" + GOOD.encode()
                      + b" Mu\xf1oz\"\r\n,\"" + GOOD.encode() + b"\"\r\nb1,\"" + GOOD.encode() + b"\"\r\n\r\n\r\n")
    batch = tmp_path / "null.jsonl"
    batch.write_text(json.dumps({"note_id": None, "text": GOOD}) + "\n\n")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "A.TXT").write_text(GOOD)
    (notes / "c.text").write_text(GOOD)
    (notes / "u16.txt").write_bytes(GOOD.encode("utf-16"))
    out = notes / "audit-out"  # an output folder inside the input
    for _ in range(2):
        proc = audit(str(table), str(batch), str(notes), "-o", str(out), "--fail-on", "never")
        assert proc.returncode == 0, proc.stderr
        got = rows(out)
        assert [r["note_id"] for r in got] == ["b1", "b2", "row-4", "b1", "line-1", "A", "u16"]
    assert all(r["outcome"] == "complete" for r in got)
    assert any("invalid UTF-8" in f for f in got[1]["flags"]) and got[3]["flags"] == [
        "duplicate note id: an earlier row has the same id"]
    assert json.loads((out / "summary.json").read_text())["left_out_by_glob"] == 1


def test_internal_error_exits_3_with_one_line(tmp_path: Path) -> None:
    note = tmp_path / "n.txt"
    note.write_text(GOOD)
    second = tmp_path / "m.txt"
    second.write_text(GOOD)
    out = tmp_path / "out"
    assert audit(str(note), str(second), "-o", str(out)).returncode == 0
    results = out / "results.jsonl"
    results.write_text(results.read_text().splitlines()[0][:40] + "\n")  # a damaged row, as after a disk fault
    proc = audit(str(note), str(second), "-o", str(out), "--resume")
    assert proc.returncode == 3
    line = one_line(proc.stderr)
    assert line.startswith("notecheck: internal error: ") and "Traceback" not in proc.stderr


def test_mtsamples_has_no_incomplete_notes(shared: Path, tmp_path: Path) -> None:
    """A mixed batch of real non-sacral notes: every row not_applicable or error, exit 0."""
    out = tmp_path / "mts"
    proc = audit(str(shared / "corpora" / "mtsamples" / "mtsamples.csv"), "--id-column", "", "--text-column",
                 "transcription", "-o", str(out), timeout=900)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["outcomes"]["incomplete"] == 0 and summary["outcomes"]["complete"] == 0, summary["outcomes"]
    assert summary["outcomes"]["review"] == 0, summary["outcomes"]
    assert summary["outcomes"]["not_applicable"] + summary["outcomes"]["error"] == summary["inputs"] == 4999
    assert proc.returncode == 1 if summary["outcomes"]["error"] else proc.returncode == 0


def test_new_filters_and_text_search_run_in_headless_chromium(tmp_path: Path) -> None:
    binary = chromium()
    notes = _mixed_batch(tmp_path)
    out = tmp_path / "out"
    audit(str(notes), "-o", str(out))
    page = (out / "report.html").as_uri()
    for hash_, shown, visible in (("#nocode", 1, "row-1"), ("#0201T", 1, "row-0"), ("#complete", 2, "row-0"),
                                  ("#not_applicable", 1, "row-1")):
        dom = run_chromium(binary, tmp_path / f"profile{hash_[1:]}", "--dump-dom", page + hash_).stdout
        assert 'data-ready="1"' in dom and f"{shown} of 3 notes shown" in dom, hash_
        assert re.search(rf'<article [^>]*id="{visible}"(?![^>]*hidden)', dom), hash_
    # the search box matches a card's text (evidence, findings), not only ids: a copy of the page types into it
    probe = tmp_path / "probe.html"
    probe.write_text((out / "report.html").read_text().replace(
        "</body>", '<script>var q=document.getElementById("q");q.value="only the right side";'
                   'q.dispatchEvent(new Event("input"));</script></body>'))
    dom = run_chromium(binary, tmp_path / "profile-search", "--dump-dom", probe.as_uri()).stdout
    assert "1 of 3 notes shown" in dom
