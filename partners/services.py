"""Writes of customers and subcontractors, each with its audit event (identity.services)."""

from identity import files
from identity.exceptions import Conflict
from identity.services import insert_row, save_changes
from partners import selectors
from partners.models import Customer, Subcontractor

CUSTOMER_FIELDS = ("name", "email", "contact_person", "phone_number", "address")
SUBCONTRACTOR_FIELDS = (*CUSTOMER_FIELDS, "description")


def customer_create(*, company_id, data: dict) -> Customer:
    """Creates a customer of the company; raises Conflict on an email another customer of it holds."""
    email = data.get("email")
    if email and selectors.customer_email_taken(company_id=company_id, email=email):
        raise Conflict.duplicate("email")
    return insert_row(Customer(company_id=company_id, **{key: data[key] for key in CUSTOMER_FIELDS if key in data}))


def customer_update(*, customer: Customer, data: dict) -> Customer:
    """Changes the named fields; raises Conflict on an email another customer of the company holds."""
    email = data.get("email")
    if email and selectors.customer_email_taken(company_id=customer.company_id, email=email, exclude_pk=customer.pk):
        raise Conflict.duplicate("email")
    return save_changes(customer, data, CUSTOMER_FIELDS)


def customer_delete(*, customer: Customer, token: str | None = None) -> None:
    """Deletes the customer and (best effort) its logo file."""
    files.delete_with_file(customer, token=token)


def subcontractor_create(*, company_id, data: dict) -> Subcontractor:
    """Creates a subcontractor of the company; raises Conflict on a name another subcontractor of it holds."""
    if selectors.subcontractor_name_taken(company_id=company_id, name=data["name"]):
        raise Conflict.duplicate("name")
    return insert_row(
        Subcontractor(company_id=company_id, **{key: data[key] for key in SUBCONTRACTOR_FIELDS if key in data})
    )


def subcontractor_update(*, subcontractor: Subcontractor, data: dict) -> Subcontractor:
    """Changes the named fields; raises Conflict on a name another subcontractor of the company holds."""
    if "name" in data and selectors.subcontractor_name_taken(
        company_id=subcontractor.company_id, name=data["name"], exclude_pk=subcontractor.pk
    ):
        raise Conflict.duplicate("name")
    return save_changes(subcontractor, data, SUBCONTRACTOR_FIELDS)


def subcontractor_delete(*, subcontractor: Subcontractor, token: str | None = None) -> None:
    """Deletes the subcontractor and (best effort) its logo file."""
    files.delete_with_file(subcontractor, token=token)
