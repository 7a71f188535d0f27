"""The audit history's tables as text or CSV (`notecheck history`), and the words the report page shares with them,
so the page and the command never show two figures for one rate."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import TextIO

from ..models import GroupRates, Tally, Transition, Trends
from .table import csv_cell

TABLES = ("nights", "groups", "transitions")
NIGHT_COLUMNS = ["night", "runs", "notes", "complete", "incomplete", "review", "share_complete", "not_applicable",
                 "error_rows"]
GROUP_COLUMNS = ["field", "value", "notes", "complete", "share_complete", "most_missing", "most_missing_notes",
                 "previous_notes", "previous_share_complete", "change_points"]


def percent(share: float | None) -> str:
    """A rate as the page and the text show it: one decimal, '-' where there is no applicable note."""
    return "-" if share is None else f"{share:.1%}"


def change_points(group: GroupRates) -> float | None:
    """The change in share complete against the previous period, in percentage points; None without both."""
    now, before = group.current.share_complete, group.previous.share_complete
    return None if now is None or before is None else round((now - before) * 100, 1)


def change_words(group: GroupRates) -> str:
    points = change_points(group)
    if points is None:
        return "new" if group.previous.applicable == 0 else "-"
    return f"{points:+.1f} pts"


def missing_words(group: GroupRates, labels: dict[str, str]) -> str:
    if group.top_missing is None:
        return "none"
    label = labels.get(group.top_missing, group.top_missing.replace("_", " "))
    return f"{label} ({group.top_missing_notes} of {group.current.applicable})"


def period_words(trends: Trends) -> str:
    """The period, its notes and what was left out of the rates, in one line."""
    tally = trends.period
    return (f"{trends.start} to {trends.end}: {tally.runs} runs, {tally.applicable} applicable notes, "
            f"{percent(tally.share_complete)} complete; left out of the rates: {tally.not_applicable} not "
            f"applicable, {tally.error_rows} error rows")


def night_rows(trends: Trends) -> list[list[object]]:
    return [[n.night, n.runs, n.applicable, n.complete, n.incomplete, n.review, n.share_complete, n.not_applicable,
             n.error_rows] for n in trends.nights]


def group_rows(trends: Trends, labels: dict[str, str]) -> list[list[object]]:
    return [[name, g.value, g.current.applicable, g.current.complete, g.current.share_complete,
             labels.get(g.top_missing, g.top_missing) if g.top_missing else None, g.top_missing_notes,
             g.previous.applicable, g.previous.share_complete, change_points(g)]
            for name, groups in trends.groups.items() for g in groups]


def transition_columns(trends: Trends) -> list[str]:
    return ["change", "source", "note_id", *trends.groups, "before", "before_night", "after", "after_night"]


def transition_rows(trends: Trends) -> list[list[object]]:
    def row(change: str, t: Transition) -> list[object]:
        return [change, t.source, t.note_id, *(t.groups.get(name, "") for name in trends.groups), t.before,
                t.before_night, t.after, t.after_night]

    return [row("to complete", t) for t in trends.improved] + [row("to not complete", t) for t in trends.regressed]


def write_trend_csv(trends: Trends, table: str, labels: dict[str, str], out: TextIO) -> None:
    """One table as CSV, rates as fractions (0.6667), cells from the input neutralised against formulas."""
    columns, rows = {"nights": (NIGHT_COLUMNS, night_rows(trends)),
                     "groups": (GROUP_COLUMNS, group_rows(trends, labels)),
                     "transitions": (transition_columns(trends), transition_rows(trends))}[table]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(round(cell, 4) if isinstance(cell, float) else "" if cell is None else cell)
                         for cell in row])


def _aligned(header: list[str], rows: list[list[str]]) -> Iterator[str]:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    for cells in (header, *rows):
        yield "  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip() + "\n"


def _tally_cells(tally: Tally) -> list[str]:
    return [str(tally.applicable), str(tally.complete), percent(tally.share_complete)]


def iter_text(trends: Trends, labels: dict[str, str], tables: tuple[str, ...] = TABLES) -> Iterator[str]:
    """The tables a QA lead reads, as aligned text; rates as the report page shows them."""
    yield f"Period {period_words(trends)}\n"
    yield f"Previous period {trends.previous_start} to {trends.previous_end}: {trends.previous.runs} runs\n"
    if "nights" in tables:
        yield "\nShare of applicable notes complete, per night\n"
        yield from _aligned(["night", "runs", "notes", "complete", "share", "incomplete", "review",
                             "not applicable", "error rows"],
                            [[n.night, str(n.runs), *_tally_cells(n), str(n.incomplete), str(n.review),
                              str(n.not_applicable), str(n.error_rows)] for n in trends.nights])
    for name, groups in trends.groups.items() if "groups" in tables else ():
        yield f"\nBy {name} (applicable notes; not-applicable notes and error rows are left out)\n"
        yield from _aligned([name, "notes", "complete", "share", "most often missing", "previous notes",
                             "previous share", "change"],
                            [[g.value, *_tally_cells(g.current), missing_words(g, labels), str(g.previous.applicable),
                              percent(g.previous.share_complete), change_words(g)] for g in groups])
    if "transitions" in tables:
        for title, changes in (("Turned complete (an addendum landed)", trends.improved),
                               ("Turned back to not complete", trends.regressed)):
            yield f"\n{title}: {len(changes)}\n"
            if changes:
                yield from _aligned(["source", "note", *trends.groups, "before", "on", "after", "on"],
                                    [[t.source, t.note_id, *(t.groups.get(n, "") for n in trends.groups), t.before,
                                      t.before_night, t.after, t.after_night] for t in changes])
