"""Units and positions in the admin: tree order with indentation, moves through org.services, form errors."""

import pytest

from identity.models import AuditEvent
from identity.testing.admin import changelist, staff_a, staff_client  # noqa: F401
from org import services
from org.models import OrganizationUnit, Position

pytestmark = pytest.mark.django_db
UNITS = changelist("org", "organizationunit")


def admin_events():
    """The events of the admin's writes (the fixtures' own writes through the services record `system` ones)."""
    return AuditEvent.objects.filter(source="admin")


@pytest.fixture
def tree(company_a):
    """root → a → a1, and root → b"""
    root = services.org_unit_create(company_id=company_a.pk, data={"name": "Root"})
    a = services.org_unit_create(company_id=company_a.pk, data={"name": "A", "parent_id": root.pk})
    a1 = services.org_unit_create(company_id=company_a.pk, data={"name": "A1", "parent_id": a.pk})
    b = services.org_unit_create(company_id=company_a.pk, data={"name": "B", "parent_id": root.pk})
    return root, a, a1, b


def _move(client, unit, parent):
    return client.post(
        f"{UNITS}{unit.pk}/change/",
        {"name": unit.name, "description": unit.description or "", "parent": str(parent.pk) if parent else ""},
    )


def test_changelist_is_in_path_order_with_names_indented_by_level(staff_client, tree):
    root, a, a1, b = tree
    response = staff_client.get(UNITS)
    rows = list(response.context["cl"].result_list)
    assert rows == sorted(rows, key=lambda unit: unit.path)
    assert rows.index(root) < rows.index(a) < rows.index(a1)
    html = response.content.decode()
    assert "\u2003\u2003A1" in html and "\u2003A<" in html.replace("</a>", "<")


def test_a_parent_change_rewrites_the_subtree_and_records_one_event(staff_client, staff_a, tree):
    root, a, a1, b = tree
    assert _move(staff_client, a, b).status_code == 302
    a.refresh_from_db()
    a1.refresh_from_db()
    assert (a.parent_id, a.level, a.path) == (b.pk, 2, f"{root.pk}/{b.pk}/{a.pk}")
    assert (a1.level, a1.path) == (3, f"{a.path}/{a1.pk}")
    event = admin_events().get()
    assert (event.action, event.object_id, event.changed_fields, event.source, event.actor_id) == (
        "organization_unit.update",
        a.pk,
        ["parent_id"],
        "admin",
        staff_a.pk,
    )


@pytest.mark.parametrize(
    "target, text",
    [("a1", "Cannot move a unit under its own descendant."), ("a", "An organization unit cannot be its own parent.")],
)
def test_a_cycle_is_a_form_error(staff_client, tree, target, text):
    root, a, a1, b = tree
    response = _move(staff_client, a, {"a": a, "a1": a1}[target])
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"] == [text]
    a.refresh_from_db()
    assert a.parent_id == root.pk and not admin_events().exists()


def test_add_a_unit_under_a_parent(staff_client, company_a, tree):
    root = tree[0]
    response = staff_client.post(f"{UNITS}add/", {"company": str(company_a.pk), "name": "C", "parent": str(root.pk)})
    assert response.status_code == 302
    unit = OrganizationUnit.objects.get(name="C")
    assert (unit.level, unit.path) == (1, f"{root.pk}/{unit.pk}")
    assert admin_events().get().changed_fields == ["name", "parent_id"]


def test_delete_removes_the_subtree_through_the_service(staff_client, tree):
    root, a, a1, b = tree
    Position.objects.create(company=a1.company, title="Deep", organization_unit=a1)
    assert staff_client.post(f"{UNITS}{a.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not OrganizationUnit.objects.filter(pk__in=[a.pk, a1.pk]).exists()
    assert not Position.objects.filter(title="Deep").exists()
    assert admin_events().get().action == "organization_unit.delete"


def test_position_add_and_change_through_the_service(staff_client, company_a, tree):
    root, a, a1, b = tree
    positions = changelist("org", "position")
    response = staff_client.post(
        f"{positions}add/",
        {"company": str(company_a.pk), "title": "Lead", "organization_unit": str(a.pk), "level": "2"},
    )
    assert response.status_code == 302
    position = Position.objects.get(title="Lead")
    response = staff_client.post(
        f"{positions}{position.pk}/change/",
        {"title": "Lead", "organization_unit": str(b.pk), "level": "2", "description": ""},
    )
    assert response.status_code == 302
    position.refresh_from_db()
    assert position.organization_unit_id == b.pk
    assert [event.action for event in admin_events().order_by("created_at")] == ["position.create", "position.update"]
    assert admin_events().get(action="position.update").changed_fields == ["organization_unit_id"]
