"""The sample batch inputs (sample_notes/batch/): built from the sample notes, read by `audit` with no error row,
and one metadata key per meaning across every reader (JSONL, CSV, FHIR, HL7 v2)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from paths import SAMPLES

BATCH = SAMPLES / "batch"
META_KEYS = ("provider", "department", "document_date")


def _build_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("build_samples", BATCH / "build_samples.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "notecheck.cli", *args], capture_output=True, timeout=600)


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], dict]:
    out = tmp_path_factory.mktemp("samples") / "audit"
    inputs = [str(BATCH / name) for name in ("notes.jsonl", "notes.csv", "bundle.json")]
    inputs.append(str(SAMPLES / "hl7" / "mdm_batch.hl7"))
    proc = cli("audit", "--quiet", *inputs, "-o", str(out), "--group-by", ",".join(META_KEYS))
    assert proc.returncode == 1, proc.stderr.decode()  # some sample notes are incomplete, as they are meant to be
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    return rows, json.loads((out / "summary.json").read_text(encoding="utf-8"))


def test_committed_samples_are_the_build_scripts_output() -> None:
    """Each file holds the sample notes byte for byte: rebuild with sample_notes/batch/build_samples.py."""
    build = _build_script()
    for name, make in build.TEXT_FILES.items():
        assert (BATCH / name).read_text(encoding="utf-8") == make(), f"{name} is stale: run build_samples.py"
    assert {n for n, *_ in build.PARQUET} == {p.stem for p in SAMPLES.glob("*.txt")}, "every sample note, once"


def test_audit_reads_jsonl_csv_and_fhir_with_no_error_row(audited: tuple[list[dict], dict]) -> None:
    rows, _ = audited
    build = _build_script()
    samples = [row for row in rows if not row["source"].endswith(".hl7") and ".hl7:" not in row["source"]]
    expected = [(n, billed) for n, *_, billed in build.JSONL + build.CSV + build.FHIR]
    assert len(samples) == len(expected) == 14
    assert [row["outcome"] for row in samples if row["outcome"] == "error"] == []
    assert all(row["flags"] == [] for row in samples)
    billed_rows = []
    for row, (name, billed) in zip(samples, expected):
        assert row["note_id"] in (name, build.fhir_id(name))
        if billed:
            billed_rows.append((row, name, billed))
            continue
        golden = json.loads((SAMPLES / "expected" / f"{name}.json").read_text(encoding="utf-8"))
        assert {**row["report"], "note_id": name} == golden, name
    assert len(billed_rows) == 2
    for row, name, billed in billed_rows:  # judged against the billed code, exactly as `check --billed` judges
        proc = cli("check", "--format", "json", "--billed", billed, str(SAMPLES / f"{name}.txt"))
        assert proc.returncode in (0, 1), proc.stderr.decode()
        assert row["report"] == json.loads(proc.stdout), name
        assert row["report"]["billed_code"] == billed.split("-")[0]


def test_one_metadata_key_per_meaning_across_readers(audited: tuple[list[dict], dict]) -> None:
    """JSONL, CSV, FHIR and HL7 rows all carry provider, department and document date under the same keys, so
    --group-by provider puts no note of any feed under '(none)'."""
    rows, summary = audited
    formats = {".jsonl": 0, ".csv": 0, ".json": 0, ".hl7": 0}
    for row in rows:
        if row["outcome"] == "error":  # the HL7 batch's malformed message: no metadata to read
            continue
        suffix = Path(row["source"].split(":")[0]).suffix
        formats[suffix] += 1
        assert all(row["metadata"].get(key) for key in META_KEYS), (row["source"], row["metadata"])
    assert all(formats.values()), formats
    for key in META_KEYS:
        counts = summary["by_metadata"][key]
        assert set(counts) - {"(none)"} and counts.get("(none)", {}).keys() <= {"error"}, (key, counts)
    assert "author" not in json.dumps([row["metadata"] for row in rows])
