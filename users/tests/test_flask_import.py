"""`manage.py import_flask_identity`: every kept field, recomputed paths, skipped rows, dry run, idempotence,
updates, old passwords, unreadable sources — from SQLite sources in every run and PostgreSQL ones in the
PostgreSQL run."""

import datetime as dt
import io
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import CommandError, call_command
from django.db import connection

from companies.models import Company
from identity.models import AuditEvent
from org.models import OrganizationUnit, Position
from partners.models import Customer, Subcontractor
from users.models import User
from users.services import flask_import
from users.services.flask_import import TABLES
from users.tests.flask_source import HASH_METHODS, PostgresScratch, moment, sqlite_source

pytestmark = pytest.mark.django_db

UTC = dt.UTC
REAL_HASHERS = [
    "users.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "users.hashers.WerkzeugPasswordHasher",
]


@pytest.fixture(params=["sqlite", "postgres"])
def source(request, tmp_path):
    """An empty Flask database of either kind (the PostgreSQL one only in the PostgreSQL run)."""
    if request.param == "postgres":
        if connection.vendor != "postgresql":
            pytest.skip("a PostgreSQL source is tested in the PostgreSQL run")
        scratch = PostgresScratch()
        yield scratch.source
        scratch.drop()
        return
    flask = sqlite_source(tmp_path / "flask.db")
    yield flask
    flask.close()


@pytest.fixture
def sqlite(tmp_path):
    """A SQLite Flask database: the kind that can hold foreign keys pointing nowhere."""
    flask = sqlite_source(tmp_path / "flask.db")
    yield flask
    flask.close()


def run_import(flask, *args) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_flask_identity", "--database-url", flask.url, *args, stdout=out, stderr=err)
    return out.getvalue()


def summary(output: str) -> dict[str, tuple[int, ...]]:
    """table → (read, created, updated, unchanged, skipped), parsed from the printed summary table."""
    counts = {}
    for line in output.splitlines():
        words = line.split()
        if len(words) == 6 and words[0] in TABLES and all(word.isdigit() for word in words[1:]):
            counts[words[0]] = tuple(int(word) for word in words[1:])
    assert set(counts) == set(TABLES), output
    return counts


def skipped(output: str) -> dict[tuple[str, str], str]:
    """(table, id) → reason, from the list of skipped rows ("  <table> <id> (company <id>): <reason>")."""
    reasons = {}
    for line in output.splitlines():
        match = re.fullmatch(r"  (\w+) (\S+?)(?: \(company \S+\))?: (.*)", line)
        if match:
            reasons[match[1], match[2]] = match[3]
    return reasons


def populate(flask) -> dict:
    """One company with every field set, a three-level tree with stale paths, positions, users of both hash
    formats, a customer and a subcontractor."""
    ids = {}
    ids["company"] = flask.company(
        "Initech",
        description="Software",
        logo_file_id="logo-file-1",
        has_logo=True,
        website="https://initech.test",
        phone_number="+33 1 23 45 67 89",
        email="hello@initech.test",
        address="1 rue de la Paix",
        postal_code="75002",
        city="Paris",
        country="France",
        created_at=moment(0),
        updated_at=moment(5),
    )
    company = ids["company"]
    ids["root"] = flask.unit(company, "Head office", description="HQ", path="stale", level=7)
    ids["child"] = flask.unit(company, "Sales", parent=ids["root"], path=None, level=None)
    ids["grandchild"] = flask.unit(company, "Sales Lyon", parent=ids["child"], path="x/y", level=0)
    ids["position"] = flask.position(company, ids["child"], "Account manager", description="Sells", level=2)
    ids["scrypt_user"] = flask.user(
        company,
        "Scrypt.User@Initech.test",
        password="Scrypt-Passw0rd",
        method=HASH_METHODS[0],
        first_name="Élodie",
        last_name="Martin",
        language="FR",
        phone_number="+33 6 12 34 56 78",
        avatar_file_id="avatar-file-1",
        has_avatar=True,
        is_active=True,
        is_verified=True,
        last_login_at=moment(3),
        position_id=ids["position"],
        password_reset_required=True,
        last_password_change=moment(2),
        created_at=moment(1),
        updated_at=moment(4),
    )
    ids["pbkdf2_user"] = flask.user(
        company,
        "pbkdf2@initech.test",
        password="Pbkdf2-Passw0rd",
        method=HASH_METHODS[1],
        is_active=False,
        is_verified=None,
    )
    ids["customer"] = flask.customer(
        company,
        "Globex",
        email="buyer@globex.test",
        contact_person="Hank",
        phone_number="+1 555 0100",
        address="Cypress Creek",
        logo_file_id="logo-2",
        has_logo=True,
    )
    ids["subcontractor"] = flask.subcontractor(
        company,
        "Cleaners",
        email="ops@cleaners.test",
        description="Office cleaning",
        address="Rue du Port",
        contact_person="Nina",
        phone_number="+33 4 00 00 00 00",
    )
    return ids


