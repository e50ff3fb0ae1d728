"""Reset by emailed code (docs/behaviour.md §7.5), delivered to a real SMTP server on 127.0.0.1."""

import logging
import re
import smtplib
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from identity.logging import RequestContextFilter
from identity.testing.assertions import assert_error
from identity.testing.constants import PASSWORD
from identity.testing.smtp import SmtpSink, free_port, send_through, smtp_server  # noqa: F401  (fixture)
from users.models import PasswordResetCode, User
from users.services import passwords as credentials

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Fresh-start-2024"
REQUESTED = {"message": "If the email exists, a password reset code has been sent."}
DONE = {"message": "Password reset successful. You can now log in with your new password."}


@pytest.fixture(autouse=True)
def _public_settings(settings):
    settings.INTERNAL_AUTH_TOKEN = ""
    settings.RATELIMIT_ENABLE = False
    settings.DEFAULT_FROM_EMAIL = "identity@acme.test"


def request_code(client, email):
    return client.post("/users/password-reset/request", {"email": email}, format="json")


def confirm(client, email, code, new_password=NEW_PASSWORD):
    body = {"email": email, "otp_code": code, "new_password": new_password}
    return client.post("/users/password-reset/confirm", body, format="json")


def login(client, email, password):
    return client.post("/verify_password", {"email": email, "password": password}, format="json")


