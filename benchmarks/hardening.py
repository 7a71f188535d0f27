"""The run-time bars of issue 9, printed (not asserted: the machine is shared and noisy).

- `notecheck check` on a 200 KB note of the sample notes joined end to end, and on a 100 KB note of one repeated
  sentence (bar: each under 10 s); a run that passes --cap seconds is stopped and reported as over it;
- an audit whose first note overruns `--note-timeout 5` (a pathological user pattern, as in the tests): wall time
  to the end of the run, and that every other row is there;
- audit throughput on the corpus x1,000 with 1 and 2 workers, to show what the killable workers cost.

    python benchmarks/hardening.py [--runs 3] [--cap 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import ROOT, audit_cmd, corpus_jsonl, median_run

sys.path.insert(0, str(ROOT / "tests"))
from test_hardening import SLOW, slow_patterns  # noqa: E402  (the same pathological pattern as the tests)

SENTENCE = "Under fluoroscopic guidance a needle was placed into the right sacral ala and cement was injected. "


def check_seconds(note: Path, runs: int, cap: float) -> str:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        try:
            subprocess.run([sys.executable, "-m", "notecheck.cli", "check", "--format", "json", str(note)],
                           capture_output=True, timeout=cap, check=False)
        except subprocess.TimeoutExpired:
            return f"> {cap:.0f} s (stopped)"
        times.append(time.perf_counter() - start)
    return f"{statistics.median(times):.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cap", type=float, default=300.0, help="seconds after which a check is stopped")
    args = parser.parse_args()
    samples = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "sample_notes").glob("*.txt"))]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        joined = folder / "joined_200k.txt"
        text = ""
        while len(text.encode()) < 200_000:
            text += samples[len(text) % len(samples)] + "\n"
        joined.write_text(text)
        repeated = folder / "repeated_100k.txt"
        repeated.write_text(SENTENCE * (100_000 // len(SENTENCE)))
        print(f"check, 200 KB of sample notes joined: {check_seconds(joined, args.runs, args.cap)}")
        print(f"check, 100 KB of one repeated sentence: {check_seconds(repeated, args.runs, args.cap)}")

        notes = folder / "notes"
        notes.mkdir()
        (notes / "a_slow.txt").write_text(SLOW)
        for i in range(10):
            (notes / f"b{i}.txt").write_text(samples[0] + f"\nAccession {i}\n")
        walls = []
        for run in range(args.runs):
            out = folder / f"timeout{run}"
            start = time.perf_counter()
            (folder / str(run)).mkdir()
            subprocess.run([sys.executable, "-m", "notecheck.cli", "--patterns", str(slow_patterns(folder / str(run))),
                            "audit", str(notes), "-o", str(out), "--note-timeout", "5", "--workers", "1", "--quiet",
                            "--fail-on", "never"], check=True)
            walls.append(time.perf_counter() - start)
            rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
            assert len(rows) == 11 and rows[0]["error"] == "timed out after 5 s", rows[0]
        print(f"audit, 1 note over --note-timeout 5 + 10 notes, 1 worker: {statistics.median(walls):.1f} s wall, "
              "all 11 rows")

        source = corpus_jsonl(folder, 1_000)
        for workers in (1, 2):
            wall, rss = median_run(audit_cmd(source, folder / f"out{workers}", workers), args.runs)
            print(f"audit, corpus x1,000, {workers} worker(s): {1_000 / wall:,.0f} notes/s, peak RSS {rss:,.0f} MB")


if __name__ == "__main__":
    main()
