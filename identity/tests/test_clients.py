"""The client base of the outside services: whole-call deadline, kept-alive session, one exception family, and
the test fakes it is tested against."""

import json
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import trustme

from identity.clients import base
from identity.clients.base import (
    Reply,
    ServiceClient,
    ServiceConflict,
    ServiceRefused,
    ServiceRejected,
    ServiceUnavailable,
)
from identity.exception_handler import client_error_response
from identity.testing.fakeserver import DEADLINE_SLACK, PROCEED, FakeServer
from identity.testing.guardian import GuardianFake
from identity.testing.storage import StorageFake
from identity.testing.tcpproxy import TcpProxy


class Echo(FakeServer):
    """Answers every call 200 with a JSON body of `size` bytes (or what `answer` says), recording the calls."""

    def __init__(self, size: int = 16):
        self.calls = []
        self.mode = None
        self.size = size
        self.answer = None
        super().__init__()

    def handle(self, request):
        self.calls.append(request)
        outcome = self.fault(self.mode, request, failure=(500, {"error": "down"}, {}))
        if outcome is not PROCEED:
            return outcome
        if self.answer is not None:
            return self.answer
        return 200, {"padding": "x" * max(0, self.size - 15)}, {}


@pytest.fixture
def echo():
    server = Echo()
    yield server
    server.stop()


@pytest.fixture(params=[False, True], ids=["requests", "direct"])
def client(echo, settings, request):
    """A client over each transport: every test of the base holds for both."""
    settings.GUARDIAN_SERVICE_URL = echo.url
    settings.GUARDIAN_SERVICE_TIMEOUT = 5.0
    return ServiceClient(
        "guardian", url_setting="GUARDIAN_SERVICE_URL", timeout_setting="GUARDIAN_SERVICE_TIMEOUT", direct=request.param
    )


def _guardian_direct() -> ServiceClient:
    """The Guardian client over the direct transport, at the URL and timeout the test's settings give."""
    return ServiceClient(
        "guardian", url_setting="GUARDIAN_SERVICE_URL", timeout_setting="GUARDIAN_SERVICE_TIMEOUT", direct=True
    )


@pytest.fixture
def direct(echo, settings):
    settings.GUARDIAN_SERVICE_URL = echo.url
    settings.GUARDIAN_SERVICE_TIMEOUT = 5.0
    return _guardian_direct()


def test_an_answer_arrives_whole_with_the_callers_cookie(client, echo):
    reply = client.request("GET", "/anything", token="tok", params={"q": "1"})
    assert (reply.status, reply.json()) == (200, {"padding": "x"})
    [call] = echo.calls
    assert (call.path, call.query, call.cookie_token) == ("/anything", {"q": "1"}, "tok")


def test_calls_share_one_kept_alive_connection(client, echo):
    for _ in range(3):
        client.request("GET", "/again", token="tok")
    assert len({call.peer for call in echo.calls}) == 1


@pytest.mark.parametrize(
    "pace, size, timeout",
    [
        (0.3, 16, 0.8),  # the status line itself trickles: each byte within the per-read timeout
        (0.004, 4000, 1.0),  # headers arrive within the timeout, the body does not
    ],
    ids=["headers", "body"],
)
def test_a_trickled_answer_fails_at_the_deadline(client, echo, settings, pace, size, timeout):
    settings.GUARDIAN_SERVICE_TIMEOUT = timeout
    echo.size = size
    echo.trickle(pace)
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable) as raised:
        client.request("GET", "/slow", token="tok")
    elapsed = time.monotonic() - started
    assert raised.value.service == "guardian"
    # Without the deadline the whole answer would take (its bytes x pace) seconds, several times the timeout.
    assert timeout <= elapsed < timeout + DEADLINE_SLACK


def test_the_deadline_is_the_calls_own(client, echo, settings):
    """A call that trickled past its deadline leaves the next call its full timeout."""
    settings.GUARDIAN_SERVICE_TIMEOUT = 0.5
    echo.trickle(0.3)
    with pytest.raises(ServiceUnavailable):
        client.request("GET", "/slow", token="tok")
    echo.mode = None
    assert client.request("GET", "/fast", token="tok").status == 200


