"""The gunicorn worker class of the service (config/gunicorn.conf.py): gthread, with connections spread evenly.

gunicorn's threaded worker accepts every connection it can, and a kept-alive connection then stays with the worker
that accepted it. A client that opens its connections at once (a proxy's upstream pool, a load generator) leaves
most of them on whichever worker woke first: measured on 2 cores, 16 connections over 4 workers ended as 9, 3, 4
and 0, and under a PATCH load as all 16 on one worker — one core busy, the other idle, half the throughput.

`BalancedThreadWorker` accepts a connection only while it holds fewer than its fair share of the connections all
workers hold (rounded up, counting the new one); otherwise it leaves the connection to a worker below its share
for `RETRY_SECONDS`, and takes it anyway once it has left connections waiting for `MAX_WAIT_SECONDS`, so that no
connection waits on the balance longer than that. The workers' connection counts are on a board of shared memory
that the master maps before it forks them: each worker writes its own slot, the master frees a slot when its worker
exits (`release`, from the `child_exit` hook).

With one thread (`GUNICORN_THREADS=1`, the default) the worker serves each request on its main loop, as the sync
worker does, but keeps connections alive: gthread would hand every request to its one pool thread and take the
connection back through a pipe, two thread switches per request for no concurrency. Each turn of the loop first
takes every waiting connection its share allows, then serves every connection that is ready, in turn; a new
connection with nothing to read yet waits on the poller. A request holds the worker while it runs (gunicorn
restarts a worker silent for its `timeout`), as with sync workers.
"""

import mmap
import struct
import time
from collections import deque
from concurrent import futures

from gunicorn.workers import gthread
from gunicorn.workers.gthread import ThreadWorker

RETRY_SECONDS = 0.001
MAX_WAIT_SECONDS = 0.01
SLOTS = 128
_FREE = -1
_slot = struct.Struct("i")
_board = mmap.mmap(-1, SLOTS * _slot.size)  # anonymous and shared: inherited by every worker the master forks
for _index in range(SLOTS):
    _slot.pack_into(_board, _index * _slot.size, _FREE)
_claimed: set[int] = set()  # the master's record of the slots its workers hold


def _counts() -> list[int]:
    return [count for (count,) in _slot.iter_unpack(_board) if count != _FREE]


class BalancedThreadWorker(ThreadWorker):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Built by the master before it forks the worker: the slot is chosen there, where it knows every worker.
        free = [index for index in range(SLOTS) if index not in _claimed]
        self.slot = free[0] if free else None  # past SLOTS workers: accepts as gthread does
        if self.slot is not None:
            _claimed.add(self.slot)
            _slot.pack_into(_board, self.slot * _slot.size, 0)
        self._paused_until = 0.0
        self._declined_since: float | None = None

    def init_process(self) -> None:
        self.inline = self.cfg.threads == 1
        self._ready: deque = deque()
        self._serving = False
        super().init_process()

    def enqueue_req(self, conn) -> None:
        """With one thread, requests are served on the main thread itself: gthread would hand each to its one
        pool thread and take the connection back through a pipe — two thread switches per request, for no
        concurrency. A new connection with nothing to read yet waits on the poller, not on this thread. A
        connection that is ready again at once (a pipelined request) is served after the current one, in the same
        loop rather than by recursion."""
        if not self.inline:
            super().enqueue_req(conn)
            return
        self._ready.append(conn)
        if not self._serving:
            self._serve_ready()

    def _serve_ready(self) -> None:
        self._serving = True
        try:
            while self._ready:
                conn = self._ready.popleft()
                done: futures.Future = futures.Future()
                if not conn.initialized and not conn.wait_for_data(0):
                    done.set_result(gthread._DEFER)
                else:
                    done.set_result(self.handle(conn))
                self.finish_request(conn, done)
        finally:
            self._serving = False

    def release(self) -> None:
        """Frees the worker's slot (in the master, once the worker has exited)."""
        if self.slot is not None:
            _slot.pack_into(_board, self.slot * _slot.size, _FREE)
            _claimed.discard(self.slot)
            self.slot = None

    def _publish(self) -> None:
        if self.slot is not None:
            _slot.pack_into(_board, self.slot * _slot.size, self.nr_conns)

    def _my_turn(self, now: float) -> bool:
        if self.slot is None:
            return True
        if self._declined_since is not None and now - self._declined_since >= MAX_WAIT_SECONDS:
            return True
        counts = _counts()
        share = -(-(sum(counts) + 1) // max(len(counts), 1))
        return self.nr_conns < share

    def accept(self, listener):
        now = time.monotonic()
        self._publish()
        if not self._my_turn(now):
            if self._declined_since is None:
                self._declined_since = now
            self._paused_until = now + RETRY_SECONDS
            super().set_accept_enabled(False)
            return
        self._declined_since = None
        while True:
            before = self.nr_conns
            super().accept(listener)
            self._publish()
            # With one thread, every connection waiting that this worker's share allows is taken before any
            # request is served: served in between, each would wait for the requests of those accepted before it.
            if not self.inline or self.nr_conns == before or not self._my_turn(time.monotonic()):
                break

    def set_accept_enabled(self, enabled):
        # The main loop asks to accept again on each turn: not before the pause is over.
        if enabled and time.monotonic() < self._paused_until:
            enabled = False
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout):
        self._publish()
        paused = self._paused_until - time.monotonic()
        if paused > 0 and not self._accepting:  # wake when the pause ends, to accept again
            timeout = min(timeout, paused)
        if not self.inline:
            super().wait_for_and_dispatch_events(timeout)
            return
        # One turn with one thread: the listeners' events first (new connections are taken), then every
        # connection that is ready is served, in the order it became ready.
        try:
            events = self.poller.select(timeout)
        except InterruptedError:
            return
        self._serving = True
        try:
            for key, _ in sorted(events, key=lambda event: event[0].fileobj not in self.sockets):
                key.data(key.fileobj)
        finally:
            self._serving = False
        self._serve_ready()
