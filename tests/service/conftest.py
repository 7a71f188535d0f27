"""The service's tests share one real `notecheck serve` per session."""

from __future__ import annotations

import pytest
from serve_support import Server, require_serve


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real `notecheck serve` (uvicorn, one worker) on a free loopback port, warm, for the whole session; a short
    --body-timeout so the slow-body probe takes seconds."""
    require_serve()
    running = Server.start(tmp_path_factory.mktemp("serve") / "server.log", "--body-timeout", "3").wait_ready()
    yield running
    running.stop()
