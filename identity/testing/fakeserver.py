"""A tiny threaded HTTP server on 127.0.0.1 that contract fakes build on."""

import json
import threading
import time
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


# What `FakeServer.fault` returns when the mode injects no fault: answer normally.
PROCEED = object()


class FakeServer:
    """Runs `self.handle(request) -> (status, body, headers)` for every request, in a daemon thread.

    `handle` returning None drops the connection without an answer.
    """

    hang_seconds = 2.0

    def fault(self, mode: str | None, *, failure: tuple):
        """The outcome of an injected failure mode: `hang` (answer late), `drop` (no answer), `fail` (`failure`),
        `invalid_json` (an HTML page); PROCEED for any other mode."""
        if mode == "hang":
            time.sleep(self.hang_seconds)
        if mode == "drop":
            return None
        if mode == "fail":
            return failure
        if mode == "invalid_json":
            return 200, "<html>not json</html>", {"Content-Type": "text/html"}
        return PROCEED

    def __init__(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

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
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, request: FakeRequest):
        raise NotImplementedError

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
