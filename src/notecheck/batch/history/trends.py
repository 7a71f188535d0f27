"""Trends over the audit history: nightly rates, rates per provider or department against the previous period,
and the notes whose verdict changed.

A period counts each note once, by its latest verdict in it (a note audited every night is one note, not thirty);
a note is matched across runs by its source and id, except a fallback id (line-3), which only names a place in
one night's export. Review counts as not complete; not-applicable notes and error rows are counted apart.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from ...errors import NotecheckError
from ...models import GroupRates, NightTally, Tally, Transition, Trends
from ...rules import ELEMENT_IDS

NOT_COMPLETE = ("incomplete", "review")
NONE = "(none)"
"""The group of a note without the field, as in summary.json."""


@dataclass
class _Row:
    night: str
    key: tuple[object, ...]
    source: str
    note_id: str
    outcome: str
    missing: tuple[str, ...] = ()
    groups: dict[str, str] = field(default_factory=dict)


def parse_night(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise NotecheckError(f"{option} {value!r}: not a date (expected YYYY-MM-DD)") from None


def _rows(connection: sqlite3.Connection, first: str, last: str, fields: tuple[str, ...]) -> list[_Row]:
    """The rows of runs dated first..last, oldest first (by run date, then recording order, then position)."""
    groups: dict[tuple[int, int], dict[str, str]] = {}
    marks = ",".join("?" * len(fields))
    query = (f"SELECT m.run, m.position, m.field, m.value FROM metadata m JOIN runs r ON r.run = m.run "
             f"WHERE r.run_date BETWEEN ? AND ? AND m.field IN ({marks})")
    for run, position, name, value in connection.execute(query, (first, last, *fields)) if fields else ():
        groups.setdefault((run, position), {})[name] = value
    query = ("SELECT r.run_date, n.run, n.position, n.source, n.note_id, n.matched, n.outcome, "
             "(SELECT group_concat(element, ' ') FROM missing m WHERE m.run = n.run AND m.position = n.position) "
             "FROM notes n JOIN runs r ON r.run = n.run WHERE r.run_date BETWEEN ? AND ? "
             "ORDER BY r.run_date, n.run, n.position")
    return [_Row(night, (source, note_id) if matched else ("#", run, position), source, note_id, outcome,
                 tuple(sorted((missing or "").split())), groups.get((run, position), {}))
            for night, run, position, source, note_id, matched, outcome, missing
            in connection.execute(query, (first, last))]


def _latest(rows: Iterable[_Row]) -> tuple[Tally, dict[tuple[object, ...], _Row]]:
    """The period's tally, and each note's latest row with a verdict."""
    latest: dict[tuple[object, ...], _Row] = {}
    errors = 0
    for row in rows:
        if row.outcome == "error":
            errors += 1
        else:
            latest[row.key] = row
    counts = Counter(row.outcome for row in latest.values())
    return Tally(complete=counts["complete"], incomplete=counts["incomplete"], review=counts["review"],
                 not_applicable=counts["not_applicable"], error_rows=errors), latest


def _group_rates(name: str, current: dict[tuple[object, ...], _Row],
                 previous: dict[tuple[object, ...], _Row]) -> list[GroupRates]:
    """One field's values: applicable notes, share complete, the element most often missing, the period before."""
    def by_value(latest: dict[tuple[object, ...], _Row]) -> dict[str, list[_Row]]:
        values: dict[str, list[_Row]] = {}
        for row in latest.values():
            if row.outcome != "not_applicable":
                values.setdefault(row.groups.get(name, NONE), []).append(row)
        return values

    now, before = by_value(current), by_value(previous)
    rates = []
    for value, rows in now.items():
        missing = Counter(element for row in rows for element in row.missing)
        top = min(missing, key=lambda e: (-missing[e], _order(e)), default=None)
        rates.append(GroupRates(value=value, current=_latest(rows)[0], previous=_latest(before.get(value, []))[0],
                                top_missing=top, top_missing_notes=missing[top] if top else 0))
    return sorted(rates, key=lambda r: (-r.current.applicable, r.value))


