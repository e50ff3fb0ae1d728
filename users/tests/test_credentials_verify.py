"""`POST /verify_password` (docs/behaviour.md §7.1) and the stored-hash formats of §7.6."""

import hashlib
import secrets
import string

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.utils import timezone

from identity.testing.assertions import assert_error
from identity.testing.constants import PASSWORD, USER_REPRESENTATION_KEYS
from users.models import User

pytestmark = pytest.mark.django_db

INTERNAL = "internal-token-for-tests"
REAL_HASHERS = [
    "users.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "users.hashers.WerkzeugPasswordHasher",
]


@pytest.fixture
def internal_token(settings):
    settings.INTERNAL_AUTH_TOKEN = INTERNAL
    return INTERNAL


def verify(client, email, password, token=INTERNAL, **extra):
    headers = {"HTTP_X_INTERNAL_TOKEN": token} if token is not None else {}
    body = {"email": email, "password": password, **extra}
    return client.post("/verify_password", body, format="json", **headers)


def werkzeug_salt() -> str:
    # Werkzeug's gen_salt(16): letters and digits.
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(16))


def werkzeug_scrypt(password: str, n=2**15, r=8, p=1) -> str:
    salt = werkzeug_salt()
    digest = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p).hex()
    return f"scrypt:{n}:{r}:{p}${salt}${digest}"


def werkzeug_pbkdf2(password: str, algorithm="sha256", iterations=600000) -> str:
    salt = werkzeug_salt()
    digest = hashlib.pbkdf2_hmac(algorithm, password.encode(), salt.encode(), iterations).hex()
    return f"pbkdf2:{algorithm}:{iterations}${salt}${digest}"


# --- the internal token -------------------------------------------------------------------------
def test_verify_requires_internal_token_when_configured(anon_client, user_a, internal_token):
    assert_error(verify(anon_client, user_a.email, PASSWORD, token=None), 401, "Invalid internal token")
    assert_error(verify(anon_client, user_a.email, PASSWORD, token="wrong"), 401, "Invalid internal token")
    assert_error(verify(anon_client, user_a.email, PASSWORD, token=INTERNAL + "x"), 401, "Invalid internal token")
    assert verify(anon_client, user_a.email, PASSWORD).status_code == 200


def test_verify_token_is_checked_before_the_method(anon_client, internal_token):
    assert_error(anon_client.get("/verify_password"), 401, "Invalid internal token")
    assert_error(anon_client.get("/verify_password", HTTP_X_INTERNAL_TOKEN=INTERNAL), 405)


def test_verify_without_configured_token_ignores_the_header(anon_client, user_a, settings):
    settings.INTERNAL_AUTH_TOKEN = ""
    assert verify(anon_client, user_a.email, PASSWORD, token=None).status_code == 200
    assert verify(anon_client, user_a.email, PASSWORD, token="anything").status_code == 200


# --- answers --------------------------------------------------------------------------------------
def test_verify_success_returns_the_user_and_sets_last_login(anon_client, user_a, internal_token):
    before = timezone.now()
    response = verify(anon_client, user_a.email, PASSWORD)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == USER_REPRESENTATION_KEYS
    assert body["id"] == str(user_a.pk)
    assert body["email"] == user_a.email
    assert body["company_id"] == str(user_a.company_id)
    assert "password" not in body
    user_a.refresh_from_db()
    assert user_a.last_login_at is not None and user_a.last_login_at >= before
    assert body["last_login_at"].endswith("Z")


def test_verify_matches_email_case_insensitively(anon_client, make_user, company_a, internal_token):
    user = make_user(company_a, "Mixed.Case@Acme.test")
    response = verify(anon_client, "  mixed.CASE@acme.TEST ", PASSWORD)
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(user.pk)


@pytest.mark.parametrize("case", ["unknown", "wrong_password", "inactive", "locked"])
def test_verify_refusals_share_one_answer(anon_client, user_a, internal_token, case):
    email, password = user_a.email, PASSWORD
    if case == "unknown":
        email = "nobody@acme.test"
    elif case == "wrong_password":
        password = "Wrong-horse-9"
    elif case == "inactive":
        User.objects.filter(pk=user_a.pk).update(is_active=False)
    else:
        User.objects.filter(pk=user_a.pk).update(locked_until=timezone.now() + timezone.timedelta(minutes=5))
    body = assert_error(verify(anon_client, email, password), 403, "User or password invalid")
    assert set(body) == {"message"}


def test_verify_unknown_email_still_pays_a_hash(anon_client, internal_token, monkeypatch, db):
    from users.services import passwords as credentials

    hashed = []
    real = credentials.make_password
    monkeypatch.setattr(credentials, "make_password", lambda raw: hashed.append(raw) or real(raw))
    assert_error(verify(anon_client, "nobody@acme.test", "Some-password-1"), 403, "User or password invalid")
    assert hashed == ["Some-password-1"]


