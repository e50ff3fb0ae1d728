"""Django's PostgreSQL backend with its psycopg pool, answering at once while the server refuses connections.

psycopg's pool opens connections in background workers and lets a caller wait its whole `timeout` for one,
whether the server answers or refuses: during an outage every request would wait that long. Once the pool has
failed a caller, the next callers try one direct connection instead, which fails at once when the server refuses
it (within `connect_timeout` when it does not answer) and, when it succeeds, ends the outage: the pool drops the
connections the outage broke and serves again.
"""

from django.db.backends.postgresql import base
from psycopg_pool import PoolTimeout


class DatabaseWrapper(base.DatabaseWrapper):
    # Aliases whose pool failed its last caller, per process (like the pools themselves).
    _unreachable: set[str] = set()

    def get_new_connection(self, conn_params):
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
