"""The service's check processes, with the real pipeline: a check past its time limit is killed (it stops using
its core, which a thread could not promise) and answered 422; the next check gets a fresh process."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from batch.test_hardening import SLOW, slow_patterns
from serve_support import require_serve

from notecheck.checker import Checker

require_serve()
from notecheck.inputs.bodies import RequestProblem  # noqa: E402
from notecheck.service.checkpool import CheckPool  # noqa: E402

GOOD = "Needles were placed in the right and left sacral ala under fluoroscopy and PMMA cement was injected."


def test_a_check_over_its_time_limit_is_killed_and_the_next_one_runs(tmp_path: Path) -> None:
    checker = Checker(slow_patterns(tmp_path))  # a pathological user pattern: SLOW backtracks for hours
    checker.check_text(GOOD)
    pool = CheckPool(lambda billed, text, note_id: checker.check_text(text, note_id=note_id, billed=billed), size=1,
                     timeout=3)

    async def scenario() -> None:
        pool.start()
        first = pool.idle[0]
        with pytest.raises(RequestProblem) as caught:
            await pool.check(None, SLOW, "slow")
        assert (caught.value.status, caught.value.kind) == (422, "check_timeout")
        assert not first.process.is_alive() and first.process.exitcode == -9  # killed: its core is free
        report = await pool.check(None, GOOD, "good")
        assert report.note_id == "good" and report.suggested_code == "0201T"
        assert pool.idle and pool.idle[0] is not first

    try:
        asyncio.run(scenario())
    finally:
        pool.close()
