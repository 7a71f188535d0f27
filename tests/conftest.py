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
