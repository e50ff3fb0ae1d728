"""Tenancy in one place: the caller's company, path ids, and the company filter every read goes through.

Every company-owned model's manager is a `CompanyScopedQuerySet`: viewsets and selectors scope with
`for_company(company_id)`, and the by-id hot path reads with `get_in_company(...)`, prepared primary-key SQL
equivalent to `for_company(company_id).filter(pk=pk).first()`. The company itself is the one named exception
(`TenantQuerySet`): a company is its own tenant, so its rows are scoped by their own id.
"""

import uuid
from functools import cache

from django.db import connections, models

from identity.exceptions import ValidationFailed


def caller_company_id(request) -> uuid.UUID:
    """The company of the authenticated caller (set by the authentication class)."""
    return request.company_id


def parse_path_id(value, kwarg: str) -> uuid.UUID:
    """A path id as UUID, or 400 `Invalid <name> id` (`unit_id` → `Invalid unit id`)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        name = kwarg.removesuffix("_id").replace("_", " ")
        raise ValidationFailed(f"Invalid {name} id") from None


class CompanyScopedQuerySet(models.QuerySet):
    """Rows that belong to one company through `company_field`."""

    company_field = "company_id"

    def for_company(self, company_id) -> "CompanyScopedQuerySet":
        return self.filter(**{self.company_field: company_id})

    def get_in_company(self, *, pk, company_id, active_only: bool = False):
        """The plain row with this primary key in this company (and active, if asked), or None.

        The caller's user (every request) and the path object (every by-id request) are read this way: building
        and compiling the equivalent ORM query costs more than running it. No joins: anything with
        `select_related` goes through `for_company()` as usual.
        """
        model = self.model
        manager = model._default_manager
        connection = connections[manager.db]
        sql = _scoped_pk_sql(model, self.company_field, active_only, connection.vendor)
        params = [
            model._meta.pk.get_db_prep_value(pk, connection),
            model._meta.get_field(self.company_field).get_db_prep_value(company_id, connection),
        ]
        if active_only:
            params.append(True)
        rows = list(manager.raw(sql, params))
        return rows[0] if rows else None


class TenantQuerySet(CompanyScopedQuerySet):
    """The company resource: a company is its own tenant, so the caller sees only the row whose id is its
    company id (`GET /companies` lists one company)."""

    company_field = "id"


@cache
def _scoped_pk_sql(model, company_field: str, active_only: bool, vendor: str) -> str:
    meta = model._meta
    quote = connections[model._default_manager.db].ops.quote_name
    columns = [meta.pk.column, meta.get_field(company_field).column] + (["is_active"] if active_only else [])
    where = " AND ".join(f"{quote(column)} = %s" for column in columns)
    return f"SELECT * FROM {quote(meta.db_table)} WHERE {where} LIMIT 1"