@pytest.mark.parametrize(
    "answer, raised",
    [
        ((500, {"error": "down"}, {}), ServiceUnavailable),
        ((503, b"", {}), ServiceUnavailable),
        ((401, {"reason": "Token expired"}, {}), ServiceRefused),
        ((403, "<html>", {"Content-Type": "text/html"}), ServiceRefused),
    ],
)
def test_statuses_that_every_call_shares(client, echo, answer, raised):
    echo.answer = answer
    with pytest.raises(raised) as error:
        client.request("GET", "/x", token="tok")
    assert error.value.reason == (answer[1].get("reason") if isinstance(answer[1], dict) else None)


def test_other_statuses_are_the_calls_to_read(client, echo):
    echo.answer = (404, "not json", {})
    reply = client.request("GET", "/missing", token="tok")
    assert (reply.status, reply.json_or_none()) == (404, None)
    with pytest.raises(ServiceUnavailable):
        reply.json()


@pytest.mark.parametrize("mode", ["drop", "hang"])
def test_transport_failures_are_unavailable(client, echo, settings, mode):
    settings.GUARDIAN_SERVICE_TIMEOUT = 0.2
    echo.hang_seconds = 0.5
    echo.mode = mode
    with pytest.raises(ServiceUnavailable):
        client.request("GET", "/x", token="tok")


def test_an_unreachable_service_is_unavailable(client, settings):
    settings.GUARDIAN_SERVICE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(ServiceUnavailable):
        client.request("GET", "/x", token="tok")


@pytest.mark.parametrize(
    "error, expected",
    [
        (ServiceUnavailable("guardian"), (503, {"message": "Authorization service unavailable"})),
        (ServiceRejected("guardian"), (503, {"message": "Authorization service unavailable"})),
        (ServiceConflict("guardian"), (503, {"message": "Authorization service unavailable"})),
        (
            ServiceRefused("guardian", reason="Token rejected"),
            (403, {"message": "Access denied", "reason": "Token rejected"}),
        ),
        (ServiceRefused("guardian"), (403, {"message": "Access denied"})),
        (ServiceUnavailable("storage"), (503, {"message": "Storage service unavailable"})),
        (ServiceRefused("storage"), (403, {"message": "Access denied by the storage service"})),
    ],
)
def test_client_errors_map_to_the_envelope_in_one_place(error, expected):
    assert client_error_response(error) == expected


# --- the fakes ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fake", [GuardianFake, StorageFake, Echo])
def test_every_fake_answers_kept_alive_calls_without_nagle(fake):
    server = fake()
    try:
        assert server.server.RequestHandlerClass.disable_nagle_algorithm is True
    finally:
        server.stop()


def test_a_client_that_gives_up_leaves_no_traceback(client, echo, settings, capfd):
    settings.GUARDIAN_SERVICE_TIMEOUT = 0.2
    echo.trickle(0.1)
    with pytest.raises(ServiceUnavailable):
        client.request("GET", "/slow", token="tok")
    deadline = time.monotonic() + 5
    while echo.server.disconnects == 0:  # the fake's next byte meets the closed connection
        assert time.monotonic() < deadline, "the fake never noticed the client leaving"
        time.sleep(0.02)
    assert "Traceback" not in capfd.readouterr().err


# --- the direct transport ----------------------------------------------------------------------------------------
def test_direct_sends_the_json_body_and_query_under_the_base_path(direct, echo, settings):
    settings.GUARDIAN_SERVICE_URL = f"{echo.url}/api"
    reply = direct.request("POST", "/check-access", token="tok", params={"a": "1 2"}, json={"user_id": "é"})
    assert reply.status == 200
    [call] = echo.calls
    assert (call.method, call.path, call.query, call.cookie_token) == ("POST", "/api/check-access", {"a": "1 2"}, "tok")
    assert call.json() == {"user_id": "é"}
    assert call.headers["content-type"] == "application/json"


def test_direct_refuses_a_token_that_cannot_be_a_header_value(direct, echo):
    with pytest.raises(ServiceUnavailable):
        direct.request("GET", "/x", token="tok\r\nX-Injected: 1")
    assert echo.calls == []


def test_direct_opens_a_new_connection_when_the_server_closed_the_idle_one(settings):
    """A server whose keep-alive ran out closes the idle connection: the next call does not fail on it."""
    closed = threading.Event()
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    listener = socket.create_server(("127.0.0.1", 0))
    peers = []

    def serve():
        for _ in range(2):
            connection, peer = listener.accept()
            peers.append(peer)
            with connection:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += connection.recv(65536)
                connection.sendall(answer)
                if len(peers) == 1:
                    # Answered as kept alive, then closed while idle.
                    connection.shutdown(socket.SHUT_RDWR)
            closed.set()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    settings.GUARDIAN_SERVICE_URL = f"http://127.0.0.1:{listener.getsockname()[1]}"
    settings.GUARDIAN_SERVICE_TIMEOUT = 5.0
    client = _guardian_direct()
    try:
        assert client.request("GET", "/first", token="tok").status == 200
        assert closed.wait(5)
        assert client.request("GET", "/second", token="tok").status == 200
        assert len(set(peers)) == 2
    finally:
        listener.close()


