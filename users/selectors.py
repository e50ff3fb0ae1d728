"""Reads of users: within one company, plus the named cross-tenant lookups (user by email, global email
uniqueness, init-db's emptiness check)."""

from functools import cache

from django.db import connections
from django.db.models import QuerySet

from companies.models import Company
from identity import tenancy
from identity.uniqueness import taken
from org import selectors as org_selectors
from users.models import User


def user_list(*, company_id) -> QuerySet:
    return User.objects.for_company(company_id)


def position_users(*, position) -> QuerySet:
    """The users holding the position, by email then id."""
    return user_list(company_id=position.company_id).filter(position_id=position.pk).order_by("email", "id")


def position_of_company(*, company_id, pk):
    """The position when it belongs to the company, else None (unknown and foreign look the same)."""
    return org_selectors.position_get(company_id=company_id, pk=pk)


def user_email_taken(*, email: str, exclude_pk=None) -> bool:
    """Global and case-insensitive: an email names at most one user across all companies."""
    return taken(User.objects.filter(email__iexact=email), exclude_pk=exclude_pk)


def user_by_email(email: str) -> User | None:
    """The user with this email in any company, compared case-insensitively (the login's cross-tenant lookup).

    Compares `LOWER(email)`, the expression of the unique index, so the lookup uses it. The statement is written
    once per database: building the ORM's query for it cost more than twice what running it does, on every login.
    """
    email = (email or "").strip()
    if not email:
        return None
    return next(iter(User.objects.raw(_by_email_sql(User.objects.db), [email])), None)


@cache
def _by_email_sql(alias: str) -> str:
    quote = connections[alias].ops.quote_name
    meta = User._meta
    email = quote(meta.get_field("email").column)
    return (
        f"SELECT {tenancy.row_columns(User, alias)} FROM {quote(meta.db_table)} "
        f"WHERE LOWER({email}) = LOWER(%s) LIMIT 1"
    )


def identity_initialized() -> bool:
    """True once any company or user exists (init-db's emptiness check, across tenants)."""
    return Company.objects.exists() or User.objects.exists()
