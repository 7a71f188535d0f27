"""What the learned reader may learn from: labeled sets by writer, MTSamples without its held-out rows."""

from __future__ import annotations

from pathlib import Path

from notecheck.learning.data import labeled_notes, mtsamples_rows, mtsamples_split


def test_every_labeled_set_is_read_by_writer(root: Path) -> None:
    notes = labeled_notes(root)
    groups = {n.group for n in notes}
    assert {f"w{i:02d}" for i in range(1, 27)} <= groups
    assert {"holdout2-p", "holdout2-q", "holdout3-r", "holdout3-s", "corpus", "holdout6"} <= groups
    assert len(notes) >= 1300 + 386
    assert len({n.note_id for n in notes}) == len(notes)
    first_looks = ("holdout7", "holdout8", "holdout9", "t20", "p23", "f19")  # never trained on
    assert not any(name in g for g in groups for name in first_looks)


def test_held_out_mtsamples_rows_and_their_copies_are_never_trained_on(shared: Path) -> None:
    rows = mtsamples_rows(shared / "corpora" / "mtsamples" / "mtsamples.csv")
    train, held = mtsamples_split(rows)
    held_texts = {rows[i] for i in range(0, len(rows), 5)}
    assert len(held) == 1000 and [n.note_id for n in held][:2] == ["mts0000", "mts0005"]
    assert all(int(n.note_id[3:]) % 5 for n in train)
    assert not {n.text for n in train} & held_texts
    assert len({n.text for n in train}) == len(train)  # one note per distinct text
    assert {n.label for n in train} == {"none"}