def test_keeps_every_field(source):
    ids = populate(source)
    counts = summary(run_import(source))
    assert counts["user"] == (2, 2, 0, 0, 0)
    assert counts["organization_unit"] == (3, 3, 0, 0, 0)

    company = Company.objects.get(pk=ids["company"])
    assert (
        company.name,
        company.description,
        company.logo_file_id,
        company.has_logo,
        company.website,
        company.phone_number,
        company.email,
        company.address,
        company.postal_code,
        company.city,
        company.country,
    ) == (
        "Initech",
        "Software",
        "logo-file-1",
        True,
        "https://initech.test",
        "+33 1 23 45 67 89",
        "hello@initech.test",
        "1 rue de la Paix",
        "75002",
        "Paris",
        "France",
    )
    assert (company.created_at, company.updated_at) == (moment(0).replace(tzinfo=UTC), moment(5).replace(tzinfo=UTC))

    user = User.objects.get(pk=ids["scrypt_user"])
    source_hash = _source_value(source, '"user"', "hashed_password", ids["scrypt_user"])
    assert user.password == f"werkzeug${source_hash}"
    assert (
        user.email,
        user.first_name,
        user.last_name,
        user.language,
        user.phone_number,
        user.avatar_file_id,
        user.has_avatar,
        user.is_active,
        user.is_verified,
        user.password_reset_required,
    ) == (
        "Scrypt.User@Initech.test",
        "Élodie",
        "Martin",
        "fr",
        "+33 6 12 34 56 78",
        "avatar-file-1",
        True,
        True,
        True,
        True,
    )
    assert str(user.company_id) == ids["company"] and str(user.position_id) == ids["position"]
    assert (user.last_login_at, user.last_password_change, user.created_at, user.updated_at) == tuple(
        value.replace(tzinfo=UTC) for value in (moment(3), moment(2), moment(1), moment(4))
    )
    other = User.objects.get(pk=ids["pbkdf2_user"])
    assert other.password.startswith("werkzeug$pbkdf2:sha256:")
    assert (other.language, other.is_active, other.is_verified, other.position_id) == ("en", False, False, None)

    position = Position.objects.get(pk=ids["position"])
    assert (position.title, position.description, position.level, str(position.organization_unit_id)) == (
        "Account manager",
        "Sells",
        2,
        ids["child"],
    )
    customer = Customer.objects.get(pk=ids["customer"])
    assert (
        customer.name,
        customer.email,
        customer.contact_person,
        customer.phone_number,
        customer.address,
        customer.logo_file_id,
        customer.has_logo,
        str(customer.company_id),
    ) == ("Globex", "buyer@globex.test", "Hank", "+1 555 0100", "Cypress Creek", "logo-2", True, ids["company"])
    subcontractor = Subcontractor.objects.get(pk=ids["subcontractor"])
    assert (
        subcontractor.name,
        subcontractor.email,
        subcontractor.description,
        subcontractor.address,
        subcontractor.contact_person,
        subcontractor.has_logo,
    ) == ("Cleaners", "ops@cleaners.test", "Office cleaning", "Rue du Port", "Nina", False)


