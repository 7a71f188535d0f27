"""`notecheck spark`: the nightly audit on Apache Spark, for tables of notes too large for one machine.

Reads Parquet, JSONL, CSV or folders of .txt into one DataFrame (note_id, text as bytes, other columns), checks it
with ``notecheck.spark.check_notes`` and writes results.parquet, then summary.json aggregated from that file.
"""

from __future__ import annotations

import csv
import os
import shutil
import sys
from functools import reduce
from itertools import islice
from pathlib import Path
from typing import TextIO

import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from ..batch import spark as engine
from ..batch.audit import summary_json
from ..batch.runfolder import locked, write_atomic
from ..errors import InputError
from ..inputs import DEFAULT_MAX_BYTES, Item, walk_notes
from ..inputs.csvfile import iter_csv
from ..inputs.notes import shown
from ..rules import load_patterns
from .audit import DEFAULT_FAIL_ON, exit_code

ERROR = "_read_error"  # a staged input's reason a note could not be read; consumed by check_notes


def _notes(df: DataFrame, id_column: str, text_column: str) -> DataFrame:
    """The common shape every reader returns: note_id string, text binary (decoded in the worker as the audit
    decodes files), then the other columns."""
    others = [c for c in df.columns if c not in (id_column, text_column)]
    return df.select(F.col(id_column).cast("string").alias("note_id"),
                     F.col(text_column).cast("binary").alias("text"), *others)


def _stage_csv(path: Path, id_column: str, text_column: str, max_bytes: int, staging: Path) -> Path:
    """A CSV read by the audit's own reader into a Parquet file for Spark. Spark's CSV reader rewrites CRLF inside
    quoted fields (moving every evidence offset after it) and cannot give the audit's row ids or malformed-row
    errors; a CSV is one unsplittable file for Spark anyway. Streamed in chunks: memory stays flat."""
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        header = next(csv.reader(handle), None) or []
    names = [name for name in dict.fromkeys(header) if name not in (id_column, text_column)]
    schema = pa.schema([(name, pa.string()) for name in ["note_id", "text", ERROR, *names]])
    target = staging / f"{len(list(staging.glob('*.parquet')))}.parquet"
    items = iter_csv(path, id_column, text_column, max_bytes)
    with pq.ParquetWriter(target, schema) as writer:
        while chunk := list(islice(items, 4096)):
            columns = {"note_id": [i.note_id for i in chunk], "text": [i.note.text if i.note else None for i in chunk],
                       ERROR: [i.error for i in chunk]}
            columns.update({n: [i.note.metadata.get(n) if i.note else None for i in chunk] for n in names})
            writer.write_batch(pa.RecordBatch.from_pydict(columns, schema=schema))
    return target


def _stage_files(spark: SparkSession, path: Path, glob: str, max_bytes: int, staging: Path,
                 exclude: tuple[Path, ...]) -> DataFrame:
    """A folder (recursive) or one file of notes. The driver lists the files with the audit's own walk (an
    unreadable subfolder or a symlinked folder is an error row, the output folder is left out) and stages the
    list as Parquet; the executors read each file with the audit's reader (``engine.read_files``). Spark's own
    file listing failed the job on a name with a colon or an unreadable subfolder, and dropped pipes and devices
    without a row. The id is the path below the folder without its suffix."""
    if path.is_dir():
        found = walk_notes(path, glob, exclude)
    else:
        found = iter([(shown(path.stem), path)])
    schema = pa.schema([("note_id", pa.string()), ("path", pa.binary()), (ERROR, pa.string())])  # a name's bytes
    target = staging / f"{len(list(staging.glob('*.parquet')))}.parquet"
    with pq.ParquetWriter(target, schema) as writer:
        while chunk := list(islice(found, 4096)):
            rows = [(e.note_id, None, e.error) if isinstance(e, Item) else (e[0], os.fsencode(e[1]), None)
                    for e in chunk]
            writer.write_batch(pa.RecordBatch.from_pylist(
                [dict(zip(("note_id", "path", ERROR), row)) for row in rows], schema=schema))
    return engine.read_files(spark.read.parquet(str(target)), max_bytes, ERROR)


