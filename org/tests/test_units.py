"""Organization units over HTTP (docs/behaviour.md §5, §6.4): representation, validation, list grammar, expand."""

import uuid

import pytest

from identity.testing.assertions import assert_error
from identity.testing.constants import UNKNOWN_ID
from org.models import OrganizationUnit

pytestmark = pytest.mark.django_db

UNIT_KEYS = {"id", "name", "description", "parent_id", "path", "level", "company_id", "created_at", "updated_at"}
SUMMARY_KEYS = {"id", "name", "description", "level", "parent_id", "path"}
POSITION_SUMMARY_KEYS = {"id", "title", "description", "level", "organization_unit_id"}


def _ids(response):
    return [row["id"] for row in response.json()["data"]]


def test_create_returns_201_with_every_key(client_a, company_a):
    response = client_a.post("/organization_units", {"name": "Sales", "description": "Sells"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == UNIT_KEYS
    assert (body["name"], body["description"], body["company_id"]) == ("Sales", "Sells", str(company_a.pk))
    assert body["created_at"].endswith("Z")
    unit = OrganizationUnit.objects.get(pk=body["id"])
    assert unit.company_id == company_a.pk


def test_get_by_id(client_a, make_unit):
    unit = make_unit("Ops", description=None)
    body = client_a.get(f"/organization_units/{unit.pk}").json()
    assert set(body) == UNIT_KEYS
    assert body["description"] is None and body["id"] == str(unit.pk)


def test_unknown_and_malformed_ids(client_a):
    assert_error(client_a.get(f"/organization_units/{uuid.uuid4()}"), 404, "Organization unit not found")
    assert_error(client_a.get("/organization_units/not-a-uuid"), 400, "Invalid unit id")
    assert_error(client_a.patch("/organization_units/not-a-uuid", {"name": "x"}, format="json"), 400, "Invalid unit id")


def test_other_company_unit_is_404_and_untouched(client_a, company_b, make_unit):
    theirs = make_unit("Theirs", company=company_b)
    assert_error(client_a.get(f"/organization_units/{theirs.pk}"), 404, "Organization unit not found")
    assert_error(client_a.patch(f"/organization_units/{theirs.pk}", {"name": "Mine"}, format="json"), 404)
    assert OrganizationUnit.objects.get(pk=theirs.pk).name == "Theirs"


def test_trailing_slash_is_accepted(client_a, make_unit):
    unit = make_unit("Ops")
    assert client_a.get("/organization_units/").status_code == 200
    assert client_a.get(f"/organization_units/{unit.pk}/").status_code == 200
    assert client_a.get(f"/organization_units/{unit.pk}/children/").status_code == 200


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "description": "d" * 256}, "description"),
        ({"name": "ok", "parent_id": "nope"}, "parent_id"),
        ({"name": "ok", "colour": "red"}, "colour"),
        ({"name": "ok", "id": UNKNOWN_ID}, "id"),
        ({"name": "ok", "path": "a/b"}, "path"),
        ({"name": "ok", "level": 3}, "level"),
        ({"name": "ok", "created_at": "2026-01-01T00:00:00Z"}, "created_at"),
        ({"name": "ok", "children": []}, "children"),
    ],
)
def test_create_validation(client_a, body, field):
    assert_error(client_a.post("/organization_units", body, format="json"), 400, "Validation error", fields=(field,))
    assert not OrganizationUnit.objects.exists()


@pytest.mark.parametrize("field", ["path", "level", "id", "updated_at", "colour"])
def test_read_only_and_unknown_fields_are_unknown(client_a, make_unit, field):
    unit = make_unit("Ops")
    body = assert_error(client_a.patch(f"/organization_units/{unit.pk}", {field: "1"}, format="json"), 400)
    assert body["errors"][field] == ["Unknown field."]


def test_limits_are_inclusive(client_a):
    response = client_a.post("/organization_units", {"name": "n" * 100, "description": "d" * 255}, format="json")
    assert response.status_code == 201


def test_company_id_tolerated_only_when_callers(client_a, company_a, company_b):
    ok = client_a.post("/organization_units", {"name": "Ops", "company_id": str(company_a.pk)}, format="json")
    assert ok.status_code == 201 and ok.json()["company_id"] == str(company_a.pk)
    assert_error(
        client_a.post("/organization_units", {"name": "Ops", "company_id": str(company_b.pk)}, format="json"),
        400,
        fields=("company_id",),
    )
    assert not OrganizationUnit.objects.filter(company=company_b).exists()


