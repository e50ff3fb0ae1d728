"""Password services (docs/behaviour.md §7): verification with lockout, admin reset, change, and reset by emailed code;
each records its credential event (identity.audit)."""

import contextvars
import hashlib
import hmac
import logging
import secrets
import string
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone

from identity import audit
from identity.exceptions import Forbidden, ValidationFailed
from identity.services import RowGone, save_fields
from users import selectors
from users.models import PasswordResetCode, User
from users.services import emails
from users.services.policy import ensure_password_allowed

logger = logging.getLogger(__name__)

INVALID_CREDENTIALS = "User or password invalid"
CURRENT_PASSWORD_INCORRECT = "Current password is incorrect"
INVALID_RESET = "Invalid email or OTP code"

TEMPORARY_PASSWORD_LENGTH = 12
# Symbols that survive shells, URLs and copy-paste from an email or a terminal.
TEMPORARY_PASSWORD_SYMBOLS = "!@#%^&*-_=+?"
_PASSWORD_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, TEMPORARY_PASSWORD_SYMBOLS)
_CREDENTIAL_FIELDS = [
    "password",
    "password_reset_required",
    "last_password_change",
    "failed_login_count",
    "locked_until",
    "updated_at",
]


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or timezone.now())


# --- verification and lockout ---------------------------------------------------------------
def password_verify(*, email: str, password: str) -> User:
    """The active, unlocked user with this email and password.

    The attempt is claimed (counted as a failure, see `login_attempt_claim`) before the password is hashed, so
    guesses in flight can never exceed `LOCKOUT_MAX_FAILURES`. On success sets `last_login_at`, clears the
    failure counter and upgrades an outdated hash. Raises Forbidden with one message for an unknown email, a
    wrong password, an inactive or a locked user.
    """
    now = timezone.now()
    user = selectors.user_by_email(email)
    before = audit.snapshot(user) if user is not None else None
    claim = login_attempt_claim(user=user, now=now) if user is not None and user.is_active else None
    if claim is None or not claim.claimed:
        # Refused without checking, at the price of a real hash so that timing does not tell which case this is.
        make_password(password)
        logger.info("Password verification refused: %s", _refusal_reason(user))
        if user is not None:
            audit.record_alone("password.verify_failure", target=user)
        raise Forbidden(INVALID_CREDENTIALS)
    assert user is not None and before is not None, "an attempt is claimed only for a known user"
    # check_password re-hashes with the preferred hasher when the stored hash is outdated (Argon2 upgrade).
    if not user.check_password(password):
        _attempt_failed(user, claim, action="password.verify_failure")
        logger.info("Password verification failed for user %s", user.pk)
        raise Forbidden(INVALID_CREDENTIALS)
    user.last_login_at = now
    try:
        _login_attempt_succeeded(user, "last_login_at", action="password.verify_success", before=before)
    except RowGone:  # deleted while its password was checked: refused like an unknown email
        logger.info("Password verification refused: user %s deleted meanwhile", user.pk)
        raise Forbidden(INVALID_CREDENTIALS) from None
    logger.info("Password verified for user %s", user.pk)
    return user


def _refusal_reason(user: User | None) -> str:
    if user is None:
        return "unknown email"
    if not user.is_active:
        return f"inactive user {user.pk}"
    return f"locked user {user.pk}"


@dataclass(frozen=True)
class AttemptClaim:
    claimed: bool  # False: the account is locked, the password must not be checked
    locked: bool = False  # this attempt reached LOCKOUT_MAX_FAILURES and engaged the lock


