"""PostgreSQL backend that fails fast while the server is unreachable, and a way for long commands to wait longer."""

from contextlib import contextmanager

from django.db import connection


@contextmanager
def statement_timeout(seconds: float | None):
    """Runs the block with another `statement_timeout`/`lock_timeout` (None or 0: none) on PostgreSQL.

    Every connection starts with `DATABASE_STATEMENT_TIMEOUT`; a command whose statements legitimately take
    longer (an import, a backfill) raises it for its own work only. Elsewhere than PostgreSQL, nothing changes.
    """
    if connection.vendor != "postgresql":
        yield
        return
    milliseconds = int((seconds or 0) * 1000)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, false), set_config('lock_timeout', %s, false)",
            [str(milliseconds), str(milliseconds)],
        )
    try:
        yield
    finally:
        # Back to the connection's start-up values (the pool hands the connection on).
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout; RESET lock_timeout")
