"""Hot-path row lookups by primary key within a company, in SQL written once per model.

The caller's user (every request) and the path object (every by-id request) are read this way: building and
compiling the equivalent ORM query costs more than running it. Plain rows only (no joins); anything with
`select_related` goes through the ORM as usual.
"""

from functools import cache

from django.db import connections


@cache
def _scoped_pk_sql(model, company_field: str, active_only: bool, vendor: str) -> tuple[str, tuple[str, ...]]:
    meta = model._meta
    quote = connections[model._default_manager.db].ops.quote_name
    columns = [meta.pk.column, meta.get_field(company_field).column] + (["is_active"] if active_only else [])
    where = " AND ".join(f"{quote(column)} = %s" for column in columns)
    return f"SELECT * FROM {quote(meta.db_table)} WHERE {where} LIMIT 1", tuple(columns)


def scoped_get(model, *, pk, company_id, company_field: str = "company_id", active_only: bool = False):
    """The row of `model` with this primary key in this company (and active, if asked), or None."""
    manager = model._default_manager
    connection = connections[manager.db]
    sql, _ = _scoped_pk_sql(model, company_field, active_only, connection.vendor)
    company_target = model._meta.get_field(company_field)
    params = [
        model._meta.pk.get_db_prep_value(pk, connection),
        company_target.get_db_prep_value(company_id, connection),
    ]
    if active_only:
        params.append(True)
    rows = list(manager.raw(sql, params))
    return rows[0] if rows else None