def _source_value(flask, table: str, column: str, pk: str):
    mark = "?" if flask.kind == "sqlite" else "%s"
    return flask.conn.execute(f"SELECT {column} FROM {table} WHERE id = {mark}", [pk]).fetchone()[0]


def test_recomputes_paths_and_levels_from_parent_ids(source):
    ids = populate(source)
    run_import(source)
    units = {str(unit.pk): unit for unit in OrganizationUnit.objects.all()}
    root, child, grandchild = units[ids["root"]], units[ids["child"]], units[ids["grandchild"]]
    assert (root.path, root.level) == (ids["root"], 0)
    assert (child.path, child.level) == (f"{ids['root']}/{ids['child']}", 1)
    assert (grandchild.path, grandchild.level) == (f"{ids['root']}/{ids['child']}/{ids['grandchild']}", 2)
    assert str(grandchild.parent_id) == ids["child"]


def test_skips_and_lists_duplicates_ignoring_case_keeping_the_earliest(source):
    ids = populate(source)
    # Inserted first but created later: the earlier created_at wins, not the insertion order.
    later = source.user(ids["company"], "SAME@initech.test", created_at=moment(9))
    earlier = source.user(ids["company"], "same@initech.test", created_at=moment(8))
    twin_company = source.company("INITECH", created_at=moment(6))
    twin_root = source.unit(twin_company, "Twin root")
    taken_customer = source.customer(ids["company"], "Globex again", email="BUYER@globex.test")
    taken_name = source.subcontractor(ids["company"], "CLEANERS")

    output = run_import(source)
    reasons = skipped(output)
    assert User.objects.filter(pk=earlier).exists() and not User.objects.filter(pk=later).exists()
    assert reasons["user", later] == f"email equal ignoring case to that of user {earlier} (created earlier)"
    assert reasons["company", twin_company] == (
        f"name equal ignoring case to that of company {ids['company']} (created earlier)"
    )
    assert reasons["customer", taken_customer] == (
        f"email equal ignoring case to that of customer {ids['customer']} (created earlier)"
    )
    assert reasons["subcontractor", taken_name].startswith("name equal ignoring case to that of subcontractor")
    assert reasons["organization_unit", twin_root] == f"company_id {twin_company} was skipped"
    assert not Company.objects.filter(pk=twin_company).exists()
    counts = summary(output)
    assert counts["company"] == (2, 1, 0, 0, 1)
    assert counts["user"][4] == 1 and counts["customer"][4] == 1 and counts["subcontractor"][4] == 1


def test_a_parent_cycle_is_reported_and_its_units_skipped(source):
    ids = populate(source)
    company = ids["company"]
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    # Inserted without parents, then pointed at each other (the foreign key needs both rows first).
    source.unit(company, "Loop A", id=first)
    source.unit(company, "Loop B", id=second, parent=first)
    source.execute("UPDATE organization_unit SET parent_id = %s WHERE id = %s", second, first)
    below = source.unit(company, "Below the loop", parent=second)
    stuck = source.position(company, below, "Stranded")

    output = run_import(source)
    reasons = skipped(output)
    assert reasons["organization_unit", first].startswith("parent cycle: ")
    assert {first, second} <= set(re.findall(r"[0-9a-f-]{36}", reasons["organization_unit", first]))
    assert reasons["organization_unit", second].startswith("parent cycle: ")
    assert reasons["organization_unit", below] == f"parent_id {second} was skipped"
    assert reasons["position", stuck] == f"organization_unit_id {below} was skipped"
    assert not OrganizationUnit.objects.filter(pk__in=[first, second, below]).exists()
    assert summary(output)["organization_unit"] == (6, 3, 0, 0, 3)


