"""Worker processes for the audit that can be killed: one note at a time each, with a time budget per note.

``multiprocessing.Pool`` cannot take back a task, so a note that runs too long would hold its worker and every
row behind it. Here each worker has its own pipe; the parent waits on all of them with a deadline, kills the worker
of a note over budget (that note becomes an error row), starts a fresh one and goes on. Workers are forked from a
parent that has already built the pipeline, so a replacement is ready in milliseconds; they are started only when
a note is waiting, so there are never more workers than notes.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Generic, TypeVar

from ..inputs import Item

Task = tuple[int, Item]
R = TypeVar("R")
CheckRow = Callable[[int, Item], R]
"""Turns (row number, item) into its answer (the row, as the caller wants it back); runs inside a worker."""
ErrorRow = Callable[[int, Item, str], R]
"""Turns (row number, item, reason) into an error row's answer; runs in the parent."""
Affinity = Callable[[Item], str | None]
"""What a worker may already know about an item (its report cache's key); runs in the parent."""

_PARENT_POLL = 1.0  # seconds between a waiting worker's checks that its parent is still alive
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to kill this worker when its parent dies: a worker stuck on a note never polls its pipe, and an
    orphan would burn a core and hold the output folder's lock (inherited across fork) for good."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the poll below still ends an idle orphan


def _serve(conn: Connection, check_row: CheckRow[R], parent: int) -> None:
    """A worker's loop: a task in, its row out, until the parent sends None or goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops the workers
    die_with_parent()
    if os.getppid() != parent:
        return
    while True:
        while not conn.poll(_PARENT_POLL):
            if os.getppid() != parent:
                return
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        index, item = task
        try:
            answer = check_row(index, item)
        except Exception as exc:  # a bug on one note must cost that note's row only, not the run
            conn.send((index, None, f"the checker failed on this note ({type(exc).__name__})"))
        else:
            conn.send((index, answer, None))


@dataclass(eq=False)  # a worker is itself: found in lists and routes by identity
class _Worker:
    process: BaseProcess
    conn: Connection
    tasks: deque[Task] = field(default_factory=deque)
    """Sent and not yet answered; the first is being checked, the rest wait in the pipe."""
    deadline: float = 0.0
    """When the first task's budget runs out: its clock starts when the worker is free to begin it."""


