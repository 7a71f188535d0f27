"""Batch audit: every input note gets exactly one row, in input order, written as it is produced.

Rows go to ``results.jsonl`` (flushed per note), so an interrupted run can resume without losing or repeating a
row: the resumed file is byte-for-byte what an uninterrupted run writes. The CSVs, summary.json and the HTML
report are made from the rows' parts each worker sends back with its row (derived.py) and written at the end;
an interrupted run's rows are parsed back once for theirs. Notes are checked in worker processes forked from a parent
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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import NamedTuple, TextIO, TypeVar

from ..checker import Checker
from ..errors import NotecheckError
from ..inputs import DEFAULT_MAX_BYTES, Item
from ..models import AuditRow, Outcome, Report, Summary, prior_authorisation
from ..rules import CRITERION_IDS, CRITERION_STATUSES, DEFAULT_INDICATIONS, ELEMENT_IDS
from .workers import NotePool

RESULTS = "results.jsonl"
T = TypeVar("T")
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


def run(items: Iterable[Item], out_dir: Path, options: AuditOptions, derive: Callable[[AuditRow], T],
        collect: Callable[[T], None], progress: Progress | None = None, checker: Checker | None = None) -> int:
    """Check every item into out_dir/results.jsonl; return the number of rows in the file.

    ``derive`` turns a row into what the derived outputs need of it (table lines, card, summary facts): it runs in
    the worker that made the row, so the parent never parses a row back; ``collect`` takes each row's in row
    order, in the parent, the rows of an interrupted run first (parsed once from the file). ``checker``: one the
    caller built with these options (the CLI's), so its patterns are not read and validated a second time."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results = out_dir / RESULTS
    done = _completed_rows(results) if options.resume else 0
    for row in islice(iter_rows(out_dir), done):
        collect(derive(row))
    # Built once here, before the workers fork, so every worker (and every replacement) starts with them ready.
    cache = ReportCache(checker or Checker(options.patterns, profile=options.profile, max_bytes=options.max_bytes,
                                           indications=options.indications, learned=options.learned))
    cache.checker.scanner
    if options.learned:
        cache.checker.reader

    def answer(row: AuditRow) -> tuple[str, T]:
        return row.model_dump_json() + "\n", derive(row)

    pool = NotePool(
        check_row=lambda index, item: answer(isolated_row(cache, index, item)),
        error_row=lambda index, item, reason: answer(error_row(index, item, reason)),
        size=options.workers, timeout=options.note_timeout, window=options.window * options.workers,
        # a repeated note goes to the worker whose cache holds its report, rather than being checked again
        affinity=lambda item: ReportCache.key(item.note.text, billed_code(item)) if item.note else None,
        routes=cache.size * options.workers,
    )
    with results.open("ab" if options.resume else "wb") as sink:
        for line, derived in pool.rows(islice(enumerate(items), done, None), first=done):
            sink.write(line.encode("utf-8"))
            sink.flush()
            collect(derived)
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


class RowFacts(NamedTuple):
    """One row's part of the summary: small, so a worker sends it back with the row and the parent never parses
    the row again to count it."""

    outcome: str
    flagged: bool
    groups: tuple[str, ...]  # the row's value of each --group-by field
    code: str | None  # the suggested code ('none' without one); None for a row without a report
    prescreened: bool
    elements: tuple[tuple[str, bool], ...]  # each element due under the code judged against: (element, missing)
    indications: tuple[tuple[str, str], ...]  # (criterion, status) of a sacral procedure
    prior: tuple[tuple[str, str], ...]  # (criterion, status) of a note read for prior authorisation


def row_facts(row: AuditRow, requirements: dict[str, dict[str, str]], group_by: tuple[str, ...] = ()) -> RowFacts:
    """What the summary counts of one row. ``requirements`` maps each code to its elements' requirements: an
    element is due in an applicable note when the code it was judged against requires it, so a clear 0200T is not
    counted as missing its second side. Only the ``group_by`` fields are kept: others may be patient identifiers."""
    groups = tuple(row.metadata.get(field, "(none)") for field in group_by)
    report = row.report
    if report is None:
        return RowFacts(row.outcome, bool(row.flags), groups, None, False, (), (), ())
    elements: tuple[tuple[str, bool], ...] = ()
    indications: tuple[tuple[str, str], ...] = ()
    prior: tuple[tuple[str, str], ...] = ()
    criteria = tuple((c, r.status) for c, r in report.indications.criteria.items()) if report.indications else ()
    if report.verdict != "not_applicable":
        wanted = requirements.get(report.profile or "", {})
        elements = tuple((element, report.elements[element].status != "documented")
                         for element, requirement in wanted.items() if requirement == "required")
        indications = criteria
    elif prior_authorisation(report):
        prior = criteria
    return RowFacts(row.outcome, bool(row.flags), groups, report.suggested_code or "none", report.prescreened,
                    elements, indications, prior)


class Tally:
    """The summary, counted one row's facts at a time, in any order; the outcome counts add up to the inputs."""

    def __init__(self, group_by: tuple[str, ...] = ()) -> None:
        self.group_by = group_by
        self.outcomes: Counter[str] = Counter({"complete": 0, "incomplete": 0, "review": 0, "not_applicable": 0,
                                               "error": 0})
        self.codes: Counter[str] = Counter({"0201T": 0, "0200T": 0, "none": 0})
        self.missing: Counter[str] = Counter()
        self.due: Counter[str] = Counter()
        self.prescreened = self.flagged = self.inputs = 0
        self.by_metadata: dict[str, dict[str, Counter[str]]] = {field: {} for field in group_by}
        self.indications = {c: Counter({s: 0 for s in CRITERION_STATUSES}) for c in CRITERION_IDS}
        self.prior = {c: Counter({s: 0 for s in CRITERION_STATUSES}) for c in CRITERION_IDS}

    def add(self, facts: RowFacts) -> None:
        self.inputs += 1
        self.outcomes[facts.outcome] += 1
        self.flagged += facts.flagged
        for field, value in zip(self.group_by, facts.groups):
            self.by_metadata[field].setdefault(value, Counter())[facts.outcome] += 1
        if facts.code is None:
            return
        self.codes[facts.code] += 1
        self.prescreened += facts.prescreened
        for element, missing in facts.elements:
            self.due[element] += 1
            self.missing[element] += missing
        for criterion, status in facts.indications:
            self.indications[criterion][status] += 1
        for criterion, status in facts.prior:
            self.prior[criterion][status] += 1

    def summary(self, left_out_by_glob: int = 0) -> Summary:
        return Summary(
            inputs=self.inputs,
            outcomes=dict(self.outcomes),
            codes=dict(self.codes),
            missing_rates={e: round(self.missing[e] / self.due[e], 4) if self.due[e] else 0.0 for e in ELEMENT_IDS},
            missing_due={e: self.due[e] for e in ELEMENT_IDS},
            by_metadata={k: {v: dict(c) for v, c in sorted(values.items())}
                         for k, values in sorted(self.by_metadata.items())},
            prescreened=self.prescreened,
            flagged=self.flagged,
            left_out_by_glob=left_out_by_glob,
            indications={c: dict(counts) for c, counts in self.indications.items()},
            prior_authorisation={c: dict(counts) for c, counts in self.prior.items()},
        )


def summarize(rows: Iterable[AuditRow], requirements: dict[str, dict[str, str]],
              group_by: tuple[str, ...] = (), left_out_by_glob: int = 0) -> Summary:
    """Figures over all rows (see row_facts); rows are broken down only by the metadata fields in ``group_by``."""
    tally = Tally(group_by)
    for row in rows:
        tally.add(row_facts(row, requirements, group_by))
    return tally.summary(left_out_by_glob)


def bounded_workers(requested: int | None) -> int:
    """Never more workers than cores: more only add processes and memory on a CPU-bound job."""
    cores = default_workers()
    return cores if requested is None else max(1, min(requested, cores))


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def summary_json(summary: Summary) -> str:
    return json.dumps(summary.model_dump(), indent=2, sort_keys=True) + "\n"
