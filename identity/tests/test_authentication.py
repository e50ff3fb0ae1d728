"""Authentication by the `access_token` cookie or a Bearer token (docs/behaviour.md §2)."""

import datetime as dt
import uuid

import jwt
import pytest
from django.conf import settings

from identity.testing.assertions import assert_error
from identity.testing.tokens import make_token

pytestmark = pytest.mark.django_db
URL = "/companies"


def _get_with_cookie(client, token):
    client.cookies["access_token"] = token
    return client.get(URL)


def test_missing_token_is_401_with_bearer_challenge(anon_client):
    response = anon_client.get(URL)
    assert_error(response, 401, "Missing or invalid JWT token")
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda u: make_token(u, secret="not-the-secret-not-the-secret-123"), "Missing or invalid JWT token"),
        (lambda u: make_token(u, minutes=-5), "Missing or invalid JWT token"),
        (lambda u: make_token(u, algorithm="HS512"), "Missing or invalid JWT token"),
        (
            lambda u: make_token(u, nbf=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)),
            "Missing or invalid JWT token",
        ),
        (lambda u: "not.a.jwt", "Missing or invalid JWT token"),
        (lambda u: make_token(u, drop=("sub",)), "Invalid JWT token: missing user_id"),
        (lambda u: make_token(u, drop=("company_id",)), "Invalid JWT token: missing company_id"),
        (lambda u: make_token(u, company_id="acme"), "Invalid JWT token: company_id must be a valid UUID"),
        (lambda u: make_token(u, sub=str(uuid.uuid4())), "User not found or inactive"),
        (lambda u: make_token(u, company_id=str(uuid.uuid4())), "User not found or inactive"),
    ],
    ids=[
        "bad-signature",
        "expired",
        "hs512",
        "not-yet-valid",
        "malformed",
        "no-sub",
        "no-company",
        "company-not-uuid",
        "unknown-user",
        "other-company",
    ],
)
def test_invalid_tokens_are_401(anon_client, user_a, build, message):
    response = _get_with_cookie(anon_client, build(user_a))
    assert_error(response, 401, message)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_alg_none_is_rejected(anon_client, user_a):
    token = jwt.encode({"sub": str(user_a.pk), "company_id": str(user_a.company_id)}, None, algorithm="none")
    assert_error(_get_with_cookie(anon_client, token), 401, "Missing or invalid JWT token")


def test_user_id_claim_is_read_when_sub_is_missing(anon_client, user_a):
    token = make_token(user_a, drop=("sub",), user_id=str(user_a.pk))
    assert _get_with_cookie(anon_client, token).status_code == 200


def test_refreshed_token_without_email_is_accepted(anon_client, user_a):
    assert _get_with_cookie(anon_client, make_token(user_a, drop=("email",))).status_code == 200


def test_inactive_user_is_401(anon_client, user_a):
    user_a.is_active = False
    user_a.save()
    assert_error(_get_with_cookie(anon_client, make_token(user_a)), 401, "User not found or inactive")


def test_user_of_another_company_is_401(anon_client, user_a, company_b):
    token = make_token(user_a, company_id=str(company_b.pk))
    assert_error(_get_with_cookie(anon_client, token), 401, "User not found or inactive")


def test_bearer_header_is_accepted(anon_client, user_a):
    response = anon_client.get(URL, HTTP_AUTHORIZATION=f"Bearer {make_token(user_a)}")
    assert response.status_code == 200


def test_cookie_wins_over_bearer(anon_client, user_a):
    anon_client.cookies["access_token"] = make_token(user_a)
    response = anon_client.get(URL, HTTP_AUTHORIZATION="Bearer garbage")
    assert response.status_code == 200


def test_identity_headers_are_ignored(anon_client, user_a):
    response = anon_client.get(URL, HTTP_X_USER_ID=str(user_a.pk), HTTP_X_COMPANY_ID=str(user_a.company_id))
    assert_error(response, 401, "Missing or invalid JWT token")


def test_identity_headers_do_not_change_the_caller(client_a, user_a, user_b):
    response = client_a.get(URL, HTTP_X_USER_ID=str(user_b.pk), HTTP_X_COMPANY_ID=str(user_b.company_id))
    assert [row["id"] for row in response.json()["data"]] == [str(user_a.company_id)]


def test_secret_from_settings_signs_tokens(user_a):
    claims = jwt.decode(make_token(user_a), settings.JWT_SECRET, algorithms=["HS256"])
    assert claims["sub"] == str(user_a.pk)
