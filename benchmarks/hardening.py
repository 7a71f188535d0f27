"""The run-time bars of issues 9 and 17, printed (not asserted: the machine is shared and noisy).

- `notecheck check` on a 200 KB note of the sample notes joined end to end, and on a 100 KB note of one repeated
  sentence (bar: each under 10 s); a run that passes --cap seconds is stopped and reported as over it;
- an audit whose first note overruns `--note-timeout 5` (a pathological user pattern, as in the tests): wall time
  to the end of the run, and that every other row is there;
- audit throughput on the corpus x1,000 with 1 and 2 workers, to show what the killable workers cost;
- issue 17: /healthz latency (p50, p99, max) while `notecheck serve` checks a 1 MB note; a 333-byte HL7 escape
  bomb's wall time and peak RSS against a normal one-message file, through `audit`; and HL7 reading time for one
  message whose OBX line is 4, 8, 16 and 32 MB (dropped past --max-bytes, and held and parsed under a limit above
  it), each doubling's ratio.

    python benchmarks/hardening.py [--runs 3] [--cap 300] [--only issue17]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench import ROOT, audit_cmd, corpus_jsonl, median_run

sys.path.insert(0, str(ROOT / "tests"))
from batch.test_hardening import SLOW, slow_patterns  # noqa: E402  (the same pathological pattern as the tests)

SENTENCE = "Under fluoroscopic guidance a needle was placed into the right sacral ala and cement was injected. "


def check_seconds(note: Path, runs: int, cap: float) -> str:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        try:
            subprocess.run([sys.executable, "-m", "notecheck.cli", "check", "--format", "json", str(note)],
                           capture_output=True, timeout=cap, check=False)
        except subprocess.TimeoutExpired:
            return f"> {cap:.0f} s (stopped)"
        times.append(time.perf_counter() - start)
    return f"{statistics.median(times):.1f} s"


MSH = "MSH|^~\\&|EHR|H|NC|H|20261201||MDM^T02|M1|P|2.5\rTXA|1|OP|TX|20261201||||||||D1\r"
OBX = "OBX|1|TX|||PMMA cement was injected into the right and left sacral ala {}under fluoroscopy\r"


def _get(url: str, data: bytes | None = None, timeout: float = 300) -> int:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "text/plain"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            answer.read()
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def healthz_during_a_long_check(folder: Path) -> None:
    """/healthz every 20 ms while one worker checks a 1,000,000-byte note (the probe's H9 note)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with (folder / "serve.log").open("wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "notecheck.cli", "serve", "--port", str(port)],
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if _get(url + "/readyz", timeout=2) == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        note = ("sacral cement " * 71_429)[:1_000_000].encode()
        outcome: list[tuple[int, float]] = []

        def check() -> None:
            start = time.perf_counter()
            outcome.append((_get(url + "/v1/check", note), time.perf_counter() - start))

        worker = threading.Thread(target=check)
        worker.start()
        latencies = []
        while worker.is_alive():
            start = time.perf_counter()
            _get(url + "/healthz", timeout=60)
            latencies.append((time.perf_counter() - start) * 1000)
            time.sleep(0.02)
        worker.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"serve, /healthz while a 1 MB note is checked ({outcome[0][0]} in {outcome[0][1]:.1f} s): "
          f"{len(latencies)} probes, p50 {statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms, "
          f"max {latencies[-1]:.1f} ms")


def escape_bomb(folder: Path, runs: int) -> None:
    """A 333-byte message expanding to 200 million characters (\\.in50000000\\), against a normal one."""
    bomb, normal = folder / "bomb.hl7", folder / "normal.hl7"
    bomb.write_text(MSH + OBX.format("\\.in50000000\\ "))
    normal.write_text(MSH + OBX.format(""))
    figures = {}
    for name, path in (("normal", normal), ("bomb", bomb)):
        figures[name] = median_run([sys.executable, "-m", "notecheck.cli", "audit", str(path), "-o",
                                    str(folder / f"out-{name}"), "--workers", "1", "--quiet", "--fail-on", "never"],
                                   runs)
    (wall_n, rss_n), (wall_b, rss_b) = figures["normal"], figures["bomb"]
    print(f"audit, {bomb.stat().st_size}-byte HL7 escape bomb: {wall_b:.2f} s, peak RSS {rss_b:.0f} MB; one normal "
          f"message: {wall_n:.2f} s, {rss_n:.0f} MB; the bomb costs {wall_b - wall_n:+.2f} s, {rss_b - rss_n:+.0f} MB")


