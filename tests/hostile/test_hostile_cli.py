"""The hostile corpus through the real CLI (subprocesses): one row per input position, every hostile record one error
row naming its problem, every other row kept, the documented exit codes, and no planted identifier anywhere.

Times and memory are benchmark figures (benchmarks/hardening.py), not asserted here.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_corpus import GOOD, PATIENT_LINE, PLANTED, build
from paths import ROOT, SAMPLES


def cli(*args: str, timeout: float = 600, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "notecheck.cli", *args], capture_output=True, timeout=timeout,
                          **kwargs)


def leaks(*texts: str | bytes) -> list[str]:
    """The planted identifiers found in any of ``texts``."""
    joined = "\n".join(t.decode("utf-8", "replace") if isinstance(t, bytes) else t for t in texts)
    return [value for value in PLANTED if value in joined]


def rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def test_the_hostile_corpus_gives_one_row_each_and_leaks_nothing(tmp_path: Path) -> None:
    corpus = build(tmp_path)
    out = tmp_path / "out"
    proc = cli("audit", *map(str, corpus.inputs), "-o", str(out), "--workers", "2")
    assert proc.returncode == 1, proc.stderr  # error rows, under the default --fail-on: never 3
    got = rows(out)
    assert [r["row"] for r in got] == list(range(len(got)))
    assert [r["note_id"] for r in got] == [note_id for note_id, _ in corpus.rows]
    for row, (note_id, error) in zip(got, corpus.rows):
        if error is None:
            assert row["outcome"] != "error" and row["report"] is not None, (note_id, row["error"])
        else:
            assert row["outcome"] == "error" and error in row["error"], (note_id, row["error"])
    assert sum(r["outcome"] == "complete" for r in got) >= 10
    with (out / "results.csv").open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [r["note_id"].lstrip("'") for r in table] == [r["note_id"] for r in got]  # a CR in an id stays one row
    summary = json.loads((out / "summary.json").read_text())
    assert summary["inputs"] == len(got) == sum(summary["outcomes"].values())
    outputs = [path.read_bytes() for path in out.iterdir() if path.is_file()]
    names = [path.name for path in out.rglob("*")]
    assert not leaks(proc.stdout, proc.stderr, *outputs, *names, *(r["note_id"] for r in got))
    assert "\x1b" not in proc.stderr.decode()


def test_check_gives_one_escaped_line_per_bad_note_and_exit_2(tmp_path: Path) -> None:
    """A folder (or a symlink to one) is refused like any unreadable note (it exited 3); a file name's control
    characters are shown escaped, so the message stays one line; the other notes are still checked."""
    folder = tmp_path / "day"
    folder.mkdir()
    (tmp_path / "latest.txt").symlink_to(folder)
    forged = tmp_path / "scan\x1b[2J\nnotecheck: ok.txt"
    forged.write_bytes(b"%PDF\x00\x00" + PATIENT_LINE.encode())
    proc = cli("check", str(folder), str(tmp_path / "latest.txt"), str(forged), str(SAMPLES / "missing_cement.txt"))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 3 and all(line.startswith("notecheck: error: ") for line in lines), lines
    assert "is a directory" in lines[0] and "is a directory" in lines[1]
    assert "\\x1b[2J\\nnotecheck: ok.txt: binary file" in lines[2] and "\x1b" not in proc.stderr.decode()
    assert b"missing_cement" in proc.stdout and not leaks(proc.stdout, proc.stderr)


def test_a_full_disk_or_a_closed_pipe_is_not_a_bug(tmp_path: Path) -> None:
    note = str(SAMPLES / "bilateral_complete.txt")
    with open("/dev/full", "wb") as full:
        proc = subprocess.run([sys.executable, "-m", "notecheck.cli", "check", note], stdout=full,
                              stderr=subprocess.PIPE, timeout=300)
    assert proc.returncode == 2 and proc.stderr.decode().strip() == (
        "notecheck: error: cannot write (No space left on device)")
    read, write = os.pipe()
    os.close(read)
    proc = subprocess.run([sys.executable, "-m", "notecheck.cli", "check", note, note], stdout=write,
                          stderr=subprocess.PIPE, timeout=300)
    os.close(write)
    assert proc.returncode == 2 and b"a closed pipe" in proc.stderr and b"internal error" not in proc.stderr


def _copies(folder: Path, name: str, count: int) -> Path:
    folder.mkdir()
    for i in range(count):
        (folder / f"{folder.name}{i}.txt").write_text((SAMPLES / name).read_text() + f"\nAccession {i}\n")
    return folder


def test_resume_never_takes_another_runs_rows(tmp_path: Path) -> None:
    """A kill -9 right after the manifest is written (during start-up) used to leave the previous run's rows
    beside this run's manifest, and --resume accepted them."""
    first = _copies(tmp_path / "first", "bilateral_complete.txt", 6)
    second = _copies(tmp_path / "second", "unilateral_right.txt", 3)
    out = tmp_path / "out"
    assert cli("audit", "--quiet", str(first), "-o", str(out)).returncode == 0
    started = subprocess.Popen([sys.executable, "-m", "notecheck.cli", "audit", "--quiet", str(second), "-o", str(out)],
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while str(second) not in (out / "manifest.json").read_text() and time.monotonic() < deadline:
            time.sleep(0.005)
    finally:
        os.killpg(started.pid, signal.SIGKILL)
        started.wait()
    proc = cli("audit", "--quiet", str(second), "-o", str(out), "--resume")
    assert proc.returncode == 0, proc.stderr  # three complete 0200T notes
    assert [r["source"] for r in rows(out)] == [str(second / f"second{i}.txt") for i in range(3)]


def test_resume_refuses_edited_pattern_files(tmp_path: Path) -> None:
    patterns = tmp_path / "patterns"
    shutil.copytree(ROOT / "patterns", patterns)
    batch = tmp_path / "b.jsonl"
    batch.write_text(json.dumps({"note_id": "j", "text": GOOD}) + "\n")
    out = tmp_path / "out"
    assert cli("--patterns", str(patterns), "audit", "--quiet", str(batch), "-o", str(out)).returncode == 0
    profile = patterns / "profiles" / "0201T.json"
    data = json.loads(profile.read_text())
    data["elements"]["bone_biopsy"] = "required"
    profile.write_text(json.dumps(data))
    proc = cli("--patterns", str(patterns), "audit", "--quiet", str(batch), "-o", str(out), "--resume")
    assert proc.returncode == 2 and b"the pattern files differ" in proc.stderr, proc.stderr


@pytest.mark.parametrize("args", [("spark", "x.jsonl", "--partitions", "-1"), ("serve", "--max-bytes", "0"),
                                  ("serve", "--workers", "-2")])
def test_bad_numbers_are_usage_errors(args: tuple[str, ...]) -> None:
    proc = cli(*args)
    assert proc.returncode == 2 and b"must be 1 or more" in proc.stderr
