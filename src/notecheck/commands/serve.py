"""`notecheck serve`: start uvicorn with one app per worker process (the [serve] extra)."""

from __future__ import annotations

import os
import sys
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


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1, max_bytes: int = DEFAULT_MAX_BYTES,
          patterns: str | None = None, profile: str | None = None, err: TextIO = sys.stderr) -> int:
    """Run until interrupted; exit 2 when the [serve] extra is not installed."""
    try:
        import uvicorn

        from ..service import SETTINGS_ENV, Settings
    except ImportError as exc:
        print(f"notecheck: error: serve needs the [serve] extra (in the notecheck clone: pip install '.[serve]'): "
              f"{exc}", file=err)
        return 2
    os.environ[SETTINGS_ENV] = Settings(patterns=patterns, profile=profile, max_bytes=max_bytes).to_env()
    uvicorn.run("notecheck.service:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_config=log_config(), access_log=False, timeout_graceful_shutdown=5)
    return 0
