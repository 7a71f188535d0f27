"""Where the tests find the repository's files, whichever folder of tests/ a test module sits in."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
SAMPLES = ROOT / "sample_notes"
CORPUS = TESTS / "corpus"
