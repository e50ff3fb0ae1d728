"""Reads of companies."""

from companies.models import Company
from identity.uniqueness import taken


def company_has_dependants(*, company: Company) -> bool:
    """True while the company still has users or organization units (through the ORM reverse relations)."""
    return company.users.exists() or company.organizationunits.exists()


def company_name_taken(*, name: str, exclude_pk=None) -> bool:
    """Global, case-insensitive: company names are unique across tenants (a named cross-tenant lookup)."""
    return taken(Company.objects.filter(name__iexact=name), exclude_pk=exclude_pk)
