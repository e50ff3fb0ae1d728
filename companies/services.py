"""Writes of companies, each with its audit event (identity.services)."""

from contextlib import contextmanager

from django.db import transaction

from companies import selectors
from companies.models import Company
from identity import files
from identity.exceptions import Conflict
from identity.services import delete_row, insert_row, save_changes

COMPANY_FIELDS = (
    "name",
    "description",
    "website",
    "phone_number",
    "email",
    "address",
    "postal_code",
    "city",
    "country",
)


def company_lock(*, company_id) -> None:
    """Serialises, per company, the writes that must see a stable organization tree (unit creates, moves and
    deletes, position placements, users taking a position): a row lock on PostgreSQL; SQLite's write transaction
    already serialises writers. Call inside `transaction.atomic()`."""
    Company.objects.select_for_update().only("pk").get(pk=company_id)


@contextmanager
def company_tree_locked(*, company_id, needed: bool = True):
    """A transaction for the `with` block (the write and its audit event), holding `company_lock` when `needed`."""
    with transaction.atomic():
        if needed:
            company_lock(company_id=company_id)
        yield


def company_create(*, data: dict) -> Company:
    """Creates a company; raises Conflict on a name already taken (case-insensitively)."""
    if selectors.company_name_taken(name=data["name"]):
        raise Conflict.duplicate("name")
    return insert_row(Company(**{key: data[key] for key in COMPANY_FIELDS if key in data}))


def company_update(*, company: Company, data: dict) -> Company:
    """Changes the named fields; raises Conflict on a name another company holds."""
    if "name" in data and selectors.company_name_taken(name=data["name"], exclude_pk=company.pk):
        raise Conflict.duplicate("name")
    return save_changes(company, data, COMPANY_FIELDS)


def company_delete(*, company: Company, token: str | None = None) -> None:
    """Deletes a company without users or units, then (best effort) its logo file; raises Conflict otherwise."""
    location, file_id = files.location_of(company), company.logo_file_id
    with transaction.atomic():
        locked = Company.objects.select_for_update().get(pk=company.pk)
        if selectors.company_has_dependants(company=locked):
            raise Conflict("Company still has users or organization units")
        delete_row(locked)
    files.remove(location, file_id, token=token)
