"""Schemathesis fuzzes the running service from its own OpenAPI schema: no 5xx, and every response (status,
content type, body) conforms to the schema. Bounded: a fixed seed and a fixed number of examples per operation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from serve_support import Server

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"


def test_schemathesis_finds_no_5xx_and_no_nonconforming_response(server: Server, tmp_path: Path) -> None:
    pytest.importorskip("schemathesis", reason="schemathesis is not installed (pip install '.[serve-test]')")
    proc = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", server.url + "/openapi.json", "--checks", CHECKS,
         "--max-examples", "40", "--seed", "20261201", "--workers", "1", "--no-color",
         "--generation-database", "none", "--request-timeout", "30"],
        capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path,  # its cache stays out of the repo
    )
    summary = proc.stdout[-3000:]
    assert proc.returncode == 0, summary + proc.stderr[-2000:]
    assert "passed" in summary and "failed" not in summary.split("Test cases:")[-1], summary
