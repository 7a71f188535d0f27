"""This worker's checker: built once, in a background thread, so /healthz answers while spaCy loads; then its
check processes (checkpool), forked with the warm pipeline."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING

from ..errors import NotecheckError
from ..inputs.bodies import RequestProblem
from .checkpool import CheckPool
from .settings import Settings

if TYPE_CHECKING:
    from ..checker import Checker
    from ..models import Report

LOG = logging.getLogger("notecheck.serve")
WARM_NOTE = ("TECHNIQUE: Under fluoroscopic guidance, needles were placed in the right and left sacral ala and "
             "PMMA cement was injected on both sides.")
"""Checked once at start-up so every lazy part of the pipeline is built before /readyz says ready."""


class Engine:
    """This worker's checker, built once; ready only when it has checked a note. Requests are checked in the
    pool's processes, forked from this one once warm."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._checker: Checker | None = None
        self.pool = CheckPool(self.check_text, size=1, timeout=settings.check_timeout)
        """Checks run in a process forked from this one once warm (one at a time, as on the event loop before),
        so /healthz answers while a long note is checked and a check over its time limit can be killed."""
        self.ready = threading.Event()
        self.failure: str | None = None

    def warm(self) -> None:
        started = time.perf_counter()
        try:
            from ..checker import Checker  # imported here so the socket answers /healthz while spaCy loads

            checker = Checker(self.settings.patterns, profile=self.settings.profile, max_bytes=self.settings.max_bytes)
            checker.check_text(WARM_NOTE)
            self._checker = checker
        except Exception as exc:  # a worker that cannot warm stays alive and says why on /readyz
            self.failure = f"{type(exc).__name__}: {exc}".splitlines()[0]
            LOG.error("pipeline failed to build: %s", self.failure)
            return
        self.ready.set()
        LOG.info("pid=%d ready in %.2f s", os.getpid(), time.perf_counter() - started)

    @property
    def checker(self) -> Checker:
        assert self._checker is not None, "used before /readyz said ready"
        return self._checker

    def check_text(self, billed: str | None, text: str, note_id: str) -> Report:
        """What a check process runs for each request (it inherits this warm checker when forked)."""
        return self.checker.check_text(text, note_id=note_id, billed=billed)

    def billed(self, value: str | None, field: str = "billed_code") -> str | None:
        """A request's billed code, checked: a code the patterns do not know is a 422 naming the field."""
        try:
            self.checker.parse_billed(value)
        except NotecheckError:
            known = ", ".join(sorted(self.checker.patterns.profiles))
            raise RequestProblem(422, "invalid_field", f"{field}: not a known code ({len(value or '')} "
                                 f"characters); expected {known}, optionally with a modifier ('0201T-50')",
                                 field) from None
        return value
