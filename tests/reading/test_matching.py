"""The one-pass index (reading/matching.py) never hides a rule that ``re`` would match, and searching from the
starts it reports finds exactly what ``re.finditer`` finds from the first character, on both paths.

The engine path needs the ``hyperscan`` wheel (the ``[fast]`` extra, in ``[test]`` where a wheel exists); the
pure-Python path is forced in a subprocess with NOTECHECK_MATCHER=python and must print the same bytes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paths import ROOT

from notecheck.checker import Checker
from notecheck.reading import matching, normalize_newlines
from notecheck.reading.matching import PatternIndex, branches, relaxed, stand_in_text

NOTES = sorted(ROOT.glob("tests/*/*.txt")) + sorted(ROOT.glob("sample_notes/*.txt"))
engine = pytest.mark.skipif(matching._hs is None, reason="hyperscan is not installed (or NOTECHECK_MATCHER=python): "
                                                           "the pure-Python path is what runs here")
# Rules built to trip a stand-in: Unicode spaces, case folds, negated classes, symbols, non-ASCII literals.
TRICKY = [r"sacral\s+ala", r"[^a-z]k\b", r"ri[s]k", r"\bcement\b", r"[^•]x", r"[-*•]\s*item", r"(?<![\w/])L5",
          r"\W{2}", r"[^\s]{3}end", r"café", r"(?-i:ALA)", r"a{,2}b", r"[à-ÿ]", r"[^_]z", r"\d\d mL", r"\S+\s\S+$",
          # look-arounds and long repeats, which the engine's starts are found without (matching.relaxed)
          r"(?<!no )cement(?!\s+extravasation)", r"(?<![^\n])[ \t]*item[^.\n]{0,40}end", r"\ba(?=\w)|k\b(?<=lk)",
          r"(?<=; )ala:|(?<![\w/])(?-i:ALA)\s*:", r"s(?:a|(?!x)k)+l"]
ALPHABET = list("aksiLz _-*/.5\n\t") + ["\u00a0", "\u212a", "\u017f", "\u0131", "\u0130", "•", "é", "É", "\x1c",
                                         "\u2009", "\u0663", "²", "ß", "—"]


def _pipeline_index(checker: Checker) -> tuple[PatternIndex, list[re.Pattern[str]]]:
    from notecheck.reading.medspacy_speedups import _regex_matchers

    inner = _regex_matchers(checker.scanner.nlp.get_pipe("medspacy_target_matcher"))[0]
    return inner._index, list(inner._positions)


def _mismatched(index: PatternIndex, patterns: list[re.Pattern[str]], text: str) -> list[int]:
    """The patterns whose matches, searched from where the index says they may start, differ from finditer's."""
    found = index.find(text)
    return [i for i, p in enumerate(patterns)
            if [m.span() for m in p.finditer(text)] != ([m.span() for m in found.finditer(i, p, text)]
                                                        if found.may_match(i) else [])]


@engine
def test_every_rule_finds_what_re_finds_on_every_labeled_note_and_mtsamples(checker: Checker) -> None:
    index, patterns = _pipeline_index(checker)
    texts = [path.read_text(encoding="utf-8", errors="replace") for path in NOTES]
    mtsamples = ROOT.parent / "shared" / "corpora" / "mtsamples" / "mtsamples.csv"
    if mtsamples.exists():
        import csv

        with mtsamples.open(encoding="utf-8") as handle:
            texts += [row["transcription"] for row in csv.DictReader(handle)][::3]  # a third keeps CI quick
    assert len(texts) > 300
    skipped = 0
    for i, text in enumerate(texts):
        text = checker._normalize(normalize_newlines(text)).text
        assert not _mismatched(index, patterns, text), i
        candidates = index.candidates(text)
        skipped += candidates is not None and len(candidates) < len(patterns)
    assert skipped > len(texts) / 2  # the index earns its keep: most notes skip most rules
    assert len(index._spanned) > len(patterns) * 3 // 4  # and most rules are searched from their starts


