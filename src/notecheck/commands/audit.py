"""`notecheck audit`: a nightly batch over folders, JSONL, CSV or FHIR exports, with files other tools read."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from ..batch.audit import RESULTS, AuditOptions, Progress, iter_rows, run, summarize, summary_json
from ..outputs.html_report import RunContext, iter_html
from ..models import Summary
from ..inputs import InputStats, iter_inputs, note_files
from ..rules import load_patterns
from ..batch.runfolder import (atomic_file, check_resumable, clear_derived, locked, manifest, write_atomic,
                         write_manifest)
from ..outputs.table import write_csv, write_prior_auth_csv

FAIL_ON = ("errors", "incomplete", "never")


def _total(paths: list[str], glob: str, exclude: tuple[Path, ...]) -> int | None:
    """The number of notes when every input is a folder (cheap to count); None for streams."""
    folders = [Path(p) for p in paths]
    if not all(p.is_dir() for p in folders):
        return None
    return sum(1 for folder in folders for _ in note_files(folder, glob, exclude))


def audit(paths: list[str], out_dir: str, options: AuditOptions, glob: str = "*.txt", id_column: str = "note_id",
          text_column: str = "text", max_bytes: int = 1_000_000, fail_on: str = "incomplete", quiet: bool = False,
          group_by: tuple[str, ...] = (), err: TextIO = sys.stderr, fmt: str = "auto") -> int:
    """Exit 0 when nothing fails per ``fail_on``; 1 for incomplete notes (or error rows); 2 for usage errors,
    a refused resume, a folder another audit holds, or inputs without a single note."""
    folder = Path(out_dir)
    exclude = (folder.resolve(),)  # an output folder inside an input folder is never read back as notes
    options = replace(options, max_bytes=max_bytes)
    recorded_options = {"profile": options.profile, "patterns": str(Path(options.patterns).resolve())
                        if options.patterns else None, "glob": glob, "id_column": id_column,
                        "text_column": text_column, "max_bytes": max_bytes, "note_timeout": options.note_timeout,
                        "indications": options.indications}
    with locked(folder):
        current = manifest(paths, recorded_options, glob, exclude, time.strftime("%Y-%m-%d %H:%M %Z"))
        if options.resume and (folder / RESULTS).exists():
            current = check_resumable(folder, current)
        else:
            options = replace(options, resume=False)
            write_manifest(folder, current)
        clear_derived(folder)
        stats = InputStats()
        items = iter_inputs(paths, glob=glob, id_column=id_column, text_column=text_column, max_bytes=max_bytes,
                            exclude=exclude, stats=stats, fmt=fmt)
        run(items, folder, options, progress=Progress(err, _total(paths, glob, exclude), enabled=not quiet))
        patterns = load_patterns(options.patterns)
        requirements = {code: profile.elements for code, profile in patterns.profiles.items()}
        with atomic_file(folder / "results.csv") as out, atomic_file(folder / "prior_auth.csv") as prior:
            summary = summarize(write_prior_auth_csv(write_csv(iter_rows(folder), out), prior), requirements,
                                group_by, stats.left_out_by_glob)
        write_atomic(folder / "summary.json", [summary_json(summary)])
        context = RunContext(profile=options.profile, started=str(current.get("started", "")), inputs=paths,
                             version=str(current.get("notecheck", "")),
                             options={**{k: v for k, v in recorded_options.items() if k != "profile"},
                                      "workers": options.workers,
                                      "group_by": ",".join(group_by) or None})
        labels = {e: f.label for e, f in patterns.elements.items()}
        with atomic_file(folder / "report.html") as out:
            out.writelines(iter_html(iter_rows(folder), summary, labels, context=context,
                                     performed={name for name, category in patterns.sections.categories.items()
                                                if category.role != "context"}, fields=group_by))
    if summary.inputs - stats.unreadable_folders == 0:
        print(f"notecheck: error: no notes found in {', '.join(paths)}"
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


def exit_code(summary: Summary, fail_on: str) -> int:
    """1 when the batch fails per ``fail_on`` (error rows; or error rows and incomplete notes), else 0."""
    errors, incomplete = summary.outcomes["error"], summary.outcomes["incomplete"]
    if fail_on == "errors":
        return 1 if errors else 0
    if fail_on == "incomplete":
        return 1 if errors or incomplete else 0
    return 0
