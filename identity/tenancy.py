"""Tenancy in one place: the caller's company, path ids, and the company filter every read goes through.

Every company-owned model's manager is a `CompanyScopedQuerySet`: viewsets and selectors scope with
`for_company(company_id)`, and the by-id hot path reads with `get_in_company(...)`, prepared primary-key SQL
equivalent to `for_company(company_id).filter(pk=pk).first()`. The company itself is the one named exception
(`TenantQuerySet`): a company is its own tenant, so its rows are scoped by their own id.
"""

import uuid
from functools import cache
from typing import NamedTuple

from django.db import connections, models

from identity import rowcache
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

    def get_in_company(self, *, pk, company_id, active_only: bool = False, fence: int | None = None):
        """The plain row with this primary key in this company (and active, if asked), or None.

        The caller's user (every request) and the path object (every by-id request) are read this way: building
        and compiling the equivalent ORM query, or a `raw()` query's column mapping, costs more than running it.
        No joins: anything with `select_related` goes through `for_company()` as usual. `fence`: the request's
        `identity.rowcache.fence()`; with it the row may come from the row cache.
        """
        model = self.model
        alias = model._default_manager.db
        connection = connections[alias]
        query = _scoped_pk_query(model, self.company_field, active_only, alias)
        pk = model._meta.pk.get_db_prep_value(pk, connection)
        company_id = model._meta.get_field(self.company_field).get_db_prep_value(company_id, connection)
        table = model._meta.db_table
        read_at = fence if fence is not None and table in rowcache.NOTIFIED_TABLES and rowcache.usable(alias) else None
        if read_at is not None:
            row = rowcache.lookup(table, pk)
            if row is not None:
                if row[query.company_index] != company_id or (active_only and not row[query.active_index]):
                    return None
                return model.from_db(alias, query.attnames, row)
            # The cache holds the whole row whatever was asked: read it without the `is_active` condition.
            query = _scoped_pk_query(model, self.company_field, False, alias)
        params = [pk, company_id]
        if query.active_only:
            params.append(True)
        with connection.cursor() as cursor:
            cursor.execute(query.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        row = _converted(query, row, connection)
        if read_at is not None:
            rowcache.store(table, pk, row, read_at)
            if active_only and not row[query.active_index]:
                return None
        return model.from_db(alias, query.attnames, row)


class TenantQuerySet(CompanyScopedQuerySet):
    """The company resource: a company is its own tenant, so the caller sees only the row whose id is its
    company id (`GET /companies` lists one company)."""

    company_field = "id"


def row_columns(model, alias: str) -> str:
    """The SELECT list of a whole row (every concrete column, in order): what `get_in_company` reads and the row
    cache keeps, what a write returns to keep its row there (identity.services.save_fields), what a raw query of
    the model's instances selects (users.selectors.user_by_email)."""
    return _scoped_pk_query(model, "id", False, alias).columns


def cached_row(model, alias: str, row: tuple) -> tuple:
    """A row of `row_columns` as the row cache keeps it (the database converters applied)."""
    return _converted(_scoped_pk_query(model, "id", False, alias), row, connections[alias])


def _converted(query: "_PkQuery", row: tuple, connection) -> tuple:
    if not query.converters:
        return row
    values = list(row)
    for index, field_converters in query.converters:
        for convert, expression in field_converters:
            values[index] = convert(values[index], expression, connection)
    return tuple(values)


class _PkQuery(NamedTuple):
    sql: str
    columns: str
    attnames: tuple
    converters: tuple
    active_only: bool
    company_index: int
    active_index: int


@cache
def _scoped_pk_query(model, company_field: str, active_only: bool, alias: str) -> _PkQuery:
    """The SQL of `get_in_company`, the attribute names of its columns, the database converters per column (as the
    ORM applies them: SQLite returns UUIDs and datetimes as text; PostgreSQL needs none of them), and where the
    company and `is_active` columns are in the row."""
    meta = model._meta
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = meta.concrete_fields
    columns = [meta.pk.column, meta.get_field(company_field).column] + (["is_active"] if active_only else [])
    where = " AND ".join(f"{quote(column)} = %s" for column in columns)
    select = ", ".join(quote(field.column) for field in fields)
    sql = f"SELECT {select} FROM {quote(meta.db_table)} WHERE {where} LIMIT 1"
    converters = []
    for index, field in enumerate(fields):
        expression = field.get_col(meta.db_table)
        functions = connection.ops.get_db_converters(expression) + field.get_db_converters(connection)
        if functions:
            converters.append((index, [(function, expression) for function in functions]))
    attnames = tuple(field.attname for field in fields)
    company_attname = meta.get_field(company_field).attname
    return _PkQuery(
        sql,
        select,
        attnames,
        tuple(converters),
        active_only,
        attnames.index(company_attname),
        attnames.index("is_active") if "is_active" in attnames else -1,
    )
