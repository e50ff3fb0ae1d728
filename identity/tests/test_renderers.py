"""The API's JSON renderer writes exactly the bytes DRF's renderer writes."""

import datetime as dt
import decimal
import uuid

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.exceptions import ErrorDetail

from identity.renderers import JSONRenderer

VALUES = {
    "text": 'Zoë Ångström 東京 "quoted" back\\slash \n tab\t',
    "separators": "line\u2028paragraph\u2029end",
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "utc": dt.datetime(2026, 12, 1, 11, 0, 5, 123456, tzinfo=dt.UTC),
    "offset": dt.datetime(2026, 12, 1, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    "naive": dt.datetime(2026, 12, 1, 11, 0),
    "date": dt.date(2026, 12, 1),
    "time": dt.time(11, 0, 5),
    "decimal": decimal.Decimal("12.50"),
    "lazy": gettext_lazy("This field is required."),
    "detail": {"email": [ErrorDetail("Enter a valid email address.", code="invalid")]},
    "numbers": [0, -1, 2**63 - 1, 1.5, True, False, None],
    "nested": {"data": [{"a": 1}, {"b": [None, {}]}], "empty": [], "tuple": (1, "x")},
}


@pytest.mark.parametrize("key", sorted(VALUES))
def test_same_bytes_as_drf(key):
    data = {key: VALUES[key], "pagination": {"page": 1, "total": 3}}
    assert JSONRenderer().render(data) == renderers.JSONRenderer().render(data)


def test_same_bytes_for_everything_at_once():
    assert JSONRenderer().render(VALUES) == renderers.JSONRenderer().render(VALUES)


def test_beyond_64_bits_and_indent_go_through_drf():
    big = {"n": 2**70}
    assert JSONRenderer().render(big) == b'{"n":1180591620717411303424}'
    indented = JSONRenderer().render({"a": [1]}, "application/json; indent=2")
    assert indented == renderers.JSONRenderer().render({"a": [1]}, "application/json; indent=2")
    assert b"\n" in indented


def test_nothing_renders_as_no_body():
    assert JSONRenderer().render(None) == b""


def test_an_object_json_cannot_hold_is_refused_as_before():
    with pytest.raises(TypeError):
        JSONRenderer().render({"x": object()})


def test_api_responses_use_it(client_a, user_a):
    from users.api.serializers import UserSerializer

    response = client_a.get(f"/users/{user_a.pk}")
    assert isinstance(response.accepted_renderer, JSONRenderer)
    assert response.content == renderers.JSONRenderer().render(UserSerializer.represent(user_a))
