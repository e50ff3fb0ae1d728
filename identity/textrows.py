"""Rows read as their representation's text: one prepared statement per shape, on PostgreSQL.

The database writes ids and datetimes as the API does, so a row becomes its representation (a dict of the
serializer's `keys`) without a Python conversion per value — byte-identical to what the serializer gives
(docs/architecture.md §6). Used for unfiltered list pages (identity.pagination) and the sub-collections of a row
(`/organization_units/{id}/children`…). Each builder answers None where there is no such statement (another
database, a key whose text only Python gives): the caller reads through the ORM instead.
"""

from functools import cache

from django.db import connections, models


def text_column(model, key: str, quote) -> str | None:
    """The SQL of one key as the API writes it (identity.serializers.KeyedSerializerMixin): ids as text, datetimes
    as DRF renders them in UTC (`2026-01-31T12:00:00.123456Z`, no fraction when it is zero); None for a field whose
    text only Python gives."""
    field = model._meta.get_field(key)
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    column = quote(field.column)
    if isinstance(target, models.UUIDField):
        return f"{column}::text"
    if isinstance(target, models.DateTimeField):
        return f"replace(to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '.000000Z', 'Z')"
    if isinstance(target, models.CharField | models.TextField | models.BooleanField | models.IntegerField):
        return column
    return None


@cache
def select_sql(model, keys: tuple[str, ...], equal: tuple[str, ...], ordering: tuple[str, ...], extra: str = ""):
    """`SELECT <keys as text>[, extra] FROM <table> WHERE <each of equal> = %s ORDER BY <ordering>`, or None
    when a key has no text column (`-name` orders descending)."""
    connection = connections[model._default_manager.db]
    if connection.vendor != "postgresql":
        return None
    quote = connection.ops.quote_name
    columns = []
    for key in keys:
        column = text_column(model, key, quote)
        if column is None:
            return None
        columns.append(column)
    table = quote(model._meta.db_table)

    def qualified(name: str) -> str:
        # Qualified: a bare name in ORDER BY would be the output column of that name (`id` as text), not the table's.
        return f"{table}.{quote(model._meta.get_field(name.lstrip('-')).column)}"

    where = " AND ".join(f"{qualified(name)} = %s" for name in equal)
    order = ", ".join(f"{qualified(name)}{' DESC' if name.startswith('-') else ''}" for name in ordering)
    return f"SELECT {', '.join(columns)}{extra} FROM {table} WHERE {where} ORDER BY {order}"


def rows(model, keys: tuple[str, ...], *, equal: dict, ordering: tuple[str, ...]) -> list[dict] | None:
    """The represented rows of `model` whose fields equal `equal` (`{"company_id": …, "parent_id": …}`), sorted by
    `ordering`; None where there is no prepared statement."""
    statement = select_sql(model, keys, tuple(equal), tuple(ordering))
    if statement is None:
        return None
    connection = connections[model._default_manager.db]
    params = [model._meta.get_field(name).get_db_prep_value(value, connection) for name, value in equal.items()]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]
