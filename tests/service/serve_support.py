"""A real `notecheck serve` on a free loopback port, as a subprocess, for the service tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SERVE_MISSING = "the [serve] extra is not installed (pip install '.[serve,serve-test]')"


def require_serve() -> None:
    """Skip, with the reason, where the [serve] extra or the HTTP client the tests use is absent."""
    for module in ("fastapi", "uvicorn", "httpx"):
        pytest.importorskip(module, reason=SERVE_MISSING)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """One server process; ``statuses`` records what /readyz answered while it warmed up."""

    url: str
    process: subprocess.Popen
    log: Path
    started: float
    statuses: list[int] = field(default_factory=list)
    ready_after: float | None = None

    @classmethod
    def start(cls, log: Path, *args: str, env: dict[str, str] | None = None) -> Server:
        port = free_port()
        environment = {k: v for k, v in os.environ.items() if k != "NOTECHECK_API_KEY"} | (env or {})
        handle = log.open("wb")
        started = time.monotonic()
        process = subprocess.Popen([sys.executable, "-m", "notecheck.cli", "serve", "--port", str(port), *args],
                                   stdout=handle, stderr=subprocess.STDOUT, env=environment)
        handle.close()
        return cls(f"http://127.0.0.1:{port}", process, log, started)

    def wait_ready(self, timeout: float = 60.0) -> Server:
        """Poll /readyz every 20 ms until 200; a refused connection means the socket is not up yet."""
        import httpx

        deadline = self.started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                status = httpx.get(self.url + "/readyz", timeout=2).status_code
            except httpx.TransportError:
                time.sleep(0.02)
                continue
            self.statuses.append(status)
            if status == 200:
                self.ready_after = time.monotonic() - self.started
                return self
            time.sleep(0.02)
        raise AssertionError(f"not ready within {timeout} s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
