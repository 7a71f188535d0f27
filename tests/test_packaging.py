"""The distribution's name and how users are told to install it.

`notecheck` on the public index is an unrelated package that sends text to a third-party API: ours is
`notecheck-sacral` (import name `notecheck`), installed from the clone or from a wheel built from it, and no doc,
message or skip reason may tell anyone to install it by name from an index.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import packages_distributions, version
from pathlib import Path

import pytest
from paths import ROOT

from notecheck.batch.runfolder import DISTRIBUTION, notecheck_version

# Text a user or a machine reads: docs, messages, skip reasons, CI and build scripts.
SCANNED = ["README.md", "ARCHITECTURE.md", "pyproject.toml", "mkdocs.yml", ".ci/run", "docs/**/*.md",
           "src/**/*.py", "tests/**/*.py", "benchmarks/**/*.py", "sample_notes/**/*.py"]
# A requirement that names our project, as an index would resolve it: notecheck, notecheck-sacral[spark]==0.1 ...
BY_NAME = re.compile(r"notecheck(?:[-_]sacral)?(?:\[[^\]]*\])?(?:[=<>~!].*)?", re.IGNORECASE)
PIP_INSTALL = re.compile(r"pip3?\s+install\s+([^\n`;&|)]*)")


def test_distribution_is_not_named_notecheck() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == DISTRIBUTION == "notecheck-sacral"
    assert project["scripts"] == {"notecheck": "notecheck.cli:run"}
    assert DISTRIBUTION in packages_distributions()["notecheck"], "the import name stays notecheck"
    assert notecheck_version() == version(DISTRIBUTION) != "unknown"  # the audit's manifest names the version


def _named_installs(text: str) -> list[str]:
    """Every `pip install` argument that names the project as a requirement (not a path, a '.[extra]' or a
    wheel file)."""
    found = []
    for command in PIP_INSTALL.findall(text):
        try:
            words = shlex.split(command, comments=True)
        except ValueError:
            words = command.split()
        found += [word for word in words if BY_NAME.fullmatch(word)]
    return found


def test_the_checker_finds_an_install_by_name() -> None:
    assert _named_installs("pip install 'notecheck[spark]'") == ["notecheck[spark]"]
    assert _named_installs("then: pip install -U notecheck-sacral==0.1.0 && run") == ["notecheck-sacral==0.1.0"]
    assert _named_installs("pip install --no-index --find-links dist 'dist/notecheck_sacral-0.1.0-py3-none-any.whl"
                           "[spark]'") == []
    assert _named_installs(".venv/bin/pip install '.[serve]'") == []


def test_no_text_tells_anyone_to_install_it_by_name_from_an_index() -> None:
    offenders = []
    for pattern in SCANNED:
        for path in sorted(ROOT.glob(pattern)):
            if ".venv" in path.parts or path == Path(__file__):
                continue
            named = _named_installs(path.read_text(encoding="utf-8", errors="replace"))
            offenders += [f"{path.relative_to(ROOT)}: pip install {word}" for word in named]
    assert not offenders, offenders


def test_a_wheel_builds_with_the_patterns_and_the_page(tmp_path: Path) -> None:
    """The wheel the Spark page tells data teams to build and ship (`pip wheel --no-deps .`)."""
    pytest.importorskip("setuptools", reason="setuptools is not installed (pip install '.[test]')")
    leftover = not (ROOT / "build").exists()  # setuptools builds in the source tree: take away what it leaves
    try:
        proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                               "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300,
                              cwd=tmp_path)
    finally:
        if leftover:
            shutil.rmtree(ROOT / "build", ignore_errors=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel,) = tmp_path.glob("*.whl")
    assert wheel.name.startswith(f"notecheck_sacral-{version(DISTRIBUTION)}-py3-none-any")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        entry_points = archive.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "Name: notecheck-sacral\n" in metadata
    assert "notecheck = notecheck.cli:run" in entry_points
    assert {"notecheck/patterns/coding.json", "notecheck/service/web/page.js", "notecheck/spark.py"} <= names
    assert any(n.startswith("notecheck/patterns/elements/") for n in names)
