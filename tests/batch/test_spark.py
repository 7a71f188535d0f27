"""notecheck on Spark (local mode, a real JVM): the same reports and summary as `notecheck audit`, row for row.

Skips where PySpark (the [spark] extra) or a Java runtime is absent; `.ci/run` installs both.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pyspark", reason="PySpark is not installed (pip install '.[spark]' in the clone)")
JAVA = shutil.which("java") or (os.environ.get("JAVA_HOME") and shutil.which("java", path=os.environ["JAVA_HOME"]
                                                                            + "/bin"))
pytestmark = pytest.mark.skipif(not JAVA, reason="no Java runtime on PATH or JAVA_HOME (Spark needs Java 17+)")

from paths import CORPUS, ROOT, SAMPLES
from pyspark.sql import SparkSession  # noqa: E402

from notecheck.errors import NotecheckError  # noqa: E402
from notecheck.models import AuditRow  # noqa: E402
from notecheck.rules import ELEMENT_IDS, load_patterns  # noqa: E402
from notecheck.spark import RESULT_COLUMNS, check_notes, spark_session, summarize  # noqa: E402

MAX_BYTES = 60_000
MTS_ROWS = 300


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    session = spark_session("local[2]", shuffle_partitions=2)
    yield session
    session.stop()


def _mtsamples(shared: Path, count: int) -> list[dict[str, str]]:
    """The first ``count`` MTSamples rows that name a sacral or vertebral augmentation term (these go through the
    full pipeline, not the pre-screen), then plain rows; the empty transcriptions come along as error rows."""
    with (shared / "corpora" / "mtsamples" / "mtsamples.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    terms = ("sacr", "kyphopl", "vertebropl", "cement")
    near = [r for r in rows if any(t in r["transcription"].lower() for t in terms)]
    empty = [r for r in rows if not r["transcription"]][:3]
    rest = [r for r in rows if r not in near and r not in empty]
    return (near[: count // 2] + empty + rest)[:count]


def _records(shared: Path) -> list[dict]:
    """Labeled corpus, MTSamples rows, and one note of each bad kind."""
    records: list[dict] = [{"note_id": p.stem, "text": p.read_text(encoding="utf-8")}
                           for p in sorted(CORPUS.glob("*.txt"))]
    records += [{"note_id": f"mts-{r['']}", "text": r["transcription"], "specialty": r["medical_specialty"].strip()}
                for r in _mtsamples(shared, MTS_ROWS)]
    good = records[0]["text"]
    records += [{"note_id": "bad-null", "text": None, "specialty": "x"},
                {"note_id": "bad-empty", "text": " \n", "specialty": "x"},
                {"note_id": "bad-binary", "text": "PNG\x00\x00data", "specialty": "x"},
                {"note_id": "bad-huge", "text": good + "x" * MAX_BYTES, "specialty": "x"}]
    return records


@pytest.fixture(scope="module")
def batch(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], Path, Path]:
    """The equivalence set as JSONL, and `notecheck audit` over it through the real CLI."""
    folder = tmp_path_factory.mktemp("spark")
    records = _records(shared)
    source = folder / "batch.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = folder / "audit"
    proc = subprocess.run([sys.executable, "-m", "notecheck.cli", "audit", "--quiet", str(source), "-o", str(out),
                           "--max-bytes", str(MAX_BYTES), "--workers", "2"], capture_output=True, timeout=600)
    assert proc.returncode == 1, proc.stderr.decode()
    return records, source, out


def _audit_rows(out: Path) -> dict[str, AuditRow]:
    rows = [AuditRow.model_validate_json(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return {row.note_id: row for row in rows}


def _assert_same_as_audit(got: dict[str, dict], audited: dict[str, AuditRow]) -> None:
    assert set(got) == set(audited)
    for note_id, row in audited.items():
        mine = got[note_id]
        assert mine["outcome"] == row.outcome, note_id
        assert mine["report_json"] == (row.report.model_dump_json() if row.report else None), note_id
        if note_id != "bad-null":  # the audit says "in this line" of its JSONL; a DataFrame has rows
            assert mine["error"] == row.error, note_id


def test_check_notes_gives_the_audits_reports_row_for_row(spark: SparkSession, batch: tuple) -> None:
    records, _, out = batch
    rows_in = [(r["note_id"], r["text"], r.get("specialty")) for r in records]
    df = spark.createDataFrame(rows_in, "note_id string, text string, specialty string").repartition(3)
    results = check_notes(df, max_bytes=MAX_BYTES).cache()
    rows = {r["note_id"]: r.asDict() for r in results.collect()}
    assert len(rows) == results.count() == len(records)
    audited = _audit_rows(out)
    _assert_same_as_audit(rows, audited)
    assert rows["bad-null"]["error"] == "no 'text' string in this row"
    for note_id in ("bad-null", "bad-empty", "bad-binary", "bad-huge"):
        assert rows[note_id]["outcome"] == "error" and rows[note_id]["specialty"] == "x"
    for row in rows.values():  # the typed columns say what the report says
        if row["report_json"] is None:
            continue
        report = json.loads(row["report_json"])
        assert [row[f"{e}_status"] for e in ELEMENT_IDS] == [report["elements"][e]["status"] for e in ELEMENT_IDS]
        assert row["missing_required"] == report["missing_required"]
        assert row["findings"] == [f["kind"] for f in report["findings"]]
        assert (row["suggested_code"], row["laterality"], row["complete"]) == (
            report["suggested_code"], report["laterality"], report["complete"])
    assert any(r["suggested_code"] == "0200T" for r in rows.values())
    requirements = {code: p.elements for code, p in load_patterns().profiles.items()}
    assert summarize(results, requirements).model_dump() == json.loads((out / "summary.json").read_text())
    results.unpersist()


def test_schema_is_explicit_and_inputs_pass_through(spark: SparkSession) -> None:
    df = spark.createDataFrame([(7, b"Sacroplasty \xff note", 3.5)], "doc bigint, body binary, score double")
    results = check_notes(df, text_col="body", id_col="doc")
    assert results.columns == [*RESULT_COLUMNS, "score"]
    types = dict(results.dtypes)
    assert types["missing_required"] == types["findings"] == "array<string>"
    assert types["complete"] == "boolean" and types["outcome"] == "string" and types["score"] == "double"
    row = results.first()
    assert row["note_id"] == "7" and row["outcome"] == "not_applicable" and row["score"] == 3.5
    assert "invalid UTF-8 at byte 12" in row["flags"][0]
    with pytest.raises(NotecheckError, match="no column 'text'"):
        check_notes(df, id_col="doc")
    with pytest.raises(NotecheckError, match="clash"):
        check_notes(df.withColumnRenamed("score", "outcome"), text_col="body", id_col="doc")
    with pytest.raises(NotecheckError, match="expected string or binary"):
        check_notes(df, text_col="score", id_col="doc")


def _checkers(spark: SparkSession) -> dict[int, list[int]]:
    """Per Python worker process: the ids of the checkers it holds for the default job (a probe run through
    mapInArrow, like the job); an earlier test's job with another max_bytes has its own."""
    import pyarrow as pa

    def probe(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from notecheck.batch import spark as engine

        for _ in batches:
            ids = [id(cache.checker) for key, cache in engine._caches.items() if key[2] == DEFAULT_MAX_BYTES]
            yield pa.RecordBatch.from_pydict({"pid": [os.getpid()], "ids": [ids]})

    from notecheck.inputs import DEFAULT_MAX_BYTES

    probed = spark.range(0, 16, numPartitions=8).mapInArrow(probe, "pid long, ids array<long>").collect()
    return {r["pid"]: r["ids"] for r in probed}


def test_one_checker_per_worker_process_reused_across_batches_and_jobs(spark: SparkSession) -> None:
    text = (CORPUS / "a001.txt").read_text(encoding="utf-8")
    df = spark.createDataFrame([(f"n{i}", f"{text}\nAccession {i}\n") for i in range(120)], "note_id string, text string")
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "7")  # many batches per task
    try:
        assert check_notes(df.repartition(4)).where("outcome = 'complete'").count() == 120
        first = _checkers(spark)
        assert check_notes(df.repartition(6)).count() == 120
        second = _checkers(spark)
    finally:
        spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")
    assert first and all(len(ids) == 1 for ids in first.values()), first
    assert all(second[pid] == ids for pid, ids in first.items() if pid in second), (first, second)


