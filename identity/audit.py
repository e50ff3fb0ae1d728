"""The audit trail's one writer: `record()`, called by the services in the transaction of the change they make.

Who, from where and through what (request id, actor, ip, source) is read from identity.context: the request
middleware sets `api`, the admin `admin`, commands `command`; anything else is `system`. Field names are
recorded, never values (docs: the operators section of the README).
"""

from collections.abc import Iterable, Mapping
from functools import cache

from django.db import connections, models, router, transaction

from identity.context import actor_var, ip_var, request_id_var, source_var
from identity.models import AuditEvent

OBJECT_TYPES = ("company", "customer", "subcontractor", "organization_unit", "position", "user")
ACTIONS = (
    *(f"{kind}.{verb}" for kind in OBJECT_TYPES for verb in ("create", "update", "delete")),
    *(
        f"{owner}.{verb}"
        for owner in ("user_avatar", "company_logo", "customer_logo", "subcontractor_logo")
        for verb in ("upload", "delete")
    ),
    "user_role.assign",
    "user_role.remove",
    "password.verify_success",
    "password.verify_failure",
    "password.lockout",
    "password.unlock",
    "password.admin_reset",
    "password.change",
    "password.change_failure",
    "password.reset_request",
    "password.reset_confirm",
    "password.reset_failure",
)

# Never part of `changed_fields`: the key, bookkeeping timestamps, the tenant, and derived columns (a unit's
# path and level follow its parent_id).
_SKIPPED = frozenset({"id", "created_at", "updated_at", "company"})


def object_type_of(target: models.Model) -> str:
    """`company`, `customer`, `subcontractor`, `organization_unit`, `position` or `user`."""
    return target._meta.verbose_name.replace(" ", "_")


def company_id_of(target: models.Model):
    return target.pk if object_type_of(target) == "company" else target.company_id


def audited_fields(model) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if field.name not in _SKIPPED and field.editable]


def snapshot(instance: models.Model) -> dict:
    """The audited values of `instance` keyed by field name (`parent_id`, `position_id` for foreign keys); take one
    before a change and one after, and give both to `changed_fields`."""
    return {field.attname: getattr(instance, field.attname) for field in audited_fields(type(instance))}


def changed_fields(before: Mapping, after: Mapping) -> list[str]:
    """Sorted names of the fields whose value differs (a new password hash reads as `password`)."""
    return sorted(name for name in after if before.get(name) != after[name])


def created_fields(instance: models.Model) -> list[str]:
    """Sorted names of the fields a new row was given a non-null value."""
    return sorted(name for name, value in snapshot(instance).items() if value is not None)


def record_create(target: models.Model) -> AuditEvent:
    """`<object_type>.create` of a row just inserted, naming the fields it was given a non-null value."""
    return _recorded(record(f"{object_type_of(target)}.create", target=target, changed_fields=created_fields(target)))


def record_update(target: models.Model, before: Mapping) -> AuditEvent | None:
    """`<object_type>.update` of `target` against its `snapshot` taken `before` the change; nothing when no field
    really changed."""
    return record_event(pending_update(target, before))


def pending_update(target: models.Model, before: Mapping) -> AuditEvent | None:
    """The unsaved `<object_type>.update` event of `target` against its `snapshot` taken `before` the change (None
    when no field really changed), for a writer that decides from it whether its change needs a transaction of
    its own (identity.services.update_row); `record_event` writes it in the transaction of the change."""
    return _event(
        f"{object_type_of(target)}.update", target=target, changed_fields=changed_fields(before, snapshot(target))
    )


def pending(action: str, *, target: models.Model, changed_fields: Iterable[str] = ()) -> AuditEvent | None:
    """The unsaved event `record` would write, for a writer that writes it with its change in one statement
    (identity.services.save_fields `event=`)."""
    return _event(action, target=target, changed_fields=changed_fields)


def record_delete(target: models.Model) -> AuditEvent:
    """`<object_type>.delete` of `target`, recorded before the row goes."""
    return _recorded(record(f"{object_type_of(target)}.delete", target=target))


def record_alone(action: str, *, target: models.Model) -> AuditEvent:
    """`record()` in a transaction of its own, for an event that changes no row of this service (an attempt
    refused before any write, a role assignment Guardian holds)."""
    with transaction.atomic():
        return _recorded(record(action, target=target))