def test_direct_threads_share_the_kept_alive_connections(direct, echo):
    """Concurrent calls each get a connection of their own; afterwards they are reused, not multiplied."""
    barrier = threading.Barrier(4)

    def calls():
        barrier.wait()
        return [direct.request("GET", "/t", token="tok").status for _ in range(5)]

    with ThreadPoolExecutor(4) as pool:
        statuses = [status for batch in pool.map(lambda _: calls(), range(4)) for status in batch]
    assert statuses == [200] * 20
    opened = len({call.peer for call in echo.calls})
    assert opened <= 4
    for _ in range(5):
        direct.request("GET", "/again", token="tok")
    assert len({call.peer for call in echo.calls}) == opened


def test_the_tcp_proxy_forwards_without_nagle():
    target = socket.create_server(("127.0.0.1", 0))
    proxy = TcpProxy("127.0.0.1", target.getsockname()[1])
    proxy.open()
    try:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5):
            deadline = time.monotonic() + 5
            while not proxy._pairs:
                assert time.monotonic() < deadline, "the proxy never connected upstream"
                time.sleep(0.01)
            for sock in proxy._pairs[0]:
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        proxy.close()
        target.close()


class _Scripted:
    """A raw HTTP server answering every request with `answer` (bytes, sent `piece` bytes at a time, `pace` seconds
    apart), closing the connection afterwards when `close`; counts the connections it accepted. With `tls` (a server
    ssl.SSLContext) it speaks HTTPS. A subclass answers otherwise by `next_answer`."""

    def __init__(self, answer: bytes, *, piece: int = 0, close: bool = False, pace: float = 0.0, tls=None):
        self.answer, self.piece, self.close, self.pace, self.connections = answer, piece, close, pace, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.tls = tls
        scheme, host = ("https", "localhost") if tls else ("http", "127.0.0.1")
        self.url = f"{scheme}://{host}:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(connection, self.connections), daemon=True).start()

    def next_answer(self, number: int, head: bytes) -> bytes | None:
        """The answer to the request `head` (its request line and headers) on the `number`th connection accepted;
        None: the connection is closed without an answer."""
        return self.answer

    def _answer(self, connection, number: int):
        if self.tls is not None:
            try:
                connection = self.tls.wrap_socket(connection, server_side=True)
            except (OSError, ssl.SSLError):
                connection.close()
                return
        with connection:
            pending = b""
            while True:
                while b"\r\n\r\n" not in pending:
                    chunk = connection.recv(65536)
                    if not chunk:
                        return
                    pending += chunk
                head, _, pending = pending.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                while len(pending) < length:
                    pending += connection.recv(65536)
                pending = pending[length:]
                answer = self.next_answer(number, head)
                if answer is None:
                    return
                step = self.piece or len(answer)
                try:
                    for start in range(0, len(answer), step):
                        connection.sendall(answer[start : start + step])
                        time.sleep(self.pace)
                except OSError:  # the client gave up (a deadline test)
                    return
                if self.close:
                    return


def _json_answer(head: str, body: bytes = b'{"ok": true}') -> bytes:
    return head.replace("{length}", str(len(body))).encode() + b"\r\n\r\n" + body


