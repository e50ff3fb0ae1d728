"""Users: representation, create, validation, conflicts, PUT/PATCH and DELETE (docs/behaviour.md §6.6, §4)."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from identity.testing.assertions import assert_error
from identity.testing.constants import USER_REPRESENTATION_KEYS
from users.models import PasswordResetCode, User

pytestmark = pytest.mark.django_db

PASSWORD = "Str0ng-Passw0rd!"


def test_representation_has_exactly_the_contract_keys(client_a, user_a, company_a):
    body = client_a.get(f"/users/{user_a.pk}").json()
    assert set(body) == USER_REPRESENTATION_KEYS
    assert body["id"] == str(user_a.pk) and body["company_id"] == str(company_a.pk)
    assert body["email"] == "alpha@acme.test" and body["language"] == "en"
    assert body["created_at"].endswith("Z") and body["last_login_at"] is None and body["position_id"] is None
    assert body["is_active"] is True and body["is_verified"] is False


def test_representation_matches_the_model_serializer_rendering(client_a, user_a, directory_a):
    # The hand-written output must render datetimes exactly as DRF does.
    User.objects.filter(pk=user_a.pk).update(
        last_login_at=timezone.now() - timedelta(hours=3), position_id=directory_a["position"]
    )
    user_a.refresh_from_db()
    body = client_a.get(f"/users/{user_a.pk}").json()
    from rest_framework.fields import DateTimeField

    assert body["last_login_at"] == DateTimeField().to_representation(user_a.last_login_at)
    assert body["updated_at"] == DateTimeField().to_representation(user_a.updated_at)
    assert body["position_id"] == directory_a["position"]


def test_create_returns_201_and_stores_a_hash(client_a, company_a, directory_a):
    response = client_a.post(
        "/users",
        {
            "email": "Gamma@Acme.test",
            "password": PASSWORD,
            "first_name": "Gamma",
            "last_name": "Tester",
            "language": "fr",
            "phone_number": "+33 (1) 23-45",
            "is_verified": True,
            "password_reset_required": True,
            "position_id": directory_a["position"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == USER_REPRESENTATION_KEYS
    assert body["email"] == "Gamma@Acme.test"  # stored as given
    assert (body["language"], body["is_verified"], body["password_reset_required"]) == ("fr", True, True)
    assert body["position_id"] == directory_a["position"] and body["company_id"] == str(company_a.pk)
    assert body["last_password_change"] is not None
    user = User.objects.get(pk=body["id"])
    assert user.company_id == company_a.pk
    assert user.password != PASSWORD and user.check_password(PASSWORD)
    assert not user.is_staff


def test_create_defaults(client_a):
    body = client_a.post("/users", {"email": "min@acme.test", "password": PASSWORD}, format="json").json()
    assert (body["language"], body["is_active"], body["is_verified"], body["password_reset_required"]) == (
        "en",
        True,
        False,
        False,
    )
    assert body["first_name"] is None and body["position_id"] is None


def test_no_response_carries_the_password_or_hash(client_a, user_a):
    responses = [
        (client_a.post("/users", {"email": "x@acme.test", "password": PASSWORD}, format="json"), 201),
        (client_a.get(f"/users/{user_a.pk}"), 200),
        (client_a.patch(f"/users/{user_a.pk}", {"password": "An0ther-Secret!"}, format="json"), 200),
        (client_a.get("/users"), 200),
    ]
    for response, status in responses:
        assert response.status_code == status, response.content
        text = response.content.decode()
        assert 'password"' not in text and "Passw0rd" not in text and "Secret" not in text
        assert "failed_login_count" not in text and "locked_until" not in text and "is_staff" not in text
        assert User.objects.get(pk=user_a.pk).password not in text


@pytest.mark.parametrize(
    "body, field",
    [
        ({"password": PASSWORD}, "email"),
        ({"email": "", "password": PASSWORD}, "email"),
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "a" * 245 + "@acme.test", "password": PASSWORD}, "email"),
        ({"email": None, "password": PASSWORD}, "email"),
        ({"email": "p@acme.test"}, "password"),
        ({"email": "p@acme.test", "password": "short"}, "password"),
        ({"email": "p@acme.test", "password": "12345678901"}, "password"),
        ({"email": "p@acme.test", "password": "password123"}, "password"),
        ({"email": "p@acme.test", "password": None}, "password"),
        ({"email": "p@acme.test", "password": PASSWORD, "first_name": "f" * 51}, "first_name"),
        ({"email": "p@acme.test", "password": PASSWORD, "last_name": "l" * 51}, "last_name"),
        ({"email": "p@acme.test", "password": PASSWORD, "language": "de"}, "language"),
        ({"email": "p@acme.test", "password": PASSWORD, "language": None}, "language"),
        ({"email": "p@acme.test", "password": PASSWORD, "phone_number": "call me"}, "phone_number"),
        ({"email": "p@acme.test", "password": PASSWORD, "phone_number": "1" * 51}, "phone_number"),
        ({"email": "p@acme.test", "password": PASSWORD, "is_active": "maybe"}, "is_active"),
        ({"email": "p@acme.test", "password": PASSWORD, "is_verified": None}, "is_verified"),
        ({"email": "p@acme.test", "password": PASSWORD, "password_reset_required": []}, "password_reset_required"),
        ({"email": "p@acme.test", "password": PASSWORD, "position_id": "nope"}, "position_id"),
        ({"email": "p@acme.test", "password": PASSWORD, "position_id": str(uuid.uuid4())}, "position_id"),
        ({"email": "p@acme.test", "password": PASSWORD, "is_staff": True}, "is_staff"),
        ({"email": "p@acme.test", "password": PASSWORD, "failed_login_count": 0}, "failed_login_count"),
        ({"email": "p@acme.test", "password": PASSWORD, "id": str(uuid.uuid4())}, "id"),
        ({"email": "p@acme.test", "password": PASSWORD, "has_avatar": True}, "has_avatar"),
        ({"email": "p@acme.test", "password": PASSWORD, "avatar_file_id": "f"}, "avatar_file_id"),
        ({"email": "p@acme.test", "password": PASSWORD, "last_login_at": None}, "last_login_at"),
        ({"email": "p@acme.test", "password": PASSWORD, "last_password_change": None}, "last_password_change"),
        ({"email": "p@acme.test", "password": PASSWORD, "created_at": None}, "created_at"),
        ({"email": "p@acme.test", "password": PASSWORD, "position": None}, "position"),
        ({"email": "p@acme.test", "password": PASSWORD, "company_id": str(uuid.uuid4())}, "company_id"),
    ],
)
def test_create_validation(client_a, body, field):
    assert_error(client_a.post("/users", body, format="json"), 400, "Validation error", fields=(field,))
    assert not User.objects.filter(email__iexact="p@acme.test").exists()


def test_read_only_and_unknown_fields_say_unknown_field(client_a):
    body = assert_error(
        client_a.post(
            "/users", {"email": "p@acme.test", "password": PASSWORD, "has_avatar": True, "shoe_size": 42}, format="json"
        ),
        400,
    )
    assert body["errors"] == {"has_avatar": ["Unknown field."], "shoe_size": ["Unknown field."]}


def test_limits_are_inclusive(client_a):
    body = {
        "email": "a" * 244 + "@acme.test",
        "password": PASSWORD,
        "first_name": "f" * 50,
        "last_name": "l" * 50,
        "phone_number": "1" * 50,
    }
    assert len(body["email"]) == 254
    assert client_a.post("/users", body, format="json").status_code == 201


def test_password_policy_uses_the_new_attributes(client_a, user_a):
    # similar to the email in the same request
    assert_error(
        client_a.post(
            "/users", {"email": "marguerite.yourcenar@acme.test", "password": "marguerite.yourcenar"}, format="json"
        ),
        400,
        fields=("password",),
    )
    # similar to the new last name sent along with it
    assert_error(
        client_a.patch(f"/users/{user_a.pk}", {"last_name": "Tester-Two", "password": "Tester-Two1"}, format="json"),
        400,
        fields=("password",),
    )
    user_a.refresh_from_db()
    assert user_a.last_name == "Tester" and user_a.check_password("Correct-horse-9")


def test_position_and_password_errors_come_together(client_a, directory_b):
    body = assert_error(
        client_a.post(
            "/users",
            {"email": "p@acme.test", "password": "short", "position_id": directory_b["position"]},
            format="json",
        ),
        400,
    )
    assert set(body["errors"]) == {"position_id", "password"}


def test_another_companys_position_is_400(client_a, user_a, directory_a, directory_b):
    assert_error(
        client_a.post(
            "/users",
            {"email": "p@acme.test", "password": PASSWORD, "position_id": directory_b["position"]},
            format="json",
        ),
        400,
        "Validation error",
        fields=("position_id",),
    )
    for method in ("put", "patch"):
        assert_error(
            getattr(client_a, method)(
                f"/users/{user_a.pk}", {"email": user_a.email, "position_id": directory_b["position"]}, format="json"
            ),
            400,
            fields=("position_id",),
        )
    user_a.refresh_from_db()
    assert user_a.position_id is None


def test_duplicate_email_is_409_across_companies_case_insensitively(client_a, user_a, user_b):
    for email in ("ALPHA@acme.test", "beta@GLOBEX.test"):
        body = assert_error(
            client_a.post("/users", {"email": email, "password": PASSWORD}, format="json"),
            409,
            "Conflict",
            fields=("email",),
        )
        assert body["errors"]["email"] == ["Email already exists."]
    assert User.objects.count() == 2


def test_update_to_a_taken_email_is_409_but_own_email_is_fine(client_a, user_a, user_b):
    assert client_a.patch(f"/users/{user_a.pk}", {"email": "ALPHA@acme.test"}, format="json").status_code == 200
    assert_error(
        client_a.patch(f"/users/{user_a.pk}", {"email": "Beta@Globex.test"}, format="json"), 409, fields=("email",)
    )
    assert_error(
        client_a.put(f"/users/{user_a.pk}", {"email": "beta@globex.test"}, format="json"), 409, fields=("email",)
    )
    user_a.refresh_from_db()
    assert user_a.email == "ALPHA@acme.test"


def test_validation_comes_before_conflict(client_a, user_b):
    assert_error(
        client_a.post("/users", {"email": "beta@globex.test", "password": "short"}, format="json"),
        400,
        fields=("password",),
    )


def test_put_requires_email_and_keeps_omitted_fields(client_a, make_user, company_a, directory_a):
    user = make_user(
        company_a,
        "keep@acme.test",
        language="fr",
        is_verified=True,
        phone_number="123",
        position_id=directory_a["position"],
        password_reset_required=True,
    )
    url = f"/users/{user.pk}"
    assert_error(client_a.put(url, {"first_name": "X"}, format="json"), 400, fields=("email",))
    response = client_a.put(url, {"email": "kept@acme.test"}, format="json")
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert (
        user.email,
        user.language,
        user.is_verified,
        user.is_active,
        user.phone_number,
        str(user.position_id),
        user.password_reset_required,
        user.first_name,
    ) == ("kept@acme.test", "fr", True, True, "123", directory_a["position"], True, "Alpha")
    assert user.check_password("Correct-horse-9")  # absent password = unchanged


def test_put_and_patch_change_the_password_when_given(client_a, user_a):
    before = user_a.password
    response = client_a.put(
        f"/users/{user_a.pk}", {"email": user_a.email, "password": "N3w-Passphrase!"}, format="json"
    )
    assert response.status_code == 200
    user_a.refresh_from_db()
    assert user_a.password != before and user_a.check_password("N3w-Passphrase!")
    assert user_a.last_password_change is not None
    assert client_a.patch(f"/users/{user_a.pk}", {"password": "Th1rd-Passphrase!"}, format="json").status_code == 200
    user_a.refresh_from_db()
    assert user_a.check_password("Th1rd-Passphrase!")


def test_patch_changes_only_named_fields(client_a, user_a, directory_a):
    response = client_a.patch(
        f"/users/{user_a.pk}", {"position_id": directory_a["position"], "first_name": None}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["position_id"] == directory_a["position"]
    user_a.refresh_from_db()
    assert (str(user_a.position_id), user_a.first_name, user_a.last_name, user_a.language) == (
        directory_a["position"],
        None,
        "Tester",
        "en",
    )
    assert client_a.patch(f"/users/{user_a.pk}", {"position_id": None}, format="json").json()["position_id"] is None


def test_patch_rejects_read_only_fields(client_a, user_a):
    assert_error(
        client_a.patch(f"/users/{user_a.pk}", {"last_login_at": "2026-01-01T00:00:00Z"}, format="json"),
        400,
        fields=("last_login_at",),
    )


def test_company_id_of_the_caller_is_tolerated(client_a, user_a, company_a):
    response = client_a.patch(
        f"/users/{user_a.pk}", {"company_id": str(company_a.pk), "first_name": "A"}, format="json"
    )
    assert response.status_code == 200


def test_deactivating_a_user_is_allowed(client_a, make_user, company_a):
    other = make_user(company_a, "other@acme.test")
    body = client_a.patch(f"/users/{other.pk}", {"is_active": False}, format="json").json()
    assert body["is_active"] is False


def test_delete_removes_the_user_and_its_reset_codes(client_a, make_user, company_a):
    other = make_user(company_a, "gone@acme.test")
    PasswordResetCode.objects.create(user=other, code_hash="h", expires_at=timezone.now() + timedelta(minutes=5))
    response = client_a.delete(f"/users/{other.pk}")
    assert response.status_code == 204 and not response.content
    assert not User.objects.filter(pk=other.pk).exists()
    assert not PasswordResetCode.objects.filter(user_id=other.pk).exists()
    assert_error(client_a.get(f"/users/{other.pk}"), 404, "User not found")


def test_foreign_missing_and_malformed_ids(client_a, user_b):
    assert_error(client_a.get(f"/users/{user_b.pk}"), 404, "User not found")
    assert_error(client_a.put(f"/users/{user_b.pk}", {"email": "x@y.test"}, format="json"), 404, "User not found")
    assert_error(client_a.delete(f"/users/{user_b.pk}"), 404, "User not found")
    assert User.objects.filter(pk=user_b.pk).exists()
    assert_error(client_a.get(f"/users/{uuid.uuid4()}"), 404, "User not found")
    assert_error(client_a.get("/users/not-a-uuid"), 400, "Invalid user id")


def test_trailing_slash_is_accepted(client_a, user_a):
    assert client_a.get("/users/").status_code == 200
    assert client_a.get(f"/users/{user_a.pk}/").status_code == 200
