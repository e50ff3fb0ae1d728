"""Conditional requests on every resource (docs/behaviour.md §1.5): ETag, If-None-Match → 304, If-Match → 412 with
an atomic check-and-write."""

import re
import threading
import time
import uuid
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.db import connection, connections, transaction
from rest_framework.test import APIClient

from identity.testing.assertions import assert_error
from identity.testing.constants import PASSWORD
from identity.testing.tokens import make_token

pytestmark = pytest.mark.django_db

TAG = re.compile(r'^"[0-9a-f]{32}"$')


@dataclass(frozen=True)
class Resource:
    name: str  # the placeholder of identity.testing.matrix (`directory_a`)
    collection: str
    model: str
    put: dict  # a full body; string values may name placeholders (`{unit}`)
    create: dict
    patch_field: str  # a text field a PATCH can change freely
    delete_status: int = 204
    readable_after_create: bool = True  # a new company is another tenant: its caller cannot read it
    expand: str | None = None

    def __str__(self):
        return self.name

    def url(self, pk) -> str:
        return f"{self.collection}/{pk}"


RESOURCES = [
    Resource(
        "company",
        "/companies",
        "companies.Company",
        put={"name": "Acme Renamed"},
        create={"name": "Initech"},
        patch_field="description",
        delete_status=409,
        readable_after_create=False,
    ),
    Resource(
        "customer",
        "/customers",
        "partners.Customer",
        put={"name": "Client Renamed"},
        create={"name": "New client"},
        patch_field="contact_person",
    ),
    Resource(
        "subcontractor",
        "/subcontractors",
        "partners.Subcontractor",
        put={"name": "Supplier Renamed"},
        create={"name": "New supplier"},
        patch_field="description",
    ),
    Resource(
        "unit",
        "/organization_units",
        "org.OrganizationUnit",
        put={"name": "Head office renamed"},
        create={"name": "Branch", "parent_id": "{unit}"},
        patch_field="description",
        expand="children",
    ),
    Resource(
        "position",
        "/positions",
        "org.Position",
        put={"title": "Lead", "organization_unit_id": "{unit}"},
        create={"title": "Architect", "organization_unit_id": "{unit}"},
        patch_field="description",
        expand="organization_unit",
    ),
    Resource(
        "user",
        "/users",
        "users.User",
        put={"email": "target@acme.test", "first_name": "Renamed"},
        create={"email": "created@acme.test", "password": PASSWORD},
        patch_field="first_name",
        expand="position",
    ),
]
EXPANDABLE = [resource for resource in RESOURCES if resource.expand]


def by_resource(resources=RESOURCES):
    return pytest.mark.parametrize("resource", resources, ids=str)


def filled(body: dict, ids: dict) -> dict:
    return {key: value.format(**ids) if isinstance(value, str) else value for key, value in body.items()}


@pytest.fixture
def ids(directory_a, company_a, make_user):
    """`directory_a`, with the user entry naming another user than the caller (who could not delete itself and
    go on)."""
    return {**directory_a, "user": str(make_user(company_a, "target@acme.test").pk)}


@dataclass
class Target:
    """The object of `resource` a test works on, read and written through `client`."""

    resource: Resource
    client: APIClient
    ids: dict
    pk: str = field(init=False)

    def __post_init__(self):
        self.pk = self.ids[self.resource.name]

    @property
    def url(self) -> str:
        return self.resource.url(self.pk)

    def get(self, **headers):
        return self.client.get(self.url, headers=headers)

    def tag(self) -> str:
        response = self.get()
        assert response.status_code == 200, response.content
        return response["ETag"]

    def patch(self, value: str, **headers):
        return self.client.patch(self.url, {self.resource.patch_field: value}, format="json", headers=headers)

    def put(self, **headers):
        return self.client.put(self.url, filled(self.resource.put, self.ids), format="json", headers=headers)

    def delete(self, **headers):
        return self.client.delete(self.url, headers=headers)

    def write(self, method: str, **headers):
        return {"PUT": self.put, "PATCH": lambda **h: self.patch("changed", **h), "DELETE": self.delete}[method](
            **headers
        )