def test_rows_pointing_across_companies_are_skipped(source):
    ids = populate(source)
    other = source.company("Umbrella")
    foreign_unit = source.unit(other, "Umbrella root")
    intruder = source.position(ids["company"], foreign_unit, "Misplaced")
    output = run_import(source)
    assert skipped(output)["position", intruder] == f"organization_unit_id {foreign_unit} belongs to another company"
    assert not Position.objects.filter(pk=intruder).exists()


def test_foreign_keys_pointing_nowhere_are_skipped_and_listed(sqlite):
    ids = populate(sqlite)
    company, nowhere = ids["company"], str(uuid.uuid4())
    orphans = {
        "unit_company": sqlite.unit(nowhere, "No company"),
        "unit_parent": sqlite.unit(company, "No parent", parent=nowhere),
        "position_unit": sqlite.position(company, nowhere, "No unit"),
        "user_company": sqlite.user(nowhere, "nobody@nowhere.test"),
        "user_position": sqlite.user(company, "lost@initech.test", position_id=nowhere),
        "customer_company": sqlite.customer(nowhere, "No company customer"),
        "subcontractor_company": sqlite.subcontractor(nowhere, "No company supplier"),
    }
    output = run_import(sqlite)
    reasons = skipped(output)
    column = {
        "unit_company": "company_id",
        "unit_parent": "parent_id",
        "position_unit": "organization_unit_id",
        "user_company": "company_id",
        "user_position": "position_id",
        "customer_company": "company_id",
        "subcontractor_company": "company_id",
    }
    tables = {"unit": "organization_unit"}
    for key, pk in orphans.items():
        table = key.split("_")[0]
        assert reasons[tables.get(table, table), pk] == f"{column[key]} {nowhere} does not exist", key
    assert not User.objects.filter(pk__in=[orphans["user_company"], orphans["user_position"]]).exists()
    assert User.objects.filter(pk=ids["scrypt_user"]).exists()  # the valid rows are imported all the same


def test_dry_run_writes_nothing_and_reports_what_it_would_do(source):
    populate(source)
    output = run_import(source, "--dry-run")
    assert "Dry run" in output
    assert summary(output)["user"] == (2, 2, 0, 0, 0)
    assert not any(
        model.objects.exists() for model in (Company, OrganizationUnit, Position, User, Customer, Subcontractor)
    )


def test_a_second_run_changes_nothing_and_says_so(source):
    ids = populate(source)
    run_import(source)
    before = {
        model: list(model.objects.order_by("pk").values())
        for model in (Company, OrganizationUnit, Position, User, Customer, Subcontractor)
    }
    output = run_import(source)
    assert "Nothing changed" in output
    for table, (read, created, updated, unchanged, skipped) in summary(output).items():
        assert (created, updated, skipped) == (0, 0, 0) and unchanged == read, table
    after = {model: list(model.objects.order_by("pk").values()) for model in before}
    assert after == before
    assert str(User.objects.get(pk=ids["scrypt_user"]).company_id) == ids["company"]


def test_a_changed_source_row_updates_the_existing_one(source):
    ids = populate(source)
    run_import(source)
    source.execute(
        'UPDATE "user" SET first_name = %s, updated_at = %s WHERE id = %s', "Elodie", moment(30), ids["scrypt_user"]
    )
    # The grandchild moves to the root: its path follows, and so does a unit created here below it.
    source.execute("UPDATE organization_unit SET parent_id = %s WHERE id = %s", ids["root"], ids["grandchild"])
    grandchild = OrganizationUnit.objects.get(pk=ids["grandchild"])
    local = OrganizationUnit(
        company_id=ids["company"], name="Created here", parent=grandchild, level=grandchild.level + 1
    )
    local.path = f"{grandchild.path}/{local.pk}"
    local.save()

    counts = summary(run_import(source))
    assert counts["user"] == (2, 0, 1, 1, 0)
    assert counts["organization_unit"] == (3, 0, 1, 2, 0)
    user = User.objects.get(pk=ids["scrypt_user"])
    assert (user.first_name, user.updated_at) == ("Elodie", moment(30).replace(tzinfo=UTC))
    moved = OrganizationUnit.objects.get(pk=ids["grandchild"])
    assert (moved.path, moved.level) == (f"{ids['root']}/{ids['grandchild']}", 1)
    local.refresh_from_db()
    assert (local.path, local.level) == (f"{moved.path}/{local.pk}", 2)


