"""Reads of users: within one company, plus the contract's named cross-tenant lookups (§4)."""

from django.db.models import QuerySet

from companies.models import Company
from org import selectors as org_selectors
from users.models import User


def user_list(*, company_id) -> QuerySet:
    return User.objects.filter(company_id=company_id)


def position_users(*, position) -> QuerySet:
    """The users holding the position, by email then id."""
    return user_list(company_id=position.company_id).filter(position_id=position.pk).order_by("email", "id")


def position_of_company(*, company_id, pk):
    """The position when it belongs to the company, else None (unknown and foreign look the same)."""
    return org_selectors.position_get(company_id=company_id, pk=pk)


def user_email_taken(*, email: str, exclude_pk=None) -> bool:
    """Global and case-insensitive: an email names at most one user across all companies."""
    queryset = User.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()


def identity_initialized() -> bool:
    """True once any company or user exists (init-db's emptiness check, across tenants)."""
    return Company.objects.exists() or User.objects.exists()
