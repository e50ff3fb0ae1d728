"""One way to call an outside service: kept-alive connections, a deadline for the whole call, one exception family.

`ServiceClient.request` raises ServiceUnavailable when the service cannot be reached, answers 5xx or does not
finish in time, and ServiceRefused when it refuses the caller's credentials (401/403). The exception handler turns
every ClientError into the error envelope; a service catches one only to give it a meaning of its own.
"""

import contextvars
import http.client
import io
import json
import logging
import os
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlencode, urlsplit

import orjson
import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from identity.bounded import BoundedMap
from identity.metrics import record_outside_call

logger = logging.getLogger(__name__)


# --- the exception family ----------------------------------------------------------------------------------------
class ClientError(Exception):
    """An outside service did not answer as the call needs; `service` names it (`guardian`, `storage`)."""

    def __init__(self, service: str, detail: str = "", *, reason: str | None = None):
        super().__init__(f"{service}: {detail}" if detail else service)
        self.service = service
        self.reason = reason


class ServiceUnavailable(ClientError):
    """Unreachable, 5xx, past the deadline, or an answer the call cannot use."""


class ServiceRefused(ClientError):
    """The service refused the caller's credentials (401/403); `reason` is its own, when it gave one."""


class ServiceRejected(ClientError):
    """The service refused the request's data (a 4xx the call names); left unhandled it counts as unavailable."""


class ServiceConflict(ClientError):
    """The service answered 409 to a write."""


# --- the whole-call deadline -------------------------------------------------------------------------------------
# `requests` bounds the connect and each socket read, so an answer trickled byte by byte never times out. Every
# blocking socket operation of a call (connect, TLS handshake, each send, each read of headers and body) is given
# only the time left until the call's deadline, which the calling thread (or context) holds here.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("outside_call_deadline", default=None)


def _clamp(sock) -> None:
    deadline = _deadline.get()
    if deadline is not None:
        sock.settimeout(_until(deadline))


class _ClampedReader(io.RawIOBase):
    """The socket's reading side (its own `makefile`, so that the connection may close under a live response),
    each read bounded by the deadline."""

    def __init__(self, sock):
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int | None:
        _clamp(self._sock)
        return self._raw.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _ClampedSocket:
    """All http.client.HTTPResponse asks of its socket: `makefile`."""

    def __init__(self, sock):
        self._sock = sock

    def makefile(self, *args, **kwargs):
        return io.BufferedReader(_ClampedReader(self._sock))


class _Response(http.client.HTTPResponse):
    def __init__(self, sock, *args, **kwargs):
        super().__init__(_ClampedSocket(sock), *args, **kwargs)


# `_Clamped` is mixed into urllib3's connections: the type checker takes it for one (its methods use the connection's
# `sock` and `super()`), at runtime it stays a plain mixin.
if TYPE_CHECKING:
    _ConnectionBase = HTTPConnection
else:
    _ConnectionBase = object


class _Clamped(_ConnectionBase):
    response_class: type[http.client.HTTPResponse] = _Response

    def _new_conn(self):
        sock = super()._new_conn()
        _clamp(sock)  # a TLS handshake gets what the TCP connect left
        return sock

    def send(self, data) -> None:
        if self.sock is not None:
            _clamp(self.sock)
        super().send(data)


class _HTTPConnection(_Clamped, HTTPConnection):
    pass