def test_verify_success_clears_failures(anon_client, user_a, internal_token):
    User.objects.filter(pk=user_a.pk).update(failed_login_count=4)
    assert verify(anon_client, user_a.email, PASSWORD).status_code == 200
    user_a.refresh_from_db()
    assert user_a.failed_login_count == 0 and user_a.locked_until is None


@pytest.mark.parametrize(
    "body, message",
    [
        ({"password": PASSWORD}, "Email is required"),
        ({"email": "alpha@acme.test"}, "Password is required"),
        ({"email": "", "password": PASSWORD}, "Email is required"),
        ({"email": "alpha@acme.test", "password": ""}, "Password is required"),
        ({}, "Email is required"),
    ],
)
def test_verify_missing_fields(anon_client, user_a, internal_token, body, message):
    response = anon_client.post("/verify_password", body, format="json", HTTP_X_INTERNAL_TOKEN=INTERNAL)
    assert_error(response, 400, message)


def test_verify_rejects_unknown_fields_and_bad_bodies(anon_client, user_a, internal_token):
    assert_error(
        verify(anon_client, user_a.email, PASSWORD, remember=True), 400, "Validation error", fields=("remember",)
    )
    response = anon_client.post(
        "/verify_password", data="{not json", content_type="application/json", HTTP_X_INTERNAL_TOKEN=INTERNAL
    )
    assert_error(response, 400)
    response = anon_client.post(
        "/verify_password", data="[1]", content_type="application/json", HTTP_X_INTERNAL_TOKEN=INTERNAL
    )
    assert_error(response, 400)


def test_verify_accepts_a_trailing_slash(anon_client, user_a, internal_token):
    response = anon_client.post(
        "/verify_password/",
        {"email": user_a.email, "password": PASSWORD},
        format="json",
        HTTP_X_INTERNAL_TOKEN=INTERNAL,
    )
    assert response.status_code == 200


def test_verify_never_logs_the_password(anon_client, user_a, internal_token, caplog):
    caplog.set_level("DEBUG")
    verify(anon_client, user_a.email, "Wrong-horse-secret-9")
    verify(anon_client, user_a.email, PASSWORD)
    assert "Wrong-horse-secret-9" not in caplog.text and PASSWORD not in caplog.text


# --- hashes (real hashers) ------------------------------------------------------------------------
@pytest.mark.parametrize("make_hash", [werkzeug_scrypt, werkzeug_pbkdf2], ids=["scrypt", "pbkdf2"])
def test_verify_accepts_werkzeug_hash_and_upgrades_it_to_argon2(
    anon_client, user_a, internal_token, settings, make_hash
):
    settings.PASSWORD_HASHERS = REAL_HASHERS
    User.objects.filter(pk=user_a.pk).update(password="werkzeug$" + make_hash("Imported-pass-42"))

    assert_error(verify(anon_client, user_a.email, "Imported-pass-43"), 403, "User or password invalid")
    user_a.refresh_from_db()
    assert user_a.password.startswith("werkzeug$")  # a failed check upgrades nothing

    assert verify(anon_client, user_a.email, "Imported-pass-42").status_code == 200
    user_a.refresh_from_db()
    assert user_a.password.startswith("argon2$argon2id$")
    assert verify(anon_client, user_a.email, "Imported-pass-42").status_code == 200


def test_verify_upgrades_pbkdf2_to_argon2(anon_client, user_a, internal_token, settings):
    from django.contrib.auth.hashers import make_password

    settings.PASSWORD_HASHERS = REAL_HASHERS
    User.objects.filter(pk=user_a.pk).update(password=make_password("Django-pass-42", hasher="pbkdf2_sha256"))
    assert verify(anon_client, user_a.email, "Django-pass-42").status_code == 200
    user_a.refresh_from_db()
    assert user_a.password.startswith("argon2$argon2id$")


# OWASP's Argon2id parameters (users/hashers.py): 19 MiB, two passes, one lane.
OWASP_ARGON2 = {"memory_cost": 19 * 1024, "time_cost": 2, "parallelism": 1}


def argon2_cost(encoded: str) -> dict:
    import argon2

    params = argon2.extract_parameters("$" + encoded.split("$", 1)[1])
    return {"memory_cost": params.memory_cost, "time_cost": params.time_cost, "parallelism": params.parallelism}


@pytest.fixture
def hash_calls(monkeypatch, settings):
    """The real hashers, and the Argon2 cost of each hash they compute: ("encode"|"verify", parameters)."""
    from users.hashers import Argon2idPasswordHasher

    settings.PASSWORD_HASHERS = REAL_HASHERS
    calls = []
    encode, check = Argon2idPasswordHasher.encode, Argon2idPasswordHasher.verify

    def counted_encode(self, password, salt):
        encoded = encode(self, password, salt)
        calls.append(("encode", argon2_cost(encoded)))
        return encoded

    def counted_verify(self, password, encoded):
        calls.append(("verify", argon2_cost(encoded)))
        return check(self, password, encoded)

    monkeypatch.setattr(Argon2idPasswordHasher, "encode", counted_encode)
    monkeypatch.setattr(Argon2idPasswordHasher, "verify", counted_verify)
    return calls


