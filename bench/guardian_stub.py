"""A keep-alive Guardian for load benchmarks: grants every well-formed `POST /check-access` (docs/integrations.md
section 2), as cheaply as it can, so that a benchmark measures this service's side of the call.

It speaks HTTP/1.1 with persistent connections (pipelined requests too) on asyncio, without http.server: every
answer is one prepared byte string written in one `write`, on sockets with TCP_NODELAY, so a kept-alive call never
waits for a delayed ACK. What it answers:

- `POST /check-access` with the `access_token` cookie and a JSON object holding `user_id`, `service: "identity"`,
  `resource_name` and an operation of docs/behaviour.md §3.1 → 200 `{"access_granted": true, "reason": "Access
  granted", "status": 200}`; without the cookie → 401; any other body → 400 (both with Guardian's keys);
- `GET /stats` → `{"checks": N}`, the check-access calls this process granted (how a benchmark proves that
  Guardian was asked once per request, or, with the decision cache, seldom);
- anything else → 404.

Usage: `bench/guardian_stub.py [--port 8260] [--processes 1]` (several processes share the port through
SO_REUSEPORT; `/stats` then counts one process's calls).
"""

import argparse
import asyncio
import json
import os
import signal
import socket

OPERATIONS = frozenset({"LIST", "CREATE", "READ", "UPDATE", "DELETE"})
MAX_HEAD = 64 * 1024


def _answer(status: int, phrase: str, body: dict) -> bytes:
    payload = json.dumps(body).encode()
    head = f"HTTP/1.1 {status} {phrase}\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    return head.encode("latin-1") + payload


GRANTED = _answer(200, "OK", {"access_granted": True, "reason": "Access granted", "status": 200})
NO_TOKEN = _answer(401, "Unauthorized", {"access_granted": False, "reason": "Missing token", "status": 401})
BAD_BODY = _answer(400, "Bad Request", {"access_granted": False, "reason": "Invalid request", "status": 400})
NOT_FOUND = _answer(404, "Not Found", {"error": "Not found"})
BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class Stats:
    checks = 0


def _well_formed(body: bytes) -> bool:
    try:
        check = json.loads(body)
    except ValueError:
        return False
    return (
        isinstance(check, dict)
        and isinstance(check.get("user_id"), str)
        and check.get("service") == "identity"
        and isinstance(check.get("resource_name"), str)
        and check.get("operation") in OPERATIONS
    )


def respond(head: bytes, body: bytes) -> bytes:
    """The answer to one request, from its head (request line and headers) and its body."""
    request_line, _, headers = head.partition(b"\r\n")
    method, _, rest = request_line.partition(b" ")
    target = rest.partition(b" ")[0]
    if method == b"POST" and target == b"/check-access":
        if b"access_token=" not in _header(headers, b"cookie"):
            return NO_TOKEN
        if not _well_formed(body):
            return BAD_BODY
        Stats.checks += 1
        return GRANTED
    if method == b"GET" and target == b"/stats":
        return _answer(200, "OK", {"checks": Stats.checks})
    return NOT_FOUND


def _header(headers: bytes, name: bytes) -> bytes:
    for line in headers.split(b"\r\n"):
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return b""


class Connection(asyncio.Protocol):
    def connection_made(self, transport) -> None:
        self.transport = transport
        self.buffer = b""
        sock = transport.get_extra_info("socket")
        if sock is not None:  # asyncio sets it on TCP transports already; said here, not assumed
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        answers = []
        close = False
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEAD:
                    answers.append(BAD_REQUEST)
                    close = True
                break
            head = self.buffer[:end]
            length_text = _header(head.partition(b"\r\n")[2], b"content-length") or b"0"
            if not length_text.isdigit():
                answers.append(BAD_REQUEST)
                close = True
                break
            start, stop = end + 4, end + 4 + int(length_text)
            if len(self.buffer) < stop:
                break  # the body is still on its way
            body, self.buffer = self.buffer[start:stop], self.buffer[stop:]
            answers.append(respond(head, body))
            if _header(head.partition(b"\r\n")[2], b"connection").lower() == b"close":
                close = True
                break
        if answers:
            self.transport.write(b"".join(answers))  # one write: one segment per batch of answers
        if close:
            self.transport.close()


async def serve(port: int, reuse_port: bool) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Connection, "127.0.0.1", port, reuse_port=reuse_port or None, backlog=512)
    stop = loop.create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, lambda: stop.done() or stop.set_result(None))
    async with server:
        await stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8260)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()
    children = []
    for _ in range(args.processes - 1):
        pid = os.fork()
        if pid == 0:
            asyncio.run(serve(args.port, True))
            os._exit(0)
        children.append(pid)
    try:
        asyncio.run(serve(args.port, args.processes > 1))
    finally:
        for pid in children:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
