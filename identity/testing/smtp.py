"""A real SMTP server on 127.0.0.1 (aiosmtpd) that collects the messages it receives, and its pytest fixture."""

import email
import email.policy
import logging
import socket
import threading
import time
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Collector:
    def __init__(self, sink: "SmtpSink"):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self.sink.refusal
        if refusal is not None:
            self.sink.refused += 1
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.sink._received(envelope.mail_from, list(envelope.rcpt_tos), message)
        return "250 Message accepted for delivery"


class SmtpSink:
    """Starts aiosmtpd on a free local port; `messages` holds every received message (parsed, newest last)."""

    def __init__(self) -> None:
        self.hostname = "127.0.0.1"
        self.port = 0
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        # An SMTP reply to every recipient instead of accepting it (e.g. "550 No such user"), and how often given.
        self.refusal: str | None = None
        self.refused = 0
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self, port: int | None = None) -> "SmtpSink":
        """Listens on `port`, or on a free port when None."""
        # aiosmtpd logs every DATA line at DEBUG; tests that assert "no code in the logs" must not see its echo.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        for _ in range(1 if port else 5):  # a probed port may be taken by someone else before we bind it
            self.port = port or free_port()
            controller = Controller(_Collector(self), hostname=self.hostname, port=self.port)
            try:
                controller.start()
            except (OSError, RuntimeError):
                continue
            self._controller = controller
            return self
        raise RuntimeError("could not start the SMTP test server")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self.envelopes.clear()

    def _received(self, mail_from: str, rcpt_tos: list[str], message: EmailMessage) -> None:
        with self._lock:
            self.envelopes.append((mail_from, rcpt_tos))
            self.messages.append(message)

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[EmailMessage]:
        """The messages once at least `count` arrived (the client returns before the handler may have run)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} message(s), received {len(self.messages)}")

    @staticmethod
    def parts(message: EmailMessage) -> dict[str, str]:
        """`{"text/plain": ..., "text/html": ...}` of a message."""
        found = {}
        for part in message.walk():
            if part.get_content_maintype() == "text":
                found[part.get_content_type()] = part.get_content()
        return found


def send_through(settings, hostname: str, port: int) -> None:
    """Settings that send email over SMTP to hostname:port (USE_EMAIL_SERVICE, SMTP backend, no TLS, no login)."""
    settings.USE_EMAIL_SERVICE = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = hostname
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def smtp_server(settings):
    """A running SmtpSink and settings that send through it (see `send_through`).

    Import it into a test module: `from identity.testing.smtp import smtp_server  # noqa: F401`.
    """
    sink = SmtpSink().start()
    send_through(settings, sink.hostname, sink.port)
    try:
        yield sink
    finally:
        sink.stop()
