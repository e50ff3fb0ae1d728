"""Audit-event test helpers: the event a request wrote, and the scan that no event holds a secret a test used."""

import json
import re

from django.conf import settings
from django.db import connection

from identity import audit
from identity.models import AuditEvent
from identity.testing.constants import PASSWORD

# The columns a secret could leak into (ids and created_at are the server's own values).
SCANNED = ("request_id", "actor_email", "ip", "source", "action", "object_type", "changed_fields")
# Too short, or indistinguishable from the vocabulary every event uses (`password` is a field name).
_NOT_A_SECRET = re.compile(r"[a-z_.]*|.{0,5}")


def request_events(response, **filters) -> list[AuditEvent]:
    """The events written by the request that answered `response`, oldest first."""
    return list(AuditEvent.objects.filter(request_id=response["X-Request-ID"], **filters).order_by("created_at", "id"))


def the_event(response, action: str) -> AuditEvent:
    """The one `action` event of the request that answered `response`."""
    events = request_events(response)
    matching = [event for event in events if event.action == action]
    assert len(matching) == 1, f"expected one {action} event, the request wrote {[e.action for e in events]}"
    return matching[0]


def assert_event(response, action: str, *, target, actor, changed_fields, source: str = "api") -> AuditEvent:
    """The request of `response` wrote exactly one `action` event on the row `target`, in its company, by `actor`
    (a user, or None) from 127.0.0.1 (the test client), naming exactly `changed_fields`."""
    event = the_event(response, action)
    prefix = action.split(".")[0]
    object_type = prefix if prefix in audit.OBJECT_TYPES else audit.object_type_of(target)  # `user_avatar.…`: user
    company_id = target.pk if object_type == "company" else target.company_id
    actual = (
        event.object_type,
        event.object_id,
        event.company_id,
        event.actor_id,
        event.actor_email,
        event.source,
        event.ip,
        event.changed_fields,
    )
    expected = (
        object_type,
        target.pk,
        company_id,
        actor and actor.pk,
        actor and actor.email,
        source,
        "127.0.0.1",
        sorted(changed_fields),
    )
    assert actual == expected
    return event


class SecretWatch:
    """Collects every secret a test hands the service — the raw passwords set, checked or refused, the hashes
    made from them, the reset codes issued or tried and their keyed hashes, the tokens read — by wrapping the
    places they pass through (their behaviour unchanged); `leaks()` then scans the test's audit events."""

    def __init__(self):
        self.values = {PASSWORD}

    def add(self, value) -> None:
        if isinstance(value, str) and not _NOT_A_SECRET.fullmatch(value):
            self.values.add(value)

    def install(self, monkeypatch) -> None:
        from django.contrib.auth.base_user import AbstractBaseUser

        from identity import authentication
        from users.services import passwords

        def spy(function, position: int, name: str, *, keep_result: bool = False):
            """`function`, adding its argument `name` (at `position`) and, with `keep_result`, what it returns."""

            def wrapper(*args, **kwargs):
                self.add(args[position] if len(args) > position else kwargs.get(name))
                value = function(*args, **kwargs)
                if keep_result:
                    self.add(value)
                return value

            return wrapper

        set_password = AbstractBaseUser.set_password

        def set_and_keep(user, raw_password):
            self.add(raw_password)
            set_password(user, raw_password)
            self.add(user.password)

        monkeypatch.setattr(AbstractBaseUser, "set_password", set_and_keep)
        monkeypatch.setattr(AbstractBaseUser, "check_password", spy(AbstractBaseUser.check_password, 1, "raw_password"))
        monkeypatch.setattr(passwords, "make_password", spy(passwords.make_password, 0, "password", keep_result=True))
        monkeypatch.setattr(passwords, "_code_hash", spy(passwords._code_hash, 1, "code", keep_result=True))
        monkeypatch.setattr(authentication, "decode_token", spy(authentication.decode_token, 0, "raw"))

    def leaks(self) -> list[str]:
        """`<action> <object id>: <column>` for each event column holding a collected secret (or a key of the
        settings), also one of the hashes stored now. Nothing to read when the test left its transaction broken
        (it ended on a database error, so its writes, events included, roll back)."""
        from users.models import PasswordResetCode, User

        if connection.needs_rollback:
            return []
        rows = list(AuditEvent.objects.values("action", "object_id", *SCANNED))
        if not rows:
            return []
        secrets = set(self.values) | {settings.SECRET_KEY, settings.JWT_SECRET}
        secrets |= set(User.objects.values_list("password", flat=True))
        secrets |= set(PasswordResetCode.objects.values_list("code_hash", flat=True))
        secrets = {secret for secret in secrets if secret and not _NOT_A_SECRET.fullmatch(secret)}
        found = []
        for row in rows:
            for column in SCANNED:
                text = json.dumps(row[column]) if column == "changed_fields" else str(row[column] or "")
                if any(secret in text for secret in secrets):
                    found.append(f"{row['action']} {row['object_id']}: {column}")
        return found