def test_cli_writes_parquet_and_the_audits_summary(batch: tuple, shared: Path, tmp_path: Path) -> None:
    """JSONL, CSV and a folder of .txt in one run, against `notecheck audit` over the same inputs."""
    _, source, _ = batch
    table = tmp_path / "mts.csv"
    with (shared / "corpora" / "mtsamples" / "mtsamples.csv").open(encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))[:81]
    with table.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(lines)
    notes = tmp_path / "notes"
    (notes / "deeper").mkdir(parents=True)
    for path in sorted(CORPUS.glob("a0[0-1]*.txt")):
        shutil.copy(path, notes / ("deeper" if path.stem.endswith("7") else "") / f"f{path.name}")
    (notes / "scan.txt").write_bytes(b"%PDF\x00\x01")
    (notes / "blank.txt").write_text("\n\n")
    inputs = [str(notes), str(table), str(source), "--id-column", "", "--text-column", "transcription",
              "--max-bytes", str(MAX_BYTES)]
    audited = subprocess.run([sys.executable, "-m", "notecheck.cli", "audit", "--quiet", *inputs, "-o",
                              str(tmp_path / "audit")], capture_output=True, timeout=600)
    assert audited.returncode == 1, audited.stderr.decode()
    proc = subprocess.run([sys.executable, "-m", "notecheck.cli", "spark", *inputs, "-o", str(tmp_path / "spark"),
                           "--master", "local[2]", "--partitions", "3"], capture_output=True, timeout=600)
    assert proc.returncode == 1, proc.stderr.decode()[-3000:]
    assert "notecheck: " in proc.stderr.decode() and "results.parquet" in proc.stderr.decode()
    assert (tmp_path / "spark" / "summary.json").read_bytes() == (tmp_path / "audit" / "summary.json").read_bytes()
    import pyarrow.parquet as pq

    table_out = pq.read_table(tmp_path / "spark" / "results.parquet")
    got = {r["note_id"]: r for r in table_out.to_pylist()}
    _assert_same_as_audit(got, _audit_rows(tmp_path / "audit"))
    assert got["deeper/fa007"]["outcome"] != "error" and got["scan"]["error"].startswith("binary file")
    assert "medical_specialty" in table_out.column_names and "transcription" not in table_out.column_names


