"""notecheck on Spark (local mode) against `notecheck audit`, printed as a table (not a test: shared machine).

On the same inputs as benchmarks/bench.py (the labeled corpus made into 5,000 distinct notes, and the MTSamples
CSV), each run in a fresh process:
- `audit --workers 1` and `--workers 2`, end to end (their own start-up included), and their CPU seconds per
  note (the process tree's, less a 4-note run's for the start-up);
- Spark `local[1]` and `local[2]` in three timed steps: session start (JVM), warm-up (a tiny job that makes every
  Python worker import notecheck and build its pipeline once), and the run itself (read the input, check,
  write results.parquet). The first two are Spark's fixed start-up; notes/s is taken over the run alone, and CPU
  per note over the run (Python workers, from probes inside them, plus the JVM, from /proc).
CPU per note is the figure that a loaded shared machine disturbs least; notes/s is what the bars are about.
- `notecheck spark` end to end on the 5,000 notes with local[2], for the wall time a user sees.

    python benchmarks/bench_spark.py [--runs 1] [--notes 5000]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import CORPUS, MTSAMPLES, audit_cmd, corpus_jsonl, median_run  # noqa: E402

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

CLUSTER_CORES = (8, 32, 128)
EFFICIENCY = 0.9  # assumed share of the per-core rate kept on a cluster (scheduling, skew, I/O)


def worker_cpu(spark: SparkSession) -> dict[int, float]:
    """CPU seconds used so far by each Python worker process (probe tasks run in the reused workers)."""
    import pyarrow as pa

    def probe(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for _ in batches:
            times = os.times()
            yield pa.RecordBatch.from_pydict({"pid": [os.getpid()], "cpu": [times.user + times.system]})

    cores = spark.sparkContext.defaultParallelism
    rows = spark.range(0, cores * 4, numPartitions=cores * 4).mapInArrow(probe, "pid long, cpu double").collect()
    return {r["pid"]: r["cpu"] for r in rows}


def jvm_cpu(spark: SparkSession) -> float:
    """CPU seconds used so far by the driver JVM (which also runs the local executor's threads)."""
    fields = Path(f"/proc/{spark.sparkContext._gateway.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def spark_steps(master: str, source: str, out: str, csv_columns: tuple[str, str] | None) -> dict[str, float]:
    """In this process: seconds for session start, warm-up and the run, and the CPU seconds the run took (Python
    workers and JVM); called in a fresh child per master."""
    from notecheck.commands.spark import read_notes
    from notecheck.spark import check_notes, spark_session

    start = time.perf_counter()
    spark = spark_session(master)
    session = time.perf_counter() - start
    cores = spark.sparkContext.defaultParallelism
    text = next(CORPUS.glob("*.txt")).read_text(encoding="utf-8")
    tiny = spark.createDataFrame([(f"w{i}", f"{text}\n{i}") for i in range(cores)], "note_id string, text string")
    start = time.perf_counter()
    check_notes(tiny.repartition(cores)).count()
    warm = time.perf_counter() - start
    workers, jvm = worker_cpu(spark), jvm_cpu(spark)
    start = time.perf_counter()
    staging = Path(out) / "_staging"
    staging.mkdir(parents=True)
    id_column, text_column = csv_columns or ("note_id", "text")
    notes = read_notes(spark, [source], staging, id_column, text_column).repartition(cores * 2)
    check_notes(notes).write.mode("overwrite").parquet(str(Path(out) / "results.parquet"))
    run = time.perf_counter() - start
    jvm = jvm_cpu(spark) - jvm
    after = worker_cpu(spark)
    python = sum(cpu - workers.get(pid, 0.0) for pid, cpu in after.items())
    spark.stop()
    return {"session": session, "warm": warm, "run": run, "cpu": python + jvm, "jvm_cpu": jvm}


def audit_cpu(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (the whole process tree) of one audit run."""
    probe = ("import resource, subprocess, sys, time\n"
             "t = time.perf_counter()\n"
             "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
             "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
             "print(time.perf_counter() - t, r.ru_utime + r.ru_stime)\n")
    out = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True, text=True, check=True)
    wall, cpu = out.stdout.split()
    return float(wall), float(cpu)


def spark_child(master: str, source: Path, out: Path, csv_columns: tuple[str, str] | None = None) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", master, str(source), str(out)]
    if csv_columns:
        command += ["--csv-columns", *csv_columns]
    proc = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs per figure; the median is reported")
    parser.add_argument("--notes", type=int, default=5_000)
    parser.add_argument("--child", nargs=3, metavar=("MASTER", "SOURCE", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--csv-columns", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        columns = tuple(args.csv_columns) if args.csv_columns else None
        print(json.dumps(spark_steps(*args.child, csv_columns=columns)))  # type: ignore[arg-type]
        return
    rows: list[tuple[str, str, str, str]] = []
    rates: dict[str, float] = {}
    cpu_ms: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inputs = [("corpus", corpus_jsonl(folder, args.notes), args.notes, None, ())]
        if MTSAMPLES.exists():
            with MTSAMPLES.open(encoding="utf-8", newline="") as handle:
                count = sum(1 for _ in csv.DictReader(handle))
            inputs.append(("mtsamples", MTSAMPLES, count, ("", "transcription"),
                           ("--id-column", "", "--text-column", "transcription")))
        tiny = corpus_jsonl(folder, 4)
        for name, source, count, columns, extra in inputs:
            label = f"{args.notes:,} distinct corpus notes" if name == "corpus" else f"MTSamples CSV ({count:,})"
            for workers in (1, 2):
                startup = audit_cpu(audit_cmd(tiny, folder / f"t-{name}-{workers}", workers))[1]
                runs = [audit_cpu(audit_cmd(source, folder / f"a-{name}-{workers}", workers, *extra))
                        for _ in range(args.runs)]
                wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
                rates[f"audit-{name}-{workers}"] = count / wall
                cpu_ms[f"audit-{name}-{workers}"] = (cpu - startup) / count * 1000
                rows.append((f"audit --workers {workers}, {label}", f"{count / wall:,.0f}",
                             f"{cpu_ms[f'audit-{name}-{workers}']:.1f}",
                             f"{wall:.1f} s end to end; CPU/note excludes its start-up ({startup:.1f} CPU s)"))
            for cores in (1, 2):
                steps = [spark_child(f"local[{cores}]", source, folder / f"s-{name}-{cores}-{i}", columns)
                         for i in range(args.runs)]
                run = statistics.median(s["run"] for s in steps)
                rates[f"spark-{name}-{cores}"] = count / run
                cpu_ms[f"spark-{name}-{cores}"] = statistics.median(s["cpu"] for s in steps) / count * 1000
                jvm = statistics.median(s["jvm_cpu"] for s in steps) / count * 1000
                rows.append((f"Spark local[{cores}], {label}", f"{count / run:,.0f}",
                             f"{cpu_ms[f'spark-{name}-{cores}']:.1f}",
                             f"run {run:.1f} s (JVM {jvm:.1f} ms CPU/note); start-up excluded: session "
                             f"{statistics.median(s['session'] for s in steps):.1f} s, warm-up "
                             f"{statistics.median(s['warm'] for s in steps):.1f} s"))
        wall = median_run([sys.executable, "-m", "notecheck.cli", "spark", str(inputs[0][1]), "-o",
                           str(folder / "cli"), "--master", "local[2]", "--quiet", "--fail-on", "never"], args.runs)[0]
        rows.append((f"`notecheck spark --master local[2]`, {args.notes:,} corpus notes", f"{args.notes / wall:,.0f}",
                     "-", f"{wall:.1f} s end to end (start-up, run, summary)"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}; median of {args.runs} run(s); load average at the end "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    width = max(len(r[0]) for r in rows)
    print(f"{'run':<{width}}  {'notes/s':>8}  {'CPU ms/note':>11}  note")
    for name, rate, cpu, note in rows:
        print(f"{name:<{width}}  {rate:>8}  {cpu:>11}  {note}")
    ratio = rates["spark-corpus-2"] / rates["audit-corpus-2"]
    print(f"\nbar: Spark local[2] (start-up excluded) / audit --workers 2 = {ratio:.2f} notes/s (bar 0.80); "
          f"CPU per note, audit / Spark = {cpu_ms['audit-corpus-2'] / cpu_ms['spark-corpus-2']:.2f}")
    per_core = 1000 / cpu_ms["spark-corpus-1"]
    print(f"cluster estimate from local[1]'s {cpu_ms['spark-corpus-1']:.1f} CPU ms/note ({per_core:.0f} notes/s per "
          f"busy core), x{EFFICIENCY} efficiency, corpus-like notes:")
    for cores in CLUSTER_CORES:
        print(f"  {cores:>4} executor cores: {per_core * cores * EFFICIENCY * 3600 / 1e6:.2f} M notes/hour")

if __name__ == "__main__":
    main()
