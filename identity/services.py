"""Write helpers shared by the apps' services, and the transaction rule they follow.

Every write records its audit event (identity.audit) in the transaction of the change, so each service runs in
one: these helpers open it (`savepoint=False`: inside a caller's transaction they join it, at no extra statement),
and a service that reads under a lock before writing holds the lock in the same transaction. An update that
changes no audited field (only `updated_at` moves) records no event and is a single UPDATE, which the database
runs as a transaction of its own: it opens none (BEGIN and COMMIT would be two more round trips); on PostgreSQL an
update of one row with its event is one statement too (`save_fields(event=…)`). A constraint
violation still answers 409 (identity.exception_handler), and the event goes with the rolled-back change.
"""

from functools import cache

from django.db import DatabaseError, connections, models, router, transaction

from identity import audit, rowcache, tenancy


def insert_row(instance: models.Model) -> models.Model:
    """Inserts the new row `instance` with its `<object_type>.create` event; returns it."""
    with transaction.atomic(savepoint=False):
        instance.save(force_insert=True)
        audit.record_create(instance)
    return instance


def save_changes(instance, data: dict, fields: tuple[str, ...], *, also: tuple[str, ...] = (), before=None):
    """Sets the `fields` that `data` names on `instance` and saves only those (plus `also`, set by the caller, and
    `updated_at`) in one UPDATE, with the `<object_type>.update` event of the fields whose value really changed
    (none when nothing did). `before` is the instance's `audit.snapshot` from before the caller's own changes
    (`also`); taken here when omitted."""
    if before is None:
        before = audit.snapshot(instance)
    named = [key for key in fields if key in data]
    for key in named:
        setattr(instance, key, data[key])
    changed = [*also, *named]
    if changed:
        update_row(instance, changed, before=before)
    return instance


def update_row(instance: models.Model, fields, *, before) -> None:
    """Saves the `fields` already set on `instance` (plus `updated_at`) in one UPDATE, with the
    `<object_type>.update` event of those whose value really changed against `before` (its `audit.snapshot` from
    before the change) in the same transaction; without such a field, the UPDATE alone (see above)."""
    save_fields(instance, [*fields, "updated_at"], event=audit.pending_update(instance, before))


class RowGone(DatabaseError):
    """`save_fields` found no row to update: it was deleted meanwhile."""


def save_fields(instance: models.Model, names, *, event=None) -> None:
    """`instance.save(update_fields=names)` as one UPDATE whose SQL is built once per model, set of columns and
    database: the same values (`pre_save` stamps `updated_at`, the fields' own conversions), the same
    DatabaseError (RowGone) when the row is gone, without compiling the ORM's UPDATE for every request. The models it
    writes have no save signals or `save()` of their own (house style: no logic in either).

    `event`: the audit event of the change, written with it. On PostgreSQL by the same statement — `WITH changed AS
    (UPDATE … RETURNING …), recorded AS (INSERT INTO <events> … FROM changed) SELECT … FROM changed` — which the
    database runs as one transaction: the event commits with the change, or neither does, at one round trip instead
    of four (BEGIN, UPDATE, INSERT, COMMIT); elsewhere by its own INSERT in a transaction with the UPDATE.

    Outside a transaction, a row of the row cache's tables comes back from the UPDATE as it was committed, and the
    row cache keeps it when the change's notification arrives instead of evicting it (identity.rowcache `expect`):
    the next request of this process, the caller's own after it changed its own user, reads no row."""
    model = type(instance)
    alias = router.db_for_write(model, instance=instance)
    connection = connections[alias]
    if event is not None and connection.vendor != "postgresql":
        gone = None
        with transaction.atomic(using=alias, savepoint=False):
            try:
                save_fields(instance, names)
            except RowGone as missing:  # nothing written: the block ends cleanly, even inside a caller's one
                gone = missing
            else:
                audit.record_event(event)
        if gone is not None:
            raise gone
        return
    fields = tuple(dict.fromkeys(model._meta.get_field(name) for name in names))
    params = [field.get_db_prep_save(field.pre_save(instance, False), connection) for field in fields]
    pk = model._meta.pk.get_db_prep_value(instance.pk, connection)
    params.append(pk)
    table = model._meta.db_table
    through = table in rowcache.NOTIFIED_TABLES and rowcache.usable(alias)
    returning = tenancy.row_columns(model, alias) if through else None
    sql = _update_statement(
        table, model._meta.pk.column, tuple(f.column for f in fields), alias, returning, event is not None
    )
    if event is not None:
        params += audit.event_params(event, alias)
    with connection.cursor() as cursor:
        expected = rowcache.expect(table, pk, alias) if through else None
        try:
            cursor.execute(sql, params)
            row = cursor.fetchone() if through else None
            if cursor.rowcount != 1:
                raise RowGone("Save with update_fields did not affect any rows.")
        except BaseException:
            rowcache.cancel(expected)
            raise
        if row is not None:
            rowcache.written(expected, row[-1], tenancy.cached_row(model, alias, row[:-1]))
    instance._state.adding, instance._state.db = False, alias
    if event is not None:
        event._state.adding, event._state.db = False, alias


@cache
def _update_statement(
    table: str, pk_column: str, columns: tuple[str, ...], alias: str, returning: str | None, with_event: bool
) -> str:
    """The statement of `save_fields`: the UPDATE of `columns` by primary key, `returning` these columns (the row as
    the row cache keeps it) and the backend's pid, and `with_event` inserting the audit event too (its parameters
    after the UPDATE's)."""
    quote = connections[alias].ops.quote_name
    assignments = ", ".join(f"{quote(column)} = %s" for column in columns)
    sql = f"UPDATE {quote(table)} SET {assignments} WHERE {quote(pk_column)} = %s"
    if returning:
        sql += f" RETURNING {returning}, pg_backend_pid()"
    if not with_event:
        return sql
    event = audit.insert_from_statement(alias, "changed")
    if returning:
        return f"WITH changed AS ({sql}), recorded AS ({event}) SELECT * FROM changed"
    return f"WITH changed AS ({sql} RETURNING 1) {event}"


def delete_row(instance: models.Model) -> None:
    """Deletes `instance` (with what cascades from it) after recording its `<object_type>.delete` event."""
    with transaction.atomic(savepoint=False):
        audit.record_delete(instance)
        instance.delete()


def delete_set(queryset: models.QuerySet) -> int:
    """Deletes every row of `queryset` in a constant number of statements, whatever its size: one UPDATE per
    SET_NULL relation pointing at the rows, then one DELETE. Returns the number of rows deleted.

    For sets that `Model.delete()` would load row by row (its collector fetches every object and deletes in
    chunks). Only SET_NULL references are handled: the caller deletes CASCADE dependants first (children before
    parents) and the model may have no PROTECT or Python-side `on_delete`. Call inside `transaction.atomic()`;
    it records no event (the caller records the one the change deserves).
    """
    for relation in queryset.model._meta.related_objects:
        if relation.on_delete is models.SET_NULL:
            name = relation.field.name
            relation.related_model._base_manager.filter(**{f"{name}__in": queryset}).update(**{name: None})
    return queryset._raw_delete(queryset.db)


def insert_raw(model, objects: list) -> None:
    """Inserts `objects` in one statement exactly as given, as `loaddata` does: their own `created_at` and
    `updated_at` are kept (bulk_create would stamp them with now through auto_now/auto_now_add) and no save()
    logic runs. For importing rows whose timestamps come from elsewhere."""
    model._base_manager._insert(objects, fields=model._meta.concrete_fields, raw=True)