def test_cli_usage_errors_are_one_line(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("a,b\n1,2\n")
    proc = subprocess.run([sys.executable, "-m", "notecheck.cli", "spark", str(table), "-o", str(tmp_path / "o"),
                           "--master", "local[1]", "--text-column", "body"], capture_output=True, timeout=300)
    assert proc.returncode == 2
    assert f"notecheck: error: {table}: no column 'note_id' in the header (line 1 has 2 fields" in proc.stderr.decode()


def test_cli_reads_parquet_with_named_columns(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    text = (CORPUS / "a001.txt").read_text(encoding="utf-8")
    source = tmp_path / "notes.parquet"
    pq.write_table(pa.table({"doc": [1, 2], "body": [text, None], "site": ["north", "south"]}), source)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "notecheck.cli", "spark", str(source), "-o", str(out), "--master",
                           "local[1]", "--id-column", "doc", "--text-column", "body", "--fail-on", "never",
                           "--quiet", "--group-by", "site"], capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    got = {r["note_id"]: r for r in pq.read_table(out / "results.parquet").to_pylist()}
    assert got["1"]["outcome"] == "complete" and got["1"]["site"] == "north"
    assert got["2"]["outcome"] == "error" and got["2"]["error"] == "no 'text' string in this row"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["outcomes"] == {"complete": 1, "incomplete": 0, "review": 0, "not_applicable": 0, "error": 1}
    assert summary["by_metadata"] == {"site": {"north": {"complete": 1}, "south": {"error": 1}}}
    assert not (out / "_staging").exists()


def test_core_import_does_not_load_spark() -> None:
    probe = "import sys, notecheck, notecheck.cli, notecheck.batch.audit; print('pyspark' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip() == "False"


def test_cli_reads_the_sample_parquet(checker, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """sample_notes/batch/notes.parquet (every sample note, built by build_samples.py under [spark]): no error
    row, each report the note's golden report, or `check --billed` where the row names a billed code."""
    import pyarrow.parquet as pq

    source = SAMPLES / "batch" / "notes.parquet"
    table = pq.read_table(source)
    assert table.column_names == ["note_id", "text", "provider", "department", "document_date", "billed_code"]
    rows_in = table.to_pylist()
    assert {r["note_id"]: r["text"] for r in rows_in} == {p.stem: p.read_text(encoding="utf-8")
                                                          for p in SAMPLES.glob("*.txt")}
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "notecheck.cli", "spark", str(source), "-o", str(out), "--master",
                           "local[1]", "--quiet", "--group-by", "provider,department"], capture_output=True,
                          timeout=300)
    assert proc.returncode == 1, proc.stderr.decode()[-3000:]  # some sample notes are incomplete, by design
    got = {r["note_id"]: r for r in pq.read_table(out / "results.parquet").to_pylist()}
    assert len(got) == len(rows_in) and not [r for r in got.values() if r["outcome"] == "error"]
    for row in rows_in:
        name, billed = row["note_id"], row["billed_code"]
        expected = checker.check_text(row["text"], note_id=name, billed=billed).model_dump_json() if billed else \
            json.dumps(json.loads((SAMPLES / "expected" / f"{name}.json").read_text(encoding="utf-8")))
        assert json.loads(got[name]["report_json"]) == json.loads(expected), name
        assert got[name]["provider"] == row["provider"]
    summary = json.loads((out / "summary.json").read_text())
    assert "(none)" not in summary["by_metadata"]["provider"] and summary["inputs"] == len(rows_in)


