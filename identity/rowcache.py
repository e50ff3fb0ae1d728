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

A write of this process can keep its row instead of evicting it (`expect` … `written`): the UPDATE returns the row
it committed, and when that very change's notification arrives — the first one for the row from the backend that
ran the statement, in the listening session current when it was expected — the returned row is put in the cache
instead of being evicted, exactly where in the order of changes a fresh read would have seen it. Anything else
evicts as before: another session's change, a notification that arrived before the row was handed over, a write
whose statement failed (`cancel`), an expectation older than `EXPECT_SECONDS` or from an earlier listening session.
"""

import threading
import time
import uuid

from django.conf import settings
from django.db import connections

from identity.bounded import BoundedMap
from identity.postgres.changes import NOTIFIED_TABLES, ChangeFeed

_rows: dict[str, BoundedMap] = {table: BoundedMap(0) for table in NOTIFIED_TABLES}  # sized by ROW_CACHE_SIZE
_lock = threading.Lock()
# A write's notification reaches this process at its next fence (or the feed's idle read, within a quarter of a
# second): an expectation still unmet after this long is void.
EXPECT_SECONDS = 2.0
# At most this many writes awaited at once (each is met or void within EXPECT_SECONDS); past it every one is dropped.
MAX_EXPECTED = 256


class Expected:
    """A write of this process whose row may be kept when its notification arrives (see the module docstring)."""

    __slots__ = ("table", "pk", "session", "pid", "row", "until", "spoiled")

    def __init__(self, table: str, pk, session: int):
        self.table, self.pk, self.session = table, pk, session
        self.pid: int | None = None  # the backend that ran the statement, with the row it returned (`written`)
        self.row: tuple | None = None
        self.until = 0.0
        self.spoiled = False  # a notification for the row arrived before the row was handed over


_expected: dict[tuple[str, object], list[Expected]] = {}


def _connect_params() -> dict:
    return connections["default"].get_connection_params()


feed = ChangeFeed(_connect_params)


def _evict(table: str, row_id: str | None, pid: int) -> None:
    with _lock:
        if table == "*":
            for rows in _rows.values():
                rows.clear()
            _expected.clear()
        elif table in _rows:
            rows = _rows[table]
            if row_id is None:
                rows.clear()
                for key in [key for key in _expected if key[0] == table]:
                    del _expected[key]
            else:
                try:
                    pk = uuid.UUID(row_id)
                except ValueError:
                    rows.clear()
                    return
                row = _met(table, pk, pid)
                if row is None:
                    rows.pop(pk, None)
                else:
                    _keep(rows, pk, row)


def _met(table: str, pk, pid: int) -> tuple | None:
    """The row of this process's write that this notification (of `pid`'s change to the row) announces, if any;
    every expectation of the row not yet handed its row is spoiled (the caller holds the lock)."""
    waiting = _expected.get((table, pk))
    if not waiting:
        return None
    met = None
    for entry in waiting:
        if entry.pid is None:
            entry.spoiled = True
        elif met is None and entry.pid == pid:
            met = entry
    if met is None:
        return None
    waiting.remove(met)
    if not waiting:
        del _expected[(table, pk)]
    if met.session != feed.session or time.monotonic() > met.until:
        return None
    return met.row


def _keep(rows: BoundedMap, pk, row: tuple) -> None:
    rows.keep(pk, row, size=settings.ROW_CACHE_SIZE)


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


def expect(table: str, pk, alias: str = "default") -> Expected | None:
    """Before a write of the row `pk` of `table` that will return the row it commits: the expectation to hand to
    `written` (or `cancel`), or None when the cache cannot take the row (the write evicts it as usual)."""
    if table not in _rows or not usable(alias):
        return None
    session = feed.listening_session()
    if session is None:
        return None
    entry = Expected(table, pk, session)
    with _lock:
        if sum(len(waiting) for waiting in _expected.values()) >= MAX_EXPECTED:
            _expected.clear()
        _expected.setdefault((table, pk), []).append(entry)
    return entry


def written(entry: Expected | None, pid: int, row: tuple) -> None:
    """The write of `entry` committed `row`, in the session of backend `pid`: kept when its notification arrives."""
    if entry is None:
        return
    with _lock:
        waiting = _expected.get((entry.table, entry.pk))
        if waiting is None or entry not in waiting:
            return  # its notification (or a reset of the feed) came first: the row was evicted
        if entry.spoiled:
            _drop(entry, waiting)
            return
        entry.pid, entry.row, entry.until = pid, row, time.monotonic() + EXPECT_SECONDS


def cancel(entry: Expected | None) -> None:
    """The write of `entry` failed: nothing of it is kept."""
    if entry is None:
        return
    with _lock:
        waiting = _expected.get((entry.table, entry.pk))
        if waiting is not None and entry in waiting:
            _drop(entry, waiting)


def _drop(entry: Expected, waiting: list) -> None:
    waiting.remove(entry)
    if not waiting:
        del _expected[(entry.table, entry.pk)]


def lookup(table: str, pk) -> tuple | None:
    return _rows[table].get(pk)


def store(table: str, pk, row: tuple, read_at: int) -> None:
    """Keeps the row read under generation `read_at`, unless a change was notified since (it may predate the
    read's snapshot or not: the row is not kept either way)."""
    rows = _rows[table]
    with _lock:
        if feed.generation != read_at:
            return
        _keep(rows, pk, row)
