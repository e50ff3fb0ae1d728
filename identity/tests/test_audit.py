"""The audit trail: record() and changed_fields, `GET /audit-events[/{event_id}]`, and `prune_audit`."""

import io
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from identity import audit
from identity.context import acting
from identity.models import AuditEvent
from identity.testing.assertions import assert_error
from identity.testing.audit import SecretWatch

pytestmark = pytest.mark.django_db


def make_event(company_id, *, action="customer.update", minutes_ago=0, **fields):
    event = AuditEvent.objects.create(
        company_id=company_id,
        source=fields.pop("source", "api"),
        action=action,
        object_type=action.split(".")[0] if "." in action else "user",
        object_id=fields.pop("object_id", uuid.uuid4()),
        **fields,
    )
    if minutes_ago:
        AuditEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
        event.refresh_from_db()
    return event


# --- record() and changed_fields ----------------------------------------------------------
def test_record_reads_source_actor_and_ip_from_the_context(company_a, user_a):
    with acting(source="admin", actor=user_a, ip="192.0.2.7"), transaction.atomic():
        event = audit.record("company.update", target=company_a, changed_fields=["name", "city", "name"])
    assert (event.source, event.actor_id, event.actor_email, event.ip) == (
        "admin",
        user_a.pk,
        user_a.email,
        "192.0.2.7",
    )
    assert (event.company_id, event.object_type, event.object_id) == (company_a.pk, "company", company_a.pk)
    assert event.changed_fields == ["city", "name"] and event.request_id is None


def test_record_outside_a_request_is_system_without_actor(user_a):
    with transaction.atomic():
        event = audit.record("password.unlock", target=user_a)
    assert (event.source, event.actor_id, event.ip, event.company_id) == ("system", None, None, user_a.company_id)
    assert event.object_type == "user"


def test_record_of_an_update_that_changed_nothing_writes_nothing(user_a):
    with transaction.atomic():
        assert audit.record("user.update", target=user_a, changed_fields=[]) is None
    assert not AuditEvent.objects.exists()


def test_record_refuses_unknown_actions_and_calls_outside_a_transaction(user_a, monkeypatch):
    with pytest.raises(ValueError):
        audit.record("user.renamed", target=user_a)
    monkeypatch.setattr(transaction.get_connection(), "in_atomic_block", False)
    with pytest.raises(RuntimeError):
        audit.record("user.delete", target=user_a)


def test_an_event_rolls_back_with_its_transaction(user_a):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        audit.record("user.delete", target=user_a)
        1 / 0  # noqa: B018
    assert not AuditEvent.objects.exists()


def test_changed_fields_names_only_real_changes_and_the_password(user_a, directory_a):
    before = audit.snapshot(user_a)
    user_a.first_name = user_a.first_name  # same value
    user_a.last_name = "Renamed"
    user_a.set_password("An0ther-Secret-pw")
    after = audit.snapshot(user_a)
    assert audit.changed_fields(before, after) == ["last_name", "password"]
    assert "An0ther-Secret-pw" not in str(after.values())
    from org.models import OrganizationUnit

    unit = OrganizationUnit.objects.get(pk=directory_a["unit"])
    assert "parent_id" in audit.snapshot(unit) and "path" not in audit.snapshot(unit)
    assert audit.created_fields(unit) == ["name"]


def test_the_secret_scan_finds_passwords_hashes_and_codes_but_not_field_names(user_a, monkeypatch):
    from users.services import passwords

    watch = SecretWatch()
    watch.install(monkeypatch)
    user_a.set_password("Leaky-Passw0rd!")
    code_hash = passwords._code_hash(uuid.uuid4(), "135790")
    with transaction.atomic():
        audit.record("password.change", target=user_a, changed_fields=["password"])  # a name, not a secret
        audit.record("password.admin_reset", target=user_a, changed_fields=["Leaky-Passw0rd!"])
        audit.record("password.reset_failure", target=user_a, changed_fields=[user_a.password])
        audit.record("password.reset_request", target=user_a, changed_fields=["135790"])
        audit.record("password.reset_confirm", target=user_a, changed_fields=[code_hash])
    assert sorted(watch.leaks()) == sorted(
        f"{action} {user_a.pk}: changed_fields"
        for action in (
            "password.admin_reset",
            "password.reset_failure",
            "password.reset_request",
            "password.reset_confirm",
        )
    )
    AuditEvent.objects.exclude(action="password.change").delete()  # planted here; the scan after each test follows


