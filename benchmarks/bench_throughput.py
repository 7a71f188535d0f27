"""The audit against spaCy's bare tokenizer on the same distinct notes, and where a check's time goes (issue 22).

bench.py measures the corpus repeated to 5,000 copies; this script measures the distinct notes the project holds,
so no text repeats: tests/corpus, every tests/holdout*, every WRITER_STEP-th note of training/writers, one JSONL.
Every figure is end to end in a fresh process, start-up included, median of --runs:
- spaCy's bare tokenizer (``spacy.blank("en")``) over those notes: the floor of any spaCy pipeline;
- ``notecheck audit --workers 1`` and ``--workers 2`` over the same JSONL;
- ``notecheck audit`` over the MTSamples CSV (../shared), one and two workers (an export that repeats notes);
- peak RSS of the largest process of each run (bench.timed);
- the rate once running: each audit minus a one-note audit (start-up and exit, which two workers cannot share).
``--tree SRC`` (repeatable) adds a variant: the same runs with ``PYTHONPATH=SRC`` (e.g. an unpacked ``git archive``
of the commit before a change), interleaved run by run with this tree so both meet the same machine load.
``--env NAME=VALUE`` (repeatable) adds a variant of this tree with an environment variable set
(``NOTECHECK_MATCHER=python``: the pure-Python matcher).

``--profile N`` instead runs cProfile over Checker.check_text on the distinct notes and the first N MTSamples
notes, in this process, and prints cumulative shares per stage and the tottime share of regex matching.

    python benchmarks/bench_throughput.py [--runs 3] [--tree /tmp/before/src] [--env NOTECHECK_MATCHER=python]
    python benchmarks/bench_throughput.py --profile 1000
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import MTSAMPLES, ROOT, audit_cmd, timed  # noqa: E402

WRITER_STEP = 4
TOKENIZE = (
    "import json, sys, spacy\n"
    "tokenizer = spacy.blank('en').tokenizer\n"
    "for line in open(sys.argv[1], encoding='utf-8'):\n"
    "    tokenizer(json.loads(line)['text'])\n"
)
def stages() -> list[tuple[str, object]]:
    """The stages of a check, as the functions cProfile times (cumulative times overlap where stages nest)."""
    from notecheck import checker, indications, judging, learning, reading
    from notecheck.reading import medspacy_speedups, scanner, sentences

    from spacy.language import Language

    found: list[tuple[str, object]] = [
        ("normalise", reading.Normalizer.__call__), ("medspaCy pipeline (nlp(text))", Language.__call__),
        ("tokenizer (Language.make_doc)", Language.make_doc),
        ("sentence starts", sentences.sentence_starts)]
    try:
        from medspacy.context import ConText
        from medspacy.section_detection import Sectionizer
        from medspacy.target_matcher import TargetMatcher

        lean = getattr(medspacy_speedups, "_lean_class", None)  # issue 22: our Sectionizer subclass
        found += [("medspaCy TargetMatcher", TargetMatcher.__call__),
                  ("Sectionizer", (lean(Sectionizer) if lean else Sectionizer).__call__),
                  ("ConText", medspacy_speedups._bounded_class(ConText).__call__)]
    except ImportError:
        pass
    found.append(("our regex matcher (components' RegexMatcher)", medspacy_speedups._one_pass_class(object).__call__))
    try:  # issue 22: one scan of the note finds the rules that may match
        from notecheck.reading.matching import PatternIndex

        found.append(("one-pass index (PatternIndex.candidates)", PatternIndex.candidates))
    except ImportError:
        pass
    found += [("to_scan", scanner.Scanner.to_scan), ("judging (Assessor)", judging.Assessor.__call__),
              ("indications reader", indications.IndicationReader.__call__),
              ("learned reader", learning.LearnedReader.__call__), ("check_text", checker.Checker.check_text)]
    return found


def _key(function: object) -> tuple[str, int, str]:
    code = function.__code__  # type: ignore[attr-defined]
    return (code.co_filename, code.co_firstlineno, code.co_name)


def distinct_notes() -> list[str]:
    """Every labeled note's text once: tests/corpus, tests/holdout*, a sample of training/writers."""
    paths = sorted((ROOT / "tests" / "corpus").glob("*.txt"))
    for folder in sorted((ROOT / "tests").glob("holdout*")):
        paths += sorted(folder.glob("*.txt"))
    paths += sorted((ROOT / "training" / "writers").glob("*/*.txt"))[::WRITER_STEP]
    return list(dict.fromkeys(p.read_text(encoding="utf-8", errors="replace") for p in paths))


