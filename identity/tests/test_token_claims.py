"""The per-process claims of verified tokens: a token seen before is still refused once it expires, under another
secret, or with its signature changed (docs/behaviour.md §2)."""

import datetime as dt

import jwt.api_jwt
import pytest
from django.test import override_settings
from rest_framework.exceptions import AuthenticationFailed

from identity import authentication
from identity.authentication import decode_token
from identity.testing.tokens import make_token

pytestmark = pytest.mark.django_db


def _clock_at(monkeypatch, timestamp: float) -> None:
    """This module's clock and the decoder's both read `timestamp`."""

    class _At(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime.fromtimestamp(timestamp, tz)

    monkeypatch.setattr(authentication.time, "time", lambda: timestamp)
    monkeypatch.setattr(jwt.api_jwt, "datetime", _At)


@pytest.fixture(autouse=True)
def _no_known_tokens():
    authentication._claims.clear()
    yield
    authentication._claims.clear()


def test_a_seen_token_is_refused_once_it_expires(user_a, monkeypatch):
    token = make_token(user_a, minutes=1)
    exp = decode_token(token)["exp"]
    assert decode_token(token)["sub"] == str(user_a.pk)
    _clock_at(monkeypatch, exp - 1.0)
    assert decode_token(token)["sub"] == str(user_a.pk)
    _clock_at(monkeypatch, float(exp))
    with pytest.raises(AuthenticationFailed):
        decode_token(token)


def test_a_seen_token_is_refused_under_another_secret(user_a):
    token = make_token(user_a)
    decode_token(token)
    with override_settings(JWT_SECRET="another-secret-another-secret-another-1"), pytest.raises(AuthenticationFailed):
        decode_token(token)


def test_a_changed_signature_is_verified_not_recognised(user_a):
    token = make_token(user_a)
    decode_token(token)
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    with pytest.raises(AuthenticationFailed):
        decode_token(forged)
    assert forged not in authentication._claims


def test_invalid_tokens_are_not_kept(user_a):
    for token in (make_token(user_a, minutes=-1), make_token(user_a, secret="not-the-secret-not-the-secret-123")):
        with pytest.raises(AuthenticationFailed):
            decode_token(token)
    assert not authentication._claims


def test_the_cache_is_bounded(user_a, monkeypatch):
    monkeypatch.setattr(authentication, "CLAIMS_CACHE_SIZE", 3)
    tokens = [make_token(user_a) for _ in range(5)]
    for token in tokens:
        decode_token(token)
    assert list(authentication._claims) == tokens[2:]


def test_a_seen_token_answers_the_api_until_it_expires(anon_client, user_a, monkeypatch):
    token = make_token(user_a, minutes=1)
    anon_client.cookies["access_token"] = token
    assert anon_client.get("/companies").status_code == 200
    exp = authentication._claims[token][0]["exp"]
    _clock_at(monkeypatch, exp + 1.0)
    assert anon_client.get("/companies").status_code == 401