@pytest.mark.parametrize(
    "answer, close, piece, kept_alive",
    [
        (_json_answer("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}"), False, 0, True),
        # Byte by byte: every line and the body arrive in pieces.
        (_json_answer("HTTP/1.1 200 OK\r\nContent-Length: {length}"), False, 1, True),
        (
            b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"ok"\r\n7;x=1\r\n: true}\r\n0\r\nT: 1\r\n\r\n',
            False,
            3,
            True,
        ),
        (
            b"HTTP/1.1 100 Continue\r\n\r\n" + _json_answer("HTTP/1.1 200 OK\r\nContent-Length: {length}"),
            False,
            0,
            True,
        ),
        # A folded header line and a repeated name (the last one counts).
        (
            _json_answer("HTTP/1.1 200 OK\r\nX-A: one\r\n  two\r\nX-A: three\r\nContent-Length: {length}"),
            False,
            0,
            True,
        ),
        (_json_answer("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {length}"), True, 0, False),
        (_json_answer("HTTP/1.0 200 OK\r\nContent-Length: {length}"), True, 0, False),
        (_json_answer("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: {length}"), False, 0, True),
        # Neither a length nor chunks: the body ends with the connection.
        (_json_answer("HTTP/1.1 200 OK"), True, 0, False),
    ],
    ids=["length", "pieces", "chunked", "continue", "folded", "close", "http10", "http10-keep-alive", "until-close"],
)
def test_direct_reads_every_framing_of_an_answer(settings, answer, close, piece, kept_alive):
    server = _Scripted(answer, piece=piece, close=close)
    settings.GUARDIAN_SERVICE_URL = server.url
    settings.GUARDIAN_SERVICE_TIMEOUT = 5.0
    client = _guardian_direct()
    try:
        for _ in range(3):
            reply = client.request("POST", "/check-access", token="tok", json={"user_id": "u"})
            assert (reply.status, reply.json()) == (200, {"ok": True})
        if b"X-A" in answer:
            assert reply.headers["x-a"] == "three"
        assert server.connections == (1 if kept_alive else 3)
    finally:
        server.listener.close()


class _Sequence(_Scripted):
    """A _Scripted server that answers its `answers` in turn, one per request."""

    def __init__(self, answers: list[bytes]):
        self.answers = iter(answers)
        super().__init__(b"")

    def next_answer(self, number: int, head: bytes) -> bytes | None:
        return next(self.answers)


class _Unanswered(_Scripted):
    """A _Scripted server that reads a request and closes its connection without answering it: the second request
    of its first connection (as a server does that restarts, or times out a kept-alive connection just as a
    request arrives; every other request is answered), or with `every` each connection's first request.
    `requests`: the request lines read, by the connection's number."""

    def __init__(self, *, every: bool = False):
        self.every = every
        self.requests: dict[int, list[bytes]] = {}
        super().__init__(_json_answer("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}"))

    def next_answer(self, number: int, head: bytes) -> bytes | None:
        seen = self.requests.setdefault(number, [])
        seen.append(head.split(b"\r\n", 1)[0])
        if self.every or (number == 1 and len(seen) == 2):
            return None
        return self.answer


@pytest.fixture
def unanswered(request, settings):
    server = _Unanswered(every=getattr(request, "param", False))
    settings.GUARDIAN_SERVICE_URL = server.url
    settings.GUARDIAN_SERVICE_TIMEOUT = 5.0
    yield server
    server.listener.close()


@pytest.mark.parametrize(
    ("method", "repeatable"), [("GET", False), ("POST", True)], ids=["a GET", "a POST marked repeatable"]
)
def test_direct_sends_a_repeatable_call_again_when_its_kept_alive_connection_closes(unanswered, method, repeatable):
    """The connection closes before any answer to the second call: the call is sent once more on a new one."""
    client = _guardian_direct()
    assert client.request(method, "/first", token="tok", json={}, repeatable=repeatable).status == 200
    assert client.request(method, "/second", token="tok", json={}, repeatable=repeatable).status == 200
    second = f"{method} /second HTTP/1.1".encode()
    assert unanswered.requests == {1: [f"{method} /first HTTP/1.1".encode(), second], 2: [second]}


def test_direct_never_sends_a_call_that_is_not_repeatable_twice(unanswered):
    """A POST that may change something, whose connection closes before its answer, fails: it may have been done."""
    client = _guardian_direct()
    assert client.request("POST", "/first", token="tok", json={}).status == 200
    with pytest.raises(ServiceUnavailable):
        client.request("POST", "/second", token="tok", json={})
    assert unanswered.requests == {1: [b"POST /first HTTP/1.1", b"POST /second HTTP/1.1"]}
    assert unanswered.connections == 1


@pytest.mark.parametrize("unanswered", [True], indirect=True, ids=["every connection unanswered"])
def test_direct_does_not_send_again_over_a_new_connection(unanswered):
    """Only a kept-alive connection is replaced: a call whose own new connection closes before its answer fails."""
    with pytest.raises(ServiceUnavailable):
        _guardian_direct().request("GET", "/fresh", token="tok")
    time.sleep(0.2)  # a second connection, had one been made, is read by now
    assert unanswered.requests == {1: [b"GET /fresh HTTP/1.1"]}
    assert unanswered.connections == 1


