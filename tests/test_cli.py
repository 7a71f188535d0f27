"""The CLI through a real subprocess: contract, exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "sample_notes"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "notecheck.cli", *args], input=stdin, capture_output=True,
                          timeout=120)


def test_json_contract_on_a_sample_note() -> None:
    proc = run("check", "--format", "json", str(SAMPLES / "bilateral_complete.txt"))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    for key in ("note_id", "profile", "sacral_procedure", "laterality", "elements", "missing_required",
                "complete", "suggested_code", "findings"):
        assert key in report
    assert set(report["elements"]) == {"bilateral_needle_placement", "cement_injection", "imaging_guidance",
                                       "cavity_creation", "bone_biopsy"}
    for element in report["elements"].values():
        assert {"status", "requirement", "evidence"} <= set(element)
    assert report["suggested_code"] == "0201T" and report["complete"] is True


def test_incomplete_note_exits_1_and_text_names_the_gap() -> None:
    proc = run("check", str(SAMPLES / "missing_imaging.txt"))
    assert proc.returncode == 1
    assert "Imaging guidance is not documented." in proc.stdout.decode()


def test_missing_file_exits_2_with_one_line_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    proc = run("check", str(missing))
    assert proc.returncode == 2
    lines = proc.stderr.decode().strip().splitlines()
    assert lines == [f"notecheck: error: {missing}: no such file"]


def test_binary_file_exits_2_with_one_line_error(tmp_path: Path) -> None:
    binary = tmp_path / "scan.pdf"
    binary.write_bytes(b"%PDF-1.4\x00\x01\x02binary")
    proc = run("check", "--format", "json", str(binary))
    assert proc.returncode == 2
    err = proc.stderr.decode().strip().splitlines()
    assert len(err) == 1 and str(binary) in err[0] and "binary" in err[0]
    assert proc.stdout == b""


def test_stdin_and_deterministic_bytes() -> None:
    note = (SAMPLES / "unilateral_right.txt").read_bytes()
    first = run("check", "--format", "json", "-", stdin=note)
    second = run("check", "--format", "json", "-", stdin=note)
    assert first.returncode == 1
    assert first.stdout == second.stdout
    assert json.loads(first.stdout)["suggested_code"] == "0200T"


def test_bad_patterns_dir_exits_2(tmp_path: Path) -> None:
    proc = run("--patterns", str(tmp_path), "check", str(SAMPLES / "bilateral_complete.txt"))
    assert proc.returncode == 2
    assert "file not found" in proc.stderr.decode()


def test_schema_command_matches_committed_schema() -> None:
    proc = run("schema")
    committed = (Path(__file__).resolve().parent.parent / "schema" / "report.schema.json").read_bytes()
    assert proc.stdout == committed
