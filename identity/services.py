"""Write helpers shared by the apps' services, and the transaction rule they follow.

A service opens `transaction.atomic()` only around what must succeed or fail together: several statements, or a
read that must hold a lock until the write. A single statement (one INSERT, a `save_changes` UPDATE) is atomic
by itself, and `Model.delete()` opens its own transaction: an explicit BEGIN/COMMIT would only double the round
trips. A constraint violation of a single statement still answers 409 (identity.exception_handler).
"""

from django.db import models


def save_changes(instance, data: dict, fields: tuple[str, ...], *, also: tuple[str, ...] = ()):
    """Sets the `fields` that `data` names on `instance` and saves only those (plus `also`, set by the caller, and
    `updated_at`) in one UPDATE statement."""
    named = [key for key in fields if key in data]
    for key in named:
        setattr(instance, key, data[key])
    changed = [*also, *named]
    if changed:
        instance.save(update_fields=[*changed, "updated_at"])
    return instance


def delete_set(queryset: models.QuerySet) -> int:
    """Deletes every row of `queryset` in a constant number of statements, whatever its size: one UPDATE per
    SET_NULL relation pointing at the rows, then one DELETE. Returns the number of rows deleted.

    For sets that `Model.delete()` would load row by row (its collector fetches every object and deletes in
    chunks). Only SET_NULL references are handled: the caller deletes CASCADE dependants first (children before
    parents) and the model may have no PROTECT or Python-side `on_delete`. Call inside `transaction.atomic()`.
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
