"""`manage.py seed_demo`: bulk demo data, the benchmark manifest, repeatable runs, clear failures."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.core.validators import validate_email
from django.db import connection
from django.test.utils import CaptureQueriesContext

from companies.models import Company
from identity.models import AuditEvent
from identity.phone import validate_phone
from org.models import OrganizationUnit, Position
from partners.models import Customer, Subcontractor
from users.models import User
from users.services.seeding import DEFAULT_PASSWORD, MANIFEST_FORMAT

pytestmark = pytest.mark.django_db


def seed(*args, manifest_path=None) -> tuple[dict | None, str, str]:
    out, err = io.StringIO(), io.StringIO()
    extra = ["--manifest", str(manifest_path)] if manifest_path else []
    call_command("seed_demo", *args, *extra, stdout=out, stderr=err)
    manifest = json.loads(manifest_path.read_text()) if manifest_path else None
    return manifest, out.getvalue(), err.getvalue()


def test_seeds_a_new_company_and_writes_the_manifest(tmp_path):
    manifest, output, _ = seed(
        "--users",
        "120",
        "--units",
        "30",
        "--customers",
        "7",
        "--subcontractors",
        "4",
        "--company-name",
        "Seeded Ltd",
        manifest_path=tmp_path / "manifest.json",
    )
    company = Company.objects.get(name="Seeded Ltd")
    assert "Seeded Ltd" in output
    assert manifest["format"] == MANIFEST_FORMAT
    assert manifest["company_id"] == str(company.pk)
    assert manifest["password"] == DEFAULT_PASSWORD
    assert User.objects.filter(company=company).count() == 120
    seeded = User.objects.filter(company=company).values_list("pk", flat=True)
    assert {row["id"] for row in manifest["users"]} == {str(pk) for pk in seeded}
    emails = {str(user.pk): user.email for user in User.objects.filter(company=company)}
    assert all(emails[row["id"]] == row["email"] for row in manifest["users"])
    admin = User.objects.get(pk=manifest["admin_user_id"])
    assert admin.company_id == company.pk and admin.is_active
    assert admin.position.title == "Administrator"
    assert (
        set(manifest["customers"])
        == {str(pk) for pk in Customer.objects.filter(company=company).values_list("pk", flat=True)}
        and len(manifest["customers"]) == 7
    )
    assert (
        set(manifest["subcontractors"])
        == {str(pk) for pk in Subcontractor.objects.filter(company=company).values_list("pk", flat=True)}
        and len(manifest["subcontractors"]) == 4
    )


def test_the_unit_tree_has_several_levels_with_correct_paths(tmp_path):
    manifest, _, _ = seed("--users", "50", "--units", "40", manifest_path=tmp_path / "m.json")
    units = {str(unit.pk): unit for unit in OrganizationUnit.objects.filter(company_id=manifest["company_id"])}
    assert len(units) == 40 == len(manifest["organization_units"])
    for row in manifest["organization_units"]:
        unit = units[row["id"]]
        assert row["level"] == unit.level
        if row["parent_id"] is None:
            assert (unit.level, unit.path) == (0, str(unit.pk))
        else:
            parent = units[row["parent_id"]]
            assert unit.parent_id == parent.pk
            assert unit.level == parent.level + 1
            assert unit.path == f"{parent.path}/{unit.pk}"
    assert max(unit.level for unit in units.values()) >= 3
    positions = Position.objects.filter(company_id=manifest["company_id"])
    assert {str(position.pk) for position in positions} == {row["id"] for row in manifest["positions"]}
    assert all(row["organization_unit_id"] in units for row in manifest["positions"])


def test_users_are_realistic_hold_positions_and_share_one_password_hash():
    seed("--users", "300", "--units", "10", "--customers", "10", "--company-name", "Realistic")
    users = list(User.objects.filter(company__name="Realistic").select_related("position"))
    bulk = [user for user in users if not user.email.startswith("admin.")]
    assert len({user.password for user in bulk}) == 1  # hashed once, shared
    assert bulk[0].check_password(DEFAULT_PASSWORD)
    assert {user.language for user in users} == {"en", "fr"}
    assert len({(user.first_name, user.last_name) for user in users}) > 100
    for user in users:
        validate_email(user.email)
        validate_phone(user.phone_number)
        assert user.first_name and user.last_name
    holders = [user for user in users if user.position is not None]
    assert len(holders) > len(users) * 0.7
    assert all(user.position.company_id == user.company_id for user in holders)
    for customer in Customer.objects.filter(company__name="Realistic"):
        validate_phone(customer.phone_number)
        assert customer.contact_person and customer.address


def test_fills_an_existing_company_and_names_one_of_its_active_users(company_a, user_a, tmp_path):
    manifest, _, _ = seed(
        "--users", "20", "--units", "5", "--company", str(company_a.pk), manifest_path=tmp_path / "m.json"
    )
    assert manifest["company_id"] == str(company_a.pk)
    assert manifest["admin_user_id"] == str(user_a.pk)
    assert User.objects.filter(company=company_a).count() == 21
    roots = [row for row in manifest["organization_units"] if row["parent_id"] is None]
    assert len(roots) == 1 and len(manifest["organization_units"]) == 5
    assert OrganizationUnit.objects.filter(company=company_a).count() == 5


def test_a_second_run_adds_rows_with_fresh_emails(company_a, tmp_path):
    first, _, _ = seed(
        "--users", "30", "--company", str(company_a.pk), "--subcontractors", "3", manifest_path=tmp_path / "1.json"
    )
    second, _, _ = seed(
        "--users", "30", "--company", str(company_a.pk), "--subcontractors", "3", manifest_path=tmp_path / "2.json"
    )
    assert User.objects.filter(company=company_a).count() == 60
    assert Subcontractor.objects.filter(company=company_a).count() == 6
    emails = [row["email"].lower() for row in first["users"] + second["users"]]
    assert len(set(emails)) == 60
    assert first["admin_user_id"] == second["admin_user_id"]


def test_rows_are_written_in_batches():
    with CaptureQueriesContext(connection) as queries:
        seed("--users", "25", "--units", "3", "--batch-size", "10", "--company-name", "Batches")
    user_inserts = [
        query for query in queries.captured_queries if query["sql"].startswith(f'INSERT INTO "{User._meta.db_table}"')
    ]
    assert len(user_inserts) == 1 + 3  # the bootstrap's admin, then 24 users in batches of 10
    assert User.objects.filter(company__name="Batches").count() == 25


def test_progress_goes_to_stderr_as_plain_lines_without_a_terminal():
    _, output, progress = seed("--users", "40", "--units", "4", "--company-name", "Plain")
    assert "users: 39/39" in progress.splitlines()
    assert "units: 3/3" in progress.splitlines()
    assert "users:" not in output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--users", "5", "--company", "not-a-uuid"], "--company must be a company id"),
        (["--users", "5", "--company", "00000000-0000-4000-8000-000000000000"], "Company not found"),
        (["--users", "5", "--password", "123"], "password"),
        (["--users", "0"], "users"),
        (["--users", "5", "--company-name", "Acme"], "name"),
    ],
)
def test_refuses_bad_input_with_a_clear_error(company_a, args, message):
    before = (Company.objects.count(), User.objects.count())
    with pytest.raises(CommandError, match=message):
        seed(*args)
    assert (Company.objects.count(), User.objects.count()) == before


def test_an_unwritable_manifest_is_refused_before_any_row_is_written(tmp_path):
    with pytest.raises(CommandError, match="Cannot write the manifest"):
        seed("--users", "2", manifest_path=tmp_path / "missing" / "m.json")
    assert not Company.objects.exists()


def test_the_company_option_and_the_name_option_exclude_each_other(company_a):
    with pytest.raises(CommandError):
        seed("--users", "2", "--company", str(company_a.pk), "--company-name", "Other")


def test_every_seeded_row_has_its_create_event_from_the_command(tmp_path):
    manifest, _, _ = seed(
        "--users",
        "30",
        "--units",
        "5",
        "--customers",
        "3",
        "--subcontractors",
        "2",
        "--company-name",
        "Audited Ltd",
        manifest_path=tmp_path / "manifest.json",
    )
    events = AuditEvent.objects.filter(company_id=manifest["company_id"])
    assert {event.source for event in events} == {"command"}
    by_action = {}
    for event in events:
        by_action.setdefault(event.action, set()).add(str(event.object_id))
    assert by_action["user.create"] == {row["id"] for row in manifest["users"]}
    assert by_action["organization_unit.create"] == {row["id"] for row in manifest["organization_units"]}
    assert by_action["position.create"] == {row["id"] for row in manifest["positions"]}
    assert by_action["customer.create"] == set(manifest["customers"])
    assert by_action["subcontractor.create"] == set(manifest["subcontractors"])
    assert by_action["company.create"] == {manifest["company_id"]}