def test_put_requires_name_and_keeps_omitted_fields(client_a, make_unit):
    root = make_unit("Root")
    unit = make_unit("Ops", parent=root, description="Operations")
    assert_error(
        client_a.put(f"/organization_units/{unit.pk}", {"description": "x"}, format="json"), 400, fields=("name",)
    )
    response = client_a.put(f"/organization_units/{unit.pk}", {"name": "Operations"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["description"], body["parent_id"]) == ("Operations", "Operations", str(root.pk))


def test_patch_changes_only_named_fields(client_a, make_unit):
    root = make_unit("Root")
    unit = make_unit("Ops", parent=root, description="Operations")
    response = client_a.patch(f"/organization_units/{unit.pk}", {"description": None}, format="json")
    assert response.status_code == 200
    unit.refresh_from_db()
    assert (unit.name, unit.description, unit.parent_id) == ("Ops", None, root.pk)


def test_body_not_an_object_is_400(client_a):
    assert_error(client_a.post("/organization_units", ["name"], format="json"), 400)


def test_delete_is_204_then_404(client_a, make_unit):
    unit = make_unit("Ops")
    response = client_a.delete(f"/organization_units/{unit.pk}")
    assert response.status_code == 204 and response.content == b""
    assert_error(client_a.delete(f"/organization_units/{unit.pk}"), 404, "Organization unit not found")


# --- list grammar -------------------------------------------------------------------------------------------


@pytest.fixture
def forest(make_unit, company_b):
    """Two roots (one with children), plus a unit of company B that must never show up."""
    north = make_unit("North", description="Northern region")
    south = make_unit("South", description="Southern 100%_ region")
    paris = make_unit("Paris", parent=north)
    lille = make_unit("Lille", parent=north, description="north office")
    make_unit("North", company=company_b)
    return {"north": north, "south": south, "paris": paris, "lille": lille}


def test_list_shows_only_the_callers_company(client_a, forest):
    body = client_a.get("/organization_units").json()
    assert body["pagination"]["total"] == 4
    assert set(_ids_of(body)) == {str(unit.pk) for unit in forest.values()}
    assert set(body["data"][0]) == UNIT_KEYS


def _ids_of(body):
    return [row["id"] for row in body["data"]]


def test_list_filters(client_a, forest):
    assert _ids(client_a.get("/organization_units?name=North")) == [str(forest["north"].pk)]
    assert _ids(client_a.get("/organization_units?name=north")) == []
    assert set(_ids(client_a.get(f"/organization_units?parent_id={forest['north'].pk}"))) == {
        str(forest["paris"].pk),
        str(forest["lille"].pk),
    }
    assert set(_ids(client_a.get("/organization_units?parent_id=null"))) == {
        str(forest["north"].pk),
        str(forest["south"].pk),
    }
    assert set(_ids(client_a.get("/organization_units?level=1"))) == {str(forest["paris"].pk), str(forest["lille"].pk)}
    assert len(_ids(client_a.get("/organization_units?level=&parent_id=&name="))) == 4


@pytest.mark.parametrize("param", ["parent_id=nope", "level=one"])
def test_list_unparseable_filter_is_400(client_a, forest, param):
    name = param.split("=")[0]
    assert_error(client_a.get(f"/organization_units?{param}"), 400, fields=(name,))


def test_list_search_over_name_and_description(client_a, forest):
    assert set(_ids(client_a.get("/organization_units?search=NORTH"))) == {
        str(forest["north"].pk),
        str(forest["lille"].pk),
    }
    assert _ids(client_a.get("/organization_units?search=100%25_")) == [str(forest["south"].pk)]
    assert _ids(client_a.get("/organization_units?search=zzz")) == []


def test_list_sort_and_order(client_a, forest):
    by_name = [row["name"] for row in client_a.get("/organization_units?sort=name").json()["data"]]
    assert by_name == ["Lille", "North", "Paris", "South"]
    by_name_desc = [row["name"] for row in client_a.get("/organization_units?sort=name&order=DESC").json()["data"]]
    assert by_name_desc == by_name[::-1]
    by_level = [row["level"] for row in client_a.get("/organization_units?sort=level&order=desc").json()["data"]]
    assert by_level == [1, 1, 0, 0]
    created = _ids(client_a.get("/organization_units?sort=bogus"))
    assert created == [str(forest[key].pk) for key in ("north", "south", "paris", "lille")]


def test_list_id_in_and_pagination(client_a, forest):
    wanted = f"{forest['paris'].pk}, {forest['south'].pk}"
    assert set(_ids(client_a.get(f"/organization_units?id__in={wanted}"))) == {
        str(forest["paris"].pk),
        str(forest["south"].pk),
    }
    body = client_a.get("/organization_units?limit=3&page=2").json()
    assert len(body["data"]) == 1
    assert body["pagination"] == {"page": 2, "limit": 3, "total": 4, "pages": 2, "has_next": False, "has_prev": True}


def test_list_expand_parent_children_positions(client_a, forest, make_position):
    make_position(forest["north"], "Manager")
    make_position(forest["north"], "Assistant")
    body = client_a.get("/organization_units?expand=Parent, children ,positions,bogus&sort=name").json()
    rows = {row["name"]: row for row in body["data"]}
    north = rows["North"]
    assert set(north) == UNIT_KEYS | {"parent", "children", "positions"}
    assert north["parent"] is None
    assert [child["name"] for child in north["children"]] == ["Lille", "Paris"]
    assert set(north["children"][0]) == SUMMARY_KEYS
    assert [position["title"] for position in north["positions"]] == ["Assistant", "Manager"]
    assert set(north["positions"][0]) == POSITION_SUMMARY_KEYS
    paris = rows["Paris"]
    assert paris["parent"] == {
        "id": str(forest["north"].pk),
        "name": "North",
        "description": "Northern region",
        "level": 0,
        "parent_id": None,
        "path": str(forest["north"].pk),
    }
    assert paris["children"] == [] and paris["positions"] == []


def test_expand_children_ties_broken_by_id(client_a, make_unit):
    root = make_unit("Root")
    twins = sorted([make_unit("Twin", parent=root) for _ in range(3)], key=lambda unit: str(unit.pk))
    body = client_a.get(f"/organization_units/{root.pk}?expand=children").json()
    assert [child["id"] for child in body["children"]] == [str(twin.pk) for twin in twins]


def test_expand_on_get_by_id(client_a, forest):
    body = client_a.get(f"/organization_units/{forest['lille'].pk}?expand=parent").json()
    assert set(body) == UNIT_KEYS | {"parent"}
    assert body["parent"]["id"] == str(forest["north"].pk)


def test_expand_is_ignored_on_writes_and_absent_without_asking(client_a, forest):
    response = client_a.patch(
        f"/organization_units/{forest['lille'].pk}?expand=parent", {"name": "Lille 2"}, format="json"
    )
    assert set(response.json()) == UNIT_KEYS
    assert set(client_a.get(f"/organization_units/{forest['lille'].pk}").json()) == UNIT_KEYS


def test_children_array_ignores_expand(client_a, forest):
    body = client_a.get(f"/organization_units/{forest['north'].pk}/children?expand=parent,children").json()
    assert isinstance(body, list) and {tuple(sorted(row)) for row in body} == {tuple(sorted(UNIT_KEYS))}


@pytest.mark.parametrize("value", ["-1", "99999999999"])
def test_list_level_out_of_range_is_an_empty_page(client_a, forest, value):
    response = client_a.get(f"/organization_units?level={value}")
    assert response.status_code == 200 and response.json()["data"] == []


def test_datetimes_render_as_drf_does(client_a, make_unit):
    from rest_framework.fields import DateTimeField

    unit = make_unit("Ops")
    unit.refresh_from_db()
    body = client_a.get(f"/organization_units/{unit.pk}").json()
    rendered = DateTimeField()
    assert body["created_at"] == rendered.to_representation(unit.created_at)
    assert body["updated_at"] == rendered.to_representation(unit.updated_at)
    assert body["created_at"].endswith("Z")


def test_summary_serializers_keep_their_declared_shapes(make_unit, make_position):
    from org.api.serializers import PositionSummarySerializer, UnitSummarySerializer

    unit = make_unit("Ops")
    position = make_position(unit)
    assert list(UnitSummarySerializer(unit).data) == UnitSummarySerializer.Meta.fields
    assert list(PositionSummarySerializer(position).data) == PositionSummarySerializer.Meta.fields
    assert UnitSummarySerializer(unit).data["parent_id"] is None
    assert PositionSummarySerializer(position).data["organization_unit_id"] == str(unit.pk)
