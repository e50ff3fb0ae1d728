"""A TCP proxy on 127.0.0.1 that a test can close (connections refused), black-hole (accepted, never answered)
and reopen, to play a database server that goes away and comes back."""

import selectors
import socket
import threading
from typing import cast


class TcpProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = 0
        self.mode = "closed"
        self._listener: socket.socket | None = None
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # --- modes --------------------------------------------------------------------------------
    def open(self) -> None:
        """Accept and forward (on the same port as before, once it has one)."""
        self._serve("forward")

    def close(self) -> None:
        """No listener, every connection cut: connects are refused, like a stopped server."""
        self.mode = "closed"
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._drop_connections()

    def blackhole(self) -> None:
        """Connections are accepted but nothing is ever answered, like a stalled host; current ones are cut."""
        self._serve("blackhole")

    # --- plumbing -----------------------------------------------------------------------------
    def _serve(self, mode: str) -> None:
        self._drop_connections()
        self.mode = mode
        if self._listener is None:
            self._listen()

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._thread = threading.Thread(target=self._accept_loop, args=(listener,), daemon=True)
        self._thread.start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.mode == "blackhole":
                with self._lock:
                    self._held.append(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            # Forwarded as it arrives: without TCP_NODELAY a second small write waits for the first one's
            # delayed ACK (about 40 ms on a kept-alive connection).
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        try:
            selector.register(client, selectors.EVENT_READ, upstream)
            selector.register(upstream, selectors.EVENT_READ, client)
            while True:
                for key, _ in selector.select(timeout=0.5):
                    data = cast(socket.socket, key.fileobj).recv(65536)  # only the two sockets are registered
                    if not data:
                        return
                    key.data.sendall(data)
        except (OSError, ValueError):
            return
        finally:
            selector.close()
            for sock in (client, upstream):
                try:
                    sock.close()
                except OSError:
                    pass

    def _drop_connections(self) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, []
            held, self._held = self._held, []
        for sock in [s for pair in pairs for s in pair] + held:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                sock.close()
            except OSError:
                pass
