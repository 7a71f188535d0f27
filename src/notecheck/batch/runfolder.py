"""The audit's output folder: one run at a time (a lock), what the run read (a manifest), whole files only.

A nightly job is rerun, resumed and raced by schedulers: the lock makes a second audit into the same folder stop
with one line instead of interleaving rows; the manifest lets ``--resume`` refuse when the inputs or options are
not the ones the interrupted run had (a new file would be lost, an edited one keep its old verdict); and the
derived files are written under temporary names and renamed into place, so a failed run never leaves the
previous run's report beside its own rows.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib.abc import Traversable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TextIO

from ..errors import NotecheckError
from ..inputs import folder_fingerprint
from ..rules import default_patterns_dir

LOCK = ".notecheck.lock"
MANIFEST = "manifest.json"
DERIVED = ("results.csv", "prior_auth.csv", "summary.json", "report.html")
"""Files made from the rows at the end of a run (see derived.py)."""


DISTRIBUTION = "notecheck-sacral"
"""The distribution's name (pyproject.toml); the import name is ``notecheck``."""


def notecheck_version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the output folder for the run; the kernel drops it if the process dies."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = (folder / LOCK).open("a")
    except OSError as exc:
        raise NotecheckError(f"{folder}: cannot be the output folder ({exc.strerror or exc})") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise NotecheckError(f"{folder}: another notecheck audit is writing to this folder; wait for it to "
                                 "finish or choose another -o") from None
        yield


def describe_inputs(paths: list[str], glob: str, exclude: tuple[Path, ...]) -> list[dict[str, object]]:
    """Each input as the manifest records it: a file by size and mtime, a folder by a digest of its notes'."""
    described: list[dict[str, object]] = []
    for raw in paths:
        path = Path(raw)
        entry: dict[str, object] = {"path": str(path.resolve())}
        if path.is_dir():
            entry["folder_digest"] = folder_fingerprint(path, glob, exclude)
        else:
            try:
                info = path.stat()
                entry.update(size=info.st_size, mtime_ns=info.st_mtime_ns)
            except OSError as exc:
                entry["unreadable"] = exc.strerror or str(exc)
        described.append(entry)
    return described


def patterns_digest(patterns: str | None) -> str:
    """A digest of every pattern file's name and content (the shipped set when None): a resumed run must judge
    its remaining notes by the rules its first rows were judged by, and an edited file keeps its path."""
    digest = hashlib.sha256()
    pending: list[tuple[str, Traversable]] = [("", Path(patterns) if patterns else default_patterns_dir())]
    while pending:
        prefix, node = pending.pop()
        for child in sorted(node.iterdir(), key=lambda entry: entry.name):
            if child.is_dir():
                pending.append((f"{prefix}{child.name}/", child))
            elif child.name.endswith(".json"):
                digest.update(f"{prefix}{child.name}\0".encode("utf-8", "surrogateescape") + child.read_bytes())
    return digest.hexdigest()


def manifest(paths: list[str], options: dict[str, object], glob: str, exclude: tuple[Path, ...],
             started: str, patterns: str | None = None) -> dict[str, object]:
    """What a run read and how; ``run_id`` names the run, also when it is resumed (the audit history records it
    once)."""
    return {"notecheck": notecheck_version(), "started": started, "options": options,
            "patterns_digest": patterns_digest(patterns), "inputs": describe_inputs(paths, glob, exclude),
            "run_id": uuid.uuid4().hex}


def check_resumable(folder: Path, current: dict[str, object]) -> dict[str, object]:
    """The interrupted run's manifest, if it read the same inputs with the same options; else a one-line error."""
    try:
        recorded = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise NotecheckError(f"{folder}: cannot resume: no readable {MANIFEST} from an earlier run; "
                             "run again without --resume") from None
    for key, what in (("notecheck", "notecheck version"), ("options", "options"),
                      ("patterns_digest", "pattern files"), ("inputs", "inputs")):
        if recorded.get(key) != current[key]:
            detail = _difference(recorded.get(key), current[key]) if key in ("options", "inputs") else ""
            raise NotecheckError(f"{folder}: cannot resume: the {what} differ from the interrupted run's"
                                 f"{detail}; run again without --resume")
    return recorded


def _difference(old: object, new: object) -> str:
    """Names what changed (an option's name, an input's path), never a value read from a note."""
    if isinstance(old, dict) and isinstance(new, dict):
        names = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        return f" ({', '.join(names)})"
    if isinstance(old, list) and isinstance(new, list):
        before = {e.get("path"): e for e in old if isinstance(e, dict)}
        after = {e.get("path"): e for e in new if isinstance(e, dict)}
        changed = sorted(str(p) for p in before.keys() | after.keys() if before.get(p) != after.get(p))
        if changed:
            return f" ({', '.join(changed[:3])}{', ...' if len(changed) > 3 else ''} changed)"
        return " (their order changed)"
    return ""


def write_manifest(folder: Path, data: dict[str, object]) -> None:
    write_atomic(folder / MANIFEST, [json.dumps(data, indent=2, sort_keys=True) + "\n"])


def clear_derived(folder: Path) -> None:
    """Remove the previous run's derived files, so they can never stand beside this run's rows."""
    for name in DERIVED:
        (folder / name).unlink(missing_ok=True)


@contextmanager
def atomic_file(path: Path) -> Iterator[TextIO]:
    """A file written under a temporary name in the same folder and renamed into place when complete: readers
    see the old file or the whole new one, never a torn one."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with temporary.open("w", encoding="utf-8", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_atomic(path: Path, chunks: Iterable[str]) -> None:
    with atomic_file(path) as out:
        out.writelines(chunks)
