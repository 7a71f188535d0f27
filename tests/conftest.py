"""Shared fixtures: one real Checker (the real medspaCy pipeline) per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from notecheck import Checker

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def checker() -> Checker:
    return Checker()


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (a fresh clone has no ../shared/); CI provides it")
    return SHARED


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real `notecheck serve` (uvicorn, one worker) on a free loopback port, warm, for the whole session."""
    from serve_support import Server, require_serve

    require_serve()
    running = Server.start(tmp_path_factory.mktemp("serve") / "server.log").wait_ready()
    yield running
    running.stop()
