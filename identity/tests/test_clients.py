"""The client base of the outside services: whole-call deadline, kept-alive session, one exception family, and
the test fakes it is tested against."""

import time

import pytest

from identity.clients.base import (
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


@pytest.fixture
def client(echo, settings):
    settings.GUARDIAN_SERVICE_URL = echo.url
    settings.GUARDIAN_SERVICE_TIMEOUT = 5.0
    return ServiceClient("guardian", url_setting="GUARDIAN_SERVICE_URL", timeout_setting="GUARDIAN_SERVICE_TIMEOUT")


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
