"""Batch audit: every input note gets exactly one row, in input order, written as it is produced.

Rows go to ``results.jsonl`` (flushed per note), so an interrupted run can resume without losing or repeating a
row: the resumed file is byte-for-byte what an uninterrupted run writes. CSV, summary.json and the HTML report
are derived from results.jsonl at the end, streaming. Notes are checked in worker processes forked from a parent
that built the pipeline once (medspaCy's TargetMatcher cannot go through ``nlp.pipe(n_process>1)``); a note over
its time budget has its worker killed and becomes an error row (see workers.py). At most a window of notes is
in flight, so memory stays flat however many notes come in.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TextIO

from ..checker import Checker
from ..errors import NotecheckError
from ..inputs import DEFAULT_MAX_BYTES, Item
from ..models import AuditRow, Outcome, Report, Summary, prior_authorisation
from ..rules import CRITERION_IDS, CRITERION_STATUSES, DEFAULT_INDICATIONS, ELEMENT_IDS
from .workers import NotePool

RESULTS = "results.jsonl"
DEFAULT_NOTE_TIMEOUT = 60.0


@dataclass(frozen=True)
class AuditOptions:
    patterns: str | None = None
    profile: str | None = None  # a billed code every note is judged against; per-note billed_code fields win
    workers: int = 1
    resume: bool = False
    window: int = 256
    note_timeout: float = DEFAULT_NOTE_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES
    indications: str | None = DEFAULT_INDICATIONS
    learned: bool = True


class ReportCache:
    """The last reports by note text: EHR exports repeat notes verbatim (copy-forward, cross-listing), and an
    identical text gets an identical report. Bounded and kept as compact JSON, so memory stays flat however
    long the run."""

    def __init__(self, checker: Checker, size: int = 2048) -> None:
        self.checker, self.size = checker, size
        self.reports: OrderedDict[str, str] = OrderedDict()

    @staticmethod
    def key(text: str, billed: str | None = None) -> str:
        """What a report depends on besides the rules: the text and the billed code."""
        return hashlib.sha1(f"{billed or ''}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()

    def check(self, text: str, note_id: str, billed: str | None = None) -> Report:
        key = self.key(text, billed)
        cached = self.reports.get(key)
        if cached is not None:
            self.reports.move_to_end(key)
            return Report.model_validate_json(cached).model_copy(update={"note_id": note_id})
        report = self.checker.check_text(text, note_id=note_id, billed=billed)
        self.reports[key] = report.model_dump_json()
        if len(self.reports) > self.size:
            self.reports.popitem(last=False)
        return report


BILLED_FIELD = "billed_code"
"""The JSONL field, CSV column or Parquet column that carries a note's billed code ('0201T', '0201T-50')."""


def billed_code(item: Item) -> str | None:
    if item.note is None:
        return None
    return item.note.metadata.get(BILLED_FIELD) or None


def check_item(cache: ReportCache, index: int, item: Item) -> AuditRow:
    """The row for one input position: an error row for unreadable input or an unknown billed code, otherwise the
    report and its verdict."""
    if item.note is None:
        return error_row(index, item, item.error or "unreadable")
    billed = billed_code(item)
    try:
        report = cache.check(item.note.text, item.note_id, billed)
    except NotecheckError:  # the billed code is the only per-note input the checker validates
        known = ", ".join(sorted(cache.checker.patterns.profiles))
        return error_row(index, item, f"{BILLED_FIELD}: not a known code ({len(billed or '')} characters); "
                                      f"expected {known}, optionally with a modifier ('0201T-50')")
    outcome: Outcome = report.verdict
    return AuditRow(row=index, note_id=item.note_id, source=item.source, outcome=outcome,
                    flags=list(item.note.flags), metadata=item.note.metadata, report=report)


def isolated_row(cache: ReportCache, index: int, item: Item) -> AuditRow:
    """``check_item``, with a failure on this note its error row: a note the checker refuses (too long once
    normalised) by its sizes, a bug by its exception's type only (its message may quote the note)."""
    try:
        return check_item(cache, index, item)
    except NotecheckError as exc:
        return error_row(index, item, str(exc))
    except Exception as exc:  # a bug on one note must cost that note's row only
        return error_row(index, item, f"the checker failed on this note ({type(exc).__name__})")


def error_row(index: int, item: Item, reason: str) -> AuditRow:
    """The row for a note that has no report: unreadable, over its time budget, or failed in the checker."""
    note = item.note
    return AuditRow(row=index, note_id=item.note_id, source=item.source, outcome="error", error=reason,
                    flags=list(note.flags) if note else [], metadata=note.metadata if note else {})


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


