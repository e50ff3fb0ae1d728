"""Reads of companies."""

from companies.models import Company


def company_has_dependants(*, company: Company) -> bool:
    """True while the company still has users or organization units (through the ORM reverse relations)."""
    return company.users.exists() or company.organizationunits.exists()


def company_name_taken(*, name: str, exclude_pk=None) -> bool:
    """Global, case-insensitive: company names are unique across tenants (a named cross-tenant lookup)."""
    queryset = Company.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()
