"""Positions over HTTP (docs/behaviour.md §5, §6.5) and under their unit (`/organization_units/{id}/positions`)."""

import uuid

import pytest

from identity.testing.assertions import assert_error
from identity.testing.constants import UNKNOWN_ID
from org.models import Position

pytestmark = pytest.mark.django_db

POSITION_KEYS = {
    "id",
    "title",
    "description",
    "level",
    "organization_unit_id",
    "company_id",
    "created_at",
    "updated_at",
}


def _ids(response):
    return [row["id"] for row in response.json()["data"]]


@pytest.fixture
def unit(make_unit):
    return make_unit("Engineering")


def test_create_returns_201_with_every_key(client_a, company_a, unit):
    response = client_a.post(
        "/positions", {"title": "Engineer", "level": 2, "organization_unit_id": str(unit.pk)}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == POSITION_KEYS
    assert (body["title"], body["level"], body["description"]) == ("Engineer", 2, None)
    assert (body["organization_unit_id"], body["company_id"]) == (str(unit.pk), str(company_a.pk))
    assert Position.objects.get(pk=body["id"]).company_id == company_a.pk


@pytest.mark.parametrize("which", ["unknown", "foreign"])
def test_create_with_unknown_or_foreign_unit_is_404(client_a, company_b, make_unit, which):
    unit_id = uuid.uuid4() if which == "unknown" else make_unit("Theirs", company=company_b).pk
    response = client_a.post("/positions", {"title": "Engineer", "organization_unit_id": str(unit_id)}, format="json")
    body = assert_error(response, 404, "Organization unit not found")
    assert "errors" not in body
    assert not Position.objects.filter(title="Engineer").exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "t" * 101}, "title"),
        ({"title": "ok", "organization_unit_id": None}, "organization_unit_id"),
        ({"title": "ok", "organization_unit_id": "nope"}, "organization_unit_id"),
        ({"title": "ok", "description": "d" * 256}, "description"),
        ({"title": "ok", "level": -1}, "level"),
        ({"title": "ok", "level": "high"}, "level"),
        ({"title": "ok", "level": 2_147_483_648}, "level"),
        ({"title": "ok", "id": UNKNOWN_ID}, "id"),
        ({"title": "ok", "organization_unit": {}}, "organization_unit"),
        ({"title": "ok", "colour": "red"}, "colour"),
    ],
)
def test_create_validation(client_a, unit, body, field):
    body = {"organization_unit_id": str(unit.pk), **body}
    assert_error(client_a.post("/positions", body, format="json"), 400, "Validation error", fields=(field,))
    assert not Position.objects.exists()


def test_create_without_unit_is_400(client_a, unit):
    assert_error(
        client_a.post("/positions", {"title": "ok"}, format="json"),
        400,
        "Validation error",
        fields=("organization_unit_id",),
    )


def test_limits_and_nullable_level(client_a, unit):
    response = client_a.post(
        "/positions",
        {"title": "t" * 100, "description": "d" * 255, "level": None, "organization_unit_id": str(unit.pk)},
        format="json",
    )
    assert response.status_code == 201 and response.json()["level"] is None
    zero = client_a.post("/positions", {"title": "t", "level": 0, "organization_unit_id": str(unit.pk)}, format="json")
    assert zero.status_code == 201 and zero.json()["level"] == 0


def test_unknown_field_message_and_company_id_tolerance(client_a, company_a, company_b, unit):
    body = assert_error(
        client_a.post(
            "/positions",
            {"title": "x", "organization_unit_id": str(unit.pk), "created_at": "2026-01-01T00:00:00Z"},
            format="json",
        ),
        400,
    )
    assert body["errors"]["created_at"] == ["Unknown field."]
    ok = client_a.post(
        "/positions",
        {"title": "x", "organization_unit_id": str(unit.pk), "company_id": str(company_a.pk)},
        format="json",
    )
    assert ok.status_code == 201
    assert_error(
        client_a.post(
            "/positions",
            {"title": "x", "organization_unit_id": str(unit.pk), "company_id": str(company_b.pk)},
            format="json",
        ),
        400,
        fields=("company_id",),
    )


def test_get_unknown_foreign_and_malformed(client_a, company_b, make_unit, make_position):
    theirs = make_position(make_unit("Theirs", company=company_b))
    assert_error(client_a.get(f"/positions/{theirs.pk}"), 404, "Position not found")
    assert_error(client_a.get(f"/positions/{uuid.uuid4()}"), 404, "Position not found")
    assert_error(client_a.get("/positions/nope"), 400, "Invalid position id")


def test_put_requires_title_and_unit_and_keeps_omitted_fields(client_a, unit, make_position):
    position = make_position(unit, "Engineer", description="Builds", level=3)
    assert_error(
        client_a.put(f"/positions/{position.pk}", {"title": "Lead"}, format="json"),
        400,
        fields=("organization_unit_id",),
    )
    response = client_a.put(
        f"/positions/{position.pk}", {"title": "Lead", "organization_unit_id": str(unit.pk)}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["description"], body["level"]) == ("Lead", "Builds", 3)