def test_only_the_named_company_is_imported(source):
    ids = populate(source)
    other = source.company("Umbrella")
    source.user(other, "someone@umbrella.test")
    counts = summary(run_import(source, "--company", other))
    assert counts["company"] == (1, 1, 0, 0, 0) and counts["user"] == (1, 1, 0, 0, 0)
    assert list(Company.objects.values_list("name", flat=True)) == ["Umbrella"]
    assert not Company.objects.filter(pk=ids["company"]).exists()


@pytest.mark.parametrize("method", HASH_METHODS)
def test_old_passwords_verify_and_are_upgraded_to_argon2(sqlite, anon_client, settings, method):
    settings.PASSWORD_HASHERS = REAL_HASHERS
    company = sqlite.company("Initech")
    pk = sqlite.user(company, "old@initech.test", password="Flask-Era-Passw0rd", method=method)
    run_import(sqlite)
    assert User.objects.get(pk=pk).password.startswith(f"werkzeug${method.split(':')[0]}")

    wrong = anon_client.post("/verify_password", {"email": "old@initech.test", "password": "nope"}, format="json")
    assert wrong.status_code == 403
    response = anon_client.post(
        "/verify_password", {"email": "OLD@initech.test", "password": "Flask-Era-Passw0rd"}, format="json"
    )
    assert response.status_code == 200, response.content
    user = User.objects.get(pk=pk)
    assert user.password.startswith("argon2")
    assert user.check_password("Flask-Era-Passw0rd")

    # A later import keeps the upgraded hash: the source's is older.
    assert summary(run_import(sqlite))["user"] == (1, 0, 0, 1, 0)
    assert User.objects.get(pk=pk).password.startswith("argon2")


@pytest.mark.parametrize(
    "url, message",
    [
        ("sqlite:////no/such/flask.db", "no SQLite file"),
        ("mysql://localhost/flask", "must start with"),
        ("postgresql://postgres@127.0.0.1:1/flask", "Cannot read the source database"),
    ],
)
def test_an_unreadable_source_is_a_clear_error(url, message):
    with pytest.raises(CommandError, match=message) as raised:
        call_command("import_flask_identity", "--database-url", url, stdout=io.StringIO(), stderr=io.StringIO())
    assert "\n" not in str(raised.value)


def test_a_file_that_is_not_a_flask_database_is_a_clear_error(tmp_path):
    empty = sqlite_source(tmp_path / "ok.db")
    empty.conn.execute("DROP TABLE customer")
    empty.close()
    with pytest.raises(CommandError, match="Cannot read the source database: no such table: customer"):
        call_command("import_flask_identity", "--database-url", f"sqlite:///{tmp_path / 'ok.db'}", stdout=io.StringIO())
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CommandError, match="Cannot read the source database"):
        call_command("import_flask_identity", "--database-url", f"sqlite:///{garbage}", stdout=io.StringIO())


def test_the_command_exits_non_zero_with_one_line(tmp_path):
    env = {
        **os.environ,
        "APP_ENV": "testing",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'target.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "import_flask_identity", "--database-url", f"sqlite:///{tmp_path}/none.db"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"CommandError: Cannot read the source database: no SQLite file at '{tmp_path}/none.db'"
    ]