def run(items: Iterable[Item], out_dir: Path, options: AuditOptions, progress: Progress | None = None,
        checker: Checker | None = None) -> int:
    """Check every item into out_dir/results.jsonl; return the number of rows in the file. ``checker``: one the
    caller built with these options (the CLI's), so its patterns are not read and validated a second time."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results = out_dir / RESULTS
    done = _completed_rows(results) if options.resume else 0
    # Built once here, before the workers fork, so every worker (and every replacement) starts with them ready.
    cache = ReportCache(checker or Checker(options.patterns, profile=options.profile, max_bytes=options.max_bytes,
                                           indications=options.indications, learned=options.learned))
    cache.checker.scanner
    if options.learned:
        cache.checker.reader
    pool = NotePool(
        check_row=lambda index, item: isolated_row(cache, index, item).model_dump_json() + "\n",
        error_row=lambda index, item, reason: error_row(index, item, reason).model_dump_json() + "\n",
        size=options.workers, timeout=options.note_timeout, window=options.window * options.workers,
        # a repeated note goes to the worker whose cache holds its report, rather than being checked again
        affinity=lambda item: ReportCache.key(item.note.text, billed_code(item)) if item.note else None,
        routes=cache.size * options.workers,
    )
    with results.open("ab" if options.resume else "wb") as sink:
        for line in pool.rows(islice(enumerate(items), done, None), first=done):
            sink.write(line.encode("utf-8"))
            sink.flush()
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


_REVIEW = '"outcome":"review"'  # how model_dump_json writes a row in review: a cheap test before parsing


def iter_rows_review_first(out_dir: Path) -> Iterator[AuditRow]:
    """The rows of notes in review, then the others, each in input order: a QA lead reads first the notes a
    person must read. Two passes over results.jsonl, so a batch of any size is sorted without holding it."""
    for review in (True, False):
        with (out_dir / RESULTS).open(encoding="utf-8") as lines:
            for line in lines:
                if _REVIEW not in line and review:
                    continue
                row = AuditRow.model_validate_json(line)
                if (row.outcome == "review") == review:
                    yield row


def summarize(rows: Iterable[AuditRow], requirements: dict[str, dict[str, str]],
              group_by: tuple[str, ...] = (), left_out_by_glob: int = 0) -> Summary:
    """Figures over all rows; the outcome counts add up to the number of inputs.

    ``requirements`` maps each code to its elements' requirements: an element is due in an applicable note when
    the code it was judged against requires it, so a clear 0200T is not counted as missing its second side. Rows are broken down only by the metadata fields in ``group_by``: other
    fields may be patient identifiers."""
    outcomes: Counter[str] = Counter({"complete": 0, "incomplete": 0, "review": 0, "not_applicable": 0, "error": 0})
    codes: Counter[str] = Counter({"0201T": 0, "0200T": 0, "none": 0})
    missing: Counter[str] = Counter()
    due: Counter[str] = Counter()
    prescreened = flagged = inputs = 0
    by_metadata: dict[str, dict[str, Counter[str]]] = {field: {} for field in group_by}
    indications = {c: Counter({s: 0 for s in CRITERION_STATUSES}) for c in CRITERION_IDS}
    prior = {c: Counter({s: 0 for s in CRITERION_STATUSES}) for c in CRITERION_IDS}
    for row in rows:
        inputs += 1
        outcomes[row.outcome] += 1
        flagged += bool(row.flags)
        for field in group_by:
            value = row.metadata.get(field, "(none)")
            by_metadata[field].setdefault(value, Counter())[row.outcome] += 1
        if row.report is None:
            continue
        report = row.report
        codes[report.suggested_code or "none"] += 1
        prescreened += report.prescreened
        if report.verdict != "not_applicable":
            wanted = requirements.get(report.profile or "", {})
            for element, requirement in wanted.items():
                if requirement == "required":
                    due[element] += 1
                    missing[element] += report.elements[element].status != "documented"
            for criterion, result in (report.indications.criteria.items() if report.indications else ()):
                indications[criterion][result.status] += 1
        elif prior_authorisation(report) and report.indications:
            for criterion, result in report.indications.criteria.items():
                prior[criterion][result.status] += 1
    return Summary(
        inputs=inputs,
        outcomes=dict(outcomes),
        codes=dict(codes),
        missing_rates={e: round(missing[e] / due[e], 4) if due[e] else 0.0 for e in ELEMENT_IDS},
        missing_due={e: due[e] for e in ELEMENT_IDS},
        by_metadata={k: {v: dict(c) for v, c in sorted(values.items())} for k, values in sorted(by_metadata.items())},
        prescreened=prescreened,
        flagged=flagged,
        left_out_by_glob=left_out_by_glob,
        indications={c: dict(counts) for c, counts in indications.items()},
        prior_authorisation={c: dict(counts) for c, counts in prior.items()},
    )


def bounded_workers(requested: int | None) -> int:
    """Never more workers than cores: more only add processes and memory on a CPU-bound job."""
    cores = default_workers()
    return cores if requested is None else max(1, min(requested, cores))


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def summary_json(summary: Summary) -> str:
    return json.dumps(summary.model_dump(), indent=2, sort_keys=True) + "\n"
