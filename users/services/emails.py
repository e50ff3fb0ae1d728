"""Emails to users, through Django's email framework (text and HTML, in the user's language)."""

import logging
import smtplib
import time

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from users.models import Language

logger = logging.getLogger(__name__)

TEMPLATE_DIR = "users/email"


def _language(user) -> str:
    return user.language if user.language in Language.values else Language.EN


def password_reset_code_message(*, user, code: str, ttl_minutes: int) -> EmailMultiAlternatives:
    """The reset-code email: greeting with the first name, the code, its lifetime and a warning not to share it."""
    language = _language(user)
    context = {"first_name": (user.first_name or "").strip(), "code": code, "ttl_minutes": ttl_minutes}
    subject = render_to_string(f"{TEMPLATE_DIR}/password_reset_code_subject.{language}.txt", context).strip()
    text = render_to_string(f"{TEMPLATE_DIR}/password_reset_code.{language}.txt", context)
    html = render_to_string(f"{TEMPLATE_DIR}/password_reset_code.{language}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]
    )
    message.attach_alternative(html, "text/html")
    return message


def send_password_reset_code(*, user, code: str, ttl_minutes: int) -> bool:
    """Sends the code with the configured EMAIL_BACKEND (SMTP with USE_EMAIL_SERVICE, else console in DEBUG, else
    the dummy backend, which drops it), retrying as `_send_with_retries` does; True when it went out. Raises
    nothing: whoever asked for the code is answered the same whether or not it was sent."""
    if not settings.USE_EMAIL_SERVICE and not settings.DEBUG:
        # The code is stored but nobody will receive it: say so, without the code.
        logger.warning(
            "Email service disabled (USE_EMAIL_SERVICE=false): the password reset code for user %s "
            "was stored but not sent",
            user.pk,
        )
    try:
        message = password_reset_code_message(user=user, code=code, ttl_minutes=ttl_minutes)
    except Exception as exc:
        logger.error("Password reset email for user %s could not be sent (%s)", user.pk, type(exc).__name__)
        return False
    return _send_with_retries(message, what="Password reset email", user_id=user.pk)


def _send_with_retries(message: EmailMultiAlternatives, *, what: str, user_id) -> bool:
    """Sends the message; a failure that may pass (the server unreachable, disconnected or busy) is tried again
    MAIL_SEND_RETRIES times, waiting MAIL_RETRY_BACKOFF_SECONDS and then twice as long before each further try.

    Every try goes to the server configured when the first began. True when sent; the final failure is logged as
    an error (the request id is on every log line; the message's content never is) and not raised.
    """
    attempts = 1 + settings.MAIL_SEND_RETRIES
    delay = settings.MAIL_RETRY_BACKOFF_SECONDS
    for attempt in range(1, attempts + 1):
        try:
            if message.connection is None:
                message.connection = get_connection(fail_silently=False)
            message.send(fail_silently=False)
        except Exception as exc:
            if attempt == attempts or not _may_pass(exc):
                logger.error(
                    "%s for user %s could not be sent after %d attempt(s) (%s)",
                    what,
                    user_id,
                    attempt,
                    type(exc).__name__,
                )
                return False
            logger.warning(
                "%s for user %s: attempt %d of %d failed (%s), next in %.1f s",
                what,
                user_id,
                attempt,
                attempts,
                type(exc).__name__,
                delay,
            )
            time.sleep(delay)
            delay *= 2
        else:
            if attempt > 1:
                logger.info("%s for user %s sent at attempt %d", what, user_id, attempt)
            return True
    return False  # not reached: the last attempt returns


def _may_pass(exc: Exception) -> bool:
    """Whether trying again may succeed: the server unreachable, disconnected, timed out or answering 4xx (busy,
    try later) — not a 5xx refusal of the sender, a recipient or the message, nor a missing server feature."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return False
    return isinstance(exc, OSError)  # refused or reset connections, timeouts, SMTPServerDisconnected
