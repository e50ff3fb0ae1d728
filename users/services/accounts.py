"""Writes of users, and the bootstrap of a tenant (company, default unit, Administrator position, first admin), each
with its audit event (identity.services)."""

import logging
from contextlib import contextmanager, nullcontext
from typing import NamedTuple

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from companies.models import Company
from companies.services import company_create, company_tree_locked
from identity import audit, files
from identity.exceptions import Conflict, Forbidden, ValidationFailed, missing_reference
from identity.services import insert_row, update_row
from org import services as org_services
from org.models import OrganizationUnit, Position
from users import selectors
from users.models import User
from users.services.policy import password_problems

logger = logging.getLogger(__name__)

USER_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "language",
    "phone_number",
    "is_active",
    "is_verified",
    "password_reset_required",
)
# Flags only operators set (the admin, commands), never part of an API body: passed apart as `staff_flags`.
STAFF_FIELDS = ("is_staff", "is_superuser")
DEFAULT_UNIT_NAME = "default organization"
ADMIN_POSITION_TITLE = "Administrator"
ALREADY_INITIALIZED = "Identity already initialized"
# Key of the PostgreSQL advisory lock that serialises concurrent init-db calls (any constant unique to this use).
INIT_DB_LOCK_KEY = 0x1D_1417


def _validate(user: User, data: dict) -> None:
    """400 errors for a position outside the user's company and a password the policy refuses (both at once)."""
    errors = {}
    position_id = data.get("position_id")
    if position_id is not None and selectors.position_of_company(company_id=user.company_id, pk=position_id) is None:
        errors["position_id"] = [missing_reference(position_id)]
    if "password" in data:
        # `user` already carries the new attributes, so the similarity rule compares against them.
        problems = password_problems(data["password"] or "", user=user)
        if problems:
            errors["password"] = problems
    if errors:
        raise ValidationFailed(errors=errors)


def _set_password(user: User, password: str) -> None:
    user.set_password(password)
    user.last_password_change = timezone.now()


def _staff(staff_flags: dict | None) -> dict:
    return {key: value for key, value in (staff_flags or {}).items() if key in STAFF_FIELDS}


def user_create(*, company_id, data: dict, staff_flags: dict | None = None) -> User:
    """Creates a user of the company (`staff_flags`: `is_staff` / `is_superuser`, from operators only).

    Raises ValidationFailed (missing or refused password, foreign position) and Conflict when the email is
    taken by any user of any company (case-insensitively).
    """
    if "password" not in data:
        raise ValidationFailed.field("password", "This field is required.")
    user = User(
        company_id=company_id,
        position_id=data.get("position_id"),
        **{key: data[key] for key in USER_FIELDS if key in data},
        **_staff(staff_flags),
    )
    # Giving a user a position checks it and saves under the company's tree lock, so that a concurrent delete of
    # the position's unit cannot slip between the check and the write.
    with company_tree_locked(company_id=user.company_id, needed=data.get("position_id") is not None):
        _validate(user, data)
        if selectors.user_email_taken(email=user.email):
            raise Conflict.duplicate("email")
        _set_password(user, data["password"])
        insert_row(user)
    return user


def user_update(*, user: User, data: dict, staff_flags: dict | None = None) -> User:
    """Changes the named fields (and the password when given, and `staff_flags` as user_create); raises
    ValidationFailed and Conflict as user_create. Records `user.update` naming the fields that really changed
    (a new password as `password`), nothing when none did.

    `data["avatar"]` (a validated files.Upload) replaces the avatar through `files.attach`, which records its own
    `user_avatar.upload`: it is stored once every check has passed and saved with the other fields in one write;
    when it cannot be stored (Unavailable) nothing is saved, and when the write fails the new file is removed
    again.
    """
    before = audit.snapshot(user)
    values = {**{key: data[key] for key in USER_FIELDS if key in data}, **_staff(staff_flags)}
    for key, value in values.items():
        setattr(user, key, value)
    changed = list(values)
    if "position_id" in data:
        user.position_id = data["position_id"]
        changed.append("position")
    # A new position: as above. Other changes take no lock, and the write opens a transaction only when it has an
    # event to record with it (identity.services.update_row).
    locked = data.get("position_id") is not None
    with company_tree_locked(company_id=user.company_id) if locked else nullcontext():
        _validate(user, data)
        if "email" in data and selectors.user_email_taken(email=user.email, exclude_pk=user.pk):
            raise Conflict.duplicate("email")
        if "password" in data:
            _set_password(user, data["password"])
            changed += ["password", "last_password_change"]
        if data.get("avatar") is not None:
            with transaction.atomic():
                # Before the avatar is attached: its fields belong to the `user_avatar.upload` event.
                audit.record_update(user, before)
                files.attach(user, data["avatar"], also=tuple(changed))
        elif changed:
            update_row(user, changed, before=before)
    return user


def user_delete(*, user: User, token: str | None = None) -> None:
    """Deletes the user (recording `user.delete`); its password-reset codes go with it (ON DELETE CASCADE), and its
    avatar file is removed, best effort, once the row is gone (`token`: the caller's, which the Storage service asks
    for)."""
    files.delete_with_file(user, token=token)


class Bootstrap(NamedTuple):
    company: Company
    organization_unit: OrganizationUnit
    position: Position
    user: User


def tenant_bootstrap(*, company_data: dict, user_data: dict) -> Bootstrap:
    """Creates, in one transaction, a company, its root unit "default organization", the "Administrator"
    position in it and the first user holding that position.

    Raises Conflict (company name or email taken) and ValidationFailed (password refused); nothing is kept then.
    """
    with transaction.atomic():
        company = company_create(data=company_data)
        unit = org_services.org_unit_create(company_id=company.pk, data={"name": DEFAULT_UNIT_NAME})
        position = org_services.position_create(
            company_id=company.pk, organization_unit_id=unit.pk, data={"title": ADMIN_POSITION_TITLE, "level": 0}
        )
        user_fields = {key: value for key, value in user_data.items() if key != "position_id"}
        user = user_create(company_id=company.pk, data={**user_fields, "position_id": position.pk})
    logger.info("Tenant bootstrapped: company_id=%s admin user_id=%s", company.pk, user.pk)
    return Bootstrap(company, unit, position, user)


@contextmanager
def identity_init_guard():
    """The one-shot guard of `POST /init-db`: a transaction that only one caller can enter while the identity
    store is empty; the work done inside the `with` block commits or rolls back with it.

    Raises Forbidden("Identity already initialized") when any company or user exists, and for every loser of a
    concurrent race (a unique violation or, on SQLite, a locked database) — never a 409 or a 500.
    """
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Concurrent callers queue here; each then sees the winner's committed rows (READ COMMITTED).
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [INIT_DB_LOCK_KEY])
            # On SQLite the transaction starts with BEGIN IMMEDIATE (settings), which already serialises writers.
            if selectors.identity_initialized():
                raise Forbidden(ALREADY_INITIALIZED)
            yield
    except IntegrityError:
        raise Forbidden(ALREADY_INITIALIZED) from None
    except OperationalError as exc:
        if connection.vendor == "sqlite" and "locked" in str(exc):
            raise Forbidden(ALREADY_INITIALIZED) from None
        raise
