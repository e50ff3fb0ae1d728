"""Uniqueness: a pre-check that names the field, and a map from database constraints back to fields."""

from django.db import IntegrityError

# constraint name -> field, filled by apps that declare unique constraints (see `register_constraint`).
_CONSTRAINT_FIELDS: dict[str, str] = {}


def register_constraint(name: str, field: str) -> str:
    """Records which field a unique constraint guards; returns the name for use in `Meta.constraints`."""
    _CONSTRAINT_FIELDS[name] = field
    return name


def field_for_integrity_error(exc: IntegrityError) -> str | None:
    text = str(exc)
    for name, field in _CONSTRAINT_FIELDS.items():
        if name in text:
            return field
    return None


def taken(queryset, *, exclude_pk=None) -> bool:
    """True when `queryset` (already filtered on the value) holds a row other than `exclude_pk`: the pre-check
    of the `*_taken` selectors, which lets a service name the field in its Conflict."""
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()