def wait_until(predicate, timeout: float = 5.0):
    """The email goes out on a background thread (so that answers take the same time for every address)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the reset email was not sent in time"
        time.sleep(0.01)


def code_of(message) -> str:
    text = SmtpSink.parts(message)["text/plain"]
    match = re.search(r"\b(\d{6})\b", text)
    assert match is not None, f"no 6-digit code in {text!r}"
    return match.group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_reset_round_trip_over_smtp(anon_client, user_a, smtp_server):
    assert request_code(anon_client, user_a.email).json() == REQUESTED
    [message] = smtp_server.wait_for(1)
    assert message["To"] == user_a.email
    assert message["From"] == "identity@acme.test"
    assert message["Subject"] == "Your password reset code"
    parts = SmtpSink.parts(message)
    assert set(parts) == {"text/plain", "text/html"}
    code = code_of(message)
    for body in parts.values():
        assert "Hello Alpha" in body
        assert code in body
        assert "15 minutes" in body
        assert "Never share this code" in body

    response = confirm(anon_client, user_a.email, code)
    assert response.status_code == 200, response.content
    assert response.json() == DONE
    assert login(anon_client, user_a.email, NEW_PASSWORD).status_code == 200
    assert_error(login(anon_client, user_a.email, PASSWORD), 403)
    # A code works once.
    assert_error(confirm(anon_client, user_a.email, code, "Another-start-2024"), 400, "Invalid email or OTP code")


def test_reset_email_speaks_french_to_a_french_user(anon_client, company_a, make_user, smtp_server):
    user = make_user(company_a, "zeta@acme.test", first_name="Zéta", language="fr")
    request_code(anon_client, "ZETA@acme.test")
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "Votre code de réinitialisation du mot de passe"
    code = code_of(message)
    for body in SmtpSink.parts(message).values():
        assert "Bonjour Zéta" in body
        assert "15 minutes" in body
        assert "Ne communiquez jamais ce code" in body
        assert code in body
        assert "Hello" not in body
    assert confirm(anon_client, user.email, code).status_code == 200


def test_reset_email_states_the_configured_lifetime_and_escapes_html(
    anon_client, company_a, make_user, smtp_server, settings
):
    settings.PASSWORD_RESET_OTP_TTL_MINUTES = 1
    make_user(company_a, "html@acme.test", first_name="<b>Epsilon</b>")
    request_code(anon_client, "html@acme.test")
    parts = SmtpSink.parts(smtp_server.wait_for(1)[0])
    assert "valid for 1 minute " in parts["text/plain"]
    assert "Hello <b>Epsilon</b>," in parts["text/plain"]
    assert "&lt;b&gt;Epsilon&lt;/b&gt;" in parts["text/html"] and "<b>Epsilon</b>" not in parts["text/html"]


def test_three_wrong_codes_kill_the_code(anon_client, user_a, smtp_server):
    request_code(anon_client, user_a.email)
    code = code_of(smtp_server.wait_for(1)[0])
    for _ in range(3):
        assert_error(confirm(anon_client, user_a.email, wrong(code)), 400, "Invalid email or OTP code")
    assert_error(confirm(anon_client, user_a.email, code), 400, "Invalid email or OTP code")
    assert PasswordResetCode.objects.get(user=user_a).attempts == 3
    user_a.refresh_from_db()
    assert user_a.check_password(PASSWORD)


def test_max_attempts_setting_is_honoured(anon_client, user_a, smtp_server, settings):
    settings.PASSWORD_RESET_OTP_MAX_ATTEMPTS = 5
    request_code(anon_client, user_a.email)
    code = code_of(smtp_server.wait_for(1)[0])
    for _ in range(4):
        assert_error(confirm(anon_client, user_a.email, wrong(code)), 400, "Invalid email or OTP code")
    assert confirm(anon_client, user_a.email, code).status_code == 200


def test_second_request_invalidates_the_first_code(anon_client, user_a, smtp_server):
    request_code(anon_client, user_a.email)
    first = code_of(smtp_server.wait_for(1)[0])
    request_code(anon_client, user_a.email)
    second = code_of(smtp_server.wait_for(2)[1])
    if first != second:
        assert_error(confirm(anon_client, user_a.email, first), 400, "Invalid email or OTP code")
    assert PasswordResetCode.objects.filter(user=user_a).count() == 1
    assert confirm(anon_client, user_a.email, second).status_code == 200


def test_expired_code_is_refused(anon_client, user_a, smtp_server):
    request_code(anon_client, user_a.email)
    code = code_of(smtp_server.wait_for(1)[0])
    PasswordResetCode.objects.filter(user=user_a).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(confirm(anon_client, user_a.email, code), 400, "Invalid email or OTP code")
    user_a.refresh_from_db()
    assert user_a.check_password(PASSWORD)


def test_ttl_setting_is_honoured(anon_client, user_a, smtp_server, settings):
    settings.PASSWORD_RESET_OTP_TTL_MINUTES = 7
    before = timezone.now()
    request_code(anon_client, user_a.email)
    smtp_server.wait_for(1)
    row = PasswordResetCode.objects.get(user=user_a)
    assert before + timedelta(minutes=7) <= row.expires_at <= timezone.now() + timedelta(minutes=7)


def test_unknown_email_gets_the_same_answer_and_no_mail(anon_client, user_a, smtp_server):
    response = request_code(anon_client, "nobody@acme.test")
    assert response.status_code == 200 and response.json() == REQUESTED
    User.objects.filter(pk=user_a.pk).update(is_active=False)
    assert request_code(anon_client, user_a.email).json() == REQUESTED
    assert smtp_server.messages == []
    assert not PasswordResetCode.objects.exists()


@pytest.mark.parametrize("body", [None, {}, {"email": 5}, [1, 2], "text", {"email": ""}, {"mail": "a@b.c"}])
def test_request_bad_bodies_get_200(anon_client, body, smtp_server):
    response = anon_client.post("/users/password-reset/request", body, format="json")
    assert response.status_code == 200 and response.json() == REQUESTED
    for data, content_type in [("{oops", "application/json"), ("email=a@b.c", "application/x-www-form-urlencoded")]:
        response = anon_client.post("/users/password-reset/request", data, content_type=content_type)
        assert response.status_code == 200 and response.json() == REQUESTED
    assert smtp_server.messages == []


def test_request_send_failure_still_200_and_logs_no_code(anon_client, user_a, settings, caplog):
    settings.USE_EMAIL_SERVICE = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", free_port(), False
    settings.MAIL_RETRY_BACKOFF_SECONDS = 0.01
    caplog.set_level(logging.DEBUG)
    response = request_code(anon_client, user_a.email)
    assert response.status_code == 200 and response.json() == REQUESTED
    wait_until(lambda: "could not be sent" in caplog.text)
    assert PasswordResetCode.objects.filter(user=user_a).count() == 1


def test_reset_email_is_retried_until_the_smtp_server_is_up(anon_client, user_a, settings, caplog):
    port = free_port()  # nothing listens there yet: the SMTP server is down
    send_through(settings, "127.0.0.1", port)
    settings.MAIL_SEND_RETRIES, settings.MAIL_RETRY_BACKOFF_SECONDS = 6, 0.1  # waits 0.1, 0.2, 0.4 … 3.2 s
    caplog.set_level(logging.INFO)
    assert request_code(anon_client, user_a.email).json() == REQUESTED
    wait_until(lambda: "attempt 1 of 7 failed" in caplog.text)
    sink = SmtpSink().start(port)
    try:
        [message] = sink.wait_for(1, timeout=10)
    finally:
        sink.stop()
    assert confirm(anon_client, user_a.email, code_of(message)).status_code == 200
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert code_of(message) not in caplog.text


def test_reset_email_that_never_goes_out_is_logged_as_an_error_with_the_request_id(
    anon_client, user_a, settings, caplog
):
    send_through(settings, "127.0.0.1", free_port())  # down throughout
    settings.MAIL_SEND_RETRIES, settings.MAIL_RETRY_BACKOFF_SECONDS = 2, 0.05
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestContextFilter())  # as every configured log handler has
    started = time.monotonic()
    response = anon_client.post(
        "/users/password-reset/request", {"email": user_a.email}, format="json", HTTP_X_REQUEST_ID="reset-mail-1"
    )
    assert response.json() == REQUESTED
    wait_until(lambda: any(record.levelno >= logging.ERROR for record in caplog.records))
    assert time.monotonic() - started < 5  # the backoff is bounded: 0.05 then 0.1 s
    [error] = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert error.request_id == "reset-mail-1"
    assert "could not be sent after 3 attempt(s)" in error.getMessage()
    retries = [
        record for record in caplog.records if record.levelno == logging.WARNING and "failed" in record.getMessage()
    ]
    assert [record.request_id for record in retries] == ["reset-mail-1"] * 2
    # The code is never logged: no six digits in the log are the code behind the stored hash.
    row = PasswordResetCode.objects.get(user=user_a)
    assert all(
        credentials._code_hash(row.pk, digits) != row.code_hash
        for digits in re.findall(r"(?<!\d)\d{6}(?!\d)", caplog.text)
    )


def test_reset_email_refused_by_the_server_is_not_retried(anon_client, user_a, smtp_server, settings, caplog):
    smtp_server.refusal = "550 No such user here"
    settings.MAIL_SEND_RETRIES, settings.MAIL_RETRY_BACKOFF_SECONDS = 3, 0.05
    caplog.set_level(logging.INFO)
    request_code(anon_client, user_a.email)
    wait_until(lambda: "could not be sent after 1 attempt(s)" in caplog.text)
    assert smtp_server.refused == 1 and smtp_server.messages == []


def test_code_is_stored_only_as_a_keyed_hash_and_never_logged(anon_client, user_a, smtp_server, caplog, settings):
    caplog.set_level(logging.DEBUG)
    request_code(anon_client, user_a.email)
    code = code_of(smtp_server.wait_for(1)[0])
    row = PasswordResetCode.objects.get(user=user_a)
    assert code not in row.code_hash
    assert row.code_hash == credentials._code_hash(row.pk, code)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert row.code_hash != credentials._code_hash(row.pk, code)
    assert code not in caplog.text


def test_email_service_disabled_stores_the_code_and_warns_without_it(anon_client, user_a, settings, caplog, mailoutbox):
    settings.USE_EMAIL_SERVICE = False
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    caplog.set_level(logging.DEBUG)
    assert request_code(anon_client, user_a.email).json() == REQUESTED
    assert PasswordResetCode.objects.filter(user=user_a).count() == 1
    wait_until(lambda: len(mailoutbox) == 1)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "USE_EMAIL_SERVICE" in r.getMessage()]
    assert len(warnings) == 1
    # The configured backend still got the message (the dummy backend drops it in production).
    [message] = mailoutbox
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    assert code not in caplog.text
    assert confirm(anon_client, user_a.email, code).status_code == 200


def test_console_backend_in_debug_does_not_warn(anon_client, user_a, settings, caplog, capsys):
    settings.USE_EMAIL_SERVICE = False
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    caplog.set_level(logging.DEBUG)
    request_code(anon_client, user_a.email)
    printed = []
    wait_until(lambda: printed.append(capsys.readouterr().out) or "password reset code" in "".join(printed))
    assert "USE_EMAIL_SERVICE" not in caplog.text


# --- confirm: body and policy ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "alpha@acme.test", "otp_code": "123456"},
        {"email": "alpha@acme.test", "new_password": NEW_PASSWORD},
        {"otp_code": "123456", "new_password": NEW_PASSWORD},
        {"email": "", "otp_code": "1", "new_password": "x"},
    ],
)
def test_confirm_missing_fields(anon_client, user_a, body):
    assert_error(
        anon_client.post("/users/password-reset/confirm", body, format="json"),
        400,
        "email, otp_code, and new_password are required",
    )


def test_confirm_policy_is_checked_first_without_user_attributes_and_costs_no_attempt(anon_client, user_a, smtp_server):
    request_code(anon_client, user_a.email)
    code = code_of(smtp_server.wait_for(1)[0])
    for weak in ["short", "password", "1234567890"]:
        body = assert_error(
            confirm(anon_client, user_a.email, wrong(code), weak), 400, "Validation error", fields=("new_password",)
        )
        assert set(body["errors"]) == {"new_password"}
    # Unknown emails get the same policy answer: it reveals nothing about accounts.
    assert_error(confirm(anon_client, "nobody@acme.test", "000000", "short"), 400, fields=("new_password",))
    assert PasswordResetCode.objects.get(user=user_a).attempts == 0
    # Similar to the user's email: allowed here (no user attributes in the public flow).
    assert confirm(anon_client, user_a.email, code, "alpha@acme.test-Reset").status_code == 200


def test_confirm_clears_flags_and_lockout(anon_client, user_a, smtp_server):
    User.objects.filter(pk=user_a.pk).update(
        password_reset_required=True, failed_login_count=10, locked_until=timezone.now() + timedelta(minutes=5)
    )
    request_code(anon_client, user_a.email)
    code = code_of(smtp_server.wait_for(1)[0])
    before = timezone.now()
    assert confirm(anon_client, user_a.email, code).status_code == 200
    user_a.refresh_from_db()
    assert user_a.password_reset_required is False
    assert user_a.failed_login_count == 0 and user_a.locked_until is None
    assert user_a.last_password_change >= before
    assert PasswordResetCode.objects.get(user=user_a).used_at is not None


def test_confirm_refuses_unknown_and_inactive_users(anon_client, user_a, smtp_server):
    request_code(anon_client, user_a.email)
    code = code_of(smtp_server.wait_for(1)[0])
    assert_error(confirm(anon_client, "nobody@acme.test", code), 400, "Invalid email or OTP code")
    User.objects.filter(pk=user_a.pk).update(is_active=False)
    assert_error(confirm(anon_client, user_a.email, code), 400, "Invalid email or OTP code")


def test_confirm_accepts_the_code_as_a_number_and_any_email_case(anon_client, user_a, smtp_server):
    request_code(anon_client, user_a.email)
    code = code_of(smtp_server.wait_for(1)[0])
    body = {"email": user_a.email.upper(), "otp_code": int(code), "new_password": NEW_PASSWORD}
    assert anon_client.post("/users/password-reset/confirm", body, format="json").status_code == 200


def test_confirm_without_a_code_issued(anon_client, user_a):
    assert_error(confirm(anon_client, user_a.email, "123456"), 400, "Invalid email or OTP code")


def test_smtp_sink_is_a_real_smtp_server(smtp_server):
    with smtplib.SMTP(smtp_server.hostname, smtp_server.port, timeout=5) as client:
        client.sendmail("a@acme.test", ["b@acme.test"], "Subject: hi\r\n\r\nbody")
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "hi"


@pytest.mark.parametrize(
    "body", [b'{"email": "\\ud800@acme.test"}', b'{"email": "alpha\\u0000@acme.test"}', b"[" * 100_000]
)
def test_request_with_unreadable_bodies_still_answers_200(anon_client, user_a, body, smtp_server):
    response = anon_client.generic("POST", "/users/password-reset/request", body, content_type="application/json")
    assert response.status_code == 200 and response.json() == REQUESTED
    assert not PasswordResetCode.objects.exists()


def test_confirm_with_unstorable_code_is_400_and_uses_no_attempt(anon_client, user_a, smtp_server):
    request_code(anon_client, user_a.email)
    smtp_server.wait_for(1)
    body = b'{"email": "alpha@acme.test", "otp_code": "\\ud800", "new_password": "' + NEW_PASSWORD.encode() + b'"}'
    assert_error(
        anon_client.generic("POST", "/users/password-reset/confirm", body, content_type="application/json"), 400
    )
    assert PasswordResetCode.objects.get(user=user_a).attempts == 0


@pytest.mark.parametrize("known", [True, False])
def test_reset_endpoints_answer_no_sooner_than_the_floor(anon_client, user_a, settings, known):
    """Known and unknown emails take at least the same floor, so timing does not tell which accounts exist."""
    settings.PASSWORD_RESET_MIN_RESPONSE_SECONDS = 0.3
    email = user_a.email if known else "nobody@acme.test"
    wrong_code = "00000"  # five digits: never an issued code, so the confirm fails for a known email too
    refused = (400, {"message": "Invalid email or OTP code"})
    for send, answer in (
        (lambda: request_code(anon_client, email), (200, REQUESTED)),
        (lambda: confirm(anon_client, email, wrong_code), refused),
    ):
        started = time.monotonic()
        response = send()
        assert time.monotonic() - started >= 0.3
        assert (response.status_code, response.json()) == answer
