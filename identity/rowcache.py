"""The row cache: per process, the rows the by-id hot path read, kept current by the change feed.

Every request reads the caller's user, and every by-id GET its path object, by primary key
(`CompanyScopedQuerySet.get_in_company`). Both are served from here when the row was read before and has not changed
since: the change feed (identity.postgres.changes) evicts a row from every process as its update or delete commits,
and each request first takes one fence on the feed (`fence()`, one empty round trip on the listening session instead
of two primary-key reads), after which every change committed before the request is known to this process. A
deactivated or deleted user thus loses access at once, in every worker. The cache is used only where the feed can
vouch for it:
- on PostgreSQL with the feed connected; when it is down every read goes to the database, and the cache is emptied
  before it serves again;
- outside a transaction: a read inside one may have to see the transaction's own uncommitted writes (and tests
  run inside one);
- for tables with the feed's trigger (`NOTIFIED_TABLES`).
SQLite (development: one process, no feed) always reads the database. `ROW_CACHE_SIZE` (rows per table; 0 turns the
cache off) bounds the memory; past it the oldest row is dropped.
"""

import threading
import uuid

from django.conf import settings
from django.db import connections

from identity.postgres.changes import NOTIFIED_TABLES, ChangeFeed

_rows: dict[str, dict] = {table: {} for table in NOTIFIED_TABLES}
_lock = threading.Lock()


def _connect_params() -> dict:
    return connections["default"].get_connection_params()


feed = ChangeFeed(_connect_params)


def _evict(table: str, row_id: str | None) -> None:
    with _lock:
        if table == "*":
            for rows in _rows.values():
                rows.clear()
        elif table in _rows:
            rows = _rows[table]
            if row_id is None:
                rows.clear()
            else:
                try:
                    rows.pop(uuid.UUID(row_id), None)
                except ValueError:
                    rows.clear()


feed.subscribe(_evict)


def usable(alias: str) -> bool:
    """Whether reads on this database alias may be served from the cache now."""
    if not settings.ROW_CACHE_SIZE or alias != "default":
        return False
    connection = connections[alias]
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def fence(alias: str = "default") -> int | None:
    """The fence of a request (see the module's docstring): the generation to give to `get_in_company(fence=…)`
    for the reads of this request, or None when they must go to the database."""
    return feed.fence() if usable(alias) else None


def lookup(table: str, pk) -> tuple | None:
    return _rows[table].get(pk)


def store(table: str, pk, row: tuple, read_at: int) -> None:
    """Keeps the row read under generation `read_at`, unless a change was notified since (it may predate the
    read's snapshot or not: the row is not kept either way)."""
    rows = _rows[table]
    with _lock:
        if feed.generation != read_at:
            return
        if len(rows) >= settings.ROW_CACHE_SIZE:
            rows.pop(next(iter(rows)))
        rows[pk] = row
