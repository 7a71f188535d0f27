"""Real processes killed the hard way, for the tests of what a run leaves behind when it is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def kill_after_rows(args: list[str], results: Path, rows: int, timeout: float = 300) -> int:
    """Start an audit in its own process group, SIGKILL the group once ``results`` holds ``rows`` lines; return
    how many lines it had written."""
    proc = subprocess.Popen(args, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (not results.exists() or results.read_bytes().count(b"\n") < rows):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return results.read_bytes().count(b"\n")
