"""Latency and throughput of `notecheck serve` against a warm server on loopback (not a test: shared, noisy machine).

For 1 and 2 workers: start the real server, record the time from process start to /readyz 200, warm it, then
POST /v1/check (JSON) sequentially (concurrency 1) and from 8 client threads (concurrency 8), each with its own
keep-alive connection, on two note sets:
- the sample notes (sample_notes/*.txt);
- sacroplasty-length notes: the 20 longest labeled notes that support 0201T/0200T in tests/corpus and
  tests/holdout*.
Latency is per request as the client sees it (p50/p95/p99 ms); throughput is requests over wall time. Each cell
is the median of --runs runs. A first row per set times the same checks in process, without HTTP, so the
server's own cost shows even on a loaded machine. The client shares the machine's 2 cores with the server, which caps concurrency-8
figures: they are a floor for what a separate client host would see.

    python benchmarks/bench_serve.py [--runs 3] [--requests 300]
"""

from __future__ import annotations

import argparse
import json
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def sample_notes() -> list[dict]:
    return [{"note_id": p.stem, "text": p.read_text(encoding="utf-8")} for p in sorted(ROOT.glob("sample_notes/*.txt"))]


def sacroplasty_length_notes(count: int = 20) -> list[dict]:
    notes = []
    for folder in [ROOT / "tests" / "corpus", *sorted((ROOT / "tests").glob("holdout*"))]:
        labels = folder / "labels.jsonl"
        if not labels.is_file():
            continue
        for line in labels.read_text(encoding="utf-8").splitlines():
            label = json.loads(line)
            path = folder / f"{label['id']}.txt"
            if label.get("expected_code") in ("0201T", "0200T") and path.is_file():
                notes.append({"note_id": label["id"], "text": path.read_text(encoding="utf-8")})
    return sorted(notes, key=lambda n: len(n["text"].encode()), reverse=True)[:count]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(workers: int, log: Path) -> tuple[subprocess.Popen, str, float]:
    """The server and the seconds from process start to the first /readyz 200."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    with log.open("wb") as handle:
        process = subprocess.Popen([sys.executable, "-m", "notecheck.cli", "serve", "--port", str(port),
                                    "--workers", str(workers)], stdout=handle, stderr=subprocess.STDOUT)
    while time.monotonic() - started < 120:
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                ready = time.monotonic() - started
                break
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    else:
        process.terminate()
        raise SystemExit(f"server not ready: {log.read_text()[-2000:]}")
    # with several workers, /readyz answered from one: wait until 20 answers in a row are 200
    streak = 0
    while streak < 20:
        streak = streak + 1 if httpx.get(url + "/readyz", timeout=2).status_code == 200 else 0
    return process, url, ready


def run(url: str, notes: list[dict], requests: int, concurrency: int) -> tuple[list[float], float]:
    """Per-request latencies (ms) and requests per second."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        with httpx.Client(base_url=url, timeout=60) as session:
            for i in counter:
                body = notes[i % len(notes)]
                t = time.perf_counter()
                response = session.post("/v1/check", json=body)
                elapsed = (time.perf_counter() - t) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{response.status_code}: {response.text[:300]}")
                with lock:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    t = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, requests / (time.perf_counter() - t)


def in_process(notes: list[dict], requests: int) -> list[float]:
    """The same checks without HTTP (check_text + the JSON the endpoint sends), as the floor the server adds to."""
    from notecheck import Checker
    from notecheck.writers import render_json

    checker = Checker()
    for note in notes:
        checker.check_text(note["text"], note["note_id"])
    latencies = []
    for i in range(requests):
        note = notes[i % len(notes)]
        t = time.perf_counter()
        render_json(checker.check_text(note["text"], note["note_id"]))
        latencies.append((time.perf_counter() - t) * 1000)
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300, help="requests per run")
    args = parser.parse_args()
    sets = {"sample notes": sample_notes(), "sacroplasty-length": sacroplasty_length_notes()}
    print(f"# {platform.machine()}, {platform.python_version()}, {args.runs} runs x {args.requests} requests")
    for name, notes in sets.items():
        sizes = [len(n["text"].encode()) for n in notes]
        print(f"# {name}: {len(notes)} notes, median {statistics.median(sizes):,.0f} bytes, max {max(sizes):,}")
    print("| workers | notes | concurrency | p50 ms | p95 ms | p99 ms | requests/s |")
    print("|---|---|---|---|---|---|---|")
    for name, notes in sets.items():
        cells = [in_process(notes, args.requests) for _ in range(args.runs)]
        p50, p95, p99 = (statistics.median(percentile(c, q) for c in cells) for q in (50, 95, 99))
        print(f"| in process, no HTTP | {name} | 1 | {p50:.1f} | {p95:.1f} | {p99:.1f} | - |", flush=True)
    readiness = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            process, url, ready = start(workers, Path(tmp) / f"w{workers}.log")
            readiness.append((workers, ready))
            try:
                for name, notes in sets.items():
                    run(url, notes, 40, 2)  # warm: every note once, both workers
                    for concurrency in (1, 8):
                        cells = []
                        for _ in range(args.runs):
                            latencies, rate = run(url, notes, args.requests, concurrency)
                            cells.append((percentile(latencies, 50), percentile(latencies, 95),
                                          percentile(latencies, 99), rate))
                        p50, p95, p99, rate = (statistics.median(c[i] for c in cells) for i in range(4))
                        print(f"| {workers} | {name} | {concurrency} | {p50:.1f} | {p95:.1f} | {p99:.1f} | "
                              f"{rate:.0f} |", flush=True)
            finally:
                process.terminate()
                process.wait(timeout=30)
    for workers, ready in readiness:
        print(f"# {workers} worker(s): /readyz 200 {ready:.2f} s after process start")


if __name__ == "__main__":
    main()
