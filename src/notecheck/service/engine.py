"""This worker's checkers: built once, in a background thread, so /healthz answers while spaCy loads; then its
check processes (checkpool), forked with the warm pipeline."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING

from ..inputs.bodies import RequestProblem
from .checkpool import CheckPool
from .settings import Settings

if TYPE_CHECKING:
    from ..checker import Checker

LOG = logging.getLogger("notecheck.serve")
WARM_NOTE = ("TECHNIQUE: Under fluoroscopic guidance, needles were placed in the right and left sacral ala and "
             "PMMA cement was injected on both sides.")
"""Checked once per profile at start-up so every lazy part of the pipeline is built before /readyz says ready."""


class Engine:
    """This worker's checkers, one per profile sharing one pipeline, built once; ready only when each has
    checked a note."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.checkers: dict[str, Checker] = {}
        self.pool = CheckPool(self.checkers, size=1, timeout=settings.check_timeout)
        """Checks run in a process forked from this one once warm (one at a time, as on the event loop before),
        so /healthz answers while a long note is checked and a check over its time limit can be killed."""
        self.ready = threading.Event()
        self.failure: str | None = None

    def warm(self) -> None:
        started = time.perf_counter()
        try:
            from ..checker import Checker  # imported here so the socket answers /healthz while spaCy loads

            first = Checker(self.settings.patterns, profile=self.settings.profile, max_bytes=self.settings.max_bytes)
            for name in sorted(first.patterns.profiles):
                checker = first if name == self.settings.profile else first.for_profile(name)
                checker.check_text(WARM_NOTE)
                self.checkers[name] = checker
        except Exception as exc:  # a worker that cannot warm stays alive and says why on /readyz
            self.failure = f"{type(exc).__name__}: {exc}".splitlines()[0]
            LOG.error("pipeline failed to build: %s", self.failure)
            return
        self.ready.set()
        LOG.info("pid=%d ready in %.2f s (profiles %s)", os.getpid(), time.perf_counter() - started,
                 ", ".join(self.checkers))

    def profile_name(self, profile: str | None, field: str = "profile") -> str:
        """The profile a request asks for, or a 422 naming the field when it is not one of this worker's."""
        self.checker(profile, field)
        return profile or self.settings.profile

    def checker(self, profile: str | None, field: str = "profile") -> Checker:
        name = profile or self.settings.profile
        if name not in self.checkers:
            known = ", ".join(self.checkers)
            raise RequestProblem(422, "invalid_field", f"{field}: unknown profile {name!r}: expected one of {known}",
                                 field)
        return self.checkers[name]
