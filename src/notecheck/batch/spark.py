"""notecheck on Apache Spark: check notes where a data platform keeps them, one result row per input row.

Spark schedules; we only supply the per-batch function (``mapInArrow``). Each Python worker process builds the
medspaCy pipeline once and keeps it for every later batch and task (Spark reuses its Python workers). A row is
built exactly as ``notecheck audit`` builds it (``readers`` decodes, ``audit.check_item`` checks, ``AuditRow`` is
the result) and the Spark columns are read off that AuditRow, so the two outputs cannot drift. Needs the
``[spark]`` extra; nothing else in notecheck imports this module.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import pyarrow as pa
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ..checker import DEFAULT_PROFILE, Checker
from ..errors import NotecheckError
from ..inputs import DEFAULT_MAX_BYTES, Item, item_from_bytes
from ..models import AuditRow, Summary
from ..rules import CRITERION_IDS, CRITERION_STATUSES, ELEMENT_IDS
from .audit import ReportCache, check_item

# The result columns, each read off the AuditRow; (name, type, value). Error rows have nulls for report fields.
_STRING, _BOOL, _STRINGS = "string", "boolean", "array<string>"
_COLUMNS: list[tuple[str, str, Callable[[AuditRow], object]]] = [
    ("note_id", _STRING, lambda r: r.note_id),
    ("outcome", _STRING, lambda r: r.outcome),
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

# One ReportCache (so one Checker and one pipeline) per Python worker process and (patterns, profile).
_caches: dict[tuple[str | None, str], ReportCache] = {}


@dataclass(frozen=True)
class _Batches:
    """What the per-batch function needs on the executor; small and picklable."""

    id_col: str
    text_col: str
    error_col: str | None
    passthrough: tuple[str, ...]
    patterns: str | None
    profile: str
    max_bytes: int


def worker_cache(patterns: str | None, profile: str) -> ReportCache:
    """This process's checker for (patterns, profile), built on first use and kept for the process's life."""
    key = (patterns, profile)
    if key not in _caches:
        _caches[key] = ReportCache(Checker(patterns, profile=profile))
    return _caches[key]


def _item(note_id: str | None, text: str | bytes | None, error: str | None, text_col: str, max_bytes: int) -> Item:
    """The audit's Item for one Spark row: the same decoding, limits and error wording as ``notecheck audit``."""
    note_id = note_id or ""
    if error is not None:
        return Item(note_id=note_id, source=note_id, error=error)
    if text is None:
        return Item(note_id=note_id, source=note_id, error=f"no {text_col!r} string in this row")
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    return item_from_bytes(note_id, note_id, data, max_bytes)


def _check_batches(job: _Batches, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    cache = worker_cache(job.patterns, job.profile)
    schema = pa.schema([pa.field(name, _ARROW_TYPES[kind]) for name, kind, _ in _COLUMNS])
    for batch in batches:
        ids = batch.column(job.id_col).to_pylist()
        texts = batch.column(job.text_col).to_pylist()
        errors = batch.column(job.error_col).to_pylist() if job.error_col else [None] * len(ids)
        rows = [check_item(cache, index, _item(note_id, text, error, job.text_col, job.max_bytes))
                for index, (note_id, text, error) in enumerate(zip(ids, texts, errors))]
        arrays = [pa.array([value(row) for row in rows], type=field.type)
                  for field, (_, _, value) in zip(schema, _COLUMNS)]
        passthrough = [batch.column(name) for name in job.passthrough]
        fields = list(schema) + [batch.schema.field(name) for name in job.passthrough]
        yield pa.RecordBatch.from_arrays(arrays + passthrough, schema=pa.schema(fields))


def check_notes(df: DataFrame, text_col: str = "text", id_col: str = "note_id", profile: str = DEFAULT_PROFILE,
                patterns: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                error_col: str | None = None) -> DataFrame:
    """One result row per input row: the audit's columns, ``report_json``, and the input's other columns.

    ``text_col`` may be string or binary (raw bytes are decoded as ``audit`` decodes files). A null, empty, binary
    or oversized text gives an error row with its reason; it never fails the task. ``patterns`` must be a path
    every executor can read (the shipped patterns when None). Where ``error_col`` is given, a row with a value
    there is an error row with that reason (a reader upstream could not read the note); the column is consumed.
    """
    Checker(patterns, profile=profile)  # fail on the driver, with a clear message, before any task starts
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
    job = _Batches(id_col, text_col, error_col, passthrough, patterns, profile, max_bytes)
    return source.mapInArrow(partial(_check_batches, job), schema)


def _as_text(column: str, data_type: T.DataType) -> Column:
    """A passthrough value as the audit's metadata string (JSON for nested values, as the audit's readers do)."""
    if isinstance(data_type, (T.StructType, T.ArrayType, T.MapType)):
        return F.to_json(F.col(column))
    return F.col(column).cast("string")


def summarize(results: DataFrame, requirements: dict[str, dict[str, str]], profile: str = DEFAULT_PROFILE,
              group_by: tuple[str, ...] = ()) -> Summary:
    """The audit's Summary (``audit.summarize``) from a ``check_notes`` result, by Spark aggregations: only counts
    reach the driver.

    An element is due where the note documents a sacral procedure and the profile of its code (``profile`` when it
    supports none) requires it; passthrough columns named in ``group_by`` play the audit's metadata. Give it a
    written (or cached) result: each aggregation is a Spark job, and over a bare ``check_notes`` frame each would
    check the notes again."""
    totals = results.agg(
        F.count(F.lit(1)).alias("inputs"),
        F.count(F.when(F.col("prescreened"), 1)).alias("prescreened"),
        F.count(F.when(F.size("flags") > 0, 1)).alias("flagged"),
    ).first()
    assert totals is not None
    outcomes = {"complete": 0, "incomplete": 0, "not_applicable": 0, "error": 0}
    outcomes.update({r["outcome"]: r["count"] for r in results.groupBy("outcome").count().collect()})
    checked = results.where(F.col("report_json").isNotNull())
    codes = {"0201T": 0, "0200T": 0, "none": 0}
    codes.update({r["code"]: r["count"] for r in
                  checked.groupBy(F.coalesce("suggested_code", F.lit("none")).alias("code")).count().collect()})
    per_code = checked.where(F.col("sacral_procedure")).groupBy(
        F.coalesce("suggested_code", F.lit(profile)).alias("code")).agg(
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
    counted = checked.where(F.col("sacral_procedure")).agg(
        *(F.count(F.when(status == s, 1)).alias(f"{c}:{s}") for c, s, status in statuses)).first()
    read = F.get_json_object("report_json", "$.indications.read") == "true"
    prior = checked.where(~F.col("sacral_procedure") & read).agg(
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
    binds to 127.0.0.1 and the Python workers run this interpreter (so they see the same notecheck install)."""
    if master is None and "PYSPARK_GATEWAY_PORT" not in os.environ:  # not launched by spark-submit
        master = "local[*]"
    builder = SparkSession.builder.appName("notecheck").config("spark.ui.showConsoleProgress", str(progress).lower())
    if master:
        builder = builder.master(master)
    if master and master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # PySpark reads the workers' Python only here
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = (builder.config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                   .config("spark.driver.bindAddress", "127.0.0.1"))
    if shuffle_partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
