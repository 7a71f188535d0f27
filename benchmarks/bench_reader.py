"""What the learned reader costs (issue 19, item 6): the rules alone against the rules plus the reader, in one run.

Each pair is measured alternately (rules alone, then with the reader, repeated), so both see the same machine load;
the medians are printed with their ratio. The bars: per-note time at most +20% on corpus notes and +10% on MTSamples
end to end; a cold `check` at most 0.5 s slower.

- in process, per note: the development corpus (every note through the pipeline) and every MTSamples row;
- end to end: `notecheck audit` over the MTSamples CSV, 1 worker (`--no-learned` against the default);
- cold start: `notecheck check` on one note in a fresh process.

    python benchmarks/bench_reader.py [--runs 5]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
MTSAMPLES = ROOT.parent / "shared" / "corpora" / "mtsamples" / "mtsamples.csv"
NOTE = ROOT / "sample_notes" / "bilateral_complete.txt"


def per_note_ms(check: Callable[[str], object], texts: list[str]) -> float:
    started = time.perf_counter()
    for text in texts:
        check(text)
    return (time.perf_counter() - started) * 1000 / len(texts)


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def alternate(runs: int, before: Callable[[], float], after: Callable[[], float]) -> tuple[float, float]:
    """Medians of ``runs`` alternating measurements of the two variants."""
    pairs = [(before(), after()) for _ in range(runs)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from notecheck import Checker

    rules, both = Checker(learned=False), Checker()
    corpus = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    with MTSAMPLES.open(encoding="utf-8", newline="") as handle:
        real = [row["transcription"] for row in csv.DictReader(handle)]
    for text in corpus[:3]:  # build both pipelines and load the model before timing
        rules.check_text(text), both.check_text(text)
    rows = []
    for name, texts in (("corpus notes, in process (ms/note)", corpus), ("MTSamples rows, in process (ms/note)", real)):
        rows.append((name, *alternate(args.runs, lambda t=texts: per_note_ms(rules.check_text, t),
                                      lambda t=texts: per_note_ms(both.check_text, t))))
    cli = [sys.executable, "-m", "notecheck.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        audit = ["audit", str(MTSAMPLES), "-o", tmp, "--workers", "1", "--quiet", "--fail-on", "never",
                 "--id-column", "", "--text-column", "transcription"]
        rows.append(("MTSamples audit end to end, 1 worker (s)",
                     *alternate(args.runs, lambda: wall([*cli, "--no-learned", *audit]), lambda: wall([*cli, *audit]))))
    rows.append(("cold `notecheck check` on one note (s)",
                 *alternate(max(args.runs, 5), lambda: wall([*cli, "--no-learned", "check", str(NOTE)]),
                            lambda: wall([*cli, "check", str(NOTE)]))))
    width = max(len(r[0]) for r in rows)
    print(f"{'run':<{width}}  {'rules':>8}  {'+reader':>8}  change  (medians of {args.runs}, alternating)")
    for name, before, after in rows:
        change = f"{(after / before - 1) * 100:+.1f}%" if "(s)" not in name or "audit" in name else \
            f"{after - before:+.2f} s"
        print(f"{name:<{width}}  {before:>8.3f}  {after:>8.3f}  {change}")


if __name__ == "__main__":
    main()
