"""Serializer bases: strict input (unknown and read-only fields rejected, the caller's own `company_id`
tolerated, `""` null for nullable fields) and one statement of each output shape (`keys`)."""

import copy
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any, ClassVar

from django.db import models
from django.utils.datastructures import MultiValueDict
from django.utils.functional import cached_property
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html
from rest_framework.utils.serializer_helpers import BindingDict

from identity.exceptions import ValidationFailed
from identity.phone import validate_phone

UNKNOWN_FIELD = "Unknown field."


def unknown_fields(data, known) -> dict:
    """`{name: ["Unknown field."]}` for every key of `data` not in `known`."""
    return {name: [UNKNOWN_FIELD] for name in data if name not in known}


class _InputPlan:
    """What a StrictModelSerializer class takes as input, read once from its fields' prototypes."""

    __slots__ = ("prototypes", "writable", "accepted", "nullable", "uuids")

    def __init__(self, prototypes: dict[str, serializers.Field]):
        self.prototypes = prototypes
        self.writable = tuple(name for name, field in prototypes.items() if not field.read_only)
        self.accepted = frozenset({*self.writable, "company_id"})  # the caller's own company_id is tolerated
        self.nullable = frozenset(name for name in self.writable if prototypes[name].allow_null)
        self.uuids = tuple(name for name, field in prototypes.items() if isinstance(field, serializers.UUIDField))


class LazyBindingDict(BindingDict):
    """A serializer's fields in their declared order, each a copy of its class's prototype bound on first use: a
    PATCH that names two fields binds those two (and a representation, built from `keys`, none)."""

    def __init__(self, serializer, prototypes: dict[str, serializers.Field]):
        super().__init__(serializer)
        self.prototypes = prototypes  # the class's, shared: replaced by a copy before any change (__setitem__)
        self._own = False

    def __getitem__(self, key):
        field = self.fields.get(key)
        if field is None:
            field = copy.copy(self.prototypes[key])
            super().__setitem__(key, field)
        return field

    def __setitem__(self, key, field):
        self._detach()
        self.prototypes[key] = field
        super().__setitem__(key, field)

    def __delitem__(self, key):
        self._detach()
        del self.prototypes[key]
        self.fields.pop(key, None)

    def __iter__(self):
        return iter(self.prototypes)

    def __len__(self):
        return len(self.prototypes)

    def __contains__(self, key):
        return key in self.prototypes

    def __repr__(self):
        return repr(dict(self.items()))

    def _detach(self) -> None:
        if not self._own:
            self.prototypes, self._own = dict(self.prototypes), True


class StrictModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose input may name only writable fields (plus the caller's own `company_id`).

    ModelSerializer builds every field from the model's metadata for each serializer, and its validators (unique
    together, unique for date) from the model's constraints, which is most of the cost of validating a body. Both
    depend on the class only: they are built once per class (`_plan`, `get_validators`), and each serializer binds
    copies of the fields it uses (`LazyBindingDict`). A shallow copy suffices: a field is never changed once built
    (binding sets attributes of the copy; nothing here or in DRF edits a field's validators or choices afterwards).
    A partial update runs the fields its body names; DRF would run every writable field only to skip the absent ones.
    """

    @classmethod
    def _plan(cls, serializer) -> _InputPlan:
        plan = cls.__dict__.get("_input_plan")
        if plan is None:
            plan = _InputPlan(serializer.get_fields())
            cls._input_plan = plan
        return plan

    @cached_property
    def fields(self):
        return LazyBindingDict(self, self._plan(self).prototypes)

    def get_validators(self):
        cls = type(self)
        validators = cls.__dict__.get("_model_validators")
        if validators is None:
            # From a serializer that is neither partial nor validating: every writable field counts.
            validators = tuple(super(StrictModelSerializer, cls()).get_validators())
            cls._model_validators = validators
        return list(validators)

    def run_validators(self, value):
        # Without validators there is nothing to run: DRF would still bind every field for the read-only defaults.
        if self.validators:
            super().run_validators(value)

    @property
    def _writable_fields(self):
        named = self.__dict__.get("_named")
        if named is None:
            yield from super()._writable_fields
            return
        fields = self.fields
        for name in self._plan(self).writable:
            if name in named:
                yield fields[name]

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)
        plan = self._plan(self)
        errors = unknown_fields(data, plan.accepted)
        if "company_id" in data and "company_id" not in plan.writable:
            request = self.context.get("request")
            caller = str(getattr(request, "company_id", "")) if request is not None else ""
            if str(data.get("company_id") or "").strip().lower() != caller.lower():
                errors["company_id"] = ["company_id must be the caller's company."]
        errors.update(self._non_text_ids(data, plan))
        if errors:
            raise serializers.ValidationError(errors)
        data = self._blanks_as_null(data, plan)
        if not self.partial or html.is_html_input(data):
            return super().to_internal_value(data)
        # A field the body does not name is skipped by a partial update: only the named ones are run (a form's
        # fields may be named otherwise, `tags[0]`, so forms take DRF's way).
        self._named = data
        try:
            return super().to_internal_value(data)
        finally:
            del self._named

    def _blanks_as_null(self, data, plan: _InputPlan):
        """`""` for a nullable field is null, in JSON and multipart alike (web forms send an empty input as `""`);
        a field that is not nullable still rejects it (docs/behaviour.md §1.2)."""
        nullable = plan.nullable
        if html.is_html_input(data):
            # A shallow copy that keeps the multipart shape (several values per key, file parts untouched).
            return MultiValueDict(
                {
                    key: [None if key in nullable and value == "" else value for value in data.getlist(key)]
                    for key in data
                }
            )
        return {key: None if key in nullable and value == "" else value for key, value in data.items()}

    def _non_text_ids(self, data, plan: _InputPlan) -> dict:
        """UUID fields take text (or, from the admin's forms, a UUID) only: DRF reads an integer (and so
        `false`/`true`) as a UUID (`UUID(int=0)`)."""
        return {
            name: [serializers.UUIDField.default_error_messages["invalid"].format(value=data[name])]
            for name in plan.uuids
            if name in data and data[name] is not None and not isinstance(data[name], str | uuid.UUID)
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
