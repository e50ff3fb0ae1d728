"""Write helpers shared by the apps' services."""


def save_changes(instance, data: dict, fields: tuple[str, ...], *, also: tuple[str, ...] = ()):
    """Sets the `fields` that `data` names on `instance` and saves only those (plus `also`, set by the caller, and
    `updated_at`).

    One UPDATE statement, atomic by itself: no explicit transaction (its BEGIN/COMMIT would double the round
    trips of a single-row write).
    """
    named = [key for key in fields if key in data]
    for key in named:
        setattr(instance, key, data[key])
    changed = [*also, *named]
    if changed:
        instance.save(update_fields=[*changed, "updated_at"])
    return instance
