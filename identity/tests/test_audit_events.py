"""The events every API write records (docs/behaviour.md §12.2): one per create, update and delete of each resource,
with its actor, request id, company and exactly the fields that changed; none for a write that fails or changes
nothing."""

from dataclasses import dataclass, field

import pytest

from companies.models import Company
from identity.models import AuditEvent
from identity.testing.audit import assert_event, request_events
from identity.testing.constants import UNKNOWN_ID
from identity.testing.images import image_upload, upload
from org.models import OrganizationUnit, Position
from partners.models import Customer, Subcontractor
from users.models import User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Fresh-Passw0rd!"
# The fields every new user is given a value for besides those of the body (defaults and the password's).
USER_DEFAULTS = [
    "failed_login_count",
    "has_avatar",
    "is_active",
    "is_staff",
    "is_superuser",
    "is_verified",
    "language",
    "last_password_change",
    "password",
    "password_reset_required",
]


@dataclass(frozen=True)
class Resource:
    """One resource: its collection, a create body (`{unit}` names the directory's unit) and the fields that
    create records, and a PATCH of one field to a new value and one to its current value."""

    model: type
    path: str
    create: dict
    created: list[str]
    patch: dict
    changed: list[str]
    directory_key: str
    same: dict = field(default_factory=dict)


RESOURCES = {
    "company": Resource(
        Company,
        "/companies",
        {"name": "Initrode", "city": "Paris"},
        ["city", "has_logo", "name"],
        {"city": "Lyon"},
        ["city"],
        "company",
        same={"name": "Acme"},
    ),
    "customer": Resource(
        Customer,
        "/customers",
        {"name": "Initech", "email": "it@initech.test"},
        ["email", "has_logo", "name"],
        {"contact_person": "Pat"},
        ["contact_person"],
        "customer",
        same={"name": "Client"},
    ),
    "subcontractor": Resource(
        Subcontractor,
        "/subcontractors",
        {"name": "Welders", "description": "Metal"},
        ["description", "has_logo", "name"],
        {"name": "Welders & Co"},
        ["name"],
        "subcontractor",
        same={"description": None},
    ),
    "organization_unit": Resource(
        OrganizationUnit,
        "/organization_units",
        {"name": "R&D", "parent_id": "{unit}"},
        ["name", "parent_id"],
        {"description": "Research"},
        ["description"],
        "unit",
        same={"name": "Head office", "parent_id": None},
    ),
    "position": Resource(
        Position,
        "/positions",
        {"title": "Lead", "organization_unit_id": "{unit}", "level": 2},
        ["level", "organization_unit_id", "title"],
        {"level": 3},
        ["level"],
        "position",
        same={"title": "Engineer", "organization_unit_id": "{unit}"},
    ),
    "user": Resource(
        User,
        "/users",
        {"email": "new@acme.test", "password": NEW_PASSWORD, "first_name": "New"},
        ["email", "first_name", *USER_DEFAULTS],
        {"last_name": "Renamed", "password": "N3w-Secret-pass"},
        ["last_name", "last_password_change", "password"],
        "user",
        same={"first_name": "Alpha"},
    ),
}


def _body(template: dict, directory: dict) -> dict:
    return {key: directory["unit"] if value == "{unit}" else value for key, value in template.items()}


@pytest.mark.parametrize("kind", RESOURCES)
def test_create_records_the_fields_given_a_value(client_a, user_a, directory_a, kind):
    resource = RESOURCES[kind]
    response = client_a.post(resource.path, _body(resource.create, directory_a))
    assert response.status_code == 201, response.content
    created = resource.model.objects.get(pk=response.json()["id"])
    assert_event(response, f"{kind}.create", target=created, actor=user_a, changed_fields=resource.created)
    assert len(request_events(response)) == 1


@pytest.mark.parametrize("kind", RESOURCES)
def test_update_records_only_the_fields_that_changed(client_a, user_a, directory_a, kind):
    resource = RESOURCES[kind]
    target = resource.model.objects.get(pk=directory_a[resource.directory_key])
    response = client_a.patch(f"{resource.path}/{target.pk}", _body({**resource.same, **resource.patch}, directory_a))
    assert response.status_code == 200, response.content
    assert_event(response, f"{kind}.update", target=target, actor=user_a, changed_fields=resource.changed)
    assert len(request_events(response)) == 1


