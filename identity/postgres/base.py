"""Django's PostgreSQL backend with its psycopg pool, answering at once while the server refuses connections.

psycopg's pool opens connections in background workers and lets a caller wait its whole `timeout` for one,
whether the server answers or refuses: during an outage every request would wait that long. Once the pool has
failed a caller, the next callers try one direct connection instead, which fails at once when the server refuses
it (within `connect_timeout` when it does not answer) and, when it succeeds, ends the outage: the pool drops the
connections the outage broke and serves again.
"""

import datetime
import select
import threading
import time

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq
from psycopg_pool import ConnectionPool, PoolTimeout

_TIMESTAMPTZ_OID = psycopg.adapters.types["timestamptz"].oid
# psycopg's own loader of `timestamptz` text: the compiled one where psycopg has its C implementation (about 0.4 µs a
# value against Django's 3.8, which parses in Python and then replaces the time zone).
_TIMESTAMPTZ_LOADER = psycopg.adapters.get_loader(_TIMESTAMPTZ_OID, pq.Format.TEXT)

# How long a thread keeps the pooled connection it took across its requests before it hands it back at the end of
# one (see DatabaseWrapper.close_if_unusable_or_obsolete).
HOLD_SECONDS = 5.0


def _ended(conn) -> bool:
    """True when the idle connection `conn` has something to read (the server has ended it: a restart, a terminated
    backend, a proxy that closed), is closed, or is not in a good state."""
    try:
        readable = bool(select.select([conn.fileno()], [], [], 0)[0])
    except (OSError, ValueError):
        readable = True
    return readable or conn.closed or conn.pgconn.status != pq.ConnStatus.OK


def check_pooled_connection(conn) -> None:
    """The pool's check before it hands out a connection, without a round trip for one that is plainly fine.

    An idle connection has nothing to read: when its socket is readable, the server has ended it (a restart, a
    terminated backend, a proxy that closed) and psycopg's own check (an empty query) raises, so the pool drops
    it. Otherwise the connection is handed out as it is, saving one round trip per request.
    """
    if _ended(conn):
        ConnectionPool.check_connection(conn)


class DatabaseWrapper(base.DatabaseWrapper):
    # Aliases whose pool failed its last caller, per process (like the pools themselves).
    _unreachable: set[str] = set()
    _held_until = 0.0  # time.monotonic() until which the connection may stay with its thread between requests

    @property
    def pool(self):
        pool = super().pool
        # CONN_HEALTH_CHECKS gives the pool psycopg's check (a round trip per checkout): the same, only when needed.
        if pool is not None and getattr(pool, "_check", None) is ConnectionPool.check_connection:
            pool._check = check_pooled_connection
        return pool

    def create_cursor(self, name=None):
        """Django's cursor, with psycopg's own `timestamptz` loader where it gives what Django's does.

        Django loads `timestamptz` with a loader of its own that parses the text in Python and then sets the
        connection's time zone on the result. psycopg's loader (compiled) gives the same value, an aware datetime in
        `datetime.timezone.utc`, when the session's TimeZone is `UTC` (Django sets it so at connect time) and Django
        wants UTC: those cursors take it. Server-side (named) cursors keep Django's loader."""
        cursor = super().create_cursor(name)
        if (
            name is None
            and self.timezone is datetime.UTC
            and self.connection.info.parameter_status("TimeZone") == "UTC"
        ):
            cursor.adapters.register_loader(_TIMESTAMPTZ_OID, _TIMESTAMPTZ_LOADER)
        return cursor

    def close_if_unusable_or_obsolete(self):
        """Django's rule (called as each request starts and ends), except that a pooled connection in good order
        stays with its thread for the next request instead of going back to the pool after each one.

        Django hands a pooled connection back at the end of every request and takes one again at the next query:
        about 50 µs of CPU per request that queries (the pool's lock and bookkeeping, the session's set-up). Kept:
        a connection idle outside any transaction, with no error since its last use, in Django's autocommit
        setting, whose server has not ended it (`_ended`, the pool's check without a round trip), and taken less than
        HOLD_SECONDS ago: after that it goes back at the end of a request, so that the pool still ages and replaces
        its connections. Only the main thread keeps one (a worker with one thread serves its requests on it,
        config/workers.py): a connection kept by a thread that then ends would be lost to the pool. Anything else
        goes to Django's rule, which hands it back (or drops it)."""
        conn = self.connection
        if (
            conn is not None
            and self.pool is not None
            and threading.current_thread() is threading.main_thread()
            and not self.errors_occurred
            and not self.in_atomic_block
            and self.autocommit == self.settings_dict["AUTOCOMMIT"]
            and time.monotonic() < self._held_until
            and conn.pgconn.transaction_status == pq.TransactionStatus.IDLE
            and not _ended(conn)
        ):
            self.health_check_done = False
            return
        super().close_if_unusable_or_obsolete()

    def get_new_connection(self, conn_params):
        self._held_until = time.monotonic() + HOLD_SECONDS
        if self.pool is None:
            return super().get_new_connection(conn_params)
        if self.alias in self._unreachable:
            self.Database.connect(**conn_params).close()  # raises while the server is still unreachable
            self._unreachable.discard(self.alias)
            self.pool.check()
        try:
            return super().get_new_connection(conn_params)
        except PoolTimeout:
            self._unreachable.add(self.alias)
            raise
