"""The change feed: PostgreSQL tells every worker process which rows changed, as the change commits.

A trigger on each table of `NOTIFIED_TABLES` (migration identity 0002) sends `pg_notify(CHANNEL, '<table>:<id>')`
for every updated or deleted row, and `'<table>:*'` when the table is truncated. PostgreSQL delivers a notification
only when its transaction commits, to every session listening at that moment.

Each process keeps one listening session. Whoever serves from a cache calls `fence()` first: a round trip on the
listening session, after which every change committed before the call has been handed to the subscribers —
PostgreSQL signals the listening sessions before the writer's commit returns, and a session sends the
notifications it was signalled for before it answers the next command on it. A request that arrives after a
change's commit returned (anywhere: another worker, another host, a SQL console) therefore never sees the old row.
`fence()` answers None — read the database — while the feed is not connected or its session does not answer the
empty query as it should (an ended session answers with its error), and the generation otherwise, which a
reader gives back when it stores what it read, so that a row read before a change and stored after the change's
notification is dropped (`generation` moves with every delivery).

The fences hand what arrived to the subscribers (identity.rowcache evicts the row). A daemon thread does the same
when no fence has for `IDLE_SECONDS`, so that an idle process keeps the server's notification queue short; it
starts lazily in each process (after gunicorn's fork), reconnects every `RECONNECT_SECONDS` while the server is
unreachable (emptying the subscribers when it is back: what changed meanwhile is unknown), and checks the session
every `KEEPALIVE_SECONDS` while nothing arrives (docs/architecture.md, "The row cache").
"""

import logging
import os
import select
import threading
import time
from collections.abc import Callable

import psycopg
from psycopg import generators, pq

logger = logging.getLogger(__name__)

CHANNEL = "identity_row_changed"
NOTIFIED_TABLES = frozenset(
    {
        "users_user",
        "companies_company",
        "org_organizationunit",
        "org_position",
        "partners_customer",
        "partners_subcontractor",
    }
)
KEEPALIVE_SECONDS = 10.0
IDLE_SECONDS = 0.25
RECONNECT_SECONDS = 1.0
FENCE_SECONDS = 2.0
# The keyword arguments of psycopg.connect that name the server and the credentials.
_CONNECT_KEYS = ("dbname", "user", "password", "host", "port", "sslmode", "sslrootcert", "sslcert", "sslkey")

# (table or "*" for every table, row id or None for every row, the backend pid of the session that made the change:
# 0 for the feed's own "*")
Subscriber = Callable[[str, str | None, int], None]