def test_each_written_row_passes_the_hook_once_inside_its_company_transaction(sqlite):
    ids = populate(sqlite)
    run_import(sqlite)
    sqlite.execute('UPDATE "user" SET last_name = %s WHERE id = %s', "Durand", ids["scrypt_user"])
    other = sqlite.company("Umbrella")
    newcomer = sqlite.user(other, "new@umbrella.test")
    seen = []

    def written(row):
        assert row.instance is not None and str(row.instance.pk) == str(row.pk)
        assert type(row.instance).objects.filter(pk=row.pk).exists()  # already written
        seen.append((row.table, str(row.pk), row.verb, row.changed, connection.in_atomic_block))

    plan = flask_import.import_plan(flask_import.source_read(sqlite.url))
    assert flask_import.import_apply(plan, written=written) == []
    assert sorted(seen) == sorted(
        [
            ("user", ids["scrypt_user"], "update", ["last_name"], True),
            ("company", other, "create", ["created_at", "has_logo", "name", "updated_at"], True),
            (
                "user",
                newcomer,
                "create",
                sorted(
                    [
                        "company_id",
                        "created_at",
                        "email",
                        "has_avatar",
                        "is_active",
                        "is_verified",
                        "language",
                        "password",
                        "password_reset_required",
                        "updated_at",
                    ]
                ),
                True,
            ),
        ]
    )


def test_a_company_that_fails_to_write_is_left_as_it_was_and_the_others_go_on(sqlite):
    ids = populate(sqlite)
    other = sqlite.company("Umbrella")
    sqlite.user(other, "someone@umbrella.test")
    plan = flask_import.import_plan(flask_import.source_read(sqlite.url))
    # Between the plan and the writes, someone here takes an email the plan means to import.
    User.objects.create_user(
        email="pbkdf2@initech.test", password="Unrelated-Passw0rd", company=Company.objects.create(name="Local")
    )
    failures = flask_import.import_apply(plan)
    assert [str(company) for company, _ in failures] == [ids["company"]]
    assert not Company.objects.filter(pk=ids["company"]).exists()
    assert not OrganizationUnit.objects.filter(company_id=ids["company"]).exists()
    assert User.objects.filter(email="someone@umbrella.test", company_id=other).exists()


def test_the_command_reports_a_company_it_could_not_write(sqlite, monkeypatch):
    ids = populate(sqlite)
    real_plan = flask_import.import_plan

    def plan_then_conflict(*args, **kwargs):
        plan = real_plan(*args, **kwargs)
        User.objects.create_user(
            email="pbkdf2@initech.test", password="Unrelated-Passw0rd", company=Company.objects.create(name="Local")
        )
        return plan

    monkeypatch.setattr(flask_import, "import_plan", plan_then_conflict)
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 companies could not be written"):
        call_command("import_flask_identity", "--database-url", sqlite.url, stdout=out, stderr=io.StringIO())
    assert f"Company {ids['company']} was not written (left as it was):" in out.getvalue()


def test_missing_timestamps_and_language_take_defaults_and_stay_unchanged(sqlite):
    company = sqlite.company("Initech", created_at=None, updated_at=None)
    pk = sqlite.user(company, "bare@initech.test", language=None, is_active=None, created_at=None, updated_at=None)
    counts = summary(run_import(sqlite))
    assert counts["user"] == (1, 1, 0, 0, 0)
    user = User.objects.get(pk=pk)
    assert (user.language, user.is_active, user.is_verified) == ("en", True, False)
    assert user.created_at is not None and user.updated_at is not None
    assert summary(run_import(sqlite))["user"] == (1, 0, 0, 1, 0)