@pytest.mark.parametrize("kind", RESOURCES)
def test_a_patch_that_changes_nothing_records_nothing(client_a, directory_a, kind):
    resource = RESOURCES[kind]
    target_id = directory_a[resource.directory_key]
    response = client_a.patch(f"{resource.path}/{target_id}", _body(resource.same, directory_a))
    assert response.status_code == 200, response.content
    assert request_events(response) == []


@pytest.mark.parametrize("kind", ["customer", "subcontractor", "position", "user"])
def test_delete_records_one_event_before_the_row_goes(client_a, user_a, directory_a, make_user, company_a, kind):
    resource = RESOURCES[kind]
    target = (
        make_user(company_a, "doomed@acme.test")
        if kind == "user"
        else resource.model.objects.get(pk=directory_a[resource.directory_key])
    )
    response = client_a.delete(f"{resource.path}/{target.pk}")
    assert response.status_code == 204, response.content
    assert not resource.model.objects.filter(pk=target.pk).exists()
    assert_event(response, f"{kind}.delete", target=target, actor=user_a, changed_fields=[])
    assert len(request_events(response)) == 1


def test_the_request_id_a_client_sends_is_the_events(client_a, directory_a):
    response = client_a.patch(
        f"/customers/{directory_a['customer']}", {"name": "Renamed"}, headers={"X-Request-ID": "trace-7f3a"}
    )
    assert response["X-Request-ID"] == "trace-7f3a"
    assert [event.action for event in AuditEvent.objects.filter(request_id="trace-7f3a")] == ["customer.update"]


# --- the tree --------------------------------------------------------------------------------------------------
@pytest.fixture
def child(client_a, directory_a):
    """A unit under the directory's unit, with a grandchild."""
    parent = client_a.post("/organization_units", {"name": "Child", "parent_id": directory_a["unit"]}).json()
    client_a.post("/organization_units", {"name": "Grandchild", "parent_id": parent["id"]})
    return OrganizationUnit.objects.get(pk=parent["id"])


def test_a_move_records_one_update_of_the_moved_unit_and_none_for_its_descendants(client_a, user_a, child):
    response = client_a.patch(f"/organization_units/{child.pk}", {"parent_id": None, "name": "Child"})
    assert response.status_code == 200, response.content
    assert OrganizationUnit.objects.get(name="Grandchild").level == 1  # the subtree moved along
    assert_event(response, "organization_unit.update", target=child, actor=user_a, changed_fields=["parent_id"])
    assert len(request_events(response)) == 1


def test_a_unit_delete_records_one_event_for_the_unit_named(client_a, user_a, directory_a, child):
    unit = OrganizationUnit.objects.get(pk=directory_a["unit"])
    response = client_a.delete(f"/organization_units/{unit.pk}")
    assert response.status_code == 204, response.content
    assert not OrganizationUnit.objects.filter(company=unit.company).exists()
    assert_event(response, "organization_unit.delete", target=unit, actor=user_a, changed_fields=[])
    assert len(request_events(response)) == 1


# --- failed writes ---------------------------------------------------------------------------------------------
FAILURES = {
    "duplicate company": ("post", "/companies", {"name": "ACME"}, 409),
    "duplicate customer email": ("post", "/customers", {"name": "Other", "email": "CLIENT@acme.test"}, 409),
    "duplicate subcontractor name": ("patch", "/subcontractors/{subcontractor}", {"name": "SUPPLIER2"}, 409),
    "duplicate user email": ("post", "/users", {"email": "ALPHA@acme.test", "password": NEW_PASSWORD}, 409),
    "password refused by the policy": ("patch", "/users/{user}", {"last_name": "X", "password": "password"}, 400),
    "position in an unknown unit": ("patch", "/positions/{position}", {"organization_unit_id": UNKNOWN_ID}, 400),
    "unit under its own descendant": ("patch", "/organization_units/{unit}", {"parent_id": "{child}"}, 400),
    "unit as its own parent": ("patch", "/organization_units/{unit}", {"parent_id": "{unit}"}, 400),
    "company with users": ("delete", "/companies/{company}", None, 409),
}