def record(action: str, *, target: models.Model, changed_fields: Iterable[str] = ()) -> AuditEvent | None:
    """Writes one AuditEvent for `action` (`<object_type>.<verb>`, `password.change`, `user_avatar.upload`…) on
    `target`, the row changed or the user a credential event concerns; returns it.

    An `.update` that changed nothing records nothing (returns None). Must run inside the transaction of the
    change (`transaction.atomic()`), so that the event commits or rolls back with it; for a delete, call it
    before the row goes (Model.delete() clears the primary key). Raises ValueError for an action not in ACTIONS
    and RuntimeError outside a transaction.
    """
    return record_event(_event(action, target=target, changed_fields=changed_fields))


def record_event(event: AuditEvent | None) -> AuditEvent | None:
    """Writes an event built by `pending_update` (nothing for None) in one INSERT; returns it. Raises RuntimeError
    outside a transaction, as `record` does."""
    if event is None:
        return None
    alias = _in_transaction()
    connection = connections[alias]
    # Without building Model.save()'s INSERT query for every event: events are immutable, written once, and
    # nothing listens for their save signals.
    with connection.cursor() as cursor:
        cursor.execute(_insert_statement(alias), event_params(event, alias))
    event._state.adding, event._state.db = False, alias
    return event


def _in_transaction() -> str:
    """The database alias of the events; raises RuntimeError unless a transaction is open on it (an event is written
    in the transaction of the change it records)."""
    alias = router.db_for_write(AuditEvent)
    if not connections[alias].in_atomic_block:
        raise RuntimeError("identity.audit.record() must run inside the transaction of the change it records")
    return alias


@cache
def _insert_statement(alias: str) -> str:
    """The INSERT of one event on the database `alias`, taking `event_params`."""
    quote = connections[alias].ops.quote_name
    fields = AuditEvent._meta.concrete_fields
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({columns}) VALUES ({placeholders})"


@cache
def insert_from_statement(alias: str, source: str) -> str:
    """`INSERT INTO <events> (…) SELECT <the event's values> FROM <source>`: the INSERT of one event, made only for
    each row of `source` (a data-modifying WITH query of the same statement, identity.services.save_fields), with
    the parameters `event_params` gives. Each value is cast to its column's type without a length, so that a value
    too long still fails as in a plain INSERT (a cast to `varchar(n)` would cut it)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = tuple(AuditEvent._meta.concrete_fields)
    columns = ", ".join(quote(field.column) for field in fields)
    values = ", ".join(f"%s::{field.db_type(connection).partition('(')[0]}" for field in fields)
    return f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({columns}) SELECT {values} FROM {source}"


def event_params(event: AuditEvent, alias: str) -> list:
    """The values of `event` as Model.save() would send them (the same field conversions), in the column order of
    `_insert_statement` and `insert_from_statement`."""
    connection = connections[alias]
    return [
        field.get_db_prep_save(field.pre_save(event, True), connection) for field in AuditEvent._meta.concrete_fields
    ]


def _recorded(event: AuditEvent | None) -> AuditEvent:
    """The event `record` wrote for an action other than an `.update`, which always records one."""
    assert event is not None, "only an .update that changed nothing records nothing"
    return event


def record_many(entries: Iterable[tuple[str, models.Model, Iterable[str]]]) -> int:
    """`record()` for many (action, target, changed_fields) entries at once, in one INSERT per batch: for the bulk
    commands (seed_demo, import_flask_identity), whose rows are written in batches too. Same rules as `record`;
    returns how many events were written."""
    events = [
        event
        for action, target, fields in entries
        if (event := _event(action, target=target, changed_fields=fields)) is not None
    ]
    if events:
        _in_transaction()
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    return len(events)


def _event(action: str, *, target: models.Model, changed_fields: Iterable[str]) -> AuditEvent | None:
    """The unsaved event `record` writes, with the context's request id, actor, ip and source; None for an
    update that changed nothing."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}")
    fields = sorted(set(changed_fields))
    if action.endswith(".update") and not fields:
        return None
    if target.pk is None:
        raise RuntimeError("identity.audit.record() needs the target's primary key (record a delete before it)")
    actor = actor_var.get()
    request_id = request_id_var.get()
    return AuditEvent(
        request_id=None if request_id == "-" else request_id,
        company_id=company_id_of(target),
        actor_id=actor[0] if actor else None,
        actor_email=actor[1] if actor else None,
        ip=ip_var.get(),
        source=source_var.get(),
        action=action,
        object_type=object_type_of(target),
        object_id=target.pk,
        changed_fields=fields,
    )