def test_relaxed_rules_drop_look_arounds_and_long_repeats_and_keep_everything_else() -> None:
    assert relaxed(r"(?<!no )cement(?=\s)") == "cement"
    assert relaxed(r"(?:x(?!y)|[(?=])\(?=z") == r"(?:x|[(?=])\(?=z"  # a class and an escape are not look-arounds
    assert relaxed(r"[^()\n]{0,80}\d{1,2}") == r"[^()\n]{0,}\d{1,2}"
    assert relaxed(r"(?<![^\n])[ \t]*Plan:") == r"(?m:^)[ \t]*Plan:"  # a line start the engine can say
    assert relaxed(r"a(?=b)?c") is None  # the quantifier would move onto 'a'
    assert branches(r"(?:a|b)|c|[|]|\|d") == ["(?:a|b)", "c", "[|]", r"\|d"]


@engine
@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET + ["sacral", "ala", "cement", "item", "end", "café", "ALA", "mL", "12",
                                             "no ", "; ", " extravasation", "lk", "sakal", "ALA :"]), max_size=30))
def test_every_match_is_found_on_hostile_characters(words: list[str]) -> None:
    text = "".join(words)
    patterns = [re.compile(p, re.IGNORECASE) for p in TRICKY] + [re.compile(p) for p in TRICKY]
    assert not _mismatched(_tricky_index(), patterns, text)


_TRICKY_INDEX: list[PatternIndex] = []


def _tricky_index() -> PatternIndex:
    if not _TRICKY_INDEX:
        _TRICKY_INDEX.append(PatternIndex([re.compile(p, re.IGNORECASE) for p in TRICKY]
                                          + [re.compile(p) for p in TRICKY]))
    return _TRICKY_INDEX[0]


def test_stand_in_keeps_offsets_and_gives_up_on_non_ascii_digits() -> None:
    assert stand_in_text("plain ASCII") == "plain ASCII"
    text = "sacral\u00a0ala \u212a é • \x1c"
    assert len(stand_in_text(text) or "") == len(text)
    assert stand_in_text(text) == "sacral\x0bala k _ \x01 \x0b"
    assert stand_in_text("L\u0665-S1") is None  # an Arabic-Indic digit: every rule stays a candidate


def _cli(env: dict[str, str], *args: str) -> bytes:
    done = subprocess.run([sys.executable, "-m", "notecheck.cli", *args], cwd=ROOT, capture_output=True,
                          env={**os.environ, **env}, check=False)
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


def test_version_names_the_engine_and_the_fallback_is_chosen_by_the_environment() -> None:
    forced = _cli({"NOTECHECK_MATCHER": "python"}, "--version").decode()
    assert "matcher: python re" in forced
    own = _cli({}, "--version").decode()
    assert ("matcher: hyperscan" in own) == (matching._hs is not None)


def test_both_paths_print_the_same_reports() -> None:
    notes = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "sample_notes").glob("*.txt"))]
    notes += [str(p.relative_to(ROOT)) for p in sorted((ROOT / "tests" / "holdout7").glob("*.txt"))]
    fallback = _cli({"NOTECHECK_MATCHER": "python"}, "check", "--format", "json", *notes)
    assert fallback == _cli({}, "check", "--format", "json", *notes)
    assert len([json.loads(line) for line in fallback.splitlines() if line.strip()]) == len(notes)


@engine
def test_cached_files_unused_for_a_month_go_when_a_new_plan_is_made(tmp_path, monkeypatch) -> None:
    """Each edit of the patterns and each upgrade leaves databases behind; a new plan removes ours that no process
    loaded for UNUSED_DAYS, keeps those loaded since (a load marks them) and never touches other files."""
    monkeypatch.setenv(matching.CACHE_ENV, str(tmp_path))
    month_ago = os.stat(tmp_path).st_mtime - (matching.UNUSED_DAYS + 1) * 86400
    PatternIndex([re.compile(r"sacr\w+ ala")])
    ours = sorted(tmp_path.glob("hyperscan-*"))
    assert ours
    stale = tmp_path / "hyperscan-0123456789abcdef.db"
    stale.write_bytes(b"an old version's database")
    other = tmp_path / "notes.txt"
    other.write_text("not ours")
    for path in [*ours, stale, other]:
        os.utime(path, (month_ago, month_ago))
    PatternIndex([re.compile(r"sacr\w+ ala")])  # loads the first plan and database: marked as used
    PatternIndex([re.compile(r"cement\s+inject\w*")])  # a new plan: prunes
    assert not stale.exists() and other.exists()
    assert all(path.exists() for path in ours)