class _HTTPSConnection(_Clamped, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


_sessions: dict[str, requests.Session] = {}


def session_for(service: str) -> requests.Session:
    """The process-wide session of `service`: connections pooled and kept alive, no retries, no proxy from the
    environment."""
    session = _sessions.get(service)
    if session is None:
        session = requests.Session()
        adapter = _Adapter(pool_connections=4, pool_maxsize=16, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.trust_env = False
        _sessions[service] = session
    return session


# --- the direct transport ----------------------------------------------------------------------------------------
# `requests` costs about a millisecond of CPU per call (measured with bench/cpu.py and cProfile: merging the
# session's settings, preparing the request, the adapter, urllib3's pool, timeout and retry objects, the cookie jar):
# as much as a third of a by-id read, paid again on every Guardian check. A client made with `direct=True` sends the
# calls that carry no files (a JSON body, a query string) itself, over sockets it keeps alive per process and
# origin: the request written in one piece on a TCP_NODELAY socket, the answer read by `_Answer`, every socket
# operation given only the time left until the call's deadline, no cookie jar, no proxy, no retries.
POOL_SIZE = 16  # idle connections kept per origin: enough for the threads of a gthread worker
_HEADER_VALUE_OUT = str.maketrans("", "", "".join(map(chr, range(0x21, 0x7F))))


class _Origin(NamedTuple):  # a tuple: hashed in C (it keys the idle sockets and the built messages)
    scheme: str
    host: str
    port: int
    netloc: str
    prefix: str  # the base URL's path, which every call's path follows


@lru_cache(maxsize=32)
def _origin(base_url: str) -> _Origin:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise http.client.InvalidURL(f"not an http(s) URL: {base_url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return _Origin(parts.scheme, parts.hostname, port, parts.netloc, parts.path.rstrip("/"))


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    # The CA bundle `requests` verifies with, so that both transports trust the same certificates.
    return ssl.create_default_context(cafile=requests.certs.where())


class _Link(NamedTuple):
    """A kept-alive connection: its socket, and a poller of the socket's readability made once for it."""

    sock: socket.socket
    readable: select.poll

    @classmethod
    def of(cls, sock: socket.socket) -> "_Link":
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return cls(sock, poller)


class _Idle:
    """Kept-alive connections per origin, last used first; a process's own (emptied in a forked child)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.links: dict[_Origin, list[_Link]] = {}

    def take(self, origin: _Origin, *, check: bool = True) -> _Link | None:
        """An idle connection, or None. With `check`, one the server has not closed; without, the caller finds out
        by using it (and sends its call again on a new connection, `_send_direct`)."""
        while True:
            with self.lock:
                idle = self.links.get(origin)
                link = idle.pop() if idle else None
            if link is None or not check:
                return link
            # Readable while idle means the server closed it (or sent what nobody asked for): not reusable.
            if not link.readable.poll(0):
                return link
            link.sock.close()

    def give(self, origin: _Origin, link: _Link) -> None:
        with self.lock:
            idle = self.links.setdefault(origin, [])
            if len(idle) < POOL_SIZE:
                idle.append(link)
                return
        link.sock.close()

    def clear(self) -> None:
        # After a fork the parent's sockets are shared with it: the child forgets them without closing them.
        self.lock = threading.Lock()
        self.links = {}


_idle = _Idle()
os.register_at_fork(after_in_child=_idle.clear)


def _connect(origin: _Origin, deadline: float) -> socket.socket:
    sock = socket.create_connection((origin.host, origin.port), timeout=_until(deadline))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if origin.scheme == "https":
        sock.settimeout(_until(deadline))  # the TLS handshake gets what the TCP connect left
        sock = _tls_context().wrap_socket(sock, server_hostname=origin.host)
    # Non-blocking from here: a send or read that cannot go on waits in `_wait`, bounded by the call's deadline. (A
    # socket with a timeout polls before every send and read, two system calls for each where one does.)
    sock.setblocking(False)
    return sock


def _until(deadline: float) -> float:
    """The time left until `deadline`; TimeoutError when none is left."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("deadline of the call exceeded")
    return remaining


def _wait(sock: socket.socket, events: int, deadline: float) -> None:
    """Waits until `sock` is ready for `events` (select.POLLIN, select.POLLOUT); TimeoutError at `deadline`."""
    poller = select.poll()
    poller.register(sock, events)
    if not poller.poll(_until(deadline) * 1000):
        raise TimeoutError("deadline of the call exceeded")


def _send_all(sock: socket.socket, data: bytes, deadline: float) -> None:
    try:
        sent = sock.send(data)  # the usual case: a request the socket's buffer takes whole, in one call
    except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
        sent = 0  # the loop below sends it again, waiting as the error asks
    if sent == len(data):
        return
    view = memoryview(data)[sent:]
    while view:
        try:
            view = view[sock.send(view) :]
        except (BlockingIOError, ssl.SSLWantWriteError):
            _wait(sock, select.POLLOUT, deadline)
        except ssl.SSLWantReadError:  # TLS may need to read before it can write
            _wait(sock, select.POLLIN, deadline)


class JSONText(bytes):
    """A JSON body already encoded, sent as it is: a caller that sends the same body again and again (a Guardian
    check) encodes it once."""


@lru_cache(maxsize=1024)
def _message(method: str, origin: _Origin, target: str, token: str | None, body: bytes | None) -> bytes:
    """The request as sent: a caller repeats the same calls (a Guardian check per request), so each is built once."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {origin.netloc}", "Accept-Encoding: identity"]
    if token:
        if token.translate(_HEADER_VALUE_OUT):  # only visible ASCII may go into the header
            raise http.client.HTTPException("the token cannot be sent in a Cookie header")
        lines.append(f"Cookie: access_token={token}")
    if body is not None:
        lines.append("Content-Type: application/json")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body or b'')}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


# Methods a client may send again when a kept-alive connection turns out closed before any answer (RFC 9110 §9.2):
# the safe ones; a caller marks another call `repeatable` when sending it twice changes nothing (a Guardian check).
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _send_direct(
    method: str,
    base_url: str,
    path: str,
    *,
    token: str | None,
    params,
    json_body,
    deadline: float,
    repeatable: bool = False,
) -> "_Sent":
    """Sends one call over a kept-alive socket; its answer is read by `_Sent.read`. Raises OSError or
    http.client.HTTPException.

    A repeatable call takes an idle connection without first asking the kernel whether the server closed it (a
    system call per call): a connection found closed while sending, or closed before the answer's first byte
    (`_Sent.read`), is replaced by a new one and the call sent once more. Any other call takes only a connection
    that is still open."""
    origin = _origin(base_url)
    target = f"{origin.prefix}{path}"
    if params:
        target += ("&" if "?" in target else "?") + urlencode(params)
    body: bytes | None
    if json_body is None or isinstance(json_body, JSONText):
        body = json_body
    else:
        body = json.dumps(json_body).encode()
    message = _message(method, origin, target, token, body)
    repeatable = repeatable or method in _SAFE_METHODS
    link = _idle.take(origin, check=not repeatable)
    if link is not None:
        try:
            return _Sent(
                origin, _deliver(origin, message, deadline, link), method, deadline, message if repeatable else None
            )
        except ConnectionError:  # the kept-alive connection was closed: a new one below, for a repeatable call
            if not repeatable:
                raise
    return _Sent(origin, _deliver(origin, message, deadline), method, deadline, None)


def _deliver(origin: _Origin, message: bytes, deadline: float, link: _Link | None = None) -> _Link:
    """`message` sent over `link`, or a new connection; the connection is closed when sending fails."""
    if link is None:
        link = _Link.of(_connect(origin, deadline))
    try:
        _send_all(link.sock, message, deadline)
    except BaseException:
        link.sock.close()
        raise
    return link


class _Sent:
    """A call sent over the direct transport, whose answer is still to be read; `again`: the message, when it was
    sent over a kept-alive connection without checking it first (and is sent once more should that connection
    turn out closed)."""

    __slots__ = ("origin", "link", "method", "deadline", "again")

    def __init__(self, origin: _Origin, link: _Link, method: str, deadline: float, again: bytes | None):
        self.origin, self.link, self.method, self.deadline, self.again = origin, link, method, deadline, again

    def read(self) -> tuple[int, bytes, "_Headers"]:
        """(status, body, headers); the connection goes back to the idle ones unless the answer closes it."""
        sock = self.link.sock
        try:
            try:
                first = _receive(sock, self.deadline)
            except ConnectionError:  # closed, or reset, before the answer's first byte
                if self.again is None:
                    raise
                sock.close()
                self.link = _deliver(self.origin, self.again, self.deadline)
                sock = self.link.sock
                first = _receive(sock, self.deadline)
            key = (self.method, first)
            read = _read_before.get(key)
            if read is None:
                answer = _Answer(sock, self.deadline, first)
                read = answer.read(self.method)
                if answer.was_first_alone() and len(first) <= MAX_KEPT_ANSWER:
                    _read_before.keep(key, read)
        except BaseException:
            sock.close()
            raise
        status, content, headers, will_close = read
        if will_close:
            sock.close()
        else:
            _idle.give(self.origin, self.link)
        return status, content, headers


MAX_KEPT_ANSWER = 4096  # bytes of an answer kept with what it reads as


# Answers already read, by (method, the answer's bytes), with what they read as: an answer reads as a function of
# its bytes alone, and a service called again and again repeats the same few answers byte for byte (a Guardian
# grant: the same status line, headers and body, up to a Date header that changes once a second). Reading one again
# costs a dictionary look-up instead of the parse (bench/README.md). Their headers are shared, not to be changed.
_read_before: BoundedMap[tuple[str, bytes], tuple[int, bytes, "_Headers", bool]] = BoundedMap(64)


def _receive(sock: socket.socket, deadline: float) -> bytes:
    """What has arrived on `sock` (a read made whatever the deadline; waiting for a first byte ends at it).
    Raises RemoteDisconnected when the service has closed the connection."""
    while True:
        try:
            chunk = sock.recv(65536)
            break
        except (BlockingIOError, ssl.SSLWantReadError):
            _wait(sock, select.POLLIN, deadline)
        except ssl.SSLWantWriteError:  # TLS may need to write before it can read
            _wait(sock, select.POLLOUT, deadline)
    if not chunk:
        raise http.client.RemoteDisconnected("the service closed the connection before its answer ended")
    return chunk


class _Headers(dict):
    """An answer's headers by lower-cased name, looked up whatever the case of the name asked for."""

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())

    def get(self, name: str, default=None):  # type: ignore[override]
        return super().get(name.lower(), default)


MAX_HEAD = 64 * 1024  # the status line and headers of an answer


class _Answer:
    """Reads one HTTP/1.1 answer off a non-blocking socket: the status, the body (by Content-Length, chunked, or up
    to the close), the headers (the last of a repeated name) and whether the connection closes after it.
    http.client parses headers through the email package, which cost a kept-alive Guardian check more than the rest
    of its client side; this reads what a JSON service answers, and raises http.client.HTTPException (or OSError)
    for anything else.

    It begins with the first read's bytes (`_receive`, which takes what has arrived whatever the deadline: past it
    — an answer read after the caller's own work, `ServiceClient.begin`, that outlasted the call's timeout — a
    complete answer is still the answer). Every later read, and every wait, is within the deadline, so that an
    answer still trickling in fails at it."""

    __slots__ = ("_sock", "_deadline", "_buffer", "_closed", "_reads")

    def __init__(self, sock: socket.socket, deadline: float, first: bytes):
        self._sock = sock
        self._deadline = deadline
        self._buffer = bytearray(first)
        self._closed = False
        self._reads = 1

    def was_first_alone(self) -> bool:
        """Whether the answer read was the first read's bytes exactly: no later read, nothing left over."""
        return self._reads == 1 and not self._buffer and not self._closed

    def _fill(self) -> None:
        if time.monotonic() >= self._deadline:
            raise TimeoutError("deadline of the call exceeded")
        self._reads += 1
        try:
            chunk = _receive(self._sock, self._deadline)
        except http.client.RemoteDisconnected:
            self._closed = True
            raise
        self._buffer += chunk

    def _line(self, limit: int = MAX_HEAD) -> bytes:
        while (end := self._buffer.find(b"\r\n")) < 0:
            if len(self._buffer) > limit:
                raise http.client.LineTooLong("answer line")
            self._fill()
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 2]
        return line

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _head(self) -> tuple[int, bool, _Headers]:
        while (end := self._buffer.find(b"\r\n\r\n")) < 0:
            if len(self._buffer) > MAX_HEAD:
                raise http.client.LineTooLong("answer headers")
            self._fill()
        lines = self._buffer[:end].decode("latin-1").split("\r\n")
        del self._buffer[: end + 4]
        version, _, rest = lines[0].partition(" ")
        code = rest[:3]
        if version not in ("HTTP/1.1", "HTTP/1.0") or not code.isdigit() or rest[3:4] not in ("", " "):
            raise http.client.BadStatusLine(lines[0])
        headers = _Headers()
        name = ""
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and name:  # an obsolete folded continuation
                headers[name] += " " + line.strip()
                continue
            name, colon, value = line.partition(":")
            if not colon or not name or name != name.strip():
                raise http.client.HTTPException(f"malformed header line: {line!r}")
            name = name.lower()
            headers[name] = value.strip()
        return int(code), version == "HTTP/1.0", headers

    def read(self, method: str) -> tuple[int, bytes, _Headers, bool]:
        status, old, headers = self._head()
        while 100 <= status < 200:  # interim answers (100 Continue, 103 Early Hints) precede the answer
            status, old, headers = self._head()
        get = dict.get  # the names asked for here are lower-case already
        connection = get(headers, "connection")
        tokens = {token.strip().lower() for token in connection.split(",")} if connection else ()
        will_close = "close" in tokens or (old and "keep-alive" not in tokens)
        # Bytes past the answer's end were not asked for: the connection is out of step and is not used again.
        if method == "HEAD" or status in (204, 304):
            return status, b"", headers, will_close or bool(self._buffer)
        if "chunked" in get(headers, "transfer-encoding", "").lower():
            parts = []
            while size := self._chunk_size():
                parts.append(self._exactly(size))
                if self._exactly(2) != b"\r\n":
                    raise http.client.IncompleteRead(b"".join(parts))
            while self._line():  # trailer fields, up to the empty line
                pass
            return status, b"".join(parts), headers, will_close or bool(self._buffer)
        length = get(headers, "content-length")
        if length is not None:
            if not length.isdigit():
                raise http.client.HTTPException(f"invalid Content-Length: {length!r}")
            body = self._exactly(int(length))
            return status, body, headers, will_close or bool(self._buffer)
        # Neither: the body ends with the connection.
        while not self._closed:
            try:
                self._fill()
            except http.client.RemoteDisconnected:
                break
        return status, bytes(self._buffer), headers, True

    def _chunk_size(self) -> int:
        size = self._line().split(b";", 1)[0].strip()
        try:
            return int(size, 16)
        except ValueError:
            raise http.client.HTTPException(f"invalid chunk size: {size!r}") from None


# --- the client --------------------------------------------------------------------------------------------------
class Reply(NamedTuple):  # a tuple: made for every call, in C
    """A complete answer below 500 that was not a refusal."""

    service: str
    what: str
    status: int
    content: bytes
    headers: Mapping[str, str]

    def __repr__(self) -> str:  # without the headers
        return f"Reply(service={self.service!r}, what={self.what!r}, status={self.status}, content={self.content!r})"

    def json(self):
        """The body as JSON; ServiceUnavailable when it is not JSON."""
        try:
            return _parse_json(self.content)
        except ValueError:
            raise unavailable(self.service, f"{self.what} answered a body that is not JSON") from None

    def json_or_none(self):
        """The body as JSON, or None when it is empty or not JSON."""
        try:
            return _parse_json(self.content) if self.content else None
        except ValueError:
            return None


# A run of 19 digits or more: an integer orjson may read as a float where the standard library keeps it exact.
_LONG_NUMBER = re.compile(rb"\d{19}")


def _parse_json(content: bytes):
    """`json.loads(content)`'s value, by orjson where it gives the same (a Guardian check's answer in a fraction of
    the instructions): a body with a long run of digits, and one orjson refuses but the standard library reads
    (NaN, a float beyond the double range, a byte-order mark, UTF-16), go to the standard library. Raises ValueError
    when neither reads it."""
    if _LONG_NUMBER.search(content):
        return json.loads(content)
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


def reason_of(payload) -> str | None:
    """The `reason` a service gives in an object body, as text; None when it gives none."""
    reason = payload.get("reason") if isinstance(payload, dict) else None
    return str(reason) if reason is not None else None


def unavailable(service: str, detail: str) -> ServiceUnavailable:
    """A ServiceUnavailable, logged as a warning (the log says what failed; the caller is told only 503)."""
    logger.warning("%s %s", service.capitalize(), detail)
    return ServiceUnavailable(service, detail)


_DIRECT_ARGUMENTS = frozenset({"params", "json"})  # what a call over the direct transport may carry


class ServiceClient:
    """Calls one outside service: base URL and timeout read from settings at each call, the caller's token as the
    `access_token` cookie, the timeout a deadline for the whole call."""

    def __init__(self, service: str, *, url_setting: str, timeout_setting: str, direct: bool = False):
        self.service = service
        self.url_setting = url_setting
        self.timeout_setting = timeout_setting
        self.direct = direct  # calls without files over the direct transport (above) rather than `requests`

    def request(self, method: str, path: str, *, token: str | None, **kwargs) -> Reply:
        """Sends the call (`kwargs`: `params`, `json` — an object or JSONText —, `data`, `files` as `requests`
        takes them) and returns the whole answer. Raises ServiceUnavailable (transport error, deadline, 5xx) and
        ServiceRefused (401/403)."""
        return self.begin(method, path, token=token, **kwargs).reply()

    def begin(self, method: str, path: str, *, token: str | None, repeatable: bool = False, **kwargs) -> "Call":
        """Sends the call and returns it without waiting for its answer when the direct transport carries it (the
        caller does other work meanwhile, then asks `Call.reply()`); through `requests` the whole call is made
        here. Nothing raises here: a failure to send is raised by `reply()`, as a failure to answer is.
        `repeatable`: sending the call twice changes nothing, as for GET (see `_send_direct`)."""
        timeout = float(getattr(settings, self.timeout_setting))
        call = Call(self, _what(method, path), time.monotonic(), timeout)
        base_url = getattr(settings, self.url_setting)
        if self.direct and kwargs.keys() <= _DIRECT_ARGUMENTS:
            try:
                call.sent = _send_direct(
                    method,
                    base_url,
                    path,
                    token=token,
                    params=kwargs.get("params"),
                    json_body=kwargs.get("json"),
                    deadline=call.deadline,
                    repeatable=repeatable,
                )
            except (OSError, http.client.HTTPException) as exc:
                call.failure = exc
            return call
        headers = {"Cookie": f"access_token={token}"} if token else {}
        if isinstance(kwargs.get("json"), JSONText):
            kwargs["data"] = kwargs.pop("json")
            headers["Content-Type"] = "application/json"
        reset = _deadline.set(call.deadline)
        try:
            response = session_for(self.service).request(
                method, f"{base_url}{path}", headers=headers, timeout=(timeout, timeout), **kwargs
            )
            call.answer = (response.status_code, response.content, response.headers)
        except (requests.RequestException, OSError, http.client.HTTPException) as exc:
            call.failure = exc
        finally:
            _deadline.reset(reset)
        return call

    def unexpected(self, reply: Reply) -> ServiceUnavailable:
        """The error for a status the call does not expect."""
        return unavailable(self.service, f"{reply.what} answered unexpected status {reply.status}")


@lru_cache(maxsize=256)
def _what(method: str, path: str) -> str:
    """The call's route without ids, as logs and errors name it: `POST /check-access`, `GET /roles`."""
    return f"{method} /{path.lstrip('/').split('/', 1)[0]}"


class Call:
    """One call of a ServiceClient: sent by `begin`, its answer read (within the same deadline) by `reply`."""

    __slots__ = ("client", "what", "started", "deadline", "sent", "answer", "failure")

    def __init__(self, client: ServiceClient, what: str, started: float, timeout: float):
        self.client, self.what, self.started = client, what, started  # what: the route, without ids
        self.deadline = started + timeout
        self.sent: _Sent | None = None
        self.answer: tuple | None = None
        self.failure: BaseException | None = None

    def reply(self) -> Reply:
        """The whole answer. Raises ServiceUnavailable (transport error, deadline, 5xx) and ServiceRefused
        (401/403). Called once."""
        service, what = self.client.service, self.what
        if self.sent is not None:
            sent, self.sent = self.sent, None
            try:
                self.answer = sent.read()
            except (OSError, http.client.HTTPException) as exc:
                self.failure = exc
        failure = self.failure
        if failure is not None:
            elapsed = time.monotonic() - self.started
            timed_out = isinstance(failure, (requests.Timeout, TimeoutError))
            record_outside_call(service, "timeout" if timed_out else "error", elapsed)
            raise unavailable(service, f"{what} failed after {elapsed:.2f} s: {type(failure).__name__}") from failure
        if self.answer is None:
            raise RuntimeError("Call.reply() was called twice")
        (status, content, headers), self.answer = self.answer, None
        record_outside_call(service, f"{status // 100}xx", time.monotonic() - self.started)
        reply = Reply(service, what, status, content, headers)
        if reply.status >= 500:
            raise unavailable(service, f"{what} answered {reply.status}")
        if reply.status in (401, 403):
            reason = reason_of(reply.json_or_none())
            raise ServiceRefused(service, f"{what} answered {reply.status}", reason=reason)
        return reply
