"""A tiny threaded HTTP server on 127.0.0.1 that contract fakes build on."""

import json
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class FakeRequest:
    def __init__(self, handler: BaseHTTPRequestHandler, body: bytes):
        parts = urlsplit(handler.path)
        self.method = handler.command
        self.path = parts.path
        self.query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        self.headers = {key.lower(): value for key, value in handler.headers.items()}
        self.body = body
        self.peer = handler.client_address  # (host, port) of the client's end: one per connection
        # Seconds between the bytes of the answer (the `trickle` mode); None: the answer is sent at once.
        self.pace: float | None = None

    def json(self):
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    @property
    def cookie_token(self) -> str | None:
        for part in self.headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "access_token":
                return value
        return None


# A call keeps its deadline when it ends within its timeout plus this: a fraction of a second for scheduling on a
# loaded machine, far below the seconds a trickled answer would take to arrive.
DEADLINE_SLACK = 0.5


def within_deadline(send, timeout: float):
    """`send()`'s result, asserting that it came within `timeout` + DEADLINE_SLACK seconds."""
    started = time.monotonic()
    result = send()
    elapsed = time.monotonic() - started
    assert elapsed < timeout + DEADLINE_SLACK, f"answered after {elapsed:.2f} s with a {timeout} s timeout"
    return result


# What `FakeServer.fault` returns when the mode injects no fault: answer normally.
PROCEED = object()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    disconnects = 0  # connections the client closed while the fake was answering

    def handle_error(self, request, client_address):
        # A client that gave up (its timeout or deadline passed, its test ended) closes its end while an answer is
        # being written: that is a fault mode working, not a failure of the fake worth a traceback.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            self.disconnects += 1
            return
        super().handle_error(request, client_address)


class FakeServer:
    """Runs `self.handle(request) -> (status, body, headers)` for every request, in a daemon thread.

    `handle` returning None drops the connection without an answer.
    """

    hang_seconds = 2.0
    trickle_seconds = 1.5
    mode: str | None  # each fake's failure mode, given to `fault` (None: none)

    def fault(self, mode: str | None, request: FakeRequest, *, failure: tuple):
        """The outcome of an injected failure mode: `hang` (answer late), `drop` (no answer), `fail` (`failure`),
        `invalid_json` (an HTML page), `trickle` (the right answer, one byte every `trickle_seconds`); PROCEED
        for any other mode."""
        if mode == "hang":
            time.sleep(self.hang_seconds)
        if mode == "drop":
            return None
        if mode == "fail":
            return failure
        if mode == "invalid_json":
            return 200, "<html>not json</html>", {"Content-Type": "text/html"}
        if mode == "trickle":
            request.pace = self.trickle_seconds
        return PROCEED

    def __init__(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # http.server's own send_response/end_headers write headers and body in separate segments, and a
            # trickled answer writes many: without TCP_NODELAY a kept-alive answer waits for the client's delayed
            # ACK (about 40 ms). Answers here are written in one piece as well.
            disable_nagle_algorithm = True

            def _dispatch(self):
                length = int(self.headers.get("Content-Length") or 0)
                request = FakeRequest(self, self.rfile.read(length) if length else b"")
                outcome = fake.handle(request)
                if outcome is None:  # drop the connection without an answer
                    self.close_connection = True
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return
                status, body, headers = outcome
                if isinstance(body, (dict, list)):
                    payload = json.dumps(body).encode()
                    headers = {"Content-Type": "application/json", **(headers or {})}
                elif isinstance(body, str):
                    payload = body.encode()
                else:
                    payload = body or b""
                lines = [f"{self.protocol_version} {status} {_phrase(status)}"]
                lines += [f"{key}: {value}" for key, value in (headers or {}).items()]
                lines += [f"Content-Length: {len(payload)}", "", ""]
                self._write("\r\n".join(lines).encode("latin-1") + payload, request.pace)

            def _write(self, data: bytes, pace: float | None):
                if pace is None:
                    self.wfile.write(data)
                    return
                for index in range(len(data)):
                    time.sleep(pace)
                    self.wfile.write(data[index : index + 1])

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

            def log_message(self, *args):
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # A short poll interval: `stop` waits for it, once per fake a test starts.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def trickle(self, seconds: float = 1.5):
        """Answer every call rightly but one byte every `seconds` (status line, headers and body alike)."""
        self.trickle_seconds = seconds
        self.mode = "trickle"

    def handle(self, request: FakeRequest):
        raise NotImplementedError

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
