"""Change password (docs/behaviour.md §7.4), admin reset (§7.3) and `manage.py reset_password`, with the contract
table."""

import io
import string

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from identity.exceptions import ValidationFailed
from identity.testing.assertions import assert_error
from identity.testing.constants import PASSWORD
from identity.testing.matrix import ContractMatrix, Row
from users.models import User
from users.services import passwords as credentials

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-new-pass-77"


class TestPasswordEndpoints(ContractMatrix):
    rows = [
        Row("POST", "/users/{user}/admin-reset-password", "admin_password_reset", "UPDATE", foreign=True, status=200),
        # Token only, no Guardian call (docs/behaviour.md §3.1).
        Row("PATCH", "/users/me/change-password", None, None),
    ]


@pytest.fixture(autouse=True)
def _public_settings(settings):
    settings.INTERNAL_AUTH_TOKEN = ""


def change(client, body):
    return client.patch("/users/me/change-password", body, format="json")


def login(client, email, password):
    return client.post("/verify_password", {"email": email, "password": password}, format="json")


# --- change password ----------------------------------------------------------------------------
def test_change_password_succeeds(client_a, user_a, anon_client, guardian):
    User.objects.filter(pk=user_a.pk).update(password_reset_required=True)
    before = timezone.now()
    response = change(client_a, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 200, response.content
    assert response.json() == {"message": "Password changed successfully", "password_reset_required": False}
    user_a.refresh_from_db()
    assert user_a.check_password(NEW_PASSWORD)
    assert user_a.password_reset_required is False
    assert user_a.last_password_change >= before
    assert login(anon_client, user_a.email, NEW_PASSWORD).status_code == 200
    assert_error(login(anon_client, user_a.email, PASSWORD), 403)


def test_change_password_makes_no_guardian_call(client_a, guardian):
    guardian.mode = "deny"
    response = change(client_a, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 200
    assert guardian.calls == []


def test_change_password_requires_a_token(anon_client, token_client, user_a):
    assert_error(
        change(anon_client, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        401,
        "Missing or invalid JWT token",
    )
    assert_error(change(token_client(token="not-a-jwt"), {}), 401, "Missing or invalid JWT token")
    User.objects.filter(pk=user_a.pk).update(is_active=False)
    assert_error(
        change(token_client(user_a), {"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        401,
        "User not found or inactive",
    )


def test_change_password_wrong_method_is_405_after_the_token(anon_client, client_a):
    assert_error(anon_client.post("/users/me/change-password", {}, format="json"), 401)
    assert_error(client_a.post("/users/me/change-password", {}, format="json"), 405)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"current_password": PASSWORD},
        {"new_password": NEW_PASSWORD},
        {"current_password": "", "new_password": NEW_PASSWORD},
        {"current_password": PASSWORD, "new_password": None},
    ],
)
def test_change_password_missing_fields(client_a, body):
    assert_error(change(client_a, body), 400, "current_password and new_password are required")


def test_change_password_wrong_current(client_a, user_a):
    assert_error(
        change(client_a, {"current_password": "Nope-nope-9", "new_password": NEW_PASSWORD}),
        400,
        "Current password is incorrect",
    )
    user_a.refresh_from_db()
    assert user_a.check_password(PASSWORD)


@pytest.mark.parametrize("new_password", ["short1A", "password123", "12345678901", "alpha@acme.test"])
def test_change_password_policy_errors_under_new_password(client_a, user_a, new_password):
    body = assert_error(
        change(client_a, {"current_password": PASSWORD, "new_password": new_password}),
        400,
        "Validation error",
        fields=("new_password",),
    )
    assert set(body["errors"]) == {"new_password"}
    user_a.refresh_from_db()
    assert user_a.check_password(PASSWORD)


def test_change_password_policy_uses_user_attributes(client_a, user_a):
    # Too similar to the caller's own email: only an authenticated flow applies this rule.
    body = assert_error(
        change(client_a, {"current_password": PASSWORD, "new_password": "alphatester"}), 400, fields=("new_password",)
    )
    assert any("similar" in text for text in body["errors"]["new_password"])


def test_change_password_rejects_unknown_fields(client_a):
    assert_error(
        change(client_a, {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "x": 1}), 400, fields=("x",)
    )


def test_change_password_route_is_not_a_user_id(client_a, guardian):
    response = change(client_a, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 200
    assert guardian.checks() == []


# --- admin reset --------------------------------------------------------------------------------
def test_admin_reset_sets_a_temporary_password(client_a, user_a, make_user, company_a, anon_client):
    target = make_user(company_a, "target@acme.test")
    User.objects.filter(pk=target.pk).update(
        failed_login_count=9, locked_until=timezone.now() + timezone.timedelta(minutes=5)
    )
    before = timezone.now()
    response = client_a.post(f"/users/{target.pk}/admin-reset-password")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"message", "temporary_password", "password_reset_required", "note"}
    assert body["message"] == "Password reset successful"
    assert body["password_reset_required"] is True
    assert body["note"] == (
        "User must change password on next login. This is the only time the temporary password will be shown."
    )
    temporary = body["temporary_password"]
    assert len(temporary) == 12
    target.refresh_from_db()
    assert target.password_reset_required is True
    assert target.last_password_change >= before
    assert target.failed_login_count == 0 and target.locked_until is None
    assert login(anon_client, target.email, temporary).status_code == 200
    assert_error(login(anon_client, target.email, PASSWORD), 403)


def test_admin_reset_unknown_and_malformed_ids(client_a, user_a):
    import uuid

    assert_error(client_a.post(f"/users/{uuid.uuid4()}/admin-reset-password"), 404, "User not found")
    assert_error(client_a.post("/users/not-a-uuid/admin-reset-password"), 400, "Invalid user id")
    assert_error(client_a.get(f"/users/{user_a.pk}/admin-reset-password"), 405)


def test_admin_reset_foreign_user_is_untouched(client_a, user_b):
    assert_error(client_a.post(f"/users/{user_b.pk}/admin-reset-password"), 404, "User not found")
    user_b.refresh_from_db()
    assert user_b.check_password(PASSWORD) and user_b.password_reset_required is False


def test_temporary_passwords_have_every_class_and_vary():
    seen = set()
    for _ in range(200):
        password = credentials.temporary_password_generate()
        assert len(password) == 12
        assert any(c in string.ascii_lowercase for c in password)
        assert any(c in string.ascii_uppercase for c in password)
        assert any(c in string.digits for c in password)
        assert any(c in credentials.TEMPORARY_PASSWORD_SYMBOLS for c in password)
        seen.add(password)
    assert len(seen) == 200


# --- manage.py reset_password ---------------------------------------------------------------------
def test_reset_password_command_prints_a_temporary_password(user_a, anon_client):
    out = io.StringIO()
    call_command("reset_password", "ALPHA@acme.test", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if line.startswith("Temporary password"))
    temporary = line.rsplit(": ", 1)[1]
    assert len(temporary) == 12
    user_a.refresh_from_db()
    assert user_a.password_reset_required is True
    assert login(anon_client, user_a.email, temporary).status_code == 200


def test_reset_password_command_sets_a_given_password(user_a, anon_client):
    out = io.StringIO()
    call_command("reset_password", user_a.email, "--password", NEW_PASSWORD, stdout=out)
    assert NEW_PASSWORD not in out.getvalue()
    assert login(anon_client, user_a.email, NEW_PASSWORD).status_code == 200
    call_command(
        "reset_password", user_a.email, "--password", "Another-pass-88", "--no-change-required", stdout=io.StringIO()
    )
    user_a.refresh_from_db()
    assert user_a.password_reset_required is False


def test_reset_password_command_applies_the_policy(user_a):
    with pytest.raises(CommandError, match="password: This password is too short"):
        call_command("reset_password", user_a.email, "--password", "Ab1!", stdout=io.StringIO())
    with pytest.raises(ValidationFailed) as raised:
        credentials.password_admin_reset(user=user_a, password="password")
    assert set(raised.value.errors) == {"password"}
    user_a.refresh_from_db()
    assert user_a.check_password(PASSWORD)


def test_reset_password_command_unknown_email(db):
    with pytest.raises(CommandError, match="No user"):
        call_command("reset_password", "nobody@acme.test", stdout=io.StringIO())
