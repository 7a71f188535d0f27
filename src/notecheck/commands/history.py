"""`notecheck history FILE`: the trends an audit history holds, as text or CSV, for a terminal or a spreadsheet."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from ..batch.history import HistorySettings, read_trends
from ..outputs.trends_text import TABLES, iter_text, write_trend_csv
from ..rules import load_patterns


def history(path: Path, since: str | None = None, until: str | None = None, nights: int = 30,
            group_by: tuple[str, ...] | None = None, fmt: str = "text", table: str | None = None,
            patterns: str | None = None, out: TextIO = sys.stdout) -> int:
    """Print the period's nightly rates, rates per --group-by value against the previous period, and the notes
    whose verdict changed: the tables of the report page's trend section. Exit 0, or 2 for a bad file or date."""
    trends = read_trends(HistorySettings(path, nights=nights), since=since, until=until, fields=group_by)
    labels = {element: rule.label for element, rule in load_patterns(patterns).elements.items()}
    if fmt == "csv":
        write_trend_csv(trends, table or "groups", labels, out)
    else:
        out.writelines(iter_text(trends, labels, (table,) if table else TABLES))
    return 0
