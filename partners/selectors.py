"""Reads of customers and subcontractors (always within one company)."""

from partners.models import Customer, Subcontractor


def customer_email_taken(*, company_id, email: str, exclude_pk=None) -> bool:
    """True when another customer of the company has this email (case-insensitively)."""
    queryset = Customer.objects.filter(company_id=company_id, email__iexact=email)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()


def subcontractor_name_taken(*, company_id, name: str, exclude_pk=None) -> bool:
    """True when another subcontractor of the company has this name (case-insensitively)."""
    queryset = Subcontractor.objects.filter(company_id=company_id, name__iexact=name)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()
