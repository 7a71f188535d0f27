"""One small exception hierarchy; the CLI maps it to exit codes in one place."""

from __future__ import annotations


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
