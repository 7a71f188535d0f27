"""HL7 v2 input speed and memory, printed as a table (not a test: these machines are shared and noisy).

Builds batch files from sample_notes/hl7/mdm_batch.hl7 (three sample-note messages and one malformed one), each
copy with its own document number and last OBX line so the audit's cache of repeated texts never answers, then:
- reading only (framing, parsing, unescaping, no checking), in a fresh process: messages/s and peak RSS, for
  --count and 4x --count messages (memory must not grow with the file: it is read in chunks);
- the same messages parsed by hl7apy, where it is installed (the library not chosen; see docs/integrators.md);
- `notecheck audit` end to end on the --count file, 1 worker: notes/s and peak RSS, and on a JSONL file of the
  same texts and ids, which isolates what reading HL7 adds to an audit.
Each figure is the median of --runs runs.

    python benchmarks/bench_hl7.py [--runs 3] [--count 2000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = ROOT / "sample_notes" / "hl7" / "mdm_batch.hl7"

READ = """
import resource, sys, time
from pathlib import Path
from notecheck.readers_hl7 import iter_hl7
t = time.perf_counter()
n = sum(1 for _ in iter_hl7(Path(sys.argv[1])))
print(n / (time.perf_counter() - t), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""

HL7APY = """
import sys, time
from pathlib import Path
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message
messages = [m.replace("\\n", "\\r") for m in Path(sys.argv[1]).read_text().split("\\n\\n") if m.strip()][:200]
good = bad = 0
t = time.perf_counter()
for m in messages:
    try:
        parse_message(m, find_groups=False, validation_level=VALIDATION_LEVEL.TOLERANT)
        good += 1
    except Exception:  # the malformed message: hl7apy rejects it whole (unknown segment name)
        bad += 1
print(len(messages) / (time.perf_counter() - t), 0)
"""

AUDIT = """
import resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.run([sys.executable, "-m", "notecheck.cli", "audit", "--quiet", "--workers", "1", sys.argv[1],
                     "-o", sys.argv[2]]).returncode
assert rc in (0, 1), rc
print(int(sys.argv[3]) / (time.perf_counter() - t), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""


def batch_file(folder: Path, count: int) -> Path:
    """``count`` messages: copies of the sample batch, each with a distinct document number and last line."""
    messages = [m for m in BATCH.read_text(encoding="utf-8").split("\n\n") if m.strip()]
    path = folder / f"batch-{count}.hl7"
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            message = messages[i % len(messages)].rstrip("\n").replace("SYN-DOC-000", f"SYN-DOC-{i}-")
            out.write(message + f"\nOBX|999|TX|||Synthetic copy {i}||||||F\n\n")
    return path


def same_as_jsonl(hl7_file: Path) -> Path:
    """The notes of an HL7 file as JSONL (the malformed messages as lines without text: error rows there too)."""
    from notecheck.readers_hl7 import iter_hl7

    path = hl7_file.with_suffix(".jsonl")
    with path.open("w", encoding="utf-8") as out:
        for item in iter_hl7(hl7_file):
            record = {"note_id": item.note_id, **({"text": item.note.text} if item.note else {})}
            out.write(json.dumps(record) + "\n")
    return path


def median(script: str, args: list[str], runs: int) -> tuple[float, float]:
    results = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True)
        if out.returncode:
            return float("nan"), float("nan")
        results.append(tuple(map(float, out.stdout.split())))
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small, large = batch_file(folder, args.count), batch_file(folder, args.count * 4)
        rows = [(f"read only, {args.count:,} messages", *median(READ, [str(small)], args.runs)),
                (f"read only, {args.count * 4:,} messages", *median(READ, [str(large)], args.runs)),
                ("hl7apy parse only (tolerant, no groups), 200 messages", *median(HL7APY, [str(small)], args.runs)),
                (f"audit end to end, {args.count:,} messages, 1 worker",
                 *median(AUDIT, [str(small), str(folder / "out"), str(args.count)], args.runs)),
                ("audit end to end, the same notes as JSONL, 1 worker",
                 *median(AUDIT, [str(same_as_jsonl(small)), str(folder / "out"), str(args.count)], args.runs))]
    print("| run | messages/s | peak RSS (MB) |\n|---|---|---|")
    for name, rate, rss in rows:
        shown = "not installed" if rate != rate else f"{rate:,.0f}"
        print(f"| {name} | {shown} | {rss:,.0f} |" if rss == rss and rss else f"| {name} | {shown} | - |")


if __name__ == "__main__":
    main()