def read_notes(spark: SparkSession, paths: list[str], staging: Path, id_column: str = "note_id",
               text_column: str = "text", glob: str = "*.txt", max_bytes: int = DEFAULT_MAX_BYTES,
               exclude: tuple[Path, ...] = ()) -> DataFrame:
    """Every input as one DataFrame (by name; a column missing from one input is null there). CSV files are
    staged as Parquet in ``staging``, which every executor must be able to read."""
    frames = []
    for raw in paths:
        path = Path(raw)
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            frames.append(_notes(spark.read.parquet(raw), id_column, text_column))
        elif suffix == ".jsonl":
            df = spark.read.json(raw, mode="PERMISSIVE")
            if "text" not in df.columns:
                raise InputError(raw, "no 'text' field in any line")
            if "note_id" not in df.columns:
                df = df.withColumn("note_id", F.lit(None).cast("string"))
            frames.append(_notes(df.drop("_corrupt_record"), "note_id", "text"))
        elif suffix == ".csv":
            staged = _stage_csv(path, id_column, text_column, max_bytes, staging)
            frames.append(_notes(spark.read.parquet(str(staged)), "note_id", "text"))
        elif path.is_dir() or suffix == ".txt":
            frames.append(_stage_files(spark, path, glob, max_bytes, staging, exclude))
        else:
            raise InputError(raw, "not a Parquet, JSONL, CSV or .txt input")
    return reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), frames)


def spark_audit(paths: list[str], out_dir: str, master: str | None = None, partitions: int | None = None,
                id_column: str = "note_id", text_column: str = "text", glob: str = "*.txt",
                max_bytes: int = DEFAULT_MAX_BYTES, patterns: str | None = None, profile: str | None = None,
                fail_on: str = DEFAULT_FAIL_ON, quiet: bool = False, group_by: tuple[str, ...] = (),
                err: TextIO = sys.stderr) -> int:
    """Exit codes as ``audit``: 0, 1 for error rows and the verdicts ``fail_on`` names, 2 for usage errors.

    The output folder is locked for the run, as the audit's; the previous run's results.parquet and summary.json
    are removed first, and this run's are written under temporary names and renamed into place, so a failed run
    never leaves a stale summary beside missing or partial results."""
    folder = Path(out_dir)
    with locked(folder):
        parquet, summary_file = folder / "results.parquet", folder / "summary.json"
        staging, partial = folder / "_staging", folder / "results.parquet.tmp"
        for stale in (parquet, partial, staging):
            shutil.rmtree(stale, ignore_errors=True)
        summary_file.unlink(missing_ok=True)
        missing = next((raw for raw in paths if not Path(raw).exists()), None)
        if missing is not None:  # before the JVM starts: a typo costs a second, not a Spark start-up
            raise InputError(shown(missing), "no such file")
        staging.mkdir(parents=True)
        spark = engine.spark_session(master, progress=not quiet)
        try:
            notes = read_notes(spark, paths, staging, id_column, text_column, glob, max_bytes,
                               exclude=(folder.resolve(),))
            cores = spark.sparkContext.defaultParallelism
            if partitions:
                notes = notes.repartition(partitions)
            elif notes.rdd.getNumPartitions() < cores:  # one unsplittable file would otherwise use one core
                notes = notes.repartition(cores * 2)
            results = engine.check_notes(notes, profile=profile, patterns=patterns, max_bytes=max_bytes,
                                         error_col=ERROR if ERROR in notes.columns else None)
            results.write.mode("overwrite").parquet(str(partial))
            requirements = {code: p.elements for code, p in load_patterns(patterns).profiles.items()}
            summary = engine.summarize(spark.read.parquet(str(partial)), requirements, group_by)
        finally:
            spark.stop()
            shutil.rmtree(staging, ignore_errors=True)
        os.replace(partial, parquet)
        write_atomic(summary_file, [summary_json(summary)])
    if not quiet:
        counts = ", ".join(f"{n} {outcome}" for outcome, n in summary.outcomes.items())
        print(f"notecheck: {summary.inputs} notes ({counts}); wrote {parquet}, {folder}/summary.json", file=err)
    return exit_code(summary, fail_on)
