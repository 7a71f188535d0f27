"""notecheck on Apache Spark: check notes where a data platform keeps them, one result row per input row.

Spark schedules; we only supply the per-batch function (``mapInArrow``). Each Python worker process builds the
medspaCy pipeline once and keeps it for every later batch and task (Spark reuses its Python workers). A row is
built exactly as ``notecheck audit`` builds it (``readers`` decodes, ``audit.check_item`` checks, ``AuditRow`` is
the result) and the Spark columns are read off that AuditRow, so the two outputs cannot drift. Needs the
``[spark]`` extra; nothing else in notecheck imports this module.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import pyarrow as pa
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ..checker import Checker
from ..errors import InputError, NotecheckError
from ..inputs import DEFAULT_MAX_BYTES, Item, item_from_bytes, read_capped
from ..models import AuditRow, Summary
from ..rules import CRITERION_IDS, CRITERION_STATUSES, ELEMENT_IDS
from .audit import BILLED_FIELD, ReportCache, isolated_row

# The result columns, each read off the AuditRow; (name, type, value). Error rows have nulls for report fields.
_STRING, _BOOL, _STRINGS = "string", "boolean", "array<string>"
_COLUMNS: list[tuple[str, str, Callable[[AuditRow], object]]] = [
    ("note_id", _STRING, lambda r: r.note_id),
    ("outcome", _STRING, lambda r: r.outcome),
    ("judged_against", _STRING, lambda r: r.report.profile if r.report else None),
    ("error", _STRING, lambda r: r.error),
    ("suggested_code", _STRING, lambda r: r.report.suggested_code if r.report else None),
    ("laterality", _STRING, lambda r: r.report.laterality if r.report else None),
    ("complete", _BOOL, lambda r: r.report.complete if r.report else None),
    ("sacral_procedure", _BOOL, lambda r: r.report.sacral_procedure if r.report else None),
    *((f"{e}_status", _STRING, (lambda r, e=e: r.report.elements[e].status if r.report else None))
      for e in ELEMENT_IDS),
    ("missing_required", _STRINGS, lambda r: list(r.report.missing_required) if r.report else None),
    ("findings", _STRINGS, lambda r: [f.kind for f in r.report.findings] if r.report else None),
    ("flags", _STRINGS, lambda r: list(r.flags)),
    ("prescreened", _BOOL, lambda r: r.report.prescreened if r.report else None),
    ("report_json", _STRING, lambda r: r.report.model_dump_json() if r.report else None),
]
RESULT_COLUMNS = [name for name, _, _ in _COLUMNS]
_SPARK_TYPES = {_STRING: T.StringType(), _BOOL: T.BooleanType(), _STRINGS: T.ArrayType(T.StringType())}
_ARROW_TYPES = {_STRING: pa.string(), _BOOL: pa.bool_(), _STRINGS: pa.list_(pa.string())}

# One ReportCache (so one Checker and one pipeline) per Python worker process and (patterns, profile, max_bytes).
_caches: dict[tuple[str | None, str | None, int], ReportCache] = {}


@dataclass(frozen=True)
class _Batches:
    """What the per-batch function needs on the executor; small and picklable."""

    id_col: str
    text_col: str
    error_col: str | None
    passthrough: tuple[str, ...]
    patterns: str | None
    profile: str | None
    max_bytes: int
    billed_col: str | None = None


def worker_cache(patterns: str | None, profile: str | None, max_bytes: int = DEFAULT_MAX_BYTES) -> ReportCache:
    """This process's checker for (patterns, profile, max_bytes), built on first use and kept for the process's
    life; its pipeline reads any note within ``max_bytes``, normalised, as the audit's does."""
    key = (patterns, profile, max_bytes)
    if key not in _caches:
        _caches[key] = ReportCache(Checker(patterns, profile=profile, max_bytes=max_bytes))
    return _caches[key]