def test_new_hashes_are_argon2id_at_owasp_parameters(settings):
    from django.contrib.auth.hashers import check_password, make_password

    settings.PASSWORD_HASHERS = REAL_HASHERS
    encoded = make_password("Fresh-pass-42")
    assert encoded.startswith("argon2$argon2id$")
    assert argon2_cost(encoded) == OWASP_ARGON2
    assert check_password("Fresh-pass-42", encoded) and not check_password("Fresh-pass-43", encoded)


def test_verify_upgrades_an_argon2_hash_at_djangos_defaults(anon_client, user_a, internal_token, hash_calls):
    from django.contrib.auth.hashers import Argon2PasswordHasher

    old = Argon2PasswordHasher().encode("Old-params-42", Argon2PasswordHasher().salt())
    assert argon2_cost(old) == {"memory_cost": 102400, "time_cost": 2, "parallelism": 8}
    User.objects.filter(pk=user_a.pk).update(password=old)

    assert_error(verify(anon_client, user_a.email, "Old-params-43"), 403, "User or password invalid")
    user_a.refresh_from_db()
    assert user_a.password == old  # a failed check upgrades nothing

    assert verify(anon_client, user_a.email, "Old-params-42").status_code == 200
    user_a.refresh_from_db()
    assert argon2_cost(user_a.password) == OWASP_ARGON2
    assert verify(anon_client, user_a.email, "Old-params-42").status_code == 200


def test_verify_of_a_current_hash_costs_one_hash_and_rewrites_nothing(anon_client, user_a, internal_token, hash_calls):
    from django.contrib.auth.hashers import make_password

    User.objects.filter(pk=user_a.pk).update(password=make_password("Current-pass-42"))
    stored = User.objects.get(pk=user_a.pk).password
    hash_calls.clear()
    assert verify(anon_client, user_a.email, "Current-pass-42").status_code == 200
    assert hash_calls == [("verify", OWASP_ARGON2)]
    assert User.objects.get(pk=user_a.pk).password == stored


@pytest.mark.parametrize("case", ["unknown", "wrong_password"])
def test_verify_refusal_costs_one_hash_at_the_same_parameters(anon_client, user_a, internal_token, hash_calls, case):
    from django.contrib.auth.hashers import make_password

    User.objects.filter(pk=user_a.pk).update(password=make_password("Current-pass-42"))
    hash_calls.clear()
    email = "nobody@acme.test" if case == "unknown" else user_a.email
    assert_error(verify(anon_client, email, "Some-password-1"), 403, "User or password invalid")
    assert [cost for _, cost in hash_calls] == [OWASP_ARGON2]


def test_werkzeug_hasher_refuses_malformed_hashes():
    from users.hashers import WerkzeugPasswordHasher

    hasher = WerkzeugPasswordHasher()
    good = "werkzeug$" + werkzeug_pbkdf2("pw", iterations=1000)
    assert hasher.verify("pw", good)
    assert not hasher.verify("pw2", good)
    for bad in [
        "werkzeug$",
        "werkzeug$scrypt:1:2$salt$00",
        "werkzeug$pbkdf2:nope:10$salt$00",
        "werkzeug$md5$salt$00",
        "werkzeug$pbkdf2:sha256:1000$salt$é",
        "werkzeug$pbkdf2:sha256:x$s$00",
    ]:
        assert not hasher.verify("pw", bad), bad


@pytest.mark.parametrize(
    "body",
    [
        b'{"email": "alpha@acme.test", "password": "\\ud800abc"}',
        b'{"email": "alpha\\u0000@acme.test", "password": "x"}',
        b'{"email": "\\ud800@acme.test", "password": "x"}',
    ],
)
def test_verify_with_text_that_is_not_storable_is_400_not_500(anon_client, user_a, body):
    response = anon_client.generic("POST", "/verify_password", body, content_type="application/json")
    assert_error(response, 400)


class _DeletingHasher(MD5PasswordHasher):
    """Checks the password, then deletes its user: a deletion committed while the hash was computed."""

    algorithm = "md5"

    def verify(self, password, encoded):
        User.objects.filter(password=encoded).delete()
        return super().verify(password, encoded)


def test_a_user_deleted_while_its_password_is_checked_is_refused(anon_client, company_a, make_user, settings):
    settings.PASSWORD_HASHERS = [f"{__name__}._DeletingHasher"]
    user = make_user(company_a, "vanishing@acme.test")
    assert user.password.startswith("md5$")
    assert_error(verify(anon_client, user.email, PASSWORD, token=None), 403, "User or password invalid")
    assert not User.objects.filter(pk=user.pk).exists()