class ChangeFeed:
    def __init__(self, connect_params: Callable[[], dict]):
        self._connect_params = connect_params
        self._subscribers: list[Subscriber] = []
        self._pid: int | None = None
        self._start_lock = threading.Lock()
        self._lock = threading.Lock()  # one user of the listening session at a time
        self._conn: psycopg.Connection | None = None
        self._received: list[tuple[int, str]] = []  # (notifying backend's pid, payload)
        self._broken = False
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = -1, -1
        self.generation = 0
        self.session = 0  # moves with every new listening session: what was expected of an earlier one is void
        self._fenced_at = 0.0  # time.monotonic() of the last fence
        self.connected = threading.Event()

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def fence(self) -> int | None:
        """After this returns a generation, every change committed before the call has reached the subscribers;
        None while the feed is not connected (the database must be read)."""
        if self._pid != os.getpid():
            self._start()
            return None
        conn = self._conn
        if conn is None or self._broken:
            return None
        with self._lock:
            if self._conn is not conn or self._broken:
                return None
            try:
                conn.pgconn.send_query(b"")
                results = conn.wait(generators.execute(conn.pgconn), timeout=FENCE_SECONDS)
                # A session the server ended answers with its error, not the empty query's result: no fence.
                if [result.status for result in results] != [pq.ExecStatus.EMPTY_QUERY]:
                    raise psycopg.OperationalError(
                        f"the empty query answered {results[-1].error_message!r}"
                        if results
                        else "the empty query had no answer"
                    )
            except Exception as exc:  # psycopg.Error, its wait timeout, OSError: the session is no longer usable
                self._break(f"fence failed: {exc!r}")
                return None
            self._deliver()
            self._fenced_at = time.monotonic()
            return self.generation

    def listening_session(self) -> int | None:
        """The current listening session's number while it is connected in this process, else None: every change
        committed from now on reaches the subscribers with that session's number in `session`."""
        if self._pid != os.getpid() or self._conn is None or self._broken:
            return None
        return self.session

    def stop(self) -> None:
        """Ends this process's listening session (and its thread); the next `fence()` starts it again."""
        thread = self._thread
        if thread is None or self._pid != os.getpid():
            return
        self._stopped.set()
        os.write(self._wake_w, b"x")
        thread.join(10)
        self._pid, self._thread = None, None

    # --- the listening thread -----------------------------------------------------------
    def _start(self) -> None:
        with self._start_lock:
            if self._pid == os.getpid():
                return
            # In a forked child the parent's thread and session do not exist: start afresh.
            self._pid = os.getpid()
            self._lock = threading.Lock()
            self._conn, self._received, self._broken = None, [], False
            self.session += 1
            self._stopped = threading.Event()
            self.connected = threading.Event()
            self._wake_r, self._wake_w = os.pipe()  # written by stop() and _break(): the thread wakes at once
            self._thread = threading.Thread(target=self._run, name="identity-change-feed", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        failures = 0
        while not self._stopped.is_set():
            try:
                self._listen()
            except (psycopg.Error, OSError) as exc:
                # Once per outage (then at debug level while it lasts).
                level = logging.WARNING if failures == 0 or self.connected.is_set() else logging.DEBUG
                logger.log(level, "Change feed disconnected, the row cache is off until it is back: %s", exc)
                failures = 0 if self.connected.is_set() else failures + 1
            finally:
                self._disconnect()
            self._stopped.wait(RECONNECT_SECONDS)
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _listen(self) -> None:
        params = {key: value for key, value in self._connect_params().items() if key in _CONNECT_KEYS and value}
        conn = psycopg.connect(
            **params,
            autocommit=True,
            connect_timeout=5,
            application_name="identity-change-feed",
            keepalives=1,
            keepalives_idle=30,
        )
        conn.add_notify_handler(lambda notify: self._received.append((notify.pid, notify.payload)))
        conn.execute(f"LISTEN {CHANNEL}")
        with self._lock:
            self.session += 1
            self._received.append((0, "*"))  # whatever changed while the feed was away is unknown: start empty
            self._deliver()
            self._conn, self._broken = conn, False
        self.connected.set()
        pgconn, fd = conn.pgconn, conn.fileno()
        quiet_since = time.monotonic()
        while not self._stopped.is_set():
            # While requests arrive their fences read the session; this thread reads it only when none has for
            # IDLE_SECONDS. (Waiting on the session's socket would wake the thread on every fence's answer: two
            # thread switches per request, measured, for nothing the fence does not do itself.)
            if select.select([self._wake_r], [], [], IDLE_SECONDS)[0]:
                os.read(self._wake_r, 64)
                if self._broken:
                    raise psycopg.OperationalError("the listening session was given up")
                continue
            with self._lock:
                now = time.monotonic()
                if now - self._fenced_at < IDLE_SECONDS:
                    quiet_since = now
                    continue
                if select.select([fd], [], [], 0)[0]:
                    pgconn.consume_input()  # raises once the server has ended the session
                    while notify := pgconn.notifies():
                        self._received.append((notify.be_pid, notify.extra.decode()))
                    quiet_since = now
                elif now - quiet_since >= KEEPALIVE_SECONDS:
                    conn.execute("SELECT 1")  # a dead session raises here; what arrives meanwhile goes to the handler
                    quiet_since = now
                self._deliver()

    def _deliver(self) -> None:
        """Hands what was received to the subscribers (the caller holds the lock)."""
        if not self._received:
            return
        received, self._received = self._received, []
        self.generation += 1
        for pid, payload in received:
            table, _, row_id = payload.partition(":")
            for subscriber in self._subscribers:
                subscriber(table, None if row_id in ("", "*") else row_id, pid)
        self.generation += 1

    def _break(self, reason: str) -> None:
        logger.warning("Change feed: %s", reason)
        self._broken = True
        os.write(self._wake_w, b"x")

    def _disconnect(self) -> None:
        with self._lock:
            self.connected.clear()
            conn, self._conn, self._broken = self._conn, None, True
            self._received = []
            self.session += 1
        if conn is not None:
            try:
                conn.close()
            except psycopg.Error:
                pass