def test_direct_reads_each_answer_as_itself_when_answers_repeat(settings):
    one = _json_answer("HTTP/1.1 200 OK\r\nContent-Length: {length}", b'{"n": 1}')
    two = _json_answer("HTTP/1.1 200 OK\r\nX-Trace: b\r\nContent-Length: {length}", b'{"n": 2}')
    gone = _json_answer("HTTP/1.1 404 Not Found\r\nContent-Length: {length}", b'{"n": 1}')
    server = _Sequence([one, one, two, one, gone, two, one])
    settings.GUARDIAN_SERVICE_URL = server.url
    settings.GUARDIAN_SERVICE_TIMEOUT = 5.0
    client = _guardian_direct()
    try:
        read = []
        for _ in range(7):
            reply = client.request("GET", "/x", token="tok")
            read.append((reply.status, reply.json()["n"], reply.headers.get("x-trace")))
        assert read == [
            (200, 1, None),
            (200, 1, None),
            (200, 2, "b"),
            (200, 1, None),
            (404, 1, None),
            (200, 2, "b"),
            (200, 1, None),
        ]
        assert server.connections == 1
    finally:
        server.listener.close()


def test_a_connection_whose_answer_ran_past_its_end_is_not_used_again(settings):
    # Bytes after the announced length answer nothing that was asked: read as the next answer they would decide
    # the next call. The connection is closed instead and the next call reads its own answer on a new one.
    one = _json_answer("HTTP/1.1 200 OK\r\nContent-Length: {length}", b'{"n": 1}')
    stray = _json_answer("HTTP/1.1 200 OK\r\nContent-Length: {length}", b'{"n": 0}')
    two = _json_answer("HTTP/1.1 200 OK\r\nContent-Length: {length}", b'{"n": 2}')
    server = _Sequence([one + stray, two])
    settings.GUARDIAN_SERVICE_URL = server.url
    settings.GUARDIAN_SERVICE_TIMEOUT = 5.0
    client = _guardian_direct()
    try:
        assert client.request("GET", "/x", token="tok").json() == {"n": 1}
        assert client.request("GET", "/x", token="tok").json() == {"n": 2}
        assert server.connections == 2
    finally:
        server.listener.close()


def test_the_answers_kept_with_their_reading_are_bounded(settings):
    answers = [_json_answer("HTTP/1.1 200 OK\r\nContent-Length: {length}", b'{"n": %d}' % n) for n in range(200)]
    server = _Sequence(answers)
    settings.GUARDIAN_SERVICE_URL = server.url
    settings.GUARDIAN_SERVICE_TIMEOUT = 5.0
    client = _guardian_direct()
    try:
        assert [client.request("GET", "/x", token="tok").json()["n"] for _ in range(200)] == list(range(200))
        assert 0 < len(base._read_before) <= base._read_before.size
    finally:
        server.listener.close()


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/2 200 OK\r\nContent-Length: 2\r\n\r\n{}",
        b"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nContent-Length: two\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nno colon here\r\nContent-Length: 2\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",  # closed before the body ends
        b"HTTP/1.1 200 OK\r\nX: " + b"y" * (70 * 1024),  # headers without end
    ],
    ids=["version", "status", "length", "header", "chunk-size", "short-body", "endless-head"],
)
def test_direct_answers_that_cannot_be_read_are_unavailable(settings, answer):
    server = _Scripted(answer, close=True)
    settings.GUARDIAN_SERVICE_URL = server.url
    settings.GUARDIAN_SERVICE_TIMEOUT = 5.0
    client = _guardian_direct()
    try:
        with pytest.raises(ServiceUnavailable):
            client.request("GET", "/x", token="tok")
    finally:
        server.listener.close()


def test_an_answer_that_arrived_is_read_after_the_deadline(direct, echo, settings):
    # A begun call read after the caller's own work: the answer came at once, the work outlasted the timeout.
    settings.GUARDIAN_SERVICE_TIMEOUT = 0.2
    call = direct.begin("POST", "/check-access", token="tok", json={"user_id": "u"})
    time.sleep(0.4)
    assert call.reply().status == 200
    # The same wait with an answer still on its way is past the deadline.
    echo.trickle(0.1)
    call = direct.begin("GET", "/slow", token="tok")
    time.sleep(0.4)
    with pytest.raises(ServiceUnavailable):
        call.reply()