@pytest.fixture
def target(client_a, ids, resource):
    return Target(resource, client_a, ids)


# --- ETag on every single-object representation -------------------------------------------------------
@by_resource()
def test_by_id_get_carries_a_stable_etag(target):
    first, second = target.get(), target.get()
    assert first.status_code == 200
    assert TAG.match(first["ETag"]), first["ETag"]
    assert second["ETag"] == first["ETag"]
    head = target.client.head(target.url)
    assert head.status_code == 200 and head["ETag"] == first["ETag"]


@by_resource()
def test_patch_answers_a_new_tag_that_a_get_then_reads(target):
    before = target.tag()
    response = target.patch("changed once")
    assert response.status_code == 200, response.content
    assert TAG.match(response["ETag"]) and response["ETag"] != before
    assert target.tag() == response["ETag"]


@by_resource()
def test_put_answers_the_tag_a_get_then_reads(target):
    response = target.put()
    assert response.status_code == 200, response.content
    assert TAG.match(response["ETag"])
    assert target.tag() == response["ETag"]


@by_resource()
def test_create_answers_the_tag_of_the_created_object(client_a, ids, resource):
    response = client_a.post(resource.collection, filled(resource.create, ids), format="json")
    assert response.status_code == 201, response.content
    assert TAG.match(response["ETag"])
    if resource.readable_after_create:
        assert client_a.get(resource.url(response.json()["id"]))["ETag"] == response["ETag"]


def test_a_position_created_under_its_unit_carries_its_tag(client_a, ids):
    response = client_a.post(f"/organization_units/{ids['unit']}/positions", {"title": "Analyst"}, format="json")
    assert response.status_code == 201, response.content
    assert client_a.get(f"/positions/{response.json()['id']}")["ETag"] == response["ETag"]


@by_resource(EXPANDABLE)
def test_expand_changes_the_tag(target):
    plain = target.tag()
    expanded = target.client.get(f"{target.url}?expand={target.resource.expand}")
    assert expanded.status_code == 200 and target.resource.expand in expanded.json()
    assert TAG.match(expanded["ETag"]) and expanded["ETag"] != plain
    again = target.client.get(f"{target.url}?expand={target.resource.expand}", headers={"If-None-Match": plain})
    assert again.status_code == 200 and again["ETag"] == expanded["ETag"]


def test_the_tag_follows_a_change_that_leaves_updated_at_alone(client_a, company_a, ids):
    """A deleted position is cleared from its holders without touching their `updated_at`: a tag derived from
    `updated_at` would not change, the representation's does."""
    users = apps.get_model("users.User")
    users.objects.filter(pk=ids["user"]).update(position_id=ids["position"])
    holder = Target(RESOURCES[-1], client_a, ids)
    before, updated_at = holder.tag(), holder.get().json()["updated_at"]
    assert client_a.delete(f"/positions/{ids['position']}").status_code == 204
    after = holder.get()
    assert after.json()["position_id"] is None and after.json()["updated_at"] == updated_at
    assert after["ETag"] != before


def test_an_expanded_unit_tag_follows_its_children(client_a, ids):
    url = f"/organization_units/{ids['unit']}?expand=children"
    before = client_a.get(url)["ETag"]
    assert (
        client_a.post("/organization_units", {"name": "Child", "parent_id": ids["unit"]}, format="json").status_code
        == 201
    )
    assert client_a.get(url)["ETag"] != before
    assert client_a.get(url, headers={"If-None-Match": before}).status_code == 200


def test_lists_and_sub_collections_carry_no_etag(client_a, ids):
    assert "ETag" not in client_a.get("/customers")
    assert "ETag" not in client_a.get(f"/organization_units/{ids['unit']}/children")


