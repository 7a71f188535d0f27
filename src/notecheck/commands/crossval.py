"""`notecheck crossval`: the readers measured honestly, and the shipped reader on the held-out MTSamples rows.

Leave-writers-out cross-validation of each config named (the rules alone, the learned reader alone, the two under
the review gate, each fold's threshold chosen on its training folds), then the shipped model on MTSamples rows
whose index is divisible by 5, which no training ever read.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ..checker import Checker
from ..learning.crossval import Outcome, cross_validate, figures, gated, learned_alone, rules_alone
from ..learning.data import MTSAMPLES, LabeledNote
from ..learning.train import load_config, uses_rules
from .train import TrainingSet

SUBSETS = {"all labeled": lambda n: n.source != "mtsamples", "writers (w01-w26)": lambda n: n.source == "writers",
           "tests/ sets": lambda n: n.source == "tests"}
COLUMNS = ("notes", "code_accuracy", "false_codes", "coverage", "accuracy_not_in_review", "false_codes_not_in_review",
           "most_false_kept_in_one_set")


def _rows(system: str, outcomes: Sequence[Outcome]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for subset, keep in SUBSETS.items():
        rows.append({"system": system, "notes from": subset, **figures([o for o in outcomes if keep(o.note)]).row()})
    real = figures([o for o in outcomes if o.note.source == "mtsamples"])
    rows.append({"system": system, "notes from": "MTSamples training rows", "notes": real.notes,
                 "codes": real.notes - real.correct, "in_review": real.reviewed})
    return rows


def _held_out(checker: Checker, held: Sequence[LabeledNote]) -> dict[str, object]:
    """The shipped reader on the held-out rows, each row counted (duplicates too), as the bar counts them."""
    codes = reviewed = read = 0
    for note in held:
        report = checker.check_text(note.text, note_id=note.note_id)
        review = report.verdict == "review"
        read += report.learned is not None
        reviewed += review
        codes += report.suggested_code is not None and not review
    return {"rows": len(held), "read by the learned reader": read, "codes outside review": codes,
            "in review": reviewed, "share in review": round(reviewed / len(held), 4),
            "threshold": checker.reader.threshold}


def _markdown(result: dict[str, object]) -> str:
    lines = []
    for config, body in result["configs"].items():  # type: ignore[attr-defined]
        lines += [f"## {config}", f"thresholds by fold: {body['thresholds']}; {body['seconds']:.0f} s", "",
                  "| system | notes from | " + " | ".join(COLUMNS) + " |", "|---|---|" + "---|" * len(COLUMNS)]
        for row in body["rows"]:
            if "codes" in row:
                lines.append(f"| {row['system']} | {row['notes from']} | {row['notes']} | codes {row['codes']}, "
                             f"in review {row['in_review']} |")
            else:
                lines.append(f"| {row['system']} | {row['notes from']} | "
                             + " | ".join(str(row[c]) for c in COLUMNS) + " |")
        lines.append("")
    lines += ["## held-out MTSamples rows (shipped model)", json.dumps(result["held_out"])]
    return "\n".join(lines) + "\n"


def crossval(checker: Checker, configs: Sequence[str], folds: int = 5, root: str = ".", mtsamples: str | None = None,
             fmt: str = "text", out: TextIO = sys.stdout) -> int:
    """Print the figures of every config, then the shipped reader on the held-out rows."""
    base = Path(root)
    real = Path(mtsamples) if mtsamples else base / MTSAMPLES
    rules_only = Checker(checker.patterns, indications=None, learned=False)
    sets = {flag: TrainingSet(rules_only, base, real, flag) for flag in {uses_rules(load_config(Path(c)))
                                                                         for c in configs}}
    measured: dict[str, object] = {}
    for name in configs:
        config = load_config(Path(name))
        data = sets[uses_rules(config)]
        started = time.perf_counter()
        cv = cross_validate(data.notes, data.anchored, data.rules, config, folds)
        rows = (_rows("rules alone", rules_alone(data.notes, data.rules))
                + _rows("learned reader alone", learned_alone(data.notes, cv.readings))
                + _rows("rules + learned, review gate", cv.gated(data.rules)))
        measured[name] = {"thresholds": cv.thresholds, "seconds": time.perf_counter() - started, "rows": rows}
    result = {"configs": measured, "held_out": _held_out(checker, next(iter(sets.values())).held_out)}
    out.write(json.dumps(result, indent=2) + "\n" if fmt == "json" else _markdown(result))
    return 0
