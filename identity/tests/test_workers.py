"""The worker class (config/workers.py): connections opened at once spread evenly over the workers and stay
served; a worker that exits frees its place on the board for the one that replaces it."""

import os
import signal
import socket
import time
from collections import Counter

import pytest

from identity.testing.live import gunicorn

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/net"), reason="reads /proc (Linux)")

WORKERS = 4
CONNECTIONS = 16
REQUEST = b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def _sockets(port: int) -> tuple[int, dict[int, int]]:
    """(inode of the listening socket, {client port: inode of the server's end}) of the TCP port on 127.0.0.1."""
    listening, accepted = None, {}
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        fields = line.split()
        local_port, remote_port = (int(address.split(":")[1], 16) for address in fields[1:3])
        if local_port != port:
            continue
        if fields[3] == "0A":  # LISTEN
            listening = int(fields[9])
        elif fields[3] == "01":  # ESTABLISHED
            accepted[remote_port] = int(fields[9])
    assert listening is not None, f"nothing listens on {port}"
    return listening, accepted


def _holders(inodes: set[int]) -> dict[int, set[int]]:
    """{pid: the inodes of `inodes` it has open}."""
    found: dict[int, set[int]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:[") and int(target[8:-1]) in inodes:
                    found.setdefault(int(pid), set()).add(int(target[8:-1]))
        except OSError:  # a process that ended meanwhile, or not ours to read
            continue
    return found


def _parent(pid: int) -> int:
    """The parent of `pid`; -1 for a process that ended meanwhile (it is nobody's worker)."""
    try:
        return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return -1


def _open_at_once(port: int, count: int = CONNECTIONS) -> list[socket.socket]:
    """`count` kept-alive connections, all opened before any request is sent, each answered once."""
    clients = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(count)]
    for client in clients:
        client.sendall(REQUEST)
    for client in clients:
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = client.recv(4096)
            assert chunk, "the server closed a kept-alive connection"
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200"), answer[:100]
    return clients


def _workers(port: int, holders: dict | None = None) -> set[int]:
    """The worker processes: those holding the listening socket whose parent holds it too (the master)."""
    listening = _sockets(port)[0]
    holders = _holders({listening}) if holders is None else holders
    return {pid for pid, held in holders.items() if listening in held and _parent(pid) in holders}


def _connections_per_worker(port: int, clients) -> Counter:
    listening, accepted = _sockets(port)
    ours = {accepted[client.getsockname()[1]] for client in clients}
    holders = _holders({listening, *ours})
    workers = _workers(port, holders)
    assert len(workers) == WORKERS, holders
    return Counter({pid: len(holders[pid] & ours) for pid in workers})


def _until_every_worker_serves(port: int) -> None:
    """Waits until each worker has taken a connection: a new worker's start-up (Django, its warm-up request) takes
    seconds, during which the others take its share. Connections are opened one at a time and kept open, so that
    a worker still starting is soon the only one below its share; then all are closed again."""
    clients: list[socket.socket] = []
    deadline = time.monotonic() + 60
    try:
        while True:
            clients += _open_at_once(port, 1)
            held = _connections_per_worker(port, clients)
            if min(held.values()) > 0:
                break
            assert time.monotonic() < deadline, f"not every worker took a connection: {held}"
            time.sleep(0.1)
    finally:
        for client in clients:
            client.close()
    while _sockets(port)[1]:  # the workers have seen the connections close
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_connections_opened_at_once_spread_over_every_worker():
    with gunicorn({}, workers=WORKERS, config=True) as (url, _log):
        port = int(url.rsplit(":", 1)[1])
        _until_every_worker_serves(port)  # the server answers as soon as its first worker is up
        clients = _open_at_once(port)
        try:
            held = _connections_per_worker(port, clients)
            assert sum(held.values()) == CONNECTIONS
            # An even share is 4 each; gunicorn's own gthread worker leaves them as they come (9, 3, 4 and 0 here).
            assert min(held.values()) >= 2 and max(held.values()) <= 6, held
            # A replaced worker: once its successor is up, the successor takes its share of new connections.
            victim = max(held, key=held.get)
            os.kill(victim, signal.SIGKILL)
            for client in clients:
                client.close()
            clients = []
            deadline = time.monotonic() + 30
            while len(workers := _workers(port)) != WORKERS or victim in workers:
                assert time.monotonic() < deadline, "the killed worker was not replaced"
                time.sleep(0.2)
            _until_every_worker_serves(port)
            clients = _open_at_once(port)
            held = _connections_per_worker(port, clients)
            assert victim not in held and min(held.values()) >= 2 and max(held.values()) <= 6, held
        finally:
            for client in clients:
                client.close()


def _answers(client: socket.socket, count: int) -> list[bytes]:
    """The status lines of the next `count` answers on `client` (each /health/live answer has a body of its
    Content-Length)."""
    data, lines = b"", []
    while len(lines) < count:
        while b"\r\n\r\n" not in data:
            chunk = client.recv(65536)
            assert chunk, f"the server closed the connection after {len(lines)} answers"
            data += chunk
        head, _, data = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
        )
        while len(data) < length:
            data += client.recv(65536)
        lines.append(head.split(b"\r\n", 1)[0])
        data = data[length:]
    return lines


def test_one_thread_serves_pipelined_requests_in_order_without_recursion():
    # With one thread the main loop serves each request itself; a connection whose next request is already read
    # is served again in the same loop. 1,500 pipelined requests would exceed Python's recursion limit otherwise.
    with gunicorn({"GUNICORN_THREADS": "1"}, workers=1, config=True) as (url, _log):
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as client:
            client.sendall(REQUEST * 1500)
            assert _answers(client, 1500) == [b"HTTP/1.1 200 OK"] * 1500
            client.sendall(REQUEST)  # still kept alive
            assert _answers(client, 1) == [b"HTTP/1.1 200 OK"]


def test_one_thread_does_not_wait_for_a_silent_connection():
    # gthread waits up to 5 s on its pool thread for a new connection's first bytes; with one thread that held
    # every other connection of the worker. A silent connection now waits on the poller.
    with gunicorn({"GUNICORN_THREADS": "1"}, workers=1, config=True) as (url, _log):
        port = int(url.rsplit(":", 1)[1])
        silent = socket.create_connection(("127.0.0.1", port), timeout=30)
        try:
            time.sleep(0.2)  # accepted by the worker before the next one connects
            with socket.create_connection(("127.0.0.1", port), timeout=3) as client:
                client.sendall(REQUEST)
                assert _answers(client, 1) == [b"HTTP/1.1 200 OK"]  # within 3 s, while the silent one waits
            silent.sendall(REQUEST)
            assert _answers(silent, 1) == [b"HTTP/1.1 200 OK"]
        finally:
            silent.close()
