"""Folders of note files: walked recursively in sorted order, every unreadable entry an error row.

Also the cheap listing and fingerprint the audit's resume check uses.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .hl7 import hl7_items, looks_like_hl7
from .notes import Item, error_item, guarded, item_from_bytes, read_capped, shown


@dataclass
class InputStats:
    """What the readers saw besides notes, for the summary: files the folder glob left out."""

    left_out_by_glob: int = 0
    unreadable_folders: int = 0


def _matches(relative: str, glob: str) -> bool:
    """Case-insensitive: 'A.TXT' and 'c.Txt' are notes under '*.txt'. A glob with '/' matches the relative path."""
    target = relative if "/" in glob else relative.rsplit("/", 1)[-1]
    return fnmatch.fnmatchcase(target.lower(), glob.lower())


def iter_directory(folder: Path, glob: str, max_bytes: int, exclude: tuple[Path, ...] = (),
                   stats: InputStats | None = None, fmt: str = "auto") -> Iterator[Item]:
    """Every file matching ``glob`` below ``folder``, recursively, in sorted path order; HL7 v2 files (by
    ``fmt``, suffix or first bytes) give one item per message. See ``walk_notes`` for what is an error row."""
    for found in walk_notes(folder, glob, exclude, stats):
        if isinstance(found, Item):
            yield found
            continue
        note_id, path = found
        source = shown(path)
        try:
            data = read_capped(path, max_bytes)
        except InputError as exc:
            yield error_item(note_id, source, exc.problem)
            continue
        if fmt == "hl7" or looks_like_hl7(path, data):
            yield from hl7_items(data, source, max_bytes)
            continue
        yield guarded(lambda: item_from_bytes(note_id, source, data, max_bytes), note_id, source)


def walk_notes(folder: Path, glob: str, exclude: tuple[Path, ...] = (),
               stats: InputStats | None = None) -> Iterator[tuple[str, Path] | Item]:
    """(note id, path) of every file matching ``glob`` below ``folder``, recursively, in sorted path order, without
    reading them; an error item where there is no file to read.

    A folder that cannot be listed is an error row naming it (never a silent gap); folders in ``exclude`` (the
    audit's own output) and symlinked folders (loops) are not entered, a symlinked folder matching the glob is an
    error row.
    """
    def walk(current: Path) -> Iterator[tuple[str, Path] | Item]:
        relative = current.relative_to(folder).as_posix()
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            if stats is not None:
                stats.unreadable_folders += 1
            yield error_item(shown(relative if relative != "." else current.name), shown(current),
                             f"cannot read folder ({exc.strerror or exc})")
            return
        for entry in entries:
            path = Path(entry.path)
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_folder = False
            if is_folder:
                if path.resolve() not in exclude:
                    yield from walk(path)
                continue
            name = path.relative_to(folder).as_posix()
            if not _matches(name, glob):
                if stats is not None:
                    stats.left_out_by_glob += 1
                continue
            note_id = shown(Path(name).with_suffix(""))
            if entry.is_symlink() and path.is_dir():
                yield error_item(note_id, shown(path), "a symlink to a folder, not followed (it may loop or lead "
                                                       "outside the input)")
                continue
            yield note_id, path

    yield from walk(folder)


def note_files(folder: Path, glob: str, exclude: tuple[Path, ...] = ()) -> Iterator[tuple[str, Path]]:
    """(relative path, path) of the files the glob selects below ``folder``, cheaply: for counts and digests."""
    for current, folders, files in os.walk(folder):
        folders[:] = sorted(f for f in folders if (Path(current) / f).resolve() not in exclude)
        for name in sorted(files):
            path = Path(current) / name
            relative = path.relative_to(folder).as_posix()
            if _matches(relative, glob):
                yield relative, path


def folder_fingerprint(folder: Path, glob: str, exclude: tuple[Path, ...] = ()) -> str:
    """A digest of every note file's relative path, size and mtime below ``folder``: equal digests, same inputs."""
    digest = hashlib.sha256()
    for relative, path in note_files(folder, glob, exclude):
        try:
            info = path.stat()
            stamp = f"{info.st_size}\0{info.st_mtime_ns}"
        except OSError as exc:
            stamp = f"error {exc.errno}"
        digest.update(f"{relative}\0{stamp}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()