def _bare_python(tmp_path: Path) -> Path:
    """A Python with nothing installed: what a notebook's `python3` on PATH often is, next to a venv kernel."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True, timeout=120)
    return tmp_path / "bare" / "bin" / "python3"


def _notebook_env(bare: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON")}
    env["PATH"] = f"{bare.parent}{os.pathsep}{env.get('PATH', '')}"  # `python3` is the bare one, as in a notebook
    return env | {"SPARK_LOCAL_IP": "127.0.0.1"}


def test_the_docs_notebook_example_runs_locally(tmp_path: Path) -> None:
    """docs/spark.md's notebook example, as written, in a fresh interpreter whose PATH `python3` lacks notecheck:
    the workers must run this interpreter (the PYSPARK_PYTHON pitfall)."""
    page = (ROOT / "docs" / "spark.md").read_text(encoding="utf-8")
    example = next(block for block in re.findall(r"```python\n(.*?)```", page, re.S) if "spark_session(" in block)
    (tmp_path / "sample_notes").symlink_to(SAMPLES)
    bare = _bare_python(tmp_path)
    proc = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, env=_notebook_env(bare),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import pyarrow.parquet as pq

    rows = pq.read_table(tmp_path / "audit-notebook" / "results.parquet").to_pylist()
    assert len(rows) == len(list(SAMPLES.glob("*.txt"))) and all(r["outcome"] != "error" for r in rows)
    assert "Interventional Radiology" in proc.stdout


def test_a_session_whose_workers_lack_notecheck_is_refused_in_one_line(tmp_path: Path) -> None:
    """A local session made before spark_session(), its workers on a Python without notecheck: check_notes says so
    on the driver instead of every task failing with ModuleNotFoundError."""
    bare = _bare_python(tmp_path)
    script = f"""
