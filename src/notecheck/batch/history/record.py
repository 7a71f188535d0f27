"""What the commands call: check a history before a run, append a run and read its trends in one transaction,
read the trends of a history for `notecheck history`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager

from ...errors import NotecheckError
from ...models import AuditRow, Trends
from .store import (HistorySettings, RunRecord, check_ids, connect, ids_hashed, insert_run, migrate, recorded,
                    transaction)
from .trends import compute_trends, parse_night


def prepare(settings: HistorySettings) -> None:
    """Refuse a history the run could not be appended to, before the run: a folder, another program's database,
    a newer schema, an unwritable file. Upgrades an older schema. Holds no connection afterwards."""
    if settings.run_date:
        parse_night(settings.run_date, "--run-date")
    key = settings.key()
    with closing(connect(settings.path, settings.wait)) as connection:
        migrate(connection, settings.path, settings.wait)
        check_ids(connection, settings.path, key)


@contextmanager
def recording(settings: HistorySettings, run: RunRecord, rows: Iterable[AuditRow]) -> Iterator[Trends]:
    """Append the run and give its trends; the caller writes the page inside the block. One transaction: if the
    block raises or the process is killed, the history is as it was. A run already recorded (a --resume after the
    append) is not appended again."""
    key = settings.key()
    with closing(connect(settings.path, settings.wait)) as connection:
        migrate(connection, settings.path, settings.wait)
        with transaction(connection, settings.path, settings.wait):
            check_ids(connection, settings.path, key, claim=True)
            if not recorded(connection, run.uid):
                insert_run(connection, run, rows, key)
            trends = compute_trends(connection, end=run.run_date, nights=settings.nights, fields=run.group_by)
            yield trends.model_copy(update={"ids_hashed": key is not None})


def read_trends(settings: HistorySettings, since: str | None = None, until: str | None = None,
                fields: tuple[str, ...] | None = None) -> Trends:
    """The trends of an existing history, for `notecheck history`."""
    for value, option in ((since, "--since"), (until, "--until")):
        if value:
            parse_night(value, option)  # a mistyped date is said as such, before the file is opened
    with closing(connect(settings.path, settings.wait, create=False)) as connection:
        migrate(connection, settings.path, settings.wait)
        if connection.execute("SELECT count(*) FROM runs").fetchone()[0] == 0:
            raise NotecheckError(f"{settings.path}: the history holds no run yet")
        trends = compute_trends(connection, end=until, nights=settings.nights, since=since, fields=fields)
        return trends.model_copy(update={"ids_hashed": ids_hashed(connection)})
