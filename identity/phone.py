"""The phone-number rule (docs/behaviour.md §6.1)."""

import re

from rest_framework.exceptions import ValidationError

_PHONE = re.compile(r"[0-9 +()\-]*")


def validate_phone(value: str) -> None:
    if value and not _PHONE.fullmatch(value):
        raise ValidationError("Phone number may contain only digits, spaces and + ( ) -.")
