"""The audit history's cost, printed as a table (not a test: these machines are shared and noisy).

Fills a fresh history with --nights nights of --notes notes each, the way `audit --history` appends them: every
night one transaction that inserts the run and reads the trends of the last 30 nights. The rows are real reports
of the sample notes (checked once), given ids enc-0 ... so each note comes back every night, with a verdict that
changes from night to night, 20 providers and 4 departments recorded. Prints the median time of the last five
appends (insert + trends), the median of --runs reads of the trends alone (`notecheck history`), the file's size
per night, and the peak RSS of the process.

    python benchmarks/bench_history.py [--nights 30] [--notes 2000] [--runs 5]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from notecheck import Checker
from notecheck.batch.history import HistorySettings, RunRecord, read_trends, recording
from notecheck.models import AuditRow

ROOT = Path(__file__).resolve().parent.parent


def night_rows(reports: list, notes: int, night: int) -> list[AuditRow]:
    return [AuditRow(row=i, note_id=f"enc-{i}", source=f"export-{night}.jsonl:{i + 1}",
                     outcome=reports[(i + night) % len(reports)].verdict,
                     metadata={"provider": f"Dr. {i % 20}", "department": f"dept {i % 4}", "mrn": "never kept"},
                     report=reports[(i + night) % len(reports)]) for i in range(notes)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    checker = Checker()
    reports = [checker.check_text(path.read_text(), note_id=path.stem)
               for path in sorted((ROOT / "sample_notes").glob("*.txt"))]
    with tempfile.TemporaryDirectory() as scratch:
        settings = HistorySettings(Path(scratch) / "history.db")
        appends = []
        for night in range(args.nights):
            run_date = (date(2026, 11, 1) + timedelta(days=night)).isoformat()
            run = RunRecord(uid=f"run-{night}", run_date=run_date, started=run_date, judged_against=None,
                            version="bench", inputs=[f"export-{night}.jsonl"], group_by=("provider", "department"))
            rows = night_rows(reports, args.notes, night)
            started = time.perf_counter()
            with recording(settings, run, rows) as trends:
                assert trends.period.runs == min(night + 1, 30)
            appends.append(time.perf_counter() - started)
        reads = []
        for _ in range(args.runs):
            started = time.perf_counter()
            read_trends(settings)
            reads.append(time.perf_counter() - started)
        size = settings.path.stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| {args.nights} nights x {args.notes:,} notes | append + trends (median of the last 5) | "
          f"{statistics.median(appends[-5:]):.2f} s |")
    print(f"| | trends alone, last 30 nights (median of {args.runs}) | {statistics.median(reads):.2f} s |")
    print(f"| | file size | {size / 2**20:.1f} MB ({size / args.nights / 2**10:.0f} kB a night) |")
    print(f"| | peak RSS of the process | {peak:.0f} MB |")


if __name__ == "__main__":
    main()
