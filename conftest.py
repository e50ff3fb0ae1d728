"""Shared fixtures: two companies with users, token clients, and the Guardian contract fake; and, after every test
that reaches the database, the check that none of its audit events holds a secret it used."""

import uuid

import pytest
from rest_framework.test import APIClient

from identity.testing.audit import SecretWatch
from identity.testing.constants import PASSWORD
from identity.testing.guardian import GuardianFake
from identity.testing.storage import StorageFake
from identity.testing.tokens import make_token

SECRETS = pytest.StashKey[SecretWatch]()
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}

FAST_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "users.hashers.WerkzeugPasswordHasher",
]


@pytest.fixture(autouse=True)
def _secret_watch(request, monkeypatch):
    """Collects the secrets this test hands the service, for the scan of its audit events that follows it."""
    watch = SecretWatch()
    watch.install(monkeypatch)
    request.node.stash[SECRETS] = watch


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` are skipped when the suite runs on another database (SQLite)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (the PostgreSQL run of .ci/run)")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After a test that passed, while its database is still there: no audit event it wrote holds a password,
    hash, reset code, token or key it used (docs/behaviour.md §12.2)."""
    result = yield
    watch = item.stash.get(SECRETS, None)
    if watch is not None and (item.get_closest_marker("django_db") or DATABASE_FIXTURES & set(item.fixturenames)):
        leaks = watch.leaks()
        assert not leaks, f"audit events hold a secret: {leaks}"
    return result


@pytest.fixture(scope="session")
def guardian_server():
    server = GuardianFake()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def guardian(guardian_server, settings):
    """Guardian is on in every test, answered by the fake (granting everything unless told otherwise)."""
    guardian_server.reset()
    settings.USE_GUARDIAN_SERVICE = True
    settings.GUARDIAN_SERVICE_URL = guardian_server.url
    settings.GUARDIAN_SERVICE_TIMEOUT = 5.0  # generous: tests of timeouts set their own
    settings.GUARDIAN_CACHE_SECONDS = 0
    return guardian_server


@pytest.fixture(scope="session")
def storage_server():
    server = StorageFake()
    yield server
    server.stop()


@pytest.fixture
def storage(storage_server, settings):
    """The Storage service on (its contract fake): request it in tests of `USE_STORAGE_SERVICE=true`."""
    storage_server.reset()
    settings.USE_STORAGE_SERVICE = True
    settings.STORAGE_SERVICE_URL = storage_server.url
    settings.STORAGE_REQUEST_TIMEOUT = 5.0  # generous: tests of timeouts set their own
    return storage_server


@pytest.fixture
def media_root(tmp_path):
    """Where this test's local files go (`MEDIA_ROOT`, set for every test by `_test_defaults`)."""
    return tmp_path / "media"


@pytest.fixture(autouse=True)
def _test_defaults(settings, tmp_path):
    """A fast hasher (one test per hasher runs the real one), no response-time floor on the reset endpoints, and a
    cache namespace of each test's own."""
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.PASSWORD_RESET_MIN_RESPONSE_SECONDS = 0  # tests of the floor set it themselves
    settings.MEDIA_ROOT = str(tmp_path / "media")  # local files of each test in its own folder
    settings.USE_STORAGE_SERVICE = False
    caches = {name: dict(config) for name, config in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"t{uuid.uuid4().hex}"
    settings.CACHES = caches


def _company(name: str):
    from companies.models import Company

    return Company.objects.create(name=name, description=f"{name} description")


def _user(company, email: str, **fields):
    from users.models import User

    return User.objects.create_user(
        email=email,
        password=PASSWORD,
        company=company,
        first_name=fields.pop("first_name", "Alpha"),
        last_name=fields.pop("last_name", "Tester"),
        **fields,
    )


@pytest.fixture
def company_a(db):
    return _company("Acme")


@pytest.fixture
def company_b(db):
    return _company("Globex")


@pytest.fixture
def user_a(company_a):
    return _user(company_a, "alpha@acme.test")


@pytest.fixture
def user_b(company_b):
    return _user(company_b, "beta@globex.test", first_name="Beta", last_name="Tester")


@pytest.fixture
def make_user():
    return _user


@pytest.fixture
def token_client():
    """`token_client(user)` → an APIClient sending that user's token in the `access_token` cookie."""

    def build(user=None, token: str | None = None) -> APIClient:
        client = APIClient()
        raw = token if token is not None else make_token(user)
        client.cookies["access_token"] = raw
        client.raw_token = raw
        return client

    return build


@pytest.fixture
def client_a(token_client, user_a):
    return token_client(user_a)


@pytest.fixture
def client_b(token_client, user_b):
    return token_client(user_b)


@pytest.fixture
def anon_client():
    return APIClient()


def _directory(company, user) -> dict:
    """One object of each company-owned resource, as the placeholders of identity.testing.matrix."""
    from org.models import OrganizationUnit, Position
    from partners.models import Customer, Subcontractor

    unit = OrganizationUnit(company=company, name="Head office")
    unit.path = str(unit.id)
    unit.save()
    position = Position.objects.create(company=company, title="Engineer", organization_unit=unit)
    customer = Customer.objects.create(company=company, name="Client", email=f"client@{company.name}.test")
    subcontractor = Subcontractor.objects.create(company=company, name="Supplier")
    return {
        "company": str(company.pk),
        "user": str(user.pk),
        "unit": str(unit.pk),
        "position": str(position.pk),
        "customer": str(customer.pk),
        "subcontractor": str(subcontractor.pk),
    }


@pytest.fixture
def directory_a(company_a, user_a):
    return _directory(company_a, user_a)


@pytest.fixture
def directory_b(company_b, user_b):
    return _directory(company_b, user_b)


@pytest.fixture(scope="session", autouse=True)
def _change_feed_ends_before_the_test_database(django_db_setup):
    """The row cache's change feed (identity.rowcache) keeps a session on the test database: it ends before the
    database is dropped."""
    yield
    from identity import rowcache

    rowcache.feed.stop()