# --- the API ----------------------------------------------------------------------------
def test_list_is_the_callers_company_newest_first(client_a, company_a, company_b):
    old = make_event(company_a.pk, minutes_ago=10)
    new = make_event(company_a.pk)
    make_event(company_b.pk)
    body = client_a.get("/audit-events").json()
    assert [row["id"] for row in body["data"]] == [str(new.pk), str(old.pk)]
    assert body["pagination"] == {"page": 1, "limit": 50, "total": 2, "pages": 1, "has_next": False, "has_prev": False}
    assert set(body["data"][0]) == {
        "id",
        "created_at",
        "request_id",
        "company_id",
        "actor_id",
        "actor_email",
        "ip",
        "source",
        "action",
        "object_type",
        "object_id",
        "changed_fields",
    }
    ascending = client_a.get("/audit-events?order=ASC").json()["data"]
    assert [row["id"] for row in ascending] == [str(old.pk), str(new.pk)]


def test_list_filters(client_a, company_a, user_a):
    target = uuid.uuid4()
    hit = make_event(
        company_a.pk,
        action="user.update",
        object_id=target,
        actor_id=user_a.pk,
        request_id="req-1",
        source="admin",
        minutes_ago=30,
    )
    make_event(company_a.pk, action="customer.create")
    since = (timezone.now() - timedelta(minutes=31)).isoformat()
    until = (timezone.now() - timedelta(minutes=29)).isoformat()
    for query in (
        "action=user.update",
        "object_type=user",
        f"object_id={target}",
        f"actor_id={user_a.pk}",
        "request_id=req-1",
        "source=admin",
        f"until={until}",
        f"since={since}&until={until}",
    ):
        data = client_a.get("/audit-events", dict(part.split("=", 1) for part in query.split("&"))).json()["data"]
        assert [row["id"] for row in data] == [str(hit.pk)], query
    assert client_a.get("/audit-events", {"since": until}).json()["pagination"]["total"] == 1


@pytest.mark.parametrize(
    "param, value",
    [
        ("since", "yesterday"),
        ("until", "2026-13-01T00:00:00Z"),
        ("actor_id", "nope"),
        ("object_id", "12"),
        ("source", "cron"),
    ],
)
def test_unparseable_filter_is_400(client_a, param, value):
    assert_error(client_a.get("/audit-events", {param: value}), 400, fields=(param,))


def test_by_id_and_its_errors(client_a, company_a, company_b):
    own = make_event(company_a.pk, changed_fields=["name"])
    foreign = make_event(company_b.pk)
    body = client_a.get(f"/audit-events/{own.pk}").json()
    assert body["id"] == str(own.pk) and body["changed_fields"] == ["name"] and body["company_id"] == str(company_a.pk)
    assert_error(client_a.get(f"/audit-events/{foreign.pk}"), 404, "Audit event not found")
    assert_error(client_a.get(f"/audit-events/{uuid.uuid4()}"), 404, "Audit event not found")
    assert_error(client_a.get("/audit-events/not-a-uuid"), 400, "Invalid event id")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_events_are_immutable(client_a, company_a, method):
    event = make_event(company_a.pk)
    path = "/audit-events" if method == "post" else f"/audit-events/{event.pk}"
    assert getattr(client_a, method)(path, {}, format="json").status_code == 405
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize("rows", [3, 60])
def test_list_queries_do_not_grow_with_the_page(client_a, company_a, rows, django_assert_max_num_queries):
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                company_id=company_a.pk,
                source="api",
                action="user.update",
                object_type="user",
                object_id=uuid.uuid4(),
                changed_fields=["email"],
            )
            for _ in range(rows)
        ]
    )
    with django_assert_max_num_queries(4):
        body = client_a.get("/audit-events", {"limit": 1000}).json()
    assert body["pagination"]["total"] == rows
    with django_assert_max_num_queries(4):
        assert client_a.get("/audit-events", {"limit": 2, "page": 2}).json()["pagination"]["total"] == rows


# --- prune_audit ----------------------------------------------------------------------------
def test_prune_deletes_older_events_in_batches(company_a, settings):
    keep = make_event(company_a.pk, minutes_ago=60 * 24 * 9)
    for _ in range(5):
        make_event(company_a.pk, minutes_ago=60 * 24 * 11)
    out = io.StringIO()
    call_command("prune_audit", "--older-than-days", "10", "--batch-size", "2", stdout=out)
    assert "Deleted 5 audit event(s)" in out.getvalue()
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [keep.pk]
    settings.AUDIT_RETENTION_DAYS = 5
    call_command("prune_audit", stdout=io.StringIO())
    assert not AuditEvent.objects.exists()
