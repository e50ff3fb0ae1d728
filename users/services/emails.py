"""Emails to users, through Django's email framework (text and HTML, in the user's language)."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
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
    message = EmailMultiAlternatives(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL,
                                     to=[user.email])
    message.attach_alternative(html, "text/html")
    return message


def send_password_reset_code(*, user, code: str, ttl_minutes: int) -> None:
    """Sends the code with the configured EMAIL_BACKEND (SMTP with USE_EMAIL_SERVICE, else console in DEBUG,
    else the dummy backend, which drops it). Raises what the backend raises."""
    if not settings.USE_EMAIL_SERVICE and not settings.DEBUG:
        # The code is stored but nobody will receive it: say so, without the code.
        logger.warning("Email service disabled (USE_EMAIL_SERVICE=false): the password reset code for user %s "
                       "was stored but not sent", user.pk)
    password_reset_code_message(user=user, code=code, ttl_minutes=ttl_minutes).send(fail_silently=False)
