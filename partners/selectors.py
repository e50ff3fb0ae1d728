"""Reads of customers and subcontractors (always within one company)."""

from identity.uniqueness import taken
from partners.models import Customer, Subcontractor


def customer_email_taken(*, company_id, email: str, exclude_pk=None) -> bool:
    """True when another customer of the company has this email (case-insensitively)."""
    return taken(Customer.objects.for_company(company_id).filter(email__iexact=email), exclude_pk=exclude_pk)


def subcontractor_name_taken(*, company_id, name: str, exclude_pk=None) -> bool:
    """True when another subcontractor of the company has this name (case-insensitively)."""
    return taken(Subcontractor.objects.for_company(company_id).filter(name__iexact=name), exclude_pk=exclude_pk)
