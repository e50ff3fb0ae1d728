"""Serializer bases: unknown and read-only input fields are rejected; `company_id` is tolerated when it is the caller's;
`""` is null for nullable fields."""

from collections.abc import Mapping
from datetime import UTC

from django.utils.datastructures import MultiValueDict
from rest_framework import serializers
from rest_framework.utils import html

from identity.phone import validate_phone

UNKNOWN_FIELD = "Unknown field."


class StrictModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose input may name only writable fields (plus the caller's own `company_id`)."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            errors = {name: [UNKNOWN_FIELD] for name in data if name not in writable and name != "company_id"}
            if "company_id" in data and "company_id" not in writable:
                request = self.context.get("request")
                caller = str(getattr(request, "company_id", "")) if request is not None else ""
                if str(data.get("company_id") or "").strip().lower() != caller.lower():
                    errors["company_id"] = ["company_id must be the caller's company."]
            errors.update(self._non_text_ids(data))
            if errors:
                raise serializers.ValidationError(errors)
            data = self._blanks_as_null(data)
        return super().to_internal_value(data)

    def _blanks_as_null(self, data):
        """`""` for a nullable field is null, in JSON and multipart alike (web forms send an empty input as `""`);
        a field that is not nullable still rejects it (docs/behaviour.md §1.2)."""
        nullable = {name for name, field in self.fields.items() if field.allow_null and not field.read_only}
        if html.is_html_input(data):
            # A shallow copy that keeps the multipart shape (several values per key, file parts untouched).
            return MultiValueDict({key: [None if key in nullable and value == "" else value
                                         for value in data.getlist(key)] for key in data})
        return {key: None if key in nullable and value == "" else value for key, value in data.items()}

    def _non_text_ids(self, data) -> dict:
        """UUID fields take text only: DRF reads an integer (and so `false`/`true`) as a UUID (`UUID(int=0)`)."""
        return {name: [serializers.UUIDField.default_error_messages["invalid"].format(value=data[name])]
                for name, field in self.fields.items()
                if isinstance(field, serializers.UUIDField) and name in data
                and data[name] is not None and not isinstance(data[name], str)}


class PhoneField(serializers.CharField):
    """Digits, spaces and `+ ( ) -` only."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.validators.append(validate_phone)


def iso_datetime(value) -> str | None:
    """ISO-8601 in UTC with `Z` (as DRF renders it), for hand-written representations of large pages."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def str_or_none(value) -> str | None:
    """A UUID (or any value) as text; None stays None."""
    return None if value is None else str(value)
