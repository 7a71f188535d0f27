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
    assert first.returncode == 0  # a complete 0200T note
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


def test_one_verdict_and_exit_codes_for_schedulers(tmp_path: Path) -> None:
    """Issue 18's bars: a non-sacral note is not applicable and exits 0; a documented one-sided note is complete
    for 0200T and exits 0, and incomplete, naming both codes, when billed 0201T; --profile is accepted after the
    subcommand; a folder given to check, or a missing input to negatives or audit, is a usage error (2)."""
    knee = run("check", str(SAMPLES / "lumbar_kyphoplasty_trap.txt"))
    assert knee.returncode == 0 and knee.stdout.decode().split("\n")[0].endswith(
        "NOT APPLICABLE: No sacral augmentation is documented in this note.")
    one_side = run("check", str(SAMPLES / "unilateral_right.txt"))
    assert one_side.returncode == 0
    assert "COMPLETE: the documentation supports 0200T (right)" in one_side.stdout.decode().split("\n")[0]
    table = one_side.stdout.decode().split("Indications checklist")[0]
    assert "MISSING" not in table and "(optional)" in table  # the bilateral element is not required of 0200T
    billed = run("check", "--billed", "0201T", str(SAMPLES / "unilateral_right.txt"))
    first = billed.stdout.decode().split("\n")[0]
    assert billed.returncode == 1 and "INCOMPLETE against 0201T" in first and "supports 0200T; billed 0201T" in first
    alias = run("check", "--profile", "0200T", "--format", "json", str(SAMPLES / "unilateral_right.txt"))
    assert alias.returncode == 0 and json.loads(alias.stdout)["billed_code"] == "0200T"
    modifier = json.loads(run("check", "--billed", "0201T-50", "--format", "json",
                              str(SAMPLES / "bilateral_complete.txt")).stdout)
    assert (modifier["verdict"], modifier["billed_code"], modifier["billed_modifier"]) == ("complete", "0201T", "50")
    folder = run("check", str(SAMPLES))
    assert folder.returncode == 2 and "is a directory" in folder.stderr.decode()
    assert run("negatives", str(tmp_path / "absent.csv")).returncode == 2
    absent = run("audit", str(tmp_path / "absent"), "-o", str(tmp_path / "out"), "--quiet")
    assert absent.returncode == 2 and "no such file or folder" in absent.stderr.decode()


def test_queries_on_a_complete_note_and_no_internal_names(tmp_path: Path) -> None:
    complete = run("query", str(SAMPLES / "bilateral_complete.txt"))
    assert complete.returncode == 0 and "No query needed" in complete.stdout.decode()
    drafted = run("query", *map(str, sorted(SAMPLES.glob("*.txt")))).stdout.decode()
    physician_text = "\n".join(line for line in drafted.splitlines() if not line.startswith(("===", "Note: ")))
    for internal in ("procedure_title", "missing_required", "laterality_undetermined", "cement_injection",
                     "bilateral_needle_placement", "other section"):
        assert internal not in physician_text, internal
