"""One small exception hierarchy; the CLI maps it to exit codes in one place."""

from __future__ import annotations

import errno
import re

_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EPIPE, errno.EFBIG,
                      errno.EIO}
"""OSErrors that say what the machine lacks (space, write access, a reader on the pipe), not what our code got
wrong: one line and exit 2, never 'a bug'."""


def printable(text: str) -> str:
    """One line a terminal shows as written: control characters (a file name may hold ESC sequences or line
    breaks that would forge lines) and bidirectional overrides are shown escaped, as Python writes them."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text)


class NotecheckError(Exception):
    """Base of every error a user can act on without reading our source."""

    exit_code = 2


class PatternError(NotecheckError):
    """A pattern file is missing or malformed; the message lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid pattern files:\n  " + "\n  ".join(problems))


class InputError(NotecheckError):
    """A note could not be read; the message names the file and the problem in one line."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class NoteTooLong(NotecheckError):
    """A note too long for the pipeline, as written or once normalised; the message gives sizes, never text."""