@dataclass
class NotePool(Generic[R]):
    """Checks tasks in worker processes and hands back rows in task order, each note within ``timeout`` seconds.

    Each worker has ``depth`` notes sent ahead, so it never waits for the parent between notes on a loaded
    machine; a note's budget starts when the worker begins it, and the notes queued behind a note that overran are
    sent to another worker, not failed.

    With ``affinity``, an item whose key was sent before goes to the same worker while it lives and has room (twice
    ``depth``: a repeat is a cache hit, quick to answer), so workers do not each check the same repeated note; the
    last ``routes`` keys are remembered."""

    check_row: CheckRow[R]
    error_row: ErrorRow[R]
    size: int
    timeout: float
    window: int = 256
    depth: int = 2
    affinity: Affinity | None = None
    routes: int = 4096
    workers: list[_Worker] = field(default_factory=list)
    retry: deque[Task] = field(default_factory=deque)
    routed: OrderedDict[str, _Worker] = field(default_factory=OrderedDict)

    def _start(self) -> _Worker:
        context = multiprocessing.get_context("fork")
        ours, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(theirs, self.check_row, os.getpid()), daemon=True)
        process.start()
        theirs.close()
        worker = _Worker(process, ours)
        self.workers.append(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        """Kill a worker (over budget, or dead already) and forget it; its queued notes go to another worker."""
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join()
        worker.conn.close()
        self.workers.remove(worker)
        self.retry.extendleft(reversed(worker.tasks))
        worker.tasks.clear()

    def _send(self, worker: _Worker, task: Task) -> None:
        """Queue a note on a worker; the clock starts now if the worker was free. A worker found dead is retired
        and the note goes to another."""
        try:
            worker.conn.send(task)
        except OSError:
            self._retire(worker)
            self.retry.append(task)
            return
        if not worker.tasks:
            worker.deadline = time.monotonic() + self.timeout
        worker.tasks.append(task)

    def _free_worker(self) -> _Worker | None:
        """The least loaded worker with room, or a new one while there are fewer than ``size``."""
        open_ = [w for w in self.workers if len(w.tasks) < self.depth]
        if open_:
            least = min(open_, key=lambda w: len(w.tasks))
            if least.tasks and len(self.workers) < self.size:
                return self._start()
            return least
        return self._start() if len(self.workers) < self.size else None

    def _worker_for(self, item: Item) -> _Worker | None:
        """The worker that was sent this item's key, if it is alive and has room; else the least loaded."""
        key = self.affinity(item) if self.affinity else None
        if key is None:
            return self._free_worker()
        worker = self.routed.get(key)
        if worker is None or worker not in self.workers or len(worker.tasks) >= 2 * self.depth:
            worker = self._free_worker()
            if worker is None:
                return None
            self.routed[key] = worker
            if len(self.routed) > self.routes:
                self.routed.popitem(last=False)
        self.routed.move_to_end(key)
        return worker

    def _receive(self, worker: _Worker, done: dict[int, R]) -> None:
        """Take every answer waiting on a worker's pipe; a worker that died costs its current note's row only."""
        while worker.tasks:
            try:
                if not worker.conn.poll():
                    return
                index, answer, reason = worker.conn.recv()
            except (EOFError, OSError):
                worker.process.join(timeout=1)
                index, item = worker.tasks.popleft()
                done[index] = self.error_row(index, item, f"the worker checking this note stopped "
                                                          f"(exit code {worker.process.exitcode})")
                self._retire(worker)
                return
            _, item = worker.tasks.popleft()
            done[index] = answer if answer is not None else self.error_row(index, item, reason or "failed")
            worker.deadline = time.monotonic() + self.timeout

    def close(self) -> None:
        for worker in list(self.workers):
            try:
                worker.conn.send(None)
            except OSError:
                pass
        for worker in list(self.workers):
            worker.process.join(timeout=5)
            self._retire(worker)

    def rows(self, tasks: Iterator[Task], first: int) -> Iterator[R]:
        """Rows for ``tasks`` (numbered from ``first``), in order. Items that are already errors never leave the
        parent. At most ``window`` rows are in flight or waiting for an earlier one, so memory stays flat."""
        done: dict[int, R] = {}
        next_out, next_in, exhausted = first, first, False
        try:
            while True:
                while self.retry or (not exhausted and next_in - next_out < self.window):
                    task = self.retry.popleft() if self.retry else next(tasks, None)
                    if task is None:
                        exhausted = True
                        break
                    next_in = max(next_in, task[0] + 1)
                    if task[1].note is None:
                        done[task[0]] = self.error_row(task[0], task[1], task[1].error or "unreadable")
                        continue
                    worker = self._worker_for(task[1])
                    if worker is None:  # every worker is full: the task waits at the head of the line
                        self.retry.appendleft(task)
                        break
                    self._send(worker, task)
                while next_out in done:
                    yield done.pop(next_out)
                    next_out += 1
                busy = [w for w in self.workers if w.tasks]
                if not busy:
                    if exhausted and not self.retry:
                        return
                    continue
                wait_for = max(0.0, min(w.deadline for w in busy) - time.monotonic())
                ready = wait([w.conn for w in busy], timeout=wait_for)
                for worker in busy:
                    if worker.conn in ready:
                        self._receive(worker, done)
                    elif time.monotonic() >= worker.deadline:
                        index, item = worker.tasks.popleft()
                        done[index] = self.error_row(index, item, f"timed out after {self.timeout:g} s")
                        self._retire(worker)
        finally:
            self.close()
