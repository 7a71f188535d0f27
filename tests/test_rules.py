"""Pattern files are validated on load, and every problem in every file is reported at once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from notecheck import PatternError, load_patterns
from notecheck.rules import default_patterns_dir

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def patterns_copy(tmp_path: Path) -> Path:
    target = tmp_path / "patterns"
    shutil.copytree(ROOT / "patterns", target)
    return target


def test_shipped_patterns_load() -> None:
    patterns = load_patterns()
    assert set(patterns.profiles) == {"0200T", "0201T"}
    assert Path(str(default_patterns_dir())).name == "patterns"


def test_all_problems_are_listed_with_file_and_rule(patterns_copy: Path) -> None:
    cement = patterns_copy / "elements" / "cement_injection.json"
    data = json.loads(cement.read_text())
    data["rules"][0]["pattern"] = "(unclosed"
    data["rules"][1]["comment"] = ""
    cement.write_text(json.dumps(data))
    (patterns_copy / "context.json").write_text("{not json")
    with pytest.raises(PatternError) as caught:
        load_patterns(patterns_copy)
    problems = caught.value.problems
    assert any("elements/cement_injection.json: rule 0 ('cement')" in p and "regular expression" in p
               for p in problems)
    assert any("elements/cement_injection.json: rule 1 ('PMMA')" in p and "comment" in p for p in problems)
    assert any(p.startswith("context.json: invalid JSON at line 1") for p in problems)


def test_unknown_category_is_rejected(patterns_copy: Path) -> None:
    sites = patterns_copy / "sites.json"
    data = json.loads(sites.read_text())
    data["rules"][0]["category"] = "pelvis"
    sites.write_text(json.dumps(data))
    with pytest.raises(PatternError, match=r"sites.json: rule 0 \('sacroplasty'\) category"):
        load_patterns(patterns_copy)


def test_importing_notecheck_registers_nothing_and_keeps_warnings() -> None:
    """medspaCy's import-time warnings.filterwarnings('ignore') must not leak into the process."""
    import subprocess
    import sys

    code = (
        "import warnings, notecheck\n"
        "from spacy.language import Language\n"
        "assert not Language.has_factory('notecheck_sentences'), 'registered at import'\n"
        "notecheck.check_text('Needle placed into the sacral ala.')\n"
        "assert not any(f[0] == 'ignore' and f[1] is None and f[2] is Warning for f in warnings.filters)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()


def test_a_union_tried_where_its_rules_can_start_finds_what_the_plain_union_finds() -> None:
    """rules.union() adds a lookahead on the characters its rules can start with; it must find the same matches
    as the plain alternation, and give up the lookahead where a start cannot be told ('\\w', an optional start)."""
    import re

    from notecheck.rules import first_chars, load_patterns, union

    patterns = [r.pattern for r in load_patterns().normalize.placeholders]
    text = ("Side: [LEFT/RIGHT] {VOLUME} mL @SIDE@ Biopsy: SELECT: yes/no *** ___ {Blank::x} [illegible word] "
            "{LEVEL} <<side>> plain text [X] checked")
    plain = re.compile("|".join(f"(?P<p{i}>{p})" for i, p in enumerate(patterns)), re.IGNORECASE)
    fast = union(patterns, named=True)
    assert [(m.span(), m.lastgroup) for m in fast.finditer(text)] == [
        (m.span(), m.lastgroup) for m in plain.finditer(text)]
    assert first_chars(r"\bselect") == frozenset("sS")
    assert first_chars(r"\w+ing") is None and first_chars(r"a?b") == frozenset("aAbB")
