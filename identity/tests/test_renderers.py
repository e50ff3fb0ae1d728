"""The API's JSON renderer writes exactly the bytes DRF's renderer writes; its negotiation picks what DRF's picks."""

import datetime as dt
import decimal
import uuid

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.exceptions import ErrorDetail
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from identity.renderers import ContentNegotiation, JSONRenderer

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


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "*/*",
        "application/json",
        "",
        "text/html",
        "application/json; indent=4",
        "text/html, */*;q=0.8",
        "application/vnd.oai.openapi+json",
        "application/*",
    ],
)
@pytest.mark.parametrize("query", ["", "format=json", "format=xml"])
@pytest.mark.parametrize(
    "renderer_classes",
    [[JSONRenderer], [renderers.BaseRenderer], [JSONRenderer, renderers.BrowsableAPIRenderer]],
    ids=["json", "other", "two"],
)
def test_negotiation_answers_as_drf_does(accept, query, renderer_classes):
    class Other(renderers.BaseRenderer):
        media_type, format = "application/vnd.oai.openapi+json", "openapi"

    classes = [Other if cls is renderers.BaseRenderer else cls for cls in renderer_classes]
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}

    def outcome(negotiator):
        request = Request(APIRequestFactory().get(f"/users?{query}", **headers))
        try:
            renderer, media_type = negotiator.select_renderer(request, [cls() for cls in classes])
        except Exception as error:  # the 406 or 404 DRF answers
            return type(error)
        return type(renderer), media_type

    assert outcome(ContentNegotiation()) == outcome(DefaultContentNegotiation())