def _item(note_id: str | None, text: str | bytes | None, error: str | None, text_col: str, max_bytes: int,
          billed: str | None = None) -> Item:
    """The audit's Item for one Spark row: the same decoding, limits and error wording as ``notecheck audit``."""
    note_id = note_id or ""
    if error is not None:
        return Item(note_id=note_id, source=note_id, error=error)
    if text is None:
        return Item(note_id=note_id, source=note_id, error=f"no {text_col!r} string in this row")
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    return item_from_bytes(note_id, note_id, data, max_bytes, {BILLED_FIELD: billed} if billed else None)


def _check_batches(job: _Batches, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    cache = worker_cache(job.patterns, job.profile, job.max_bytes)
    schema = pa.schema([pa.field(name, _ARROW_TYPES[kind]) for name, kind, _ in _COLUMNS])
    for batch in batches:
        ids = batch.column(job.id_col).to_pylist()
        texts = batch.column(job.text_col).to_pylist()
        errors = batch.column(job.error_col).to_pylist() if job.error_col else [None] * len(ids)
        billed = batch.column(job.billed_col).to_pylist() if job.billed_col else [None] * len(ids)
        rows = [isolated_row(cache, index, _item(note_id, text, error, job.text_col, job.max_bytes, code))
                for index, (note_id, text, error, code) in enumerate(zip(ids, texts, errors, billed))]
        arrays = [pa.array([value(row) for row in rows], type=field.type)
                  for field, (_, _, value) in zip(schema, _COLUMNS)]
        passthrough = [batch.column(name) for name in job.passthrough]
        fields = list(schema) + [batch.schema.field(name) for name in job.passthrough]
        yield pa.RecordBatch.from_arrays(arrays + passthrough, schema=pa.schema(fields))


def read_files(df: DataFrame, max_bytes: int = DEFAULT_MAX_BYTES, error_col: str = "_read_error") -> DataFrame:
    """Note files listed on the driver (``note_id``, ``path``, ``error_col``) read on the executors by the audit's
    own reader: a pipe, a device or a file over ``max_bytes`` is refused before it is read, and a name Hadoop
    cannot parse (a colon) is just a name. Gives ``note_id``, ``text`` (the raw bytes, decoded later exactly as
    the audit decodes files) and ``error_col`` (why a file has no text)."""
    schema = T.StructType([T.StructField("note_id", T.StringType()), T.StructField("text", T.BinaryType()),
                           T.StructField(error_col, T.StringType())])
    return df.mapInArrow(partial(_read_batches, max_bytes, error_col), schema)


def _read_batches(max_bytes: int, error_col: str, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    schema = pa.schema([("note_id", pa.string()), ("text", pa.binary()), (error_col, pa.string())])
    for batch in batches:
        texts: list[bytes | None] = []  # paths are binary: a file name need not be UTF-8
        errors: list[str | None] = []
        for path, error in zip(batch.column("path").to_pylist(), batch.column(error_col).to_pylist()):
            data = None
            if error is None:
                try:
                    data = read_capped(os.fsdecode(path), max_bytes)  # the name's bytes, as the driver listed it
                except InputError as exc:
                    error = exc.problem
            texts.append(data)
            errors.append(error)
        yield pa.RecordBatch.from_arrays([batch.column("note_id"), pa.array(texts, pa.binary()),
                                          pa.array(errors, pa.string())], schema=schema)


def check_notes(df: DataFrame, text_col: str = "text", id_col: str = "note_id", profile: str | None = None,
                patterns: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                error_col: str | None = None) -> DataFrame:
    """One result row per input row: the audit's columns, ``report_json``, and the input's other columns.

    ``text_col`` may be string or binary (raw bytes are decoded as ``audit`` decodes files). A null, empty, binary
    or oversized text gives an error row with its reason; it never fails the task. ``patterns`` must be a path
    every executor can read (the shipped patterns when None). Where ``error_col`` is given, a row with a value
    there is an error row with that reason (a reader upstream could not read the note); the column is consumed.
    A ``billed_code`` column, where present, is each note's billed code ('0201T', '0201T-50'): the note is judged
    against it (``profile`` is the billed code for rows without one).
    """
    Checker(patterns, profile=profile)  # fail on the driver, with a clear message, before any task starts
    _check_local_workers(df.sparkSession)
    for column in (text_col, id_col, *([error_col] if error_col else [])):
        if column not in df.columns:
            raise NotecheckError(f"no column {column!r} in the DataFrame (columns: {', '.join(df.columns)})")
    text_type = df.schema[text_col].dataType
    if not isinstance(text_type, (T.StringType, T.BinaryType)):
        raise NotecheckError(f"column {text_col!r} is {text_type.simpleString()}, expected string or binary")
    passthrough = tuple(c for c in df.columns if c not in (text_col, id_col, error_col))
    clashes = [c for c in passthrough if c in RESULT_COLUMNS]
    if clashes:
        raise NotecheckError(f"input columns {', '.join(clashes)} clash with result columns; rename them first")
    source = df.withColumn(id_col, F.col(id_col).cast("string"))
    schema = T.StructType([T.StructField(name, _SPARK_TYPES[kind]) for name, kind, _ in _COLUMNS]
                          + [source.schema[name] for name in passthrough])
    billed_col = BILLED_FIELD if BILLED_FIELD in df.columns else None
    job = _Batches(id_col, text_col, error_col, passthrough, patterns, profile, max_bytes, billed_col)
    return source.mapInArrow(partial(_check_batches, job), schema)


def _check_local_workers(spark: SparkSession) -> None:
    """On a local master, fail on the driver in one line when the Python workers run an interpreter that cannot
    import notecheck: a notebook's session made before ``spark_session`` runs workers with PYSPARK_PYTHON or
    ``python3`` from PATH, often another environment, and each task would fail with ModuleNotFoundError."""
    context = getattr(spark, "sparkContext", None)  # a Spark Connect session has none: its workers are remote
    worker = getattr(context, "pythonExec", None)
    if not worker or not str(getattr(context, "master", "")).startswith("local") or worker == sys.executable:
        return
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('notecheck') is None)"
    try:
        found = subprocess.run([worker, "-c", probe], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        found = False
    if not found:
        raise NotecheckError(f"this Spark session's Python workers run {worker!r} (PYSPARK_PYTHON, else python3), "
                             f"which cannot import notecheck; make the session with notecheck.spark.spark_session(), "
                             f"or set os.environ['PYSPARK_PYTHON'] = sys.executable before the first SparkSession")


def _as_text(column: str, data_type: T.DataType) -> Column:
    """A passthrough value as the audit's metadata string (JSON for nested values, as the audit's readers do)."""
    if isinstance(data_type, (T.StructType, T.ArrayType, T.MapType)):
        return F.to_json(F.col(column))
    return F.col(column).cast("string")


def summarize(results: DataFrame, requirements: dict[str, dict[str, str]],
              group_by: tuple[str, ...] = ()) -> Summary:
    """The audit's Summary (``audit.summarize``) from a ``check_notes`` result, by Spark aggregations: only counts
    reach the driver.

    An element is due in an applicable note where the code it was judged against requires it; passthrough columns named in ``group_by`` play the audit's metadata. Give it a
    written (or cached) result: each aggregation is a Spark job, and over a bare ``check_notes`` frame each would
    check the notes again."""
    totals = results.agg(
        F.count(F.lit(1)).alias("inputs"),
        F.count(F.when(F.col("prescreened"), 1)).alias("prescreened"),
        F.count(F.when(F.size("flags") > 0, 1)).alias("flagged"),
    ).first()
    assert totals is not None
    outcomes = {"complete": 0, "incomplete": 0, "review": 0, "not_applicable": 0, "error": 0}
    outcomes.update({r["outcome"]: r["count"] for r in results.groupBy("outcome").count().collect()})
    checked = results.where(F.col("report_json").isNotNull())
    codes = {"0201T": 0, "0200T": 0, "none": 0}
    codes.update({r["code"]: r["count"] for r in
                  checked.groupBy(F.coalesce("suggested_code", F.lit("none")).alias("code")).count().collect()})
    per_code = checked.where(F.col("judged_against").isNotNull()).groupBy(F.col("judged_against").alias("code")).agg(
        F.count(F.lit(1)).alias("notes"),
        *(F.count(F.when(F.col(f"{e}_status") != "documented", 1)).alias(e) for e in ELEMENT_IDS)).collect()
    due = {e: 0 for e in ELEMENT_IDS}
    missing = {e: 0 for e in ELEMENT_IDS}
    for row in per_code:
        for element, requirement in requirements.get(row["code"], {}).items():
            if requirement == "required":
                due[element] += row["notes"]
                missing[element] += row[element]
    statuses = [(c, s, F.get_json_object("report_json", f"$.indications.criteria.{c}.status"))
                for c in CRITERION_IDS for s in CRITERION_STATUSES]
    counted = checked.where(F.col("judged_against").isNotNull()).agg(
        *(F.count(F.when(status == s, 1)).alias(f"{c}:{s}") for c, s, status in statuses)).first()
    read = F.get_json_object("report_json", "$.indications.read") == "true"
    prior = checked.where((F.col("outcome") == "not_applicable") & read).agg(
        *(F.count(F.when(status == s, 1)).alias(f"{c}:{s}") for c, s, status in statuses)).first()
    assert counted is not None and prior is not None
    return Summary(
        inputs=totals["inputs"],
        outcomes=outcomes,
        codes=codes,
        missing_rates={e: round(missing[e] / due[e], 4) if due[e] else 0.0 for e in ELEMENT_IDS},
        missing_due=due,
        by_metadata=_by_metadata(results, group_by),
        prescreened=totals["prescreened"],
        flagged=totals["flagged"],
        indications={c: {s: counted[f"{c}:{s}"] for s in CRITERION_STATUSES} for c in CRITERION_IDS},
        prior_authorisation={c: {s: prior[f"{c}:{s}"] for s in CRITERION_STATUSES} for c in CRITERION_IDS},
    )


def _by_metadata(results: DataFrame, group_by: tuple[str, ...]) -> dict[str, dict[str, dict[str, int]]]:
    """Outcome counts per value of each named column, every row counted ('(none)' for a null), as the audit."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for field in sorted(group_by):
        if field not in results.columns:
            raise NotecheckError(f"--group-by {field!r}: no such input column")
        value = F.coalesce(_as_text(field, results.schema[field].dataType), F.lit("(none)")).alias("value")
        counts: dict[str, dict[str, int]] = {}
        for r in results.groupBy(value, "outcome").count().collect():
            counts.setdefault(r["value"], {})[r["outcome"]] = r["count"]
        out[field] = {v: counts[v] for v in sorted(counts)}
    return out


def spark_session(master: str | None = None, shuffle_partitions: int | None = None,
                  progress: bool = False) -> SparkSession:
    """The SparkSession for a run. Under spark-submit (or in a notebook's running session) its master and
    settings are kept; otherwise ``master`` (default ``local[*]``). On a local master the UI is off, everything
    binds to 127.0.0.1 and the Python workers run this interpreter, whatever PYSPARK_PYTHON said before: they
    must import the same notecheck the driver does (PySpark's default, ``python3`` from PATH, is often another
    environment, as in a notebook whose kernel is a venv)."""
    if master is None and "PYSPARK_GATEWAY_PORT" not in os.environ:  # not launched by spark-submit
        master = "local[*]"
    builder = SparkSession.builder.appName("notecheck").config("spark.ui.showConsoleProgress", str(progress).lower())
    if master:
        builder = builder.master(master)
    if master and master.startswith("local"):
        os.environ["PYSPARK_PYTHON"] = sys.executable  # PySpark reads the workers' Python only here
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = (builder.config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                   .config("spark.driver.bindAddress", "127.0.0.1"))
    if shuffle_partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
