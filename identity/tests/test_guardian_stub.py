"""The benchmarks' Guardian stub (bench/guardian_stub.py) answers the contract's check-access as Guardian does, over
kept-alive connections (docs/integrations.md section 2)."""

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from identity.clients import guardian
from identity.testing.live import free_port

STUB = Path(__file__).resolve().parents[2] / "bench" / "guardian_stub.py"
CHECK = {"user_id": "u1", "service": "identity", "resource_name": "company", "operation": "LIST"}


@pytest.fixture(scope="module")
def stub_url():
    port = free_port()
    process = subprocess.Popen([sys.executable, str(STUB), "--port", str(port)])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the stub did not start"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def _request(body: dict | str, *, cookie: bool = True) -> bytes:
    payload = body if isinstance(body, str) else json.dumps(body)
    head = f"POST /check-access HTTP/1.1\r\nHost: stub\r\nContent-Length: {len(payload.encode())}\r\n"
    return (head + ("Cookie: access_token=tok\r\n" if cookie else "") + "\r\n" + payload).encode()


def _answers(url: str, data: bytes, count: int) -> list[tuple[int, dict]]:
    """Sends `data` on one connection and reads `count` answers from it."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(data)
        reader = sock.makefile("rb")
        answers = []
        for _ in range(count):
            status = int(reader.readline().split()[1])
            length = 0
            while (line := reader.readline()) != b"\r\n":
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            answers.append((status, json.loads(reader.read(length))))
        return answers


def test_the_stub_grants_checks_through_the_service_client(stub_url, settings):
    settings.GUARDIAN_SERVICE_URL = stub_url
    decision = guardian.check_access(token="tok", user_id="u1", resource_name="user", operation="READ")
    assert decision == guardian.Decision(True, "Access granted")


def test_the_stub_answers_pipelined_checks_on_one_connection(stub_url):
    answers = _answers(stub_url, _request(CHECK) * 3, 3)
    assert answers == [(200, {"access_granted": True, "reason": "Access granted", "status": 200})] * 3


@pytest.mark.parametrize(
    "request_bytes, status",
    [
        (_request(CHECK, cookie=False), 401),
        (_request({**CHECK, "operation": "FLY"}), 400),
        (_request({**CHECK, "service": "other"}), 400),
        (_request("not json"), 400),
    ],
    ids=["no-cookie", "unknown-operation", "other-service", "not-json"],
)
def test_the_stub_refuses_what_guardian_refuses(stub_url, request_bytes, status):
    [(answered, body)] = _answers(stub_url, request_bytes, 1)
    assert (answered, body["access_granted"]) == (status, False)