def login_attempt_claim(*, user: User, now: datetime | None = None) -> AttemptClaim:
    """Claims one password check for `user` before it is made: counts it as a failure (a success clears the
    count afterwards) in one UPDATE of the row, so that concurrent attempts — in any worker or instance — are
    counted one after the other (each sees the count the one before it wrote) and no more than
    `LOCKOUT_MAX_FAILURES` ever reach the hasher.

    Refuses (claimed=False, nothing counted, the lock not extended) while the account is locked
    (docs/behaviour.md §7.2). An expired lock restarts the counter at 1; the attempt that reaches
    `LOCKOUT_MAX_FAILURES` (0 disables locking) sets `locked_until = now + LOCKOUT_SECONDS`.
    """
    now = now or timezone.now()
    max_failures = settings.LOCKOUT_MAX_FAILURES
    lock = now + timedelta(seconds=settings.LOCKOUT_SECONDS)
    connection = connections[User.objects.db]
    locked_until = User._meta.get_field("locked_until")
    with connection.cursor() as cursor:
        # One statement instead of a locking read and a write in a transaction: the database runs concurrent
        # UPDATEs of one row one after the other, and each re-reads the row (and re-checks the lock) once the
        # one before it committed. The count and lock it writes are computed as in the docstring above.
        cursor.execute(
            _claim_sql(connection.alias),
            [
                max_failures if max_failures > 0 else None,
                locked_until.get_db_prep_value(lock, connection),
                User._meta.pk.get_db_prep_value(user.pk, connection),
                locked_until.get_db_prep_value(now, connection),
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return AttemptClaim(claimed=False)
    count = row[0]
    engaged = 0 < max_failures <= count
    user.failed_login_count, user.locked_until = count, lock if engaged else None
    if engaged:
        logger.warning(
            "Account of user %s locked for %s seconds after %s failed verifications",
            user.pk,
            settings.LOCKOUT_SECONDS,
            max_failures,
        )
    return AttemptClaim(claimed=True, locked=engaged)


@cache
def _claim_sql(alias: str) -> str:
    """The UPDATE of `login_attempt_claim`: parameters threshold (NULL: never lock), lock end, user id, now."""
    quote = connections[alias].ops.quote_name
    meta = User._meta
    count, until = quote(meta.get_field("failed_login_count").column), quote(meta.get_field("locked_until").column)
    next_count = f"CASE WHEN {until} IS NULL THEN {count} + 1 ELSE 1 END"
    return (
        f"UPDATE {quote(meta.db_table)} SET {count} = {next_count}, "
        f"{until} = CASE WHEN {next_count} >= %s THEN %s ELSE NULL END "
        f"WHERE {quote(meta.pk.column)} = %s AND ({until} IS NULL OR {until} <= %s) RETURNING {count}"
    )


def _login_attempt_succeeded(user: User, *also: str, action: str | None = None, before=None) -> None:
    """The claimed attempt was right: the failures before it no longer count (and a lock it engaged goes); saves
    the fields `also` names (already set on `user`) in the same UPDATE. With `action`, the success's audit event
    of the fields changed since `before` (the user's `audit.snapshot`) goes with it — one statement on PostgreSQL
    (identity.services.save_fields)."""
    user.failed_login_count, user.locked_until = 0, None
    event = None
    if action is not None:
        changed = audit.changed_fields(before, audit.snapshot(user))
        event = audit.pending(action, target=user, changed_fields=changed)
    save_fields(user, ["failed_login_count", "locked_until", *also], event=event)


def _attempt_failed(user: User, claim: AttemptClaim, *, action: str) -> None:
    """The claimed attempt was wrong: its failure was counted by the claim; records `action`
    (`failed_login_count`) and, when the claim engaged the lock, `password.lockout` (`locked_until`)."""
    with transaction.atomic():
        audit.record(action, target=user, changed_fields=["failed_login_count"])
        if claim.locked:
            audit.record("password.lockout", target=user, changed_fields=["locked_until"])


def user_unlock(*, user: User) -> None:
    """Clears the failure counter and any lock, recording `password.unlock` when there was one to clear."""
    before = audit.snapshot(user)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None, updated_at=timezone.now())
        user.failed_login_count, user.locked_until = 0, None
        fields = audit.changed_fields(before, audit.snapshot(user))
        if fields:
            audit.record("password.unlock", target=user, changed_fields=fields)
    logger.info("Account of user %s unlocked", user.pk)


# --- setting a password ---------------------------------------------------------------------
def temporary_password_generate() -> str:
    """12 characters from the OS CSPRNG with at least one lower-case letter, upper-case letter, digit and symbol."""
    chars = [secrets.choice(chars) for chars in _PASSWORD_CLASSES]
    alphabet = "".join(_PASSWORD_CLASSES)
    chars += [secrets.choice(alphabet) for _ in range(TEMPORARY_PASSWORD_LENGTH - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def _password_set(user: User, password: str, *, reset_required: bool, now: datetime, action: str) -> None:
    """Sets the password and records `action` naming the fields that changed; call inside a transaction."""
    before = audit.snapshot(user)
    user.set_password(password)
    user.password_reset_required = reset_required
    user.last_password_change = now
    user.failed_login_count = 0
    user.locked_until = None
    user.save(update_fields=_CREDENTIAL_FIELDS)
    audit.record(action, target=user, changed_fields=audit.changed_fields(before, audit.snapshot(user)))


def password_admin_reset(*, user: User, password: str | None = None, require_change: bool = True) -> str:
    """Sets `password` (policy-checked, errors under `password`) or a fresh temporary one, sets
    `password_reset_required`, `last_password_change`, clears the lockout, and returns the password set.

    Raises ValidationFailed when a given password breaks the policy.
    """
    if password is None:
        password = temporary_password_generate()
    else:
        ensure_password_allowed(password, field="password", user=user)
    with transaction.atomic():
        _password_set(user, password, reset_required=require_change, now=timezone.now(), action="password.admin_reset")
    logger.info("Password of user %s reset by an administrator", user.pk)
    return password


def password_change(*, user: User, current_password: str, new_password: str) -> None:
    """The caller's own change: checks `current_password` (a wrong one counts toward the lockout; while locked
    it is refused unchecked), then the policy with the user's attributes; sets the hash,
    `password_reset_required = False`, `last_password_change`, and clears the failure counter.

    Raises ValidationFailed("Current password is incorrect") or ValidationFailed(errors.new_password).
    """
    now = timezone.now()
    claim = login_attempt_claim(user=user, now=now)
    if not claim.claimed:
        make_password(current_password)
        audit.record_alone("password.change_failure", target=user)
        raise ValidationFailed(CURRENT_PASSWORD_INCORRECT)
    if not user.check_password(current_password):
        _attempt_failed(user, claim, action="password.change_failure")
        logger.info("Password change refused for user %s: wrong current password", user.pk)
        raise ValidationFailed(CURRENT_PASSWORD_INCORRECT)
    _login_attempt_succeeded(user)
    ensure_password_allowed(new_password, field="new_password", user=user)
    with transaction.atomic():
        _password_set(user, new_password, reset_required=False, now=now, action="password.change")
    logger.info("Password of user %s changed", user.pk)


# --- reset by emailed code --------------------------------------------------------------------
def _code_hash(code_id, code: str) -> str:
    """HMAC-SHA256 keyed with SECRET_KEY; the row id in the message makes equal codes hash differently."""
    message = f"password-reset:{code_id}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def password_reset_request(*, email: str) -> None:
    """For a known active user: replaces any earlier code with a new 6-digit one (stored only as a keyed hash,
    valid `PASSWORD_RESET_OTP_TTL_MINUTES`) and emails it. Raises nothing: the caller always answers the same.
    """
    user = selectors.user_by_email(email)
    if user is None or not user.is_active:
        logger.info("Password reset requested for an unknown or inactive account")
        return
    code = f"{secrets.randbelow(1_000_000):06d}"
    ttl_minutes = settings.PASSWORD_RESET_OTP_TTL_MINUTES
    with transaction.atomic():
        # Earlier codes, used or not, have no further use: only the newest may reset the password.
        PasswordResetCode.objects.filter(user=user).delete()
        row = PasswordResetCode(user=user, expires_at=timezone.now() + timedelta(minutes=ttl_minutes))
        row.code_hash = _code_hash(row.pk, code)
        row.save()
        audit.record("password.reset_request", target=user)
    logger.info("Password reset code issued for user %s", user.pk)
    # Sent off the request thread: an answer that waited for SMTP would take measurably longer for a known
    # account than for an unknown one, and so reveal which emails exist.
    # Retries and the final failure are logged there, never shown: an error would confirm the account.
    context = contextvars.copy_context()
    threading.Thread(
        target=context.run,
        args=(emails.send_password_reset_code,),
        kwargs={"user": user, "code": code, "ttl_minutes": ttl_minutes},
        daemon=True,
    ).start()


def password_reset_confirm(*, email: str, code: str, new_password: str) -> None:
    """Checks the policy (without user attributes, before the code), then the newest unused code of the active
    user with this email: each try takes one attempt first, so at most `PASSWORD_RESET_OTP_MAX_ATTEMPTS`
    guesses are ever compared, even concurrently. On success sets the password, clears
    `password_reset_required` and the lockout, and marks the code used.

    Raises ValidationFailed(errors.new_password) or ValidationFailed("Invalid email or OTP code").
    """
    ensure_password_allowed(new_password, field="new_password")
    now = timezone.now()
    user = selectors.user_by_email(email)
    if user is None:
        raise ValidationFailed(INVALID_RESET)
    row = PasswordResetCode.objects.filter(user=user, used_at__isnull=True).order_by("-created_at").first()
    if not user.is_active or row is None:
        audit.record_alone("password.reset_failure", target=user)
        raise ValidationFailed(INVALID_RESET)
    with transaction.atomic():
        attempt_taken = PasswordResetCode.objects.filter(
            pk=row.pk, used_at__isnull=True, expires_at__gt=now, attempts__lt=settings.PASSWORD_RESET_OTP_MAX_ATTEMPTS
        ).update(attempts=F("attempts") + 1)
        accepted = bool(attempt_taken) and hmac.compare_digest(_code_hash(row.pk, code), row.code_hash)
        if not accepted:
            audit.record("password.reset_failure", target=user)
    if not accepted:
        logger.info("Password reset refused for user %s: invalid, expired or exhausted code", user.pk)
        raise ValidationFailed(INVALID_RESET)
    with transaction.atomic():
        if not PasswordResetCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now):
            raise ValidationFailed(INVALID_RESET)  # a concurrent confirm used it first
        _password_set(user, new_password, reset_required=False, now=now, action="password.reset_confirm")
    logger.info("Password of user %s reset with an emailed code", user.pk)