def _order(element: str) -> tuple[int, str]:
    return (ELEMENT_IDS.index(element) if element in ELEMENT_IDS else len(ELEMENT_IDS), element)


def _transitions(rows: list[_Row], start: str) -> tuple[list[Transition], list[Transition]]:
    """Verdict changes of matched notes that land in the period, each against the note's verdict before."""
    last: dict[tuple[object, ...], _Row] = {}
    improved: list[Transition] = []
    regressed: list[Transition] = []
    for row in rows:
        if row.outcome == "error" or row.key[0] == "#":
            continue
        before = last.get(row.key)
        last[row.key] = row
        if before is None or row.night < start:
            continue
        if before.outcome in NOT_COMPLETE and row.outcome == "complete":
            improved.append(_transition(before, row))
        elif before.outcome == "complete" and row.outcome in NOT_COMPLETE:
            regressed.append(_transition(before, row))
    return improved, regressed


def _transition(before: _Row, after: _Row) -> Transition:
    return Transition(source=after.source, note_id=after.note_id, groups=after.groups, before=before.outcome,
                      before_night=before.night, after=after.outcome, after_night=after.night)


def compute_trends(connection: sqlite3.Connection, end: str | None = None, nights: int = 30,
                   since: str | None = None, fields: tuple[str, ...] | None = None) -> Trends:
    """The period ``since``..``end`` (default: the ``nights`` nights up to ``end``, itself by default the latest
    run date) against the period of the same length before it. ``fields`` are the --group-by fields to break rates
    down by (default: every field the period's runs recorded)."""
    last = parse_night(end, "--until") if end else _latest_night(connection)
    first = parse_night(since, "--since") if since else last - timedelta(days=nights - 1)
    if first > last:
        raise NotecheckError(f"--since {first} is after the last night {last}")
    span = last - first + timedelta(days=1)
    before_first, before_last = first - span, first - timedelta(days=1)
    if fields is None:
        fields = _recorded_fields(connection, first.isoformat(), last.isoformat())
    rows = _rows(connection, before_first.isoformat(), last.isoformat(), fields)
    start = first.isoformat()
    earlier = [row for row in rows if row.night < start]
    period = [row for row in rows if row.night >= start]
    runs = dict(connection.execute("SELECT run_date, count(*) FROM runs WHERE run_date BETWEEN ? AND ? "
                                   "GROUP BY run_date", (before_first.isoformat(), last.isoformat())).fetchall())
    tally, current = _latest(period)
    before, previous = _latest(earlier)
    improved, regressed = _transitions(rows, start)
    return Trends(
        start=start, end=last.isoformat(), previous_start=before_first.isoformat(),
        previous_end=before_last.isoformat(),
        nights=[NightTally(**_latest(of_night)[0].model_dump(exclude={"runs"}), night=night, runs=runs[night])
                for night, of_night in _by_night(period).items()],
        period=tally.model_copy(update={"runs": sum(n for d, n in runs.items() if d >= start)}),
        previous=before.model_copy(update={"runs": sum(n for d, n in runs.items() if d < start)}),
        groups={name: _group_rates(name, current, previous) for name in fields},
        improved=improved, regressed=regressed,
    )


def _by_night(rows: list[_Row]) -> dict[str, list[_Row]]:
    """Rows grouped by night, in night order (the rows come sorted)."""
    nights: dict[str, list[_Row]] = {}
    for row in rows:
        nights.setdefault(row.night, []).append(row)
    return nights


def _latest_night(connection: sqlite3.Connection) -> date:
    night = connection.execute("SELECT max(run_date) FROM runs").fetchone()[0]
    if night is None:
        raise NotecheckError("the history holds no run yet")
    return parse_night(night, "the latest run date")


def _recorded_fields(connection: sqlite3.Connection, first: str, last: str) -> tuple[str, ...]:
    """Every --group-by field a run of the period recorded, in the order first seen."""
    seen: dict[str, None] = {}
    for (names,) in connection.execute("SELECT group_by FROM runs WHERE run_date BETWEEN ? AND ? ORDER BY run",
                                       (first, last)):
        seen.update(dict.fromkeys(str(name) for name in json.loads(names)))
    return tuple(seen)
