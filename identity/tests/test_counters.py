"""The per-company row counters behind an unfiltered list's `total` (identity.counters): equal to COUNT after every
write path, and the prepared page equal to the serializer's representation (PostgreSQL: the triggers and the
prepared statement exist there only)."""

import datetime as dt
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction

from identity.counters import COUNTED_TABLES
from identity.models import CompanyOwnedModel, CompanyRowCount
from identity.services import delete_set
from identity.testing.admin import seed_rows
from identity.testing.constants import PASSWORD
from org.models import OrganizationUnit, Position
from org.services import org_unit_delete
from partners.models import Customer, Subcontractor
from users.models import User
from users.tests.test_flask_import import populate, run_import, sqlite  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def counts_by_table() -> dict[str, dict]:
    """table → {company_id: COUNT(*)} of the rows there are."""
    found = {}
    with connection.cursor() as cursor:
        for table in COUNTED_TABLES:
            cursor.execute(f"SELECT company_id, count(*) FROM {table} WHERE company_id IS NOT NULL GROUP BY 1")
            found[table] = dict(cursor.fetchall())
    return found


def counters_by_table() -> dict[str, dict]:
    """table → {company_id: counter}, without the zero counters a deleted company leaves."""
    kept = {table: {} for table in COUNTED_TABLES}
    for row in CompanyRowCount.objects.exclude(total=0):
        kept[row.table_name][row.company_id] = row.total
    return kept


def assert_exact():
    assert counters_by_table() == counts_by_table()


def test_every_listed_company_table_is_counted_by_triggers():
    owned = {model._meta.db_table for model in apps.get_models() if issubclass(model, CompanyOwnedModel)}
    assert owned == COUNTED_TABLES
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE 'identity_count_%%' GROUP BY 1"
        )
        assert dict(cursor.fetchall()) == dict.fromkeys(COUNTED_TABLES, 4)


def test_counters_follow_api_creates_and_deletes(client_a, directory_a):
    assert_exact()
    created = client_a.post("/customers", {"name": "Counted"}, format="json")
    assert created.status_code == 201, created.content
    unit = client_a.post("/organization_units", {"name": "Counted unit"}, format="json").json()
    position = client_a.post("/positions", {"title": "Counted", "organization_unit_id": unit["id"]}, format="json")
    assert position.status_code == 201, position.content
    body = {"email": "counted@example.test", "password": PASSWORD, "position_id": position.json()["id"]}
    user = client_a.post("/users", body, format="json")
    assert user.status_code == 201, user.content
    assert_exact()
    assert (
        client_a.get("/customers").json()["pagination"]["total"]
        == Customer.objects.filter(company_id=directory_a["company"]).count()
    )
    assert client_a.delete(f"/customers/{created.json()['id']}").status_code == 204
    assert client_a.delete(f"/users/{user.json()['id']}").status_code == 204
    assert client_a.delete(f"/organization_units/{unit['id']}").status_code == 204  # its position goes with it
    assert_exact()


def test_counters_follow_bulk_inserts_set_deletes_and_subtree_deletes(company_a, directory_a):
    seed_rows(company_a, 5)
    Customer.objects.bulk_create([Customer(company=company_a, name=f"Bulk {index}") for index in range(2000)])
    assert (
        CompanyRowCount.objects.get(table_name="partners_customer", company_id=company_a.pk).total == 2006
    )  # with the directory's
    with transaction.atomic():
        delete_set(Customer.objects.filter(company=company_a, name__startswith="Bulk 1"))
    assert_exact()
    org_unit_delete(unit=OrganizationUnit.objects.get(pk=directory_a["unit"]))  # the root: every unit, position
    assert not Position.objects.filter(company=company_a).exists()
    assert_exact()


def test_counters_follow_a_change_of_company_and_a_cascade(company_a, company_b):
    seed_rows(company_a, 3)
    Subcontractor.objects.filter(company=company_a).update(company=company_b)
    customer = Customer.objects.filter(company=company_a).first()
    customer.company = company_b
    customer.save()
    assert_exact()
    company_a.delete()  # the ORM's cascade: users, positions, units, customers
    assert_exact()
    assert not User.objects.filter(company_id=company_a.pk).exists()


def test_counters_roll_back_with_the_transaction(company_a):
    before = counters_by_table()
    with pytest.raises(RuntimeError), transaction.atomic():
        Customer.objects.create(company=company_a, name="Rolled back")
        raise RuntimeError
    assert counters_by_table() == before


def test_counters_follow_seed_demo(company_a):
    call_command(
        "seed_demo", "--company", str(company_a.pk), "--users", "30", stdout=io.StringIO(), stderr=io.StringIO()
    )
    assert_exact()


def test_counters_follow_the_flask_import(sqlite):
    populate(sqlite)
    run_import(sqlite)
    assert_exact()


def test_prepared_page_is_the_representation(client_a, company_a, directory_a):
    seed_rows(company_a, 4)
    # A datetime without fraction (written without `.000000`), and nulls.
    Customer.objects.filter(company_id=directory_a["company"]).update(
        created_at=dt.datetime(2026, 1, 31, 12, 0, tzinfo=dt.UTC), email=None
    )
    User.objects.filter(company_id=directory_a["company"]).update(last_login_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    for path in ("/users", "/organization_units", "/positions", "/customers", "/subcontractors", "/audit-events"):
        for query in ({"limit": "1000"}, {"limit": "3", "page": "2", "sort": "updated_at", "order": "desc"}):
            prepared = client_a.get(path, query)
            counted = client_a.get(path, {**query, "search": ""})  # a filter parameter: the ORM's page and COUNT
            assert prepared.status_code == 200, prepared.content
            assert prepared.content == counted.content, path
    last = client_a.get("/customers", {"page": "1000"}).json()
    assert (
        last["data"] == []
        and last["pagination"]["total"] == Customer.objects.filter(company_id=directory_a["company"]).count()
    )


def test_a_page_past_the_end_still_has_the_counted_total(client_a, company_a, directory_a):
    seed_rows(company_a, 2)
    body = client_a.get("/positions", {"page": "50", "limit": "10"}).json()
    assert body["data"] == []
    assert body["pagination"]["total"] == Position.objects.filter(company_id=directory_a["company"]).count()
