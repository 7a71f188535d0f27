"""Checks off the event loop: processes forked from this uvicorn worker once its pipeline is warm, each checking
one note at a time, and killed when a check passes its time limit.

A check is CPU-bound Python that holds the GIL for as long as the note takes (a 1 MB note, tens of seconds): on the
event loop it stalled /healthz and every other request, and in a thread it could not be stopped. A forked process
starts with the warm pipeline (a fork costs milliseconds), can be killed, and frees its core when it is. Tasks and
results cross a pair of one-way pipes; the event loop waits on the result pipe with ``add_reader``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import stat
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..batch.workers import die_with_parent
from ..errors import NotecheckError
from ..inputs.bodies import RequestProblem

if TYPE_CHECKING:
    from ..models import Report

CheckText = Callable[[str | None, str, str], "Report"]
"""(billed code, note text, note id) -> the report: the warm checker, inherited by the forked process."""


def _close_inherited_sockets(keep: tuple[int, ...]) -> None:
    """A child forked mid-request holds copies of the worker's client sockets (and its listening socket), which
    would keep those connections open after the worker closed them: it closes every socket it inherited."""
    for name in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else ():
        fd = int(name)
        if fd in keep:
            continue
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.close(fd)
        except OSError:
            pass


def _serve(tasks: Connection, results: Connection, check_text: CheckText, parent: int) -> None:
    """The child's loop: a note in, its report (or why there is none) out, until the pipe closes."""
    signal.set_wakeup_fd(-1)  # the worker's event loop wakes on this fd: a signal here must not reach it
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the worker's to handle; it stops this process
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent()
    _close_inherited_sockets((tasks.fileno(), results.fileno()))
    while os.getppid() == parent:
        try:
            task = tasks.recv()
        except (EOFError, OSError):
            return
        billed, text, note_id = task
        result: tuple[str, Any]
        try:
            result = ("report", check_text(billed, text, note_id))
        except NotecheckError as exc:  # the checker refuses the note (too long once normalised): its sizes
            result = ("refused", str(exc))
        except Exception as exc:  # a bug on one note: its type only, the message may quote the note
            result = ("failed", type(exc).__name__)
        results.send(result)


@dataclass
class _Process:
    process: BaseProcess
    tasks: Connection
    results: Connection

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.tasks.close()
        self.results.close()


class CheckPool:
    """``size`` check processes for this uvicorn worker; each request's check runs in one, within ``timeout``
    seconds from when it starts, and a request waits at most ``timeout`` seconds for a free one."""

    def __init__(self, check_text: CheckText, size: int, timeout: float) -> None:
        self.check_text, self.size, self.timeout = check_text, size, timeout
        self.idle: list[_Process] = []
        self._slots: asyncio.Semaphore | None = None

    def start(self) -> None:
        """Fork the processes now (at the end of warm-up), so the first request does not wait for a fork. Called on
        the event loop's thread, as every fork here is: Linux kills a child (PR_SET_PDEATHSIG) when the *thread*
        that forked it ends, and the loop's thread lives as long as the worker."""
        while len(self.idle) < self.size:
            self.idle.append(self._fork())

    def _fork(self) -> _Process:
        context = multiprocessing.get_context("fork")
        task_out, task_in = context.Pipe(duplex=False)
        result_out, result_in = context.Pipe(duplex=False)
        process = context.Process(target=_serve, args=(task_out, result_in, self.check_text, os.getpid()),
                                  daemon=True, name="notecheck-check")
        process.start()
        task_out.close()
        result_in.close()
        return _Process(process, task_in, result_out)

    async def check(self, billed: str | None, text: str, note_id: str) -> Report:
        """The note's report from a check process; 422 when the check passes the time limit, is refused, or its
        process dies (the note's fault, not the service's); 503 when no process frees up in time."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.size)
        try:
            await asyncio.wait_for(self._slots.acquire(), self.timeout)
        except asyncio.TimeoutError:
            raise RequestProblem(503, "busy", f"every check process stayed busy for {self.timeout:g} s; retry "
                                              "later") from None
        try:
            return await self._run(billed, text, note_id)
        finally:
            self._slots.release()

    async def _run(self, billed: str | None, text: str, note_id: str) -> Report:
        worker = self.idle.pop() if self.idle else self._fork()
        try:
            worker.tasks.send((billed, text, note_id))
            kind, value = await asyncio.wait_for(self._result(worker), self.timeout)
        except asyncio.TimeoutError:
            worker.stop()  # SIGKILL: the check stops using the core now
            raise RequestProblem(422, "check_timeout", f"text: the check did not finish within {self.timeout:g} s "
                                                       "(--check-timeout); the note is too costly to check here",
                                 "text") from None
        except (EOFError, OSError):
            worker.stop()
            raise RequestProblem(422, "check_failed", f"text: the process checking this note stopped (exit code "
                                                      f"{worker.process.exitcode})", "text") from None
        except BaseException:  # the request was cancelled (the client went away): the check may still run
            worker.stop()
            raise
        self.idle.append(worker)
        if kind == "refused":
            raise RequestProblem(422, "invalid_note", f"text: {value}", "text")
        if kind == "failed":  # a bug, on this note only: a batch gives it as this note's error
            raise RequestProblem(500, "internal", f"text: the checker failed on this note ({value})", "text")
        return value  # type: ignore[no-any-return]

    async def _result(self, worker: _Process) -> tuple[str, Any]:
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        fd = worker.results.fileno()
        loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
        try:
            await ready
        finally:
            loop.remove_reader(fd)
            os.set_blocking(fd, True)  # uvloop's add_reader made it non-blocking; recv() reads a whole message
        return worker.results.recv()  # type: ignore[no-any-return]

    def close(self) -> None:
        for worker in self.idle:
            worker.stop()
        self.idle.clear()
