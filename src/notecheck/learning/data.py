"""The learned reader's notes: every labeled set, each kept with its writer, and MTSamples as real negatives.

Labeled sets: the 26 commissioned writers (training/writers/wNN) and the labeled sets in tests/, each set one writer
(holdout2 and holdout3 hold two writers each, told apart by the id's first letter). Sets kept for first looks of
other issues are never read: only the folders named here are. MTSamples rows whose 0-based index is divisible by 5
are the held-out real-note check: they, and every other row whose text equals one of theirs, are never trained on.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..evaluation import Label, read_labels

CLASSES: tuple[str, ...] = ("0201T", "0200T", "side_unknown", "none")
"""What the reader predicts: the code the documentation supports, a sacral augmentation done here whose side cannot
be told (no code), or no sacral augmentation done here (no code)."""
CODE_OF_CLASS: dict[str, str | None] = {"0201T": "0201T", "0200T": "0200T", "side_unknown": None, "none": None}

TEST_SETS: tuple[str, ...] = ("corpus", "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6")
SPLIT_BY_PREFIX: frozenset[str] = frozenset({"holdout2", "holdout3"})
WRITERS = Path("training") / "writers"
MTSAMPLES = Path("..") / "shared" / "corpora" / "mtsamples" / "mtsamples.csv"
HELD_OUT_EVERY = 5


@dataclass(frozen=True)
class LabeledNote:
    """One note with its class and the group a split keeps together (its writer, or its MTSamples text)."""

    note_id: str
    group: str
    text: str
    label: str
    source: str  # 'writers', 'tests' or 'mtsamples'
    features: tuple[str, ...] = ()  # the rules' reading (features.py), filled in where the model uses it

    @property
    def expected_code(self) -> str | None:
        return CODE_OF_CLASS[self.label]


def class_of(label: Label) -> str:
    """A label's class: its code; or side_unknown for sacral cement whose side the rules leave unspecified."""
    if label.expected_code in ("0201T", "0200T"):
        return label.expected_code
    return "side_unknown" if label.sacral and label.laterality == "unspecified" else "none"


def read_text(path: Path) -> str:
    """A note as written (bytes decoded, line ends kept as they are, as the checker reads it)."""
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise InputError(str(path), f"cannot read note ({exc.strerror or exc})") from None


def labeled_folder(folder: Path, source: str, group: str, by_prefix: bool = False) -> list[LabeledNote]:
    """The notes of one labeled folder (``<id>.txt`` beside ``labels.jsonl``), in label order."""
    notes = []
    for label in read_labels(folder / "labels.jsonl"):
        writer = f"{group}-{label.id[0]}" if by_prefix else group
        notes.append(LabeledNote(label.id, writer, read_text(folder / f"{label.id}.txt"), class_of(label), source))
    return notes


def labeled_notes(root: Path) -> list[LabeledNote]:
    """Every labeled note the reader may learn from, writers first, then the tests' sets."""
    writers = sorted(p for p in (root / WRITERS).glob("w[0-9][0-9]") if p.is_dir())
    if not writers:
        raise InputError(str(root / WRITERS), "no writer folders (wNN): run from the repository's root")
    notes = [n for folder in writers for n in labeled_folder(folder, "writers", folder.name)]
    for name in TEST_SETS:
        notes += labeled_folder(root / "tests" / name, "tests", name, by_prefix=name in SPLIT_BY_PREFIX)
    return notes


def mtsamples_rows(path: Path) -> list[str]:
    """The transcription of every MTSamples row, in row order (0-based index = position)."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return [row["transcription"] for row in csv.DictReader(handle)]
    except OSError as exc:
        raise InputError(str(path), f"cannot read MTSamples ({exc.strerror or exc})") from None
    except KeyError:
        raise InputError(str(path), "no 'transcription' column") from None


def is_held_out(index: int) -> bool:
    return index % HELD_OUT_EVERY == 0


def mtsamples_split(rows: list[str]) -> tuple[list[LabeledNote], list[LabeledNote]]:
    """(training negatives, held-out rows). Training: one note per distinct text that no held-out row has, named
    after its first row, grouped by that text so a split never puts one text on both sides. Held out: every
    row whose index is divisible by 5, duplicates included, as the real-note check counts rows."""
    held_texts = {text for index, text in enumerate(rows) if is_held_out(index)}
    train: dict[str, LabeledNote] = {}
    held: list[LabeledNote] = []
    for index, text in enumerate(rows):
        note = LabeledNote(f"mts{index:04d}", f"mts{index:04d}", text, "none", "mtsamples")
        if is_held_out(index):
            held.append(note)
        elif text.strip() and text not in held_texts and text not in train:
            train[text] = note
    return list(train.values()), held


def data_hash(notes: Iterable[LabeledNote]) -> str:
    """sha256 over every training note's id, group, class, text and rule features, in a fixed order."""
    digest = hashlib.sha256()
    for note in sorted(notes, key=lambda n: (n.source, n.group, n.note_id)):
        record = [note.source, note.group, note.note_id, note.label, note.text, *note.features]
        digest.update(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
    return digest.hexdigest()
