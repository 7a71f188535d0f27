"""What `notecheck serve` passes to each worker process, and the environment variables it travels in."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from ..inputs import DEFAULT_MAX_BYTES

SETTINGS_ENV = "NOTECHECK_SERVE_SETTINGS"
API_KEY_ENV = "NOTECHECK_API_KEY"


@dataclass(frozen=True)
class Settings:
    """What `notecheck serve` passes to each worker; workers are separate processes, so it travels as JSON."""

    patterns: str | None = None
    profile: str | None = None  # a billed code every note is judged against unless its request names one
    max_bytes: int = DEFAULT_MAX_BYTES
    check_timeout: float = 60.0
    """Seconds a check may run in its process before it is killed and the request answered 422."""
    body_timeout: float = 30.0
    """Seconds a request body may take to arrive before the request is answered 408."""
    allowed_hosts: tuple[str, ...] | None = None
    """Host headers accepted (the loopback names when bound to loopback: DNS rebinding); None accepts any."""

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> Settings:
        raw = os.environ.get(SETTINGS_ENV)
        if not raw:
            return cls()
        values = json.loads(raw)
        hosts = values.pop("allowed_hosts", None)
        return cls(**values, allowed_hosts=tuple(hosts) if hosts is not None else None)
