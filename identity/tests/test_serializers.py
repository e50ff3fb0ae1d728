"""identity.serializers.StrictModelSerializer: fields and validators built once per class, fields bound on first
use, and a partial update that runs only the fields its body names, with the same outcome as DRF's own loop."""

import pytest
from rest_framework import serializers

from identity.serializers import LazyBindingDict, StrictModelSerializer
from org.api.serializers import PositionSerializer
from users.api.serializers import UserSerializer

pytestmark = pytest.mark.django_db


class EveryFieldUserSerializer(UserSerializer):
    """DRF's way: every writable field is run, the absent ones skipped one by one."""

    @property
    def _writable_fields(self):
        yield from serializers.Serializer._writable_fields.fget(self)


PARTIAL_BODIES = [
    {"first_name": "Ada"},
    {"first_name": "Ada", "last_name": "Lovelace", "language": "en"},
    {"phone_number": ""},
    {"phone_number": "not a phone"},
    {"first_name": "x" * 51},
    {"email": "not-an-email"},
    {"email": "ada@example.test", "is_active": False},
    {"position_id": "not-a-uuid"},
    {"position_id": None, "first_name": None},
    {"is_verified": "maybe"},
    {"language": "xx", "first_name": "Ada"},
    {},
]


def outcome(serializer) -> tuple:
    valid = serializer.is_valid()
    return valid, dict(serializer.validated_data) if valid else serializer.errors


@pytest.mark.parametrize("body", PARTIAL_BODIES)
def test_a_partial_update_validates_as_drf_would(user_a, body):
    ours = UserSerializer(user_a, data=body, partial=True)
    theirs = EveryFieldUserSerializer(user_a, data=body, partial=True)
    assert outcome(ours) == outcome(theirs)


def test_a_partial_update_binds_only_the_fields_it_names(user_a):
    serializer = UserSerializer(user_a, data={"first_name": "Ada", "last_name": "Lovelace"}, partial=True)
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {"first_name": "Ada", "last_name": "Lovelace"}
    assert sorted(serializer.fields.fields) == ["first_name", "last_name"]


def test_a_full_validation_still_runs_every_field(company_a):
    serializer = UserSerializer(data={"first_name": "Ada"})
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"email"}  # password is asked for after the fields (validate)


def test_fields_are_the_class_prototypes_copied_and_bound_on_first_use():
    first, second = PositionSerializer(), PositionSerializer()
    fields = first.fields
    assert isinstance(fields, LazyBindingDict)
    assert list(fields) == list(PositionSerializer.Meta.fields) and len(fields) == len(PositionSerializer.Meta.fields)
    assert "title" in fields and "nope" not in fields and fields.fields == {}
    title = fields["title"]
    assert title.parent is first and title.field_name == "title"
    assert title is not second.fields["title"] and second.fields["title"].parent is second
    prototype = fields.prototypes["title"]
    assert prototype is not title and getattr(prototype, "parent", None) is None
    with pytest.raises(KeyError):
        fields["nope"]


def test_changing_one_serializer_s_fields_leaves_the_class_s_alone():
    changed, other = PositionSerializer(), PositionSerializer()
    extra = serializers.CharField()
    changed.fields["extra"] = extra
    del changed.fields["description"]
    assert extra.parent is changed and list(changed.fields)[-1] == "extra" and "description" not in changed.fields
    assert "extra" not in other.fields and "description" in other.fields
    assert "extra" not in PositionSerializer()._plan(other).prototypes


def test_model_validators_are_built_once_per_class(monkeypatch):
    class Counted(PositionSerializer):
        class Meta(PositionSerializer.Meta):
            pass

    calls = []
    original = serializers.ModelSerializer.get_validators

    def counted(self):
        calls.append(type(self))
        return original(self)

    monkeypatch.setattr(serializers.ModelSerializer, "get_validators", counted)
    assert Counted().validators == Counted().validators == original(PositionSerializer())
    assert calls == [Counted]


def test_every_strict_serializer_builds_its_plan_from_its_own_fields():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for cls in subclasses(StrictModelSerializer):
        if not hasattr(cls, "Meta"):
            continue
        plan = cls._plan(cls())
        expected = serializers.ModelSerializer.get_fields(cls())
        assert list(plan.prototypes) == list(expected), cls
        assert plan.writable == tuple(name for name, field in expected.items() if not field.read_only), cls
