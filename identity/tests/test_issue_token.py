"""`manage.py issue_token` (docs/behaviour.md §12): a token the API accepts, shaped like the Auth service's."""

import io
import time

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from rest_framework_simplejwt.backends import TokenBackend

pytestmark = pytest.mark.django_db


def _issue(*args) -> str:
    out = io.StringIO()
    call_command("issue_token", *args, stdout=out)
    return out.getvalue().strip()


def _claims(token: str) -> dict:
    # simplejwt annotates `token` as its Token class; decode takes the encoded str (PyJWT's jwt.decode).
    return TokenBackend("HS256", signing_key=settings.JWT_SECRET).decode(token)  # type: ignore[arg-type]


def test_printed_token_authenticates_the_api(anon_client, user_a, company_a):
    token = _issue("ALPHA@Acme.Test")  # matched case-insensitively
    anon_client.cookies["access_token"] = token
    response = anon_client.get("/companies")
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["data"]] == [str(company_a.pk)]


def test_token_carries_the_auth_service_claims(user_a):
    claims = _claims(_issue(user_a.email))
    assert set(claims) == {"sub", "email", "company_id", "exp", "jti"}
    assert claims["sub"] == str(user_a.pk)
    assert claims["email"] == user_a.email
    assert claims["company_id"] == str(user_a.company_id)


def test_default_lifetime_is_15_minutes(user_a):
    exp = _claims(_issue(user_a.email))["exp"]
    assert abs(exp - (time.time() + 15 * 60)) < 30


def test_minutes_option_sets_the_expiry(user_a):
    exp = _claims(_issue(user_a.email, "--minutes", "90"))["exp"]
    assert abs(exp - (time.time() + 90 * 60)) < 30


def test_each_token_has_its_own_jti(user_a):
    assert _claims(_issue(user_a.email))["jti"] != _claims(_issue(user_a.email))["jti"]


def test_unknown_email_fails(user_a):
    with pytest.raises(CommandError, match="No user with email 'nobody@acme.test'"):
        _issue("nobody@acme.test")


def test_inactive_user_fails(make_user, company_a):
    make_user(company_a, "gone@acme.test", is_active=False)
    with pytest.raises(CommandError, match="inactive"):
        _issue("gone@acme.test")


def test_non_positive_minutes_fails(user_a):
    with pytest.raises(CommandError, match="--minutes"):
        _issue(user_a.email, "--minutes", "0")
