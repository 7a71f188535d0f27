"""Batch audit: every input note gets exactly one row, in input order, written as it is produced.

Rows go to ``results.jsonl`` (flushed per note), so an interrupted run can resume without losing or repeating a
row: the resumed file is byte-for-byte what an uninterrupted run writes. CSV, summary.json and the HTML report
are derived from results.jsonl at the end, streaming. Workers are separate processes, each building the
pipeline once (medspaCy's TargetMatcher cannot go through ``nlp.pipe(n_process>1)``); notes are sent in bounded
windows, so memory stays flat however many notes come in.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TextIO

from .checker import Checker
from .models import AuditRow, Report, Summary
from .readers import Item
from .rules import ELEMENT_IDS

RESULTS = "results.jsonl"
MAX_METADATA_VALUES = 100  # a metadata field with more distinct values is free text, not a grouping

_worker_cache: ReportCache | None = None


@dataclass(frozen=True)
class AuditOptions:
    patterns: str | None = None
    profile: str = "0201T"
    workers: int = 1
    resume: bool = False
    window: int = 256


def _init_worker(patterns: str | None, profile: str) -> None:
    global _worker_cache
    checker = Checker(patterns, profile=profile)
    checker.scanner  # build the pipeline once per worker, before the first note
    _worker_cache = ReportCache(checker)


def _row_json(task: tuple[int, Item]) -> str:
    """Check one item in a worker and return its row as one JSON line (serialised where the work is)."""
    index, item = task
    assert _worker_cache is not None
    return check_item(_worker_cache, index, item).model_dump_json() + "\n"


class ReportCache:
    """The last reports by note text: EHR exports repeat notes verbatim (copy-forward, cross-listing), and an
    identical text gets an identical report. Bounded and kept as compact JSON, so memory stays flat however
    long the run."""

    def __init__(self, checker: Checker, size: int = 2048) -> None:
        self.checker, self.size = checker, size
        self.reports: OrderedDict[str, str] = OrderedDict()

    def check(self, text: str, note_id: str) -> Report:
        key = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()
        cached = self.reports.get(key)
        if cached is not None:
            self.reports.move_to_end(key)
            return Report.model_validate_json(cached).model_copy(update={"note_id": note_id})
        report = self.checker.check_text(text, note_id=note_id)
        self.reports[key] = report.model_dump_json()
        if len(self.reports) > self.size:
            self.reports.popitem(last=False)
        return report


def check_item(cache: ReportCache, index: int, item: Item) -> AuditRow:
    """The row for one input position: an error row for unreadable input, otherwise the report's outcome."""
    if item.note is None:
        return AuditRow(row=index, note_id=item.note_id, source=item.source, outcome="error", error=item.error)
    report = cache.check(item.note.text, item.note_id)
    return AuditRow(row=index, note_id=item.note_id, source=item.source,
                    outcome="complete" if report.complete else "incomplete", flags=list(item.note.flags),
                    metadata=item.note.metadata, report=report)


def _completed_rows(path: Path) -> int:
    """Rows already written by an interrupted run; a torn last line (killed mid-write) is cut off."""
    if not path.exists():
        return 0
    with path.open("rb+") as handle:
        data = handle.read()
        end = data.rfind(b"\n") + 1
        if end != len(data):
            handle.truncate(end)
    return data[:end].count(b"\n")


def _windows(items: Iterable[tuple[int, Item]], size: int) -> Iterator[list[tuple[int, Item]]]:
    iterator = iter(items)
    while window := list(islice(iterator, size)):
        yield window


class Progress:
    """A one-line progress display on a terminal (notes, notes/s, ETA when the total is known); silent elsewhere."""

    def __init__(self, stream: TextIO, total: int | None, enabled: bool) -> None:
        self.stream, self.total, self.enabled = stream, total, enabled and stream.isatty()
        self.start = time.monotonic()
        self.last = 0.0

    def update(self, done: int, final: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < 0.2 and not final):
            return
        self.last = now
        rate = done / max(now - self.start, 1e-9)
        eta = f", ETA {max(self.total - done, 0) / rate:.0f} s" if self.total and rate else ""
        of = f"/{self.total}" if self.total else ""
        self.stream.write(f"\r{done}{of} notes, {rate:.0f} notes/s{eta}   " + ("\n" if final else ""))
        self.stream.flush()


def run(items: Iterable[Item], out_dir: Path, options: AuditOptions, progress: Progress | None = None) -> int:
    """Check every item into out_dir/results.jsonl; return the number of rows in the file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results = out_dir / RESULTS
    done = _completed_rows(results) if options.resume else 0
    numbered = islice(enumerate(items), done, None)
    mode = "ab" if options.resume else "wb"
    with results.open(mode) as sink:
        write: Callable[[str], None] = lambda line: (sink.write(line.encode("utf-8")), sink.flush())
        if options.workers <= 1:
            cache = ReportCache(Checker(options.patterns, profile=options.profile))
            for index, item in numbered:
                write(check_item(cache, index, item).model_dump_json() + "\n")
                done += 1
                if progress:
                    progress.update(done)
        else:
            context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
            with context.Pool(options.workers, _init_worker, (options.patterns, options.profile)) as pool:
                for window in _windows(numbered, options.window * options.workers):
                    for line in pool.imap(_row_json, window, chunksize=max(1, len(window) // (4 * options.workers))):
                        write(line)
                        done += 1
                        if progress:
                            progress.update(done)
    if progress:
        progress.update(done, final=True)
    return done


def iter_rows(out_dir: Path) -> Iterator[AuditRow]:
    with (out_dir / RESULTS).open(encoding="utf-8") as lines:
        for line in lines:
            yield AuditRow.model_validate_json(line)


def summarize(rows: Iterable[AuditRow]) -> Summary:
    """Figures over all rows; the outcome counts add up to the number of inputs."""
    outcomes: Counter[str] = Counter({"complete": 0, "incomplete": 0, "error": 0})
    codes: Counter[str] = Counter({"0201T": 0, "0200T": 0, "none": 0})
    missing: Counter[str] = Counter()
    coded = prescreened = flagged = inputs = 0
    by_metadata: dict[str, dict[str, Counter[str]]] = {}
    dropped: set[str] = set()
    for row in rows:
        inputs += 1
        outcomes[row.outcome] += 1
        flagged += bool(row.flags)
        for key, value in row.metadata.items():
            if key in dropped:
                continue
            values = by_metadata.setdefault(key, {})
            values.setdefault(value, Counter())[row.outcome] += 1
            if len(values) > MAX_METADATA_VALUES:
                dropped.add(key)
                del by_metadata[key]
        if row.report is None:
            continue
        report = row.report
        codes[report.suggested_code or "none"] += 1
        prescreened += report.prescreened
        if report.suggested_code:
            coded += 1
            missing.update(report.missing_required)
    return Summary(
        inputs=inputs,
        outcomes=dict(outcomes),
        codes=dict(codes),
        missing_rates={e: round(missing[e] / coded, 4) if coded else 0.0 for e in ELEMENT_IDS},
        by_metadata={k: {v: dict(c) for v, c in sorted(values.items())} for k, values in sorted(by_metadata.items())},
        prescreened=prescreened,
        flagged=flagged,
    )


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def summary_json(summary: Summary) -> str:
    return json.dumps(summary.model_dump(), indent=2, sort_keys=True) + "\n"
