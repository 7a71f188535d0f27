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

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> Settings:
        raw = os.environ.get(SETTINGS_ENV)
        return cls(**json.loads(raw)) if raw else cls()
