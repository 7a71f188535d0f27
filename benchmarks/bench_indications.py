"""What the indications checklist costs per note: the reader alone over scans the pipeline already made, a full
check with and without it, and a pre-authorisation document the element pre-screen skips, read without the
pipeline (tests/preauth). Prints medians of several runs (the machine is shared and noisy)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from notecheck import Checker

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5


def _median_ms(fn, items) -> float:  # type: ignore[no-untyped-def]
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        for item in items:
            fn(item)
        timings.append((time.perf_counter() - start) * 1000 / len(items))
    return statistics.median(timings)


def main() -> None:
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted((ROOT / "tests" / "corpus").glob("*.txt"))]
    on = Checker()
    off = Checker(on.patterns, indications=None)
    off.__dict__["scanner"] = on.scanner
    scans = [on.scan(t) for t in texts]
    reader = on._indications
    assert reader is not None
    print(f"{len(texts)} corpus notes, medians of {RUNS} runs")
    print(f"indications reader alone : {_median_ms(reader, scans):.3f} ms/note")
    print(f"check, checklist off     : {_median_ms(off.check_text, texts):.3f} ms/note")
    print(f"check, checklist on      : {_median_ms(on.check_text, texts):.3f} ms/note")
    documents = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests" / "preauth").glob("*.txt"))]
    skipped = [t for t in documents if on.scan(t).prescreened]
    print(f"{len(skipped)} pre-screened pre-authorisation documents (tests/preauth), read without the pipeline")
    print(f"check, checklist on      : {_median_ms(on.check_text, skipped):.3f} ms/note")
    print(f"check, checklist off     : {_median_ms(off.check_text, skipped):.3f} ms/note")


if __name__ == "__main__":
    main()