def mtsamples(limit: int | None = None) -> list[str]:
    if not MTSAMPLES.exists():
        return []
    with MTSAMPLES.open(encoding="utf-8") as handle:
        return [row["transcription"] for row in csv.DictReader(handle)][:limit]


def profile(limit: int) -> None:
    """cProfile over check_text (the checker built and warmed first, so start-up is not in the shares)."""
    import cProfile
    import pstats

    from notecheck import Checker

    texts = distinct_notes() + mtsamples(limit)
    checker = Checker()
    checker.check_text(texts[0])
    profiler = cProfile.Profile()
    profiler.enable()
    for i, text in enumerate(texts):
        checker.check_text(text, f"n{i}")
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in stats.values())
    labeled = len(texts) - len(mtsamples(limit))
    print(f"{len(texts)} notes ({labeled} distinct labeled + {len(texts) - labeled} MTSamples), {total:.1f} s "
          f"profiled, {total / len(texts) * 1000:.2f} ms/note; matcher: {matcher_name()}\n")
    print(f"| {'stage':<46} | cumulative share |\n|{'-' * 48}|-----------------:|")
    for name, function in stages():
        entry = stats.get(_key(function))
        if entry:
            print(f"| {name:<46} | {entry[3] / total:>16.1%} |")
    regex = sum(entry[2] for (_, _, func), entry in stats.items() if _is_matching(func))
    loops = sum(stats.get(_key(function), (0, 0, 0.0))[2] for name, function in stages() if "matcher (" in name or "index (" in name)
    print(f"\nregex and engine matching, tottime: {regex / total:.1%} of the profile's own time in re.Pattern and "
          f"hyperscan methods, {(regex + loops) / total:.1%} with the matchers' own loops (finditer's iteration "
          "counts there)\n\nlargest tottime:")
    for (file, line, func), entry in sorted(stats.items(), key=lambda kv: -kv[1][2])[:15]:
        print(f"  {entry[2] / total:6.1%}  {func}  {file.split('site-packages/')[-1].split('src/')[-1]}:{line}")


def _is_matching(func: str) -> bool:
    return "re.Pattern" in func or "hyperscan" in func or "_sre" in func


def matcher_name() -> str:
    try:
        from notecheck.reading.matching import ENGINE
    except ImportError:  # a tree before issue 22: one `re` union per label
        return "re (before issue 22)"
    return ENGINE  # type: ignore[no-any-return]