def hl7_line_scaling(folder: Path, runs: int) -> None:
    """Reading (framing, parsing, unescaping) one message whose OBX line is N MB, in process, medians of runs."""
    from notecheck.inputs.hl7 import iter_hl7

    for limit_name, max_bytes in (("over --max-bytes (dropped)", 1_000_000), ("under the limit (parsed)", 40 << 20)):
        previous = None
        cells = []
        for size in (4, 8, 16, 32):
            path = folder / f"line{size}.hl7"
            path.write_bytes((MSH + "OBX|1|TX|||").encode() + b"sacral cement " * (size * (1 << 20) // 14))
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                list(iter_hl7(path, max_bytes))
                times.append(time.perf_counter() - start)
            median = statistics.median(times)
            ratio = f" x{median / previous:.2f}" if previous else ""
            cells.append(f"{size} MB {median:.2f} s{ratio}")
            previous = median
            path.unlink()
        print(f"HL7 reading, one OBX line {limit_name}: " + ", ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cap", type=float, default=300.0, help="seconds after which a check is stopped")
    parser.add_argument("--only", choices=["issue17"], help="only issue 17's figures")
    args = parser.parse_args()
    if args.only:
        with tempfile.TemporaryDirectory() as tmp:
            issue17(Path(tmp), args.runs)
        return
    samples = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "sample_notes").glob("*.txt"))]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        joined = folder / "joined_200k.txt"
        text = ""
        while len(text.encode()) < 200_000:
            text += samples[len(text) % len(samples)] + "\n"
        joined.write_text(text)
        repeated = folder / "repeated_100k.txt"
        repeated.write_text(SENTENCE * (100_000 // len(SENTENCE)))
        print(f"check, 200 KB of sample notes joined: {check_seconds(joined, args.runs, args.cap)}")
        print(f"check, 100 KB of one repeated sentence: {check_seconds(repeated, args.runs, args.cap)}")

        notes = folder / "notes"
        notes.mkdir()
        (notes / "a_slow.txt").write_text(SLOW)
        for i in range(10):
            (notes / f"b{i}.txt").write_text(samples[0] + f"\nAccession {i}\n")
        walls = []
        for run in range(args.runs):
            out = folder / f"timeout{run}"
            start = time.perf_counter()
            (folder / str(run)).mkdir()
            subprocess.run([sys.executable, "-m", "notecheck.cli", "--patterns", str(slow_patterns(folder / str(run))),
                            "audit", str(notes), "-o", str(out), "--note-timeout", "5", "--workers", "1", "--quiet",
                            "--fail-on", "never"], check=True)
            walls.append(time.perf_counter() - start)
            rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
            assert len(rows) == 11 and rows[0]["error"] == "timed out after 5 s", rows[0]
        print(f"audit, 1 note over --note-timeout 5 + 10 notes, 1 worker: {statistics.median(walls):.1f} s wall, "
              "all 11 rows")

        source = corpus_jsonl(folder, 1_000)
        for workers in (1, 2):
            wall, rss = median_run(audit_cmd(source, folder / f"out{workers}", workers), args.runs)
            print(f"audit, corpus x1,000, {workers} worker(s): {1_000 / wall:,.0f} notes/s, peak RSS {rss:,.0f} MB")
        issue17(folder, args.runs)


def issue17(folder: Path, runs: int) -> None:
    hl7_line_scaling(folder, runs)
    escape_bomb(folder, runs)
    healthz_during_a_long_check(folder)


if __name__ == "__main__":
    main()
