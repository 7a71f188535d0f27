"""`notecheck audit`: a nightly batch over folders, JSONL, CSV or FHIR exports, with files other tools read."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..errors import printable
from ..batch.audit import RESULTS, AuditOptions, Progress, iter_rows, row_facts, run, summary_json
from ..batch.derived import DerivedSpools, RowParts
from ..batch.history import HistorySettings, RunRecord, prepare, recording
from ..outputs.html_report import RunContext, card, iter_page
from ..models import AuditRow, Summary, Trends
from ..errors import InputError
from ..inputs import InputStats, iter_inputs, note_files
from ..rules import load_patterns
from ..batch.runfolder import (atomic_file, check_resumable, clear_derived, locked, manifest, write_atomic,
                         write_manifest)
from ..outputs.table import CSV_HEADER, PRIOR_AUTH_HEADER, csv_line, prior_auth_line

if TYPE_CHECKING:
    from ..checker import Checker

FAIL_ON = ("errors", "incomplete", "review", "never")
"""What --fail-on may name: error rows always fail a run (unless 'never'); 'incomplete' and 'review' add those
verdicts; 'errors' alone adds none."""
DEFAULT_FAIL_ON = "incomplete,review"


def parse_fail_on(value: str) -> frozenset[str]:
    """'incomplete,review' -> the verdicts that fail a run; a word outside FAIL_ON is a usage error."""
    words = frozenset(word.strip() for word in value.split(",") if word.strip())
    unknown = sorted(words - set(FAIL_ON))
    if unknown or not words or ("never" in words and len(words) > 1):
        raise ValueError(f"--fail-on {value!r}: expected a comma list of errors, incomplete, review, or never")
    return words


def _total(paths: list[str], glob: str, exclude: tuple[Path, ...]) -> int | None:
    """The number of notes when every input is a folder (cheap to count); None for streams."""
    folders = [Path(p) for p in paths]
    if not all(p.is_dir() for p in folders):
        return None
    return sum(1 for folder in folders for _ in note_files(folder, glob, exclude))


def audit(paths: list[str], out_dir: str, options: AuditOptions, glob: str = "*.txt", id_column: str = "note_id",
          text_column: str = "text", max_bytes: int = 1_000_000, fail_on: str = DEFAULT_FAIL_ON, quiet: bool = False,
          group_by: tuple[str, ...] = (), err: TextIO = sys.stderr, fmt: str = "auto",
          history: HistorySettings | None = None, checker: Checker | None = None) -> int:
    """Exit 0 when nothing fails per ``fail_on``; 1 for error rows and the verdicts ``fail_on`` names; 2 for
    usage errors, a missing input, a refused resume, a folder another audit holds, or inputs without a note.
    With ``history``, the run is appended to the history file and the page shows its trends. ``checker``: one
    built with ``options`` (the CLI's), reused rather than built again."""
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise InputError(missing[0], "no such file or folder")
    if history:
        prepare(history)
    folder = Path(out_dir)
    exclude = (folder.resolve(),)  # an output folder inside an input folder is never read back as notes
    options = replace(options, max_bytes=max_bytes)
    recorded_options = {"profile": options.profile, "patterns": str(Path(options.patterns).resolve())
                        if options.patterns else None, "glob": glob, "id_column": id_column,
                        "text_column": text_column, "max_bytes": max_bytes, "note_timeout": options.note_timeout,
                        "indications": options.indications}
    with locked(folder):
        current = manifest(paths, recorded_options, glob, exclude, time.strftime("%Y-%m-%d %H:%M %Z"),
                           options.patterns)
        if options.resume and (folder / RESULTS).exists():
            current = check_resumable(folder, current)
        else:
            options = replace(options, resume=False)
            # the previous run's rows go before this run's manifest is written: a run killed in between must not
            # leave a manifest that --resume would take for theirs
            (folder / RESULTS).unlink(missing_ok=True)
            write_manifest(folder, current)
        clear_derived(folder)
        stats = InputStats()
        items = iter_inputs(paths, glob=glob, id_column=id_column, text_column=text_column, max_bytes=max_bytes,
                            exclude=exclude, stats=stats, fmt=fmt)
        patterns = checker.patterns if checker else load_patterns(options.patterns)
        requirements = {code: profile.elements for code, profile in patterns.profiles.items()}
        performed = {name for name, category in patterns.sections.categories.items() if category.role != "context"}

        def parts(row: AuditRow) -> RowParts:  # runs in the worker that made the row
            return RowParts(row.outcome == "review", csv_line(row), prior_auth_line(row),
                            card(row, performed, group_by), row_facts(row, requirements, group_by))

        with DerivedSpools(folder, group_by) as spools:
            run(items, folder, options, derive=parts, collect=spools.add, checker=checker,
                progress=Progress(err, _total(paths, glob, exclude), enabled=not quiet))
            write_atomic(folder / "results.csv", chain([CSV_HEADER], spools.chunks("table")))
            write_atomic(folder / "prior_auth.csv", chain([PRIOR_AUTH_HEADER], spools.chunks("prior")))
            summary = spools.tally.summary(stats.left_out_by_glob)
            write_atomic(folder / "summary.json", [summary_json(summary)])
            context = RunContext(profile=options.profile, started=str(current.get("started", "")), inputs=paths,
                                 version=str(current.get("notecheck", "")),
                                 options={**{k: v for k, v in recorded_options.items() if k != "profile"},
                                          "workers": options.workers,
                                          "group_by": ",".join(group_by) or None})
            labels = {e: f.label for e, f in patterns.elements.items()}
            found = summary.inputs - stats.unreadable_folders > 0
            with atomic_file(folder / "report.html") as out, _recorded(history if found else None, current,
                                                                       context, folder, group_by) as trends:
                out.writelines(iter_page(spools.chunks("card"), summary, labels, context=context, trends=trends))
    if summary.inputs - stats.unreadable_folders == 0:
        print(f"notecheck: error: no notes found in {printable(', '.join(paths))}"
              + (f" ({stats.unreadable_folders} unreadable folders)" if stats.unreadable_folders else "")
              + (f"; the glob {glob!r} left out {stats.left_out_by_glob} files" if stats.left_out_by_glob else ""),
              file=err)
        return 2
    if not quiet:
        counts = ", ".join(f"{n} {outcome}" for outcome, n in summary.outcomes.items())
        left_out = f"; the glob left out {summary.left_out_by_glob} files" if summary.left_out_by_glob else ""
        print(f"notecheck: {summary.inputs} notes ({counts}){left_out}; wrote {folder}/results.jsonl, results.csv, "
              "prior_auth.csv, summary.json, report.html", file=err)
    return exit_code(summary, fail_on)


def _recorded(history: HistorySettings | None, manifest: dict[str, object], context: RunContext, folder: Path,
              group_by: tuple[str, ...]) -> AbstractContextManager[Trends | None]:
    """The run appended to the history while the page is written, committed before the page is renamed into
    place; nothing without --history. The run id from the manifest makes a --resume'd run one run, not two."""
    if history is None:
        return nullcontext()
    uid = str(manifest.get("run_id") or hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest())
    run = RunRecord(uid=uid, run_date=history.run_date or context.started[:10], started=context.started,
                    judged_against=context.profile, version=context.version, inputs=context.inputs,
                    options=context.options, group_by=group_by)
    return recording(history, run, iter_rows(folder))


def exit_code(summary: Summary, fail_on: str) -> int:
    """1 when the batch fails per ``fail_on`` (error rows, and the verdicts it names), else 0."""
    words = parse_fail_on(fail_on)
    if "never" in words:
        return 0
    failing = summary.outcomes["error"] + sum(summary.outcomes.get(v, 0) for v in ("incomplete", "review")
                                              if v in words)
    return 1 if failing else 0