def test_a_call_that_could_not_be_sent_fails_when_its_answer_is_asked(settings):
    settings.GUARDIAN_SERVICE_URL = "http://127.0.0.1:9"  # nothing listens on the discard port here
    settings.GUARDIAN_SERVICE_TIMEOUT = 1.0
    client = _guardian_direct()
    call = client.begin("POST", "/check-access", token="tok", json={})  # raises nothing
    with pytest.raises(ServiceUnavailable):
        call.reply()


# --- the direct transport over TLS -------------------------------------------------------------------------------
@pytest.fixture
def tls(monkeypatch):
    """(server context, certificate authority) of a test CA the direct transport trusts instead of the public ones."""
    authority = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(server)
    trusted = ssl.create_default_context()
    authority.configure_trust(trusted)
    monkeypatch.setattr(base, "_tls_context", lambda: trusted)
    return server


def _tls_client(settings, server: _Scripted, timeout: float) -> ServiceClient:
    settings.GUARDIAN_SERVICE_URL = server.url
    settings.GUARDIAN_SERVICE_TIMEOUT = timeout
    return _guardian_direct()


@pytest.mark.parametrize("piece", [0, 1], ids=["whole", "byte-by-byte"])
def test_direct_calls_over_tls_share_one_connection(settings, tls, piece):
    # Byte by byte, each TLS record holds one byte: every read but the last of a line finds no whole answer yet.
    server = _Scripted(_json_answer("HTTP/1.1 200 OK\r\nContent-Length: {length}"), piece=piece, tls=tls)
    client = _tls_client(settings, server, 5.0)
    try:
        for _ in range(3):
            reply = client.request("POST", "/check-access", token="tok", json={"user_id": "u"})
            assert (reply.status, reply.json()) == (200, {"ok": True})
        assert server.connections == 1
    finally:
        server.listener.close()


def test_a_trickled_tls_answer_fails_at_the_deadline(settings, tls):
    server = _Scripted(_json_answer("HTTP/1.1 200 OK\r\nContent-Length: {length}"), piece=1, pace=0.1, tls=tls)
    client = _tls_client(settings, server, 0.8)
    try:
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable):
            client.request("GET", "/slow", token="tok")
        # The whole answer would take ~6 s (its ~60 bytes x 0.1 s).
        assert 0.8 <= time.monotonic() - started < 0.8 + DEADLINE_SLACK
    finally:
        server.listener.close()


def test_a_tls_server_the_client_does_not_trust_is_unavailable(settings, tls, monkeypatch):
    monkeypatch.setattr(base, "_tls_context", lambda: ssl.create_default_context())  # the public CAs only
    server = _Scripted(_json_answer("HTTP/1.1 200 OK\r\nContent-Length: {length}"), tls=tls)
    client = _tls_client(settings, server, 5.0)
    try:
        with pytest.raises(ServiceUnavailable):
            client.request("GET", "/x", token="tok")
    finally:
        server.listener.close()


# --- reading an answer's JSON --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "content",
    [
        b'{"access_granted": true, "reason": "Access granted", "status": 200}',
        b' [1, 2.5, -0.0, null, false, "\\u00e9"] ',
        b'{"id": 123456789012345678901234567890}',  # beyond 64 bits: an exact integer, not a float
        b'{"id": -9223372036854775809, "other": 18446744073709551616}',
        b'{"n": NaN, "big": 1e400}',
        '\ufeff{"a": 1}'.encode(),  # a byte-order mark
        '{"a": "é"}'.encode("utf-16"),
        b'{"s": "\\ud800"}',  # a lone surrogate
        b'{"a": 1, "a": 2}',
        b"0.1000000000000000055511151231257827",
    ],
    ids=["check", "scalars", "big-int", "beyond-64-bits", "nan", "bom", "utf-16", "surrogate", "repeated", "float"],
)
def test_an_answers_json_is_what_the_standard_library_reads(content):
    reply = Reply("guardian", "GET /x", 200, content, {})
    assert repr(reply.json()) == repr(json.loads(content))
    assert repr(reply.json_or_none()) == repr(json.loads(content))


@pytest.mark.parametrize("content", [b"{", b"[1,]", b'{"a": 1} x', b"\xff", b"nul"])
def test_an_answer_that_is_not_json_is_unavailable_or_none(content):
    reply = Reply("guardian", "GET /x", 200, content, {})
    with pytest.raises(ServiceUnavailable):
        reply.json()
    assert reply.json_or_none() is None
