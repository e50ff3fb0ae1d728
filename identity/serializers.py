"""Serializer bases: strict input (unknown and read-only fields rejected, the caller's own `company_id`
tolerated, `""` null for nullable fields) and one statement of each output shape (`keys`)."""

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any, ClassVar

from django.db import models
from django.utils.datastructures import MultiValueDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

from identity.exceptions import ValidationFailed
from identity.phone import validate_phone

UNKNOWN_FIELD = "Unknown field."


def unknown_fields(data, known) -> dict:
    """`{name: ["Unknown field."]}` for every key of `data` not in `known`."""
    return {name: [UNKNOWN_FIELD] for name in data if name not in known}


class StrictModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose input may name only writable fields (plus the caller's own `company_id`)."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            errors = unknown_fields(data, writable | {"company_id"})
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
            return MultiValueDict(
                {
                    key: [None if key in nullable and value == "" else value for value in data.getlist(key)]
                    for key in data
                }
            )
        return {key: None if key in nullable and value == "" else value for key, value in data.items()}

    def _non_text_ids(self, data) -> dict:
        """UUID fields take text (or, from the admin's forms, a UUID) only: DRF reads an integer (and so
        `false`/`true`) as a UUID (`UUID(int=0)`)."""
        return {
            name: [serializers.UUIDField.default_error_messages["invalid"].format(value=data[name])]
            for name, field in self.fields.items()
            if isinstance(field, serializers.UUIDField)
            and name in data
            and data[name] is not None
            and not isinstance(data[name], str | uuid.UUID)
        }


# The body of an action: a JSON object naming only the declared fields. `required_message`: the one message
# (`{"message": ...}`, no field errors) when a field listed in `required_fields` is absent, empty or not text;
# a dict maps each field to its own message. Required fields are checked first, then unknown fields, then the declared
# fields as usual. (Comments, not a docstring: the schema would show a docstring on every input body.)
class StrictInputSerializer(serializers.Serializer):
    required_fields: tuple[str, ...] = ()
    required_message: str | dict = ""

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            raise serializers.ValidationError(
                {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {type(data).__name__}."]}
            )
        for name in self.required_fields:
            if not present_text(data.get(name)):
                message = self.required_message
                raise ValidationFailed(message[name] if isinstance(message, dict) else message)
        errors = unknown_fields(data, self.fields)
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


def present_text(value) -> bool:
    """A non-empty string."""
    return isinstance(value, str) and value != ""


class TextField(serializers.CharField):
    """Text taken as sent: not trimmed (passwords keep their spaces), not judged further."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)


@extend_schema_field(OpenApiTypes.EMAIL)
class EmailTextField(TextField):
    """An email as the caller typed it, documented as an email: a malformed one is not a 400, it simply names no
    account."""


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


def _converter(model, key):
    field = model._meta.get_field(key)  # a name or an attname (`position_id`)
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    if isinstance(field, models.UUIDField):
        return str_or_none
    if isinstance(field, models.DateTimeField):
        return iso_datetime
    return None


def _compile_representation(model, keys: tuple[str, ...]):
    """`obj -> {key: value, …}` as one dict display, the way `dataclasses` builds its methods: a loop over the
    keys would cost a third more per row on a 1000-row page."""
    namespace, items = {}, []
    for index, key in enumerate(keys):
        if not key.isidentifier():
            raise ValueError(f"{model.__name__} key {key!r} is not an attribute name")
        convert = _converter(model, key)
        if convert is None:
            items.append(f"{key!r}: obj.{key}")
        else:
            namespace[f"convert_{index}"] = convert
            items.append(f"{key!r}: convert_{index}(obj.{key})")
    exec(f"def represent(obj):\n    return {{{', '.join(items)}}}", namespace)
    return namespace["represent"]


# One statement of a resource's output shape: `keys`, the model columns it shows, in order. `Meta.fields` starts
# with `keys` (writable-only and expanded fields follow); `to_representation` reads exactly those attributes,
# from a model instance or from a named-tuple row of `values_list(*keys)` alike, rendering ids as text and
# datetimes as DRF does, without building a field object per value (a 1000-row page stays cheap). Expanded keys
# are added by `expand_representation`. (Comments, not a docstring: the schema would show it on every resource.)
class KeyedSerializerMixin:
    keys: tuple[str, ...] = ()
    # For the type checker only: `Meta` is the serializer's, `_represent` is compiled per class on first use.
    Meta: ClassVar[Any]
    _represent: ClassVar[Callable[[Any], dict]]

    @classmethod
    def represent(cls, obj) -> dict:
        """The shape of `obj` without expansions (also usable without a serializer instance)."""
        function = cls.__dict__.get("_represent")
        if function is None:
            function = cls._represent = _compile_representation(cls.Meta.model, cls.keys)
        return function(obj)

    def to_representation(self, instance):
        data = self.represent(instance)
        expand = self.context.get("expand")
        if expand:
            self.expand_representation(instance, data, expand)
        return data

    def expand_representation(self, instance, data: dict, expand) -> None:
        """Hook: adds the keys `expand` asks for."""
