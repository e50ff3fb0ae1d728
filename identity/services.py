"""Write helpers shared by the apps' services."""

from django.db import transaction


def save_changes(instance, data: dict, fields: tuple[str, ...]):
    """Sets the `fields` that `data` names on `instance` and saves only those (plus `updated_at`)."""
    changed = [key for key in fields if key in data]
    for key in changed:
        setattr(instance, key, data[key])
    if changed:
        with transaction.atomic():
            instance.save(update_fields=[*changed, "updated_at"])
    return instance