def test_values_this_database_cannot_hold_are_skipped_and_listed(sqlite):
    company = sqlite.company("Initech")
    unit = sqlite.unit(company, "Root")
    rows = {
        ("user", sqlite.user(company, "long@initech.test", first_name="x" * 60)): "first_name is longer than 50 "
        "characters",
        ("user", sqlite.user(company, "de@initech.test", language="DE")): "language 'DE' is neither EN nor FR",
        ("user", sqlite.user(company, "nohash@initech.test", hashed_password="")): "hashed_password is missing",
        ("position", sqlite.position(company, unit, "Negative", level=-1)): "level -1 is negative",
        ("company", sqlite.company("Odd", id="not-a-uuid")): "id 'not-a-uuid' is not a UUID",
        ("customer", sqlite.customer(company, "Stamp", created_at="yesterday")): "created_at 'yesterday' is not a "
        "timestamp",
    }
    reasons = skipped(run_import(sqlite))
    for key, reason in rows.items():
        assert reasons[key] == reason, key


def test_an_id_held_here_by_another_company_is_skipped(sqlite, company_a, user_a):
    company = sqlite.company("Initech")
    sqlite.user(company, "clash@initech.test", id=str(user_a.pk))
    reasons = skipped(run_import(sqlite))
    assert reasons["user", str(user_a.pk)] == f"id exists here in another company ({company_a.pk})"
    user_a.refresh_from_db()
    assert user_a.email == "alpha@acme.test"


def test_an_email_held_here_by_another_user_is_skipped(sqlite, user_a):
    company = sqlite.company("Initech")
    pk = sqlite.user(company, "ALPHA@acme.test")
    assert skipped(run_import(sqlite))["user", pk] == f"email already taken here by user {user_a.pk}"


def test_a_new_password_set_here_survives_a_later_import(sqlite):
    company = sqlite.company("Initech")
    pk = sqlite.user(company, "changed@initech.test", password_reset_required=True)
    run_import(sqlite)
    # As a password change here stores it (updated_at aside, which a later import takes from the source).
    User.objects.filter(pk=pk).update(password=make_password("Brand-New-Passw0rd"), password_reset_required=False)
    assert summary(run_import(sqlite))["user"] == (1, 0, 0, 1, 0)
    user = User.objects.get(pk=pk)
    assert user.check_password("Brand-New-Passw0rd") and not user.password_reset_required


def test_each_imported_row_has_one_command_event_and_a_second_run_writes_none(sqlite):
    ids = populate(sqlite)
    run_import(sqlite)
    events = AuditEvent.objects.filter(source="command")
    created = {(event.action, str(event.object_id)) for event in events}
    assert created == {
        ("company.create", ids["company"]),
        ("organization_unit.create", ids["root"]),
        ("organization_unit.create", ids["child"]),
        ("organization_unit.create", ids["grandchild"]),
        ("position.create", ids["position"]),
        ("user.create", ids["scrypt_user"]),
        ("user.create", ids["pbkdf2_user"]),
        ("customer.create", ids["customer"]),
        ("subcontractor.create", ids["subcontractor"]),
    }
    assert all(event.actor_id is None and event.request_id is None for event in events)
    user_event = events.get(action="user.create", object_id=ids["scrypt_user"])
    assert {"email", "first_name", "password", "position_id"} <= set(user_event.changed_fields)
    assert str(user_event.company_id) == ids["company"]

    run_import(sqlite)
    assert AuditEvent.objects.count() == len(created)  # nothing changed, nothing recorded

    sqlite.execute(
        'UPDATE "user" SET first_name = %s, updated_at = %s WHERE id = %s', "Elodie", moment(30), ids["scrypt_user"]
    )
    run_import(sqlite)
    update = AuditEvent.objects.get(action="user.update")
    assert (str(update.object_id), update.changed_fields, update.source) == (
        ids["scrypt_user"],
        ["first_name"],
        "command",
    )


def test_a_dry_run_records_no_event(sqlite):
    populate(sqlite)
    run_import(sqlite, "--dry-run")
    assert not AuditEvent.objects.exists()
