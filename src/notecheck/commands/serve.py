"""`notecheck serve`: start uvicorn with one app per worker process (the [serve] extra)."""

from __future__ import annotations

import ipaddress
import os
import sys
from dataclasses import dataclass
from typing import Any, TextIO

from ..inputs import DEFAULT_MAX_BYTES


def log_config() -> dict[str, Any]:
    """uvicorn's start-up lines and our one line per request on stderr; uvicorn's own access log is off because
    ours carries the request id, note id, size and timing (and never note text)."""
    handler = {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"stderr": handler},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "notecheck.serve": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }


@dataclass(frozen=True)
class Limits:
    """What bounds a request: our check and body-read time limits, and uvicorn's own connection limits."""

    check_timeout: float = 60.0
    body_timeout: float = 30.0
    limit_concurrency: int = 64
    timeout_keep_alive: float = 5.0


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _allowed_hosts(host: str) -> tuple[str, ...] | None:
    """Bound to loopback, only loopback names are accepted in Host (a DNS-rebinding page cannot reach us through
    a name of its own); bound elsewhere, the deployment's proxy decides which names reach us."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return LOOPBACK_HOSTS if loopback else None


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1, max_bytes: int = DEFAULT_MAX_BYTES,
          patterns: str | None = None, profile: str | None = None, err: TextIO = sys.stderr,
          limits: Limits = Limits()) -> int:
    """Run until interrupted; exit 2 when the [serve] extra is not installed. Workers are capped at the cores:
    each holds a pipeline and a check process, and more only add memory on a CPU-bound service."""
    try:
        import uvicorn

        from ..service import SETTINGS_ENV, Settings
    except ImportError as exc:
        print(f"notecheck: error: serve needs the [serve] extra (in the notecheck clone: pip install '.[serve]'): "
              f"{exc}", file=err)
        return 2
    from ..batch.audit import bounded_workers

    if bounded_workers(workers) < workers:
        print(f"notecheck: warning: --workers {workers} is more than the {bounded_workers(workers)} cores; using "
              f"{bounded_workers(workers)}", file=err)
    os.environ[SETTINGS_ENV] = Settings(patterns=patterns, profile=profile, max_bytes=max_bytes,
                                        check_timeout=limits.check_timeout, body_timeout=limits.body_timeout,
                                        allowed_hosts=_allowed_hosts(host)).to_env()
    uvicorn.run("notecheck.service:app_from_env", factory=True, host=host, port=port,
                workers=bounded_workers(workers), log_config=log_config(), access_log=False,
                timeout_graceful_shutdown=5, limit_concurrency=limits.limit_concurrency,
                timeout_keep_alive=limits.timeout_keep_alive)
    return 0
