"""`notecheck audit`: a nightly batch over folders, JSONL, CSV or FHIR exports, with files other tools read."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from ..audit import AuditOptions, Progress, iter_rows, run, summarize, summary_json
from ..html_report import iter_html
from ..models import Summary
from ..readers import iter_inputs
from ..rules import load_patterns
from ..writers import write_csv

FAIL_ON = ("errors", "incomplete", "never")


def _total(paths: list[str], glob: str) -> int | None:
    """The number of notes when every input is a folder (cheap to count); None for streams."""
    folders = [Path(p) for p in paths]
    if not all(p.is_dir() for p in folders):
        return None
    return sum(1 for folder in folders for p in folder.rglob(glob) if not p.is_dir())


def audit(paths: list[str], out_dir: str, options: AuditOptions, glob: str = "*.txt", id_column: str = "note_id",
          text_column: str = "text", max_bytes: int = 1_000_000, fail_on: str = "incomplete", quiet: bool = False,
          err: TextIO = sys.stderr) -> int:
    """Exit 0 when nothing fails per ``fail_on``; 1 for incomplete notes (or error rows); 2 for usage errors."""
    items = iter_inputs(paths, glob=glob, id_column=id_column, text_column=text_column, max_bytes=max_bytes)
    folder = Path(out_dir)
    run(items, folder, options, progress=Progress(err, _total(paths, glob), enabled=not quiet))
    with (folder / "results.csv").open("w", encoding="utf-8", newline="") as out:
        summary = summarize(write_csv(iter_rows(folder), out))
    (folder / "summary.json").write_text(summary_json(summary), encoding="utf-8")
    labels = {e: f.label for e, f in load_patterns(options.patterns).elements.items()}
    with (folder / "report.html").open("w", encoding="utf-8") as out:
        out.writelines(iter_html(iter_rows(folder), summary, labels))
    if not quiet:
        counts = ", ".join(f"{n} {outcome}" for outcome, n in summary.outcomes.items())
        print(f"notecheck: {summary.inputs} notes ({counts}); wrote {folder}/results.jsonl, results.csv, "
              "summary.json, report.html", file=err)
    return exit_code(summary, fail_on)


def exit_code(summary: Summary, fail_on: str) -> int:
    """1 when the batch fails per ``fail_on`` (error rows; or error rows and incomplete notes), else 0."""
    errors, incomplete = summary.outcomes["error"], summary.outcomes["incomplete"]
    if fail_on == "errors":
        return 1 if errors else 0
    if fail_on == "incomplete":
        return 1 if errors or incomplete else 0
    return 0
