"""The pre-screen may skip the pipeline only where the full pipeline would conclude the same.

It is built from the rules (sacral terms AND element terms), so this checks the claim on real notes: every
MTSamples note it skips gets the same element statuses and code when forced through the full pipeline, and no
labeled sacroplasty is ever skipped.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from paths import CORPUS

from notecheck import Checker


def _verdict(report) -> tuple:
    return report.suggested_code, report.laterality, tuple(e.status for e in report.elements.values())


def test_no_labeled_sacral_note_is_prescreened(checker) -> None:
    for line in (CORPUS / "labels.jsonl").open(encoding="utf-8"):
        label = json.loads(line)
        if label["sacral"] or "documented" in label["elements"].values():
            report = checker.check_text((CORPUS / f"{label['id']}.txt").read_text(encoding="utf-8"))
            assert not report.prescreened, label["id"]


def test_skipped_real_notes_match_the_full_pipeline(checker, shared: Path) -> None:
    full = Checker(prescreen=False)
    rows = csv.DictReader((shared / "corpora" / "mtsamples" / "mtsamples.csv").open(encoding="utf-8"))
    texts = list(dict.fromkeys(r["transcription"] for r in rows if r["transcription"].strip()))
    skipped = 0
    for text in texts[::4]:  # a quarter of the distinct notes keeps this test under a minute
        fast = checker.check_text(text)
        if fast.prescreened:
            skipped += 1
            assert _verdict(fast) == _verdict(full.check_text(text)), text[:200]
    assert skipped > 400