# --- If-None-Match --------------------------------------------------------------------------------------
@by_resource()
def test_if_none_match_with_the_current_tag_is_304_without_body(target):
    tag = target.tag()
    response = target.get(**{"If-None-Match": tag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == tag
    assert response.headers.get("X-Request-ID")


@by_resource()
def test_if_none_match_with_a_stale_tag_is_200_with_the_new_tag(target):
    stale = target.tag()
    assert target.patch("moved on").status_code == 200
    response = target.get(**{"If-None-Match": stale})
    assert response.status_code == 200 and response.json()["id"] == target.pk
    assert response["ETag"] != stale


@pytest.mark.parametrize("resource", RESOURCES[1:2], ids=str)
@pytest.mark.parametrize("header", ["{tag}", "W/{tag}", '"0000", {tag}', "*"])
def test_if_none_match_compares_weakly_and_accepts_lists(target, header):
    tag = target.tag()
    assert target.get(**{"If-None-Match": header.format(tag=tag)}).status_code == 304
    assert target.client.head(target.url, headers={"If-None-Match": header.format(tag=tag)}).status_code == 304


@pytest.mark.parametrize("resource", RESOURCES[1:2], ids=str)
def test_if_none_match_of_a_missing_object_is_404(target):
    assert_error(
        target.client.get(target.resource.url(uuid.uuid4()), headers={"If-None-Match": "*"}), 404, "Customer not found"
    )


# --- If-Match -------------------------------------------------------------------------------------------
@by_resource()
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_if_match_with_a_stale_tag_is_412_and_nothing_is_written(target, method):
    stale = target.tag()
    assert target.patch("someone else's change").status_code == 200
    current = target.tag()
    assert_error(target.write(method, **{"If-Match": stale}), 412, "Precondition failed")
    after = target.get()
    assert after.status_code == 200 and after["ETag"] == current
    assert after.json()[target.resource.patch_field] == "someone else's change"


@by_resource()
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize("header", ["current", "*", "list"])
def test_if_match_with_the_current_tag_or_star_writes(target, method, header):
    current = target.tag()
    value = {"current": current, "*": "*", "list": f'"0000", {current}'}[header]
    response = target.write(method, **{"If-Match": value})
    assert response.status_code == 200, response.content
    assert response["ETag"] != current and target.tag() == response["ETag"]


@by_resource()
@pytest.mark.parametrize("header", ["current", "*"])
def test_delete_with_the_current_tag_or_star_proceeds(target, header):
    value = target.tag() if header == "current" else "*"
    response = target.delete(**{"If-Match": value})
    assert response.status_code == target.resource.delete_status, response.content
    if target.resource.delete_status == 204:
        assert target.get().status_code == 404
    else:  # the company still has users: past the precondition, the delete's own rule answers
        assert_error(response, 409, "Company still has users or organization units")


@by_resource()
def test_without_if_match_a_write_proceeds_as_before(target):
    stale = target.tag()
    assert target.patch("first").status_code == 200
    response = target.patch("second")
    assert response.status_code == 200 and response["ETag"] != stale
    assert response.json()[target.resource.patch_field] == "second"


@by_resource()
def test_the_tag_of_a_write_is_the_next_writes_precondition(target):
    first = target.patch("one", **{"If-Match": target.tag()})
    second = target.patch("two", **{"If-Match": first["ETag"]})
    assert (first.status_code, second.status_code) == (200, 200)
    assert_error(target.patch("three", **{"If-Match": first["ETag"]}), 412, "Precondition failed")
    assert target.get().json()[target.resource.patch_field] == "two"


@by_resource(EXPANDABLE)
def test_if_match_compares_with_the_unexpanded_representation(target):
    expanded = target.client.get(f"{target.url}?expand={target.resource.expand}")["ETag"]
    assert_error(target.patch("changed", **{"If-Match": expanded}), 412, "Precondition failed")
    assert target.patch("changed", **{"If-Match": target.tag()}).status_code == 200


@pytest.mark.parametrize("resource", RESOURCES[1:2], ids=str)
@pytest.mark.parametrize("header", ["W/{tag}", "{bare}", "not a tag"])
def test_if_match_with_a_weak_or_malformed_tag_is_412(target, header):
    tag = target.tag()
    value = header.format(tag=tag, bare=tag.strip('"'))
    assert_error(target.patch("changed", **{"If-Match": value}), 412, "Precondition failed")
    assert target.tag() == tag


@pytest.mark.parametrize("resource", RESOURCES[1:2], ids=str)
def test_a_blank_if_match_is_no_precondition(target):
    assert target.patch("changed", **{"If-Match": " "}).status_code == 200


@by_resource()
def test_if_match_comes_after_the_path_checks_and_before_the_body(target, ids, directory_b):
    stale = target.tag()
    assert target.patch("moved on").status_code == 200
    resource, client = target.resource, target.client
    header = {"If-Match": stale}
    entity = {"company": "Company", "unit": "Organization unit"}.get(resource.name, resource.name.capitalize())
    for pk in (uuid.uuid4(), directory_b[resource.name]):
        assert_error(client.patch(resource.url(pk), {}, format="json", headers=header), 404, f"{entity} not found")
    malformed = client.patch(resource.url("not-a-uuid"), {}, format="json", headers=header)
    assert malformed.status_code == 400
    assert_error(client.patch(target.url, {"unknown": 1}, format="json", headers=header), 412, "Precondition failed")
    assert_error(
        client.patch(target.url, b"{not json", content_type="application/json", headers=header),
        412,
        "Precondition failed",
    )
    assert_error(
        client.patch(target.url, {"unknown": 1}, format="json", headers={"If-Match": target.tag()}),
        400,
        "Validation error",
        fields=("unknown",),
    )


def test_conditional_writes_that_take_the_tree_lock_themselves_succeed(client_a, ids):
    """Moves and position placements lock the company inside the write's transaction, which already holds it."""
    branch = client_a.post("/organization_units", {"name": "Branch"}, format="json").json()
    writes = [
        (f"/organization_units/{branch['id']}", {"parent_id": ids["unit"]}),
        (f"/positions/{ids['position']}", {"organization_unit_id": branch["id"]}),
        (f"/users/{ids['user']}", {"position_id": ids["position"]}),
    ]
    for url, body in writes:
        response = client_a.patch(url, body, format="json", headers={"If-Match": client_a.get(url)["ETag"]})
        assert response.status_code == 200, (url, response.content)
        assert all(response.json()[key] == value for key, value in body.items())
    assert (
        client_a.delete(
            f"/organization_units/{branch['id']}",
            headers={"If-Match": client_a.get(f"/organization_units/{branch['id']}")["ETag"]},
        ).status_code
        == 204
    )


@pytest.mark.parametrize("resource", RESOURCES[1:2], ids=str)
def test_a_by_id_get_costs_no_query_for_its_tag(target, django_assert_num_queries):
    tag = target.tag()
    with django_assert_num_queries(2):  # the caller, the object
        assert target.get().status_code == 200
    with django_assert_num_queries(2):
        assert target.get(**{"If-None-Match": tag}).status_code == 304


# --- the check and the write are atomic (PostgreSQL row locks) ----------------------------------------------
class Writer(threading.Thread):
    """A request sent from a thread of its own (its own database connection); `status` once it has answered."""

    def __init__(self, token: str, method: str, url: str, body: dict, **headers):
        super().__init__()
        self.request = (method.lower(), url, body, headers)
        self.token, self.pid, self.status, self.error = token, None, None, None

    def run(self):
        method, url, body, headers = self.request
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
            self.status = getattr(_client(self.token), method)(url, body, format="json", headers=headers).status_code
        except Exception as error:  # surfaced by the assertions
            self.error = error
        finally:
            connections.close_all()


def _start_waiting(*writers):
    """Starts each writer in turn and returns once it waits for a lock, so that they queue in this order."""
    for writer in writers:
        writer.start()
        deadline = time.monotonic() + 4
        while not (writer.pid and _waiting(writer.pid)) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert writer.pid and _waiting(writer.pid), "the writer waits for the lock the test holds"


def _waiting(pid) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT FROM pg_locks WHERE pid = %s AND NOT granted)", [pid])
        return cursor.fetchone()[0]


def _finish(*writers) -> list[int]:
    for writer in writers:
        writer.join(timeout=30)
    assert not [writer.error for writer in writers if writer.error]
    return [writer.status for writer in writers]


def _client(token: str) -> APIClient:
    client = APIClient()
    client.cookies["access_token"] = token
    return client


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@by_resource()
def test_of_two_writers_holding_the_same_tag_one_gets_412(
    postgres_only, resource, company_a, user_a, directory_a, make_user
):
    """Both writers send their PATCH while the test holds the object's row: without a lock around check and write
    both would have checked the tag already, and both would write once the row is free."""
    ids = {**directory_a, "user": str(make_user(company_a, "target@acme.test").pk)}
    token, url = make_token(user_a), resource.url(ids[resource.name])
    tag = _client(token).get(url)["ETag"]
    writers = [
        Writer(token, "PATCH", url, {resource.patch_field: f"writer-{index}"}, **{"If-Match": tag})
        for index in range(2)
    ]
    with transaction.atomic():
        apps.get_model(resource.model).objects.select_for_update().get(pk=ids[resource.name])
        _start_waiting(*writers)

    statuses = _finish(*writers)
    assert sorted(statuses) == [200, 412], statuses
    winner = f"writer-{statuses.index(200)}"
    assert _client(token).get(url).json()[resource.patch_field] == winner


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_conditional_write_queues_behind_a_tree_move_without_deadlock(postgres_only, company_a, user_a):
    """A move of a parent (company lock, then its subtree's rows) queued before a conditional move of its child:
    the conditional write takes the company lock before the child's row, as the services do, so it waits instead
    of holding the child against the move. It then finds the child's path changed: 412."""
    from org import services

    root = services.org_unit_create(company_id=company_a.pk, data={"name": "Root"})
    parent = services.org_unit_create(company_id=company_a.pk, data={"name": "Parent"})
    child = services.org_unit_create(company_id=company_a.pk, data={"name": "Child", "parent_id": parent.pk})
    token = make_token(user_a)
    tag = _client(token).get(f"/organization_units/{child.pk}")["ETag"]
    move_parent = Writer(token, "PATCH", f"/organization_units/{parent.pk}", {"parent_id": str(root.pk)})
    move_child = Writer(
        token, "PATCH", f"/organization_units/{child.pk}", {"parent_id": str(root.pk)}, **{"If-Match": tag}
    )
    with transaction.atomic():
        apps.get_model("companies.Company").objects.select_for_update().get(pk=company_a.pk)
        _start_waiting(move_parent, move_child)

    assert _finish(move_parent, move_child) == [200, 412]
    moved = _client(token).get(f"/organization_units/{child.pk}").json()
    assert moved["path"] == f"{root.pk}/{parent.pk}/{child.pk}" and moved["parent_id"] == str(parent.pk)


# --- the schema -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return APIClient().get("/openapi.json").json()


@by_resource()
def test_schema_documents_etag_304_and_412(schema, resource):
    collection = schema["paths"][resource.collection]
    [by_id] = [
        operations
        for path, operations in schema["paths"].items()
        if re.fullmatch(re.escape(resource.collection) + r"/\{\w+\}", path)
    ]
    assert "ETag" in collection["post"]["responses"]["201"]["headers"]
    assert "ETag" not in collection["get"]["responses"]["200"].get("headers", {})
    read = by_id["get"]
    assert "ETag" in read["responses"]["200"]["headers"]
    assert "304" in read["responses"] and "content" not in read["responses"]["304"]
    assert {"name": "If-None-Match", "in": "header"}.items() <= _header(read, "If-None-Match").items()
    for method in ("put", "patch", "delete"):
        operation = by_id[method]
        assert operation["responses"]["412"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
        assert _header(operation, "If-Match")["in"] == "header"
        assert "304" not in operation["responses"]
    for method in ("put", "patch"):
        assert "ETag" in by_id[method]["responses"]["200"]["headers"]


def test_schema_documents_the_etag_of_a_position_created_under_its_unit(schema):
    operations = schema["paths"]["/organization_units/{unit_id}/positions"]
    assert "ETag" in operations["post"]["responses"]["201"]["headers"]
    assert "ETag" not in operations["get"]["responses"]["200"].get("headers", {})


def _header(operation, name) -> dict:
    [parameter] = [p for p in operation.get("parameters", []) if p["name"] == name]
    return parameter