def test_patch_moves_to_another_unit_of_the_company(client_a, unit, make_unit, make_position):
    position = make_position(unit)
    other = make_unit("Research")
    response = client_a.patch(f"/positions/{position.pk}", {"organization_unit_id": str(other.pk)}, format="json")
    assert response.status_code == 200 and response.json()["organization_unit_id"] == str(other.pk)
    position.refresh_from_db()
    assert (position.organization_unit_id, position.title) == (other.pk, "Engineer")


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("which", ["unknown", "foreign"])
def test_update_with_unknown_or_foreign_unit_is_400(client_a, company_b, unit, make_unit, make_position, method, which):
    position = make_position(unit)
    unit_id = uuid.uuid4() if which == "unknown" else make_unit("Theirs", company=company_b).pk
    response = getattr(client_a, method)(
        f"/positions/{position.pk}", {"title": "Moved", "organization_unit_id": str(unit_id)}, format="json"
    )
    assert_error(response, 400, "Validation error", fields=("organization_unit_id",))
    position.refresh_from_db()
    assert (position.organization_unit_id, position.title) == (unit.pk, "Engineer")


def test_delete_nulls_holders_position(client_a, make_holder, unit, make_position):
    position = make_position(unit)
    kept = make_position(unit, "Kept")
    holder = make_holder(position, "holder@acme.test")
    other = make_holder(kept, "other@acme.test")
    response = client_a.delete(f"/positions/{position.pk}")
    assert response.status_code == 204 and response.content == b""
    holder.refresh_from_db()
    other.refresh_from_db()
    assert holder.position_id is None and other.position_id == kept.pk
    assert not Position.objects.filter(pk=position.pk).exists()
    assert_error(client_a.delete(f"/positions/{position.pk}"), 404, "Position not found")


# --- list grammar -------------------------------------------------------------------------------------------


@pytest.fixture
def staffed(unit, make_unit, make_position, company_b):
    other = make_unit("Sales")
    positions = {
        "engineer": make_position(unit, "Engineer", description="Writes code"),
        "architect": make_position(unit, "Architect", description="Draws CODE maps"),
        "seller": make_position(other, "Seller"),
    }
    make_position(make_unit("Theirs", company=company_b), "Engineer")
    return {"unit": unit, "other": other, **positions}


def test_list_only_callers_company_with_every_key(client_a, staffed):
    body = client_a.get("/positions").json()
    assert body["pagination"]["total"] == 3
    assert set(body["data"][0]) == POSITION_KEYS


def test_list_filters_search_sort(client_a, staffed):
    assert _ids(client_a.get("/positions?title=Engineer")) == [str(staffed["engineer"].pk)]
    assert _ids(client_a.get("/positions?title=engineer")) == []
    by_unit = _ids(client_a.get(f"/positions?organization_unit_id={staffed['other'].pk}"))
    assert by_unit == [str(staffed["seller"].pk)]
    assert_error(client_a.get("/positions?organization_unit_id=nope"), 400, fields=("organization_unit_id",))
    assert set(_ids(client_a.get("/positions?search=code"))) == {
        str(staffed["engineer"].pk),
        str(staffed["architect"].pk),
    }
    titles = [row["title"] for row in client_a.get("/positions?sort=title&order=desc").json()["data"]]
    assert titles == ["Seller", "Engineer", "Architect"]


def test_list_and_get_expand_organization_unit(client_a, staffed):
    rows = client_a.get("/positions?expand=organization_unit&sort=title").json()["data"]
    assert rows[0]["organization_unit"] == {
        "id": str(staffed["unit"].pk),
        "name": "Engineering",
        "description": None,
        "level": 0,
        "parent_id": None,
        "path": str(staffed["unit"].pk),
    }
    body = client_a.get(f"/positions/{staffed['seller'].pk}?expand=ORGANIZATION_UNIT").json()
    assert body["organization_unit"]["name"] == "Sales"
    assert "organization_unit" not in client_a.get(f"/positions/{staffed['seller'].pk}").json()


# --- under a unit -------------------------------------------------------------------------------------------


def test_unit_positions_are_its_own_ordered_by_title(client_a, staffed):
    body = client_a.get(f"/organization_units/{staffed['unit'].pk}/positions").json()
    assert [row["title"] for row in body] == ["Architect", "Engineer"]
    assert set(body[0]) == POSITION_KEYS


def test_create_under_unit_ignores_body_unit(client_a, company_b, unit, make_unit):
    theirs = make_unit("Theirs", company=company_b)
    for ignored in (str(theirs.pk), "not-a-uuid", None):
        response = client_a.post(
            f"/organization_units/{unit.pk}/positions",
            {"title": "Analyst", "level": 1, "organization_unit_id": ignored},
            format="json",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) == POSITION_KEYS
        assert body["organization_unit_id"] == str(unit.pk)
    assert Position.objects.filter(organization_unit=unit, title="Analyst").count() == 3
    assert not Position.objects.filter(organization_unit=theirs).exists()


def test_create_under_unit_validates(client_a, unit):
    assert_error(client_a.post(f"/organization_units/{unit.pk}/positions", {}, format="json"), 400, fields=("title",))
    body = assert_error(
        client_a.post(f"/organization_units/{unit.pk}/positions", {"title": "x", "path": "y"}, format="json"), 400
    )
    assert body["errors"]["path"] == ["Unknown field."]
    assert_error(client_a.post(f"/organization_units/{unit.pk}/positions", ["x"], format="json"), 400)


def test_create_under_unknown_or_foreign_unit_is_404(client_a, company_b, make_unit):
    theirs = make_unit("Theirs", company=company_b)
    assert_error(
        client_a.post(f"/organization_units/{theirs.pk}/positions", {"title": "x"}, format="json"),
        404,
        "Organization unit not found",
    )
    assert_error(
        client_a.post(f"/organization_units/{uuid.uuid4()}/positions", {"title": "x"}, format="json"),
        404,
        "Organization unit not found",
    )
    assert not Position.objects.exists()