import os
os.environ["PYSPARK_PYTHON"] = {str(bare)!r}
from pyspark.sql import SparkSession
from notecheck.errors import NotecheckError
from notecheck.spark import check_notes
spark = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate())
try:
    check_notes(spark.createDataFrame([("n1", "text")], "note_id string, text string"))
except NotecheckError as exc:
    print("refused:", exc)
spark.stop()
"""
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=_notebook_env(bare),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"refused: this Spark session's Python workers run {str(bare)!r}" in proc.stdout
    assert "cannot import notecheck" in proc.stdout and "spark_session()" in proc.stdout
def test_cli_gives_hostile_inputs_error_rows_and_never_fails_the_job(tmp_path: Path) -> None:
    """The probes that killed a whole `notecheck spark` job (a colon in a file name, an unreadable subfolder, a
    note past spaCy's 1 M characters with --max-bytes above it) and those it dropped silently (a FIFO, a device)
    are rows, as `audit` gives them; a run that cannot start leaves no stale summary."""
    import pyarrow.parquet as pq
    from batch.test_hardening import _drop_dac
    from hostile.hostile_corpus import GOOD, PLANTED, TEXT, WORD

    notes = tmp_path / "notes"
    (notes / "locked").mkdir(parents=True)
    (notes / "locked" / "hidden.txt").write_text(GOOD)
    (notes / "locked").chmod(0)
    (notes / "a.txt").write_text(GOOD)
    (notes / "2026-12-01T10:30 op.txt").write_text(GOOD)
    os.mkfifo(notes / "b-fifo.txt")
    (notes / "c-zero.txt").symlink_to("/dev/zero")
    (notes / "d-latest.txt").symlink_to(notes / "locked")
    (notes / "e-big.txt").write_text(GOOD + " " * 1_050_000)
    (notes / "f-huge.txt").write_text(f"{WORD} " + "x" * 1_300_000)
    table = tmp_path / "t.csv"
    table.write_text(f"note_id,text\nc1,{TEXT}\nc2,He said \"{WORD} " + "z" * 1_300_000 + f"\nc3,{TEXT}\n")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "notecheck.cli", "spark", str(notes), str(table), "-o", str(out), "--master",
               "local[2]", "--max-bytes", "1200000", "--quiet"]
    try:
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=900, preexec_fn=_drop_dac)
        except subprocess.SubprocessError:  # cannot drop CAP_DAC_OVERRIDE here: the folder is readable anyway
            (notes / "locked").chmod(0o755)
            proc = subprocess.run(command, capture_output=True, text=True, timeout=900)
    finally:
        (notes / "locked").chmod(0o755)
    assert proc.returncode == 1, proc.stderr[-3000:]
    got = {r["note_id"]: r for r in pq.read_table(out / "results.parquet").to_pylist()}
    errors = {note_id: r["error"] for note_id, r in got.items() if r["outcome"] == "error"}
    complete = {note_id for note_id, r in got.items() if r["outcome"] == "complete"}
    assert {"a", "2026-12-01T10:30 op", "e-big", "c1", "c3"} <= complete
    assert "not a regular file" in errors["b-fifo"] and "not a regular file" in errors["c-zero"]
    assert "symlink to a folder" in errors["d-latest"] and "over the 1,200,000-byte limit" in errors["f-huge"]
    assert "CSV record is over" in errors["row-3"]
    assert "locked" in errors or got["locked/hidden"]["outcome"] == "complete"  # a row either way, never a crash
    assert len(got) == 11  # 8 folder entries (the locked folder one row), 3 CSV records
    summary = (out / "summary.json").read_text()
    assert json.loads(summary)["inputs"] == 11
    values = json.dumps(list(got.values()), default=str) + summary + proc.stdout + proc.stderr
    assert not any(value in values for value in PLANTED)
    proc = subprocess.run([sys.executable, "-m", "notecheck.cli", "spark", str(tmp_path / "missing.jsonl"), "-o",
                           str(out), "--quiet"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "no such file" in proc.stderr
    assert not (out / "summary.json").exists() and not (out / "results.parquet").exists()
