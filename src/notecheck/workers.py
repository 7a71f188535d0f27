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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

from .readers import Item

Task = tuple[int, Item]
CheckRow = Callable[[int, Item], str]
"""Turns (row number, item) into its JSON line; runs inside a worker."""
ErrorRow = Callable[[int, Item, str], str]
"""Turns (row number, item, reason) into an error row's JSON line; runs in the parent."""

_PARENT_POLL = 1.0  # seconds between a waiting worker's checks that its parent is still alive
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when its parent dies: a worker stuck on a note never polls its pipe, and an
    orphan would burn a core and hold the output folder's lock (inherited across fork) for good."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the poll below still ends an idle orphan


def _serve(conn: Connection, check_row: CheckRow, parent: int) -> None:
    """A worker's loop: a task in, its row out, until the parent sends None or goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops the workers
    _die_with_parent()
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
            line = check_row(index, item)
        except Exception as exc:  # a bug on one note must cost that note's row only, not the run
            conn.send((index, None, f"the checker failed on this note ({type(exc).__name__})"))
        else:
            conn.send((index, line, None))


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    task: Task | None = None
    deadline: float = 0.0


@dataclass
class NotePool:
    """Checks tasks in worker processes and hands back rows in task order, each note within ``timeout`` seconds."""

    check_row: CheckRow
    error_row: ErrorRow
    size: int
    timeout: float
    window: int = 256
    workers: list[_Worker] = field(default_factory=list)

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
        """Kill a worker (over budget, or dead already) and forget it; a new one starts when a note waits."""
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join()
        worker.conn.close()
        self.workers.remove(worker)

    def _send(self, worker: _Worker, task: Task) -> None:
        """Give a worker its note and start the note's clock; a worker found dead is replaced first."""
        try:
            worker.conn.send(task)
        except OSError:
            self._retire(worker)
            worker = self._start()
            worker.conn.send(task)
        worker.task, worker.deadline = task, time.monotonic() + self.timeout

    def close(self) -> None:
        for worker in list(self.workers):
            try:
                worker.conn.send(None)
            except OSError:
                pass
        for worker in list(self.workers):
            worker.process.join(timeout=5)
            self._retire(worker)

    def rows(self, tasks: Iterator[Task], first: int) -> Iterator[str]:
        """Rows for ``tasks`` (numbered from ``first``), in order. Items that are already errors never leave the
        parent. At most ``window`` rows are in flight or waiting for an earlier one, so memory stays flat."""
        done: dict[int, str] = {}
        next_out, next_in, exhausted = first, first, False
        try:
            while True:
                while not exhausted and next_in - next_out < self.window:
                    idle = [w for w in self.workers if w.task is None]
                    if not idle and len(self.workers) >= self.size:
                        break
                    task = next(tasks, None)
                    if task is None:
                        exhausted = True
                        break
                    next_in = task[0] + 1
                    index, item = task
                    if item.note is None:
                        done[index] = self.error_row(index, item, item.error or "unreadable")
                        continue
                    self._send(idle[0] if idle else self._start(), task)
                while next_out in done:
                    yield done.pop(next_out)
                    next_out += 1
                busy = [w for w in self.workers if w.task is not None]
                if not busy:
                    if exhausted:
                        return
                    continue
                wait_for = max(0.0, min(w.deadline for w in busy) - time.monotonic())
                ready = wait([w.conn for w in busy], timeout=wait_for)
                for worker in busy:
                    assert worker.task is not None
                    index, item = worker.task
                    if worker.conn in ready:
                        try:
                            got, line, reason = worker.conn.recv()
                        except (EOFError, OSError):
                            worker.process.join(timeout=1)
                            code = worker.process.exitcode
                            done[index] = self.error_row(index, item, f"the worker checking this note stopped "
                                                                      f"(exit code {code})")
                            self._retire(worker)
                            continue
                        done[got] = line if line is not None else self.error_row(got, item, reason)
                        worker.task = None
                    elif time.monotonic() >= worker.deadline:
                        done[index] = self.error_row(index, item, f"timed out after {self.timeout:g} s")
                        self._retire(worker)
        finally:
            self.close()
