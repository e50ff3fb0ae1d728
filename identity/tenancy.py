"""Tenancy helpers: the caller's company and path-id parsing."""

import uuid

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