@pytest.mark.parametrize("case", FAILURES)
def test_a_write_that_fails_records_nothing(client_a, directory_a, child, case):
    method, path, body, status = FAILURES[case]
    Subcontractor.objects.create(company_id=directory_a["company"], name="Supplier2")
    names = {**directory_a, "child": str(child.pk)}
    if body is not None:
        body = {
            key: names[value[1:-1]] if isinstance(value, str) and value[1:-1] in names else value
            for key, value in body.items()
        }
    before = AuditEvent.objects.count()
    response = getattr(client_a, method)(path.format(**names), body)
    assert response.status_code == status, response.content
    assert request_events(response) == [] and AuditEvent.objects.count() == before


# --- files -----------------------------------------------------------------------------------------------------
OWNERS = {
    "company_logo": ("/companies", "company", "logo"),
    "customer_logo": ("/customers", "customer", "logo"),
    "subcontractor_logo": ("/subcontractors", "subcontractor", "logo"),
    "user_avatar": ("/users", "user", "avatar"),
}


@pytest.mark.parametrize("kind", OWNERS)
def test_file_upload_replace_and_delete_each_record_an_event_on_the_owner(client_a, user_a, directory_a, kind):
    collection, key, field_name = OWNERS[kind]
    model = {"company": Company, "customer": Customer, "subcontractor": Subcontractor, "user": User}[key]
    owner = model.objects.get(pk=directory_a[key])
    url = f"{collection}/{owner.pk}/{field_name}"
    flag, file_id = f"has_{field_name}", f"{field_name}_file_id"

    first = client_a.post(url, {field_name: image_upload()}, format="multipart")
    assert first.status_code == 201, first.content
    assert_event(first, f"{kind}.upload", target=owner, actor=user_a, changed_fields=[file_id, flag])
    again = client_a.post(url, {field_name: image_upload("GIF")}, format="multipart")
    assert_event(again, f"{kind}.upload", target=owner, actor=user_a, changed_fields=[file_id])
    gone = client_a.delete(url)
    assert gone.status_code == 204
    assert_event(gone, f"{kind}.delete", target=owner, actor=user_a, changed_fields=[file_id, flag])
    refused = client_a.post(url, {field_name: upload(b"not an image")}, format="multipart")
    assert refused.status_code == 400 and request_events(refused) == []


@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_multipart_avatar_on_a_user_write_records_its_upload_beside_the_update(client_a, user_a, method):
    body = {"email": user_a.email, "first_name": "Pictured", "avatar": image_upload()}
    response = getattr(client_a, method)(f"/users/{user_a.pk}", body, format="multipart")
    assert response.status_code == 200, response.content
    assert_event(response, "user.update", target=user_a, actor=user_a, changed_fields=["first_name"])
    assert_event(
        response, "user_avatar.upload", target=user_a, actor=user_a, changed_fields=["avatar_file_id", "has_avatar"]
    )
    assert len(request_events(response)) == 2
    only_avatar = client_a.patch(f"/users/{user_a.pk}", {"avatar": image_upload("GIF")}, format="multipart")
    assert [event.action for event in request_events(only_avatar)] == ["user_avatar.upload"]


# --- a tenant's bootstrap --------------------------------------------------------------------------------------
def test_init_db_records_the_four_creations_without_an_actor(anon_client):
    response = anon_client.post(
        "/init-db", {"company": {"name": "Initech"}, "user": {"email": "admin@initech.test", "password": NEW_PASSWORD}}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert [event.action for event in request_events(response)] == [
        "company.create",
        "organization_unit.create",
        "position.create",
        "user.create",
    ]
    company = Company.objects.get(pk=body["company"]["id"])
    assert_event(response, "company.create", target=company, actor=None, changed_fields=["has_logo", "name"])
    admin = User.objects.get(pk=body["user"]["id"])
    assert_event(
        response, "user.create", target=admin, actor=None, changed_fields=["email", "position_id", *USER_DEFAULTS]
    )