def throughput(runs: int, trees: list[str], envs: list[str]) -> None:
    variants: list[tuple[str, dict[str, str]]] = [("this tree", {})]
    variants += [(f"tree {tree}", {"PYTHONPATH": tree}) for tree in trees]
    variants += [(f"this tree, {env}", dict([env.split("=", 1)])) for env in envs]
    rows: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "distinct.jsonl"
        texts = distinct_notes()
        with source.open("w", encoding="utf-8") as out:
            for i, text in enumerate(texts):
                out.write(json.dumps({"note_id": f"n{i}", "text": text}) + "\n")
        one = Path(tmp) / "one.jsonl"  # a one-note run: start-up and tail alone, subtracted for the steady rate
        one.write_text(json.dumps({"note_id": "n0", "text": texts[0]}) + "\n", encoding="utf-8")
        count_mts = len(mtsamples())
        for _ in range(runs):  # run by run, every variant: the machine's load meets them alike
            rows.setdefault(("", "tokenizer"), []).append(timed([sys.executable, "-c", TOKENIZE, str(source)]))
            for name, env in variants:
                saved = {key: os.environ.get(key) for key in env}
                os.environ.update(env)
                try:
                    for workers in (1, 2):
                        rows.setdefault((name, f"audit {workers}"), []).append(
                            timed(audit_cmd(source, Path(tmp) / "out", workers)))
                        rows.setdefault((name, f"one {workers}"), []).append(
                            timed(audit_cmd(one, Path(tmp) / "one", workers)))
                    for workers in (1, 2) if count_mts else ():
                        rows.setdefault((name, f"mtsamples {workers}"), []).append(timed(audit_cmd(
                            MTSAMPLES, Path(tmp) / "mts", workers, "--id-column", "", "--text-column",
                            "transcription")))
                finally:
                    for key, value in saved.items():
                        os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
    _print(rows, len(texts), count_mts, runs)


def _print(rows: dict[tuple[str, str], list[tuple[float, float]]], count: int, count_mts: int, runs: int) -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{count} distinct labeled notes, {count_mts:,} MTSamples rows; medians of {runs}, start-up included")
    floor = count / statistics.median(r[0] for r in rows[("", "tokenizer")])
    print(f"| {'variant':<40} | {'run':<28} | notes/s | peak RSS MB | vs tokenizer |")
    print(f"|{'-' * 42}|{'-' * 30}|--------:|------------:|-------------:|")
    labels = {"tokenizer": "spaCy bare tokenizer", "audit 1": "audit, 1 worker", "audit 2": "audit, 2 workers",
              "mtsamples 1": "audit, MTSamples CSV, 1 worker", "mtsamples 2": "audit, MTSamples CSV, 2 workers"}
    for (variant, run), results in rows.items():
        if run.startswith("one"):
            continue
        kind, _, workers = run.partition(" ")
        n = count_mts if kind == "mtsamples" else count
        rate = n / statistics.median(r[0] for r in results)
        rss = max(r[1] for r in results)
        ratio = f"{rate / floor:.2f}x" if kind != "mtsamples" else "-" if workers == "1" else ""
        if workers == "2":
            one = n / statistics.median(r[0] for r in rows[(variant, f"{kind} 1")])
            ratio += f" ({rate / one:.2f}x 1 worker)"
        print(f"| {variant or '-':<40} | {labels[run]:<28} | {rate:7,.0f} | {rss:11,.0f} | {ratio:>12} |")
    _print_steady(rows, count)


def _print_steady(rows: dict[tuple[str, str], list[tuple[float, float]]], count: int) -> None:
    """The rate once running: a run minus a one-note run (start-up, exit and the fixed part of the derived outputs'
    tail), which two workers cannot share; on a few hundred notes that serial part bounds the end-to-end ratio."""
    print("\nonce running (the run minus a one-note run), notes/s:")
    for variant in dict.fromkeys(v for v, run in rows if run == "audit 1"):
        rate = {workers: (count - 1) / (statistics.median(r[0] for r in rows[(variant, f"audit {workers}")])
                                        - statistics.median(r[0] for r in rows[(variant, f"one {workers}")]))
                for workers in (1, 2)}
        serial = statistics.median(r[0] for r in rows[(variant, "one 1")])
        print(f"  {variant or '-'}: 1 worker {rate[1]:.0f}, 2 workers {rate[2]:.0f} ({rate[2] / rate[1]:.2f}x); "
              f"a one-note run takes {serial:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tree", action="append", default=[], help="another tree's src/ to compare (PYTHONPATH)")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE: this tree with a variable set")
    parser.add_argument("--profile", type=int, metavar="N", help="cProfile check_text over the notes + N MTSamples")
    args = parser.parse_args()
    if args.profile is not None:
        profile(args.profile)
    else:
        throughput(args.runs, args.tree, args.env)


if __name__ == "__main__":
    main()
