"""The audit's worker pool routing with real forked workers: a repeated note goes to the worker that has it."""

from __future__ import annotations

import os

from notecheck.batch.workers import NotePool
from notecheck.inputs import Item
from notecheck.inputs.notes import Note


def _item(text: str) -> Item:
    return Item(note_id=text, source="test", note=Note(note_id=text, text=text, source="test"))


def _pid_row(index: int, item: Item) -> str:
    return f"{index} {os.getpid()}\n"


def _error_row(index: int, item: Item, reason: str) -> str:
    return f"{index} error {reason}\n"


def test_a_repeat_goes_to_the_worker_that_was_sent_it_while_it_has_room() -> None:
    # Tasks are sent and never received here, so each worker's queue only grows: the routing is deterministic.
    pool = NotePool(check_row=_pid_row, error_row=_error_row, size=2, timeout=60,
                    affinity=lambda item: item.note.text if item.note else None)
    try:
        sent = 0

        def send(text: str) -> object:
            nonlocal sent
            worker = pool._worker_for(_item(text))
            assert worker is not None
            pool._send(worker, (sent, _item(text)))
            sent += 1
            return worker

        first = send("x")
        second = send("y")
        assert second is not first and len(pool.workers) == 2
        assert send("x") is first and send("y") is second  # repeats follow their first worker past `depth`
        assert send("x") is first and send("x") is first  # up to twice `depth` queued
        assert len(first.tasks) == 2 * pool.depth
        assert pool._worker_for(_item("x")) is None  # full, and the other is at `depth`: the repeat waits
        pool._retire(first)  # gone (over budget, died): its queued notes go back, its route is forgotten
        assert list(pool.retry) == [(i, _item(t)) for i, t in [(0, "x"), (2, "x"), (4, "x"), (5, "x")]]
        assert pool._worker_for(_item("x")) is not first
    finally:
        pool.close()


def test_rows_come_back_in_order_with_repeats_on_one_worker_each() -> None:
    texts = [f"note {i % 5}" for i in range(60)]
    pool = NotePool(check_row=_pid_row, error_row=_error_row, size=2, timeout=60,
                    affinity=lambda item: item.note.text if item.note else None)
    lines = list(pool.rows(((i, _item(t)) for i, t in enumerate(texts)), first=0))
    assert [int(line.split()[0]) for line in lines] == list(range(60))
    assert len({line.split()[1] for line in lines}) == 2  # both workers checked notes
