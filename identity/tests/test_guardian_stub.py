"""The benchmarks' Guardian stubs (bench/guardian_stub.py and bench/guardian_stub.c) answer the contract's
check-access as Guardian does, over kept-alive connections (docs/integrations.md section 2)."""

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from identity.clients import guardian
from identity.testing.live import free_port

BENCH = Path(__file__).resolve().parents[2] / "bench"
CHECK = {"user_id": "u1", "service": "identity", "resource_name": "company", "operation": "LIST"}


@pytest.fixture(scope="module", params=["python", "c"])
def stub_url(request, tmp_path_factory):
    if request.param == "python":
        command = [sys.executable, str(BENCH / "guardian_stub.py")]
    else:
        compiler = shutil.which("cc") or shutil.which("gcc")
        if compiler is None:
            pytest.skip("no C compiler for bench/guardian_stub.c")
        binary = tmp_path_factory.mktemp("stub") / "guardian_stub"
        subprocess.run([compiler, "-O2", "-o", str(binary), str(BENCH / "guardian_stub.c")], check=True)
        command = [str(binary)]
    port = free_port()
    process = subprocess.Popen([*command, "--port", str(port)])
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
        (_request({key: value for key, value in CHECK.items() if key != "user_id"}), 400),
        (_request({**CHECK, "resource_name": 7}), 400),
    ],
    ids=["no-cookie", "unknown-operation", "other-service", "not-json", "no-user-id", "resource-not-a-string"],
)
def test_the_stub_refuses_what_guardian_refuses(stub_url, request_bytes, status):
    [(answered, body)] = _answers(stub_url, request_bytes, 1)
    assert (answered, body["access_granted"]) == (status, False)


def test_the_stub_counts_the_checks_it_granted(stub_url):
    stats = _request(CHECK) * 2 + b"GET /stats HTTP/1.1\r\nHost: stub\r\n\r\n"
    before = _answers(stub_url, b"GET /stats HTTP/1.1\r\nHost: stub\r\n\r\n", 1)[0][1]["checks"]
    *_, (status, body) = _answers(stub_url, stats, 3)
    assert (status, body["checks"]) == (200, before + 2)
