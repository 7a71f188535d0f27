"""Throughput and memory of notecheck, printed as a table (not a test: these machines are shared and noisy).

Runs, each several times, reporting the median:
- the labeled development corpus repeated to 5,000 distinct notes (each copy gets its own accession line, so the
  audit's cache of repeated texts never answers and every note goes through the full pipeline), through
  `notecheck audit` with 1 and 2 workers, against spaCy's bare tokenizer over the same texts as the floor;
- the MTSamples CSV (../shared/corpora/mtsamples/mtsamples.csv), end to end, 1 worker;
- memory flatness: peak RSS of a 1-worker audit over 1,000 and over --large notes (default 20,000);
- cold start of `notecheck check` on one note.
Peak RSS is the largest process of the run (the parent, or one worker), from getrusage(RUSAGE_CHILDREN).

    python benchmarks/bench.py [--runs 3] [--large 20000]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
MTSAMPLES = ROOT.parent / "shared" / "corpora" / "mtsamples" / "mtsamples.csv"


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of the largest process the command ran, in a fresh child."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
        "wall = time.perf_counter() - t\n"
        "print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, rc)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True, text=True, check=True)
    wall, rss, rc = out.stdout.split()
    if int(rc) not in (0, 1):
        raise SystemExit(f"{command} exited {rc}")
    return float(wall), float(rss)


def median_run(command: list[str], runs: int) -> tuple[float, float]:
    results = [timed(command) for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def corpus_jsonl(folder: Path, count: int) -> Path:
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    path = folder / f"corpus-{count}.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            # a distinct last line per copy: the audit answers repeated texts from its cache, real notes differ
            text = f"{texts[i % len(texts)]}\nAccession: BENCH-{i:06d}\n"
            out.write(json.dumps({"note_id": f"n{i}", "text": text}) + "\n")
    return path


def tokenizer_rate(texts: list[str], runs: int) -> float:
    import spacy

    tokenizer = spacy.blank("en").tokenizer
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        for text in texts:
            tokenizer(text)
        rates.append(len(texts) / (time.perf_counter() - start))
    return statistics.median(rates)


def audit_cmd(source: Path, out: Path, workers: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "notecheck.cli", "audit", str(source), "-o", str(out), "--workers", str(workers),
            "--quiet", "--fail-on", "never", *extra]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--large", type=int, default=20_000, help="notes for the memory-flatness run")
    args = parser.parse_args()
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = corpus_jsonl(folder, 5_000)
        texts = [json.loads(line)["text"] for line in source.open(encoding="utf-8")]
        floor = tokenizer_rate(texts, args.runs)
        rows.append(("spaCy bare tokenizer, corpus x5,000 (in process)", f"{floor:,.0f}", "-", "floor"))
        one = two = 0.0
        for workers in (1, 2):
            wall, rss = median_run(audit_cmd(source, folder / f"out{workers}", workers), args.runs)
            rate = len(texts) / wall
            one, two = (rate, two) if workers == 1 else (one, rate)
            rows.append((f"audit, corpus x5,000, {workers} worker(s)", f"{rate:,.0f}", f"{rss:,.0f}",
                         f"{rate / floor:.2f}x tokenizer" + (f", {rate / one:.2f}x 1 worker" if workers == 2 else "")))
        if MTSAMPLES.exists():
            with MTSAMPLES.open(encoding="utf-8") as handle:
                count = sum(1 for _ in csv.DictReader(handle))
            wall, rss = median_run(audit_cmd(MTSAMPLES, folder / "mts", 1, "--id-column", "",
                                             "--text-column", "transcription"), args.runs)
            rows.append((f"audit, MTSamples CSV ({count:,} rows), 1 worker", f"{count / wall:,.0f}", f"{rss:,.0f}",
                         "end to end"))
        for count in (1_000, args.large):
            big = corpus_jsonl(folder, count)
            wall, rss = median_run(audit_cmd(big, folder / f"flat{count}", 1), 1)
            rows.append((f"audit, corpus x{count:,}, 1 worker (memory)", f"{count / wall:,.0f}", f"{rss:,.0f}", ""))
        note = ROOT / "sample_notes" / "bilateral_complete.txt"
        wall, rss = median_run([sys.executable, "-m", "notecheck.cli", "check", str(note)], max(args.runs, 5))
        rows.append(("cold `notecheck check` on one note", f"{wall:.2f} s", f"{rss:,.0f}", "median wall"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}")
    width = max(len(r[0]) for r in rows)
    print(f"{'run':<{width}}  {'notes/s':>10}  {'peak RSS MB':>11}  note")
    for name, rate, rss, note_text in rows:
        print(f"{name:<{width}}  {rate:>10}  {rss:>11}  {note_text}")


if __name__ == "__main__":
    main()
