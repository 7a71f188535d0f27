"""The audit's history: every run appended to an SQLite file, and the trends read back from it.

``schema`` holds the versioned tables and their migrations, ``store`` the file (opening, locking, appending a run),
``trends`` the rates a QA lead reads, ``record`` what the commands call. No note text and no metadata beyond the
run's --group-by fields is ever written. Like the rest of ``batch``, may import models, rules and errors.
"""

from .record import prepare, read_trends, recording
from .store import HistorySettings, RunRecord

__all__ = ["HistorySettings", "RunRecord", "prepare", "read_trends", "recording"]
