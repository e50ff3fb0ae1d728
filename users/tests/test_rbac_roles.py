"""`/users/{user_id}/roles` and `/users/{user_id}/roles/{user_role_id}`: views onto Guardian's assignments
(docs/behaviour.md §9)."""

import uuid

import pytest

from identity.testing.assertions import assert_error
from identity.testing.constants import ASSIGNMENT_ID, OTHER_USERS_ASSIGNMENT_ID, SECOND_ASSIGNMENT_ID
from identity.testing.fakeserver import within_deadline

pytestmark = pytest.mark.django_db


def role(role_id: str, company_id=None, name: str = "Viewer") -> dict:
    return {
        "id": role_id,
        "name": name,
        "description": f"{name} role",
        "company_id": company_id,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-02T00:00:00Z",
    }


def assign(guardian, assignment_id: str, user, role_id: str) -> dict:
    assignment = {
        "id": assignment_id,
        "user_id": str(user.pk),
        "role_id": role_id,
        "company_id": None,
        "created_at": "2026-03-04T05:06:07Z",
        "updated_at": None,
    }
    guardian.user_roles[assignment_id] = assignment
    return assignment


def roles_url(user, suffix: str = "") -> str:
    return f"/users/{user.pk}/roles{suffix}"


# --- GET /users/{user_id}/roles ----------------------------------------------------------------------------------
def test_roles_list_gives_each_assignment_with_guardian_role(client_a, guardian, user_a):
    guardian.roles["r1"] = role("r1", name="Viewer")
    guardian.roles["r2"] = role("r2", str(user_a.company_id), name="Editor")
    assign(guardian, ASSIGNMENT_ID, user_a, "r1")
    assign(guardian, SECOND_ASSIGNMENT_ID, user_a, "r2")

    response = client_a.get(roles_url(user_a))

    assert response.status_code == 200, response.content
    assert response.json() == {
        "roles": [
            {
                "id": ASSIGNMENT_ID,
                "user_id": str(user_a.pk),
                "role_id": "r1",
                "role": guardian.roles["r1"],
                "created_at": "2026-03-04T05:06:07Z",
            },
            {
                "id": SECOND_ASSIGNMENT_ID,
                "user_id": str(user_a.pk),
                "role_id": "r2",
                "role": guardian.roles["r2"],
                "created_at": "2026-03-04T05:06:07Z",
            },
        ]
    }


def test_roles_list_unknown_role_becomes_placeholder(client_a, guardian, user_a):
    assign(guardian, ASSIGNMENT_ID, user_a, "gone")

    response = client_a.get(roles_url(user_a))

    assert response.status_code == 200
    assert response.json()["roles"][0]["role"] == {
        "id": "gone",
        "name": "Unknown Role (gone)",
        "description": "Role not found in Guardian",
        "company_id": None,
    }


@pytest.mark.parametrize("wrapped", [True, False], ids=["wrapped", "list"])
def test_roles_list_accepts_list_or_wrapped_reply(client_a, guardian, user_a, wrapped):
    guardian.wrap["roles"] = wrapped
    guardian.roles["r1"] = role("r1")
    assign(guardian, ASSIGNMENT_ID, user_a, "r1")

    response = client_a.get(roles_url(user_a))

    assert [item["id"] for item in response.json()["roles"]] == [ASSIGNMENT_ID]


def test_roles_list_reads_each_role_once_and_forwards_the_cookie(client_a, guardian, user_a):
    guardian.roles["r1"] = role("r1")
    assign(guardian, ASSIGNMENT_ID, user_a, "r1")
    assign(guardian, SECOND_ASSIGNMENT_ID, user_a, "r1")  # Guardian holding the same role twice

    response = client_a.get(roles_url(user_a))

    assert [item["role"]["id"] for item in response.json()["roles"]] == ["r1", "r1"]
    lookups = guardian.lookups()
    assert [(call.method, call.path) for call in lookups] == [("GET", "/user-roles"), ("GET", "/roles/r1")]
    assert lookups[0].query == {"user_id": str(user_a.pk)}
    assert all(call.cookie_token == client_a.raw_token for call in lookups)


def test_roles_list_drops_assignments_of_other_users(client_a, guardian, user_a):
    guardian.roles["r1"] = role("r1")
    guardian.answers[("GET", "/user-roles")] = (
        200,
        {
            "roles": [
                {"id": ASSIGNMENT_ID, "user_id": str(user_a.pk).upper(), "role_id": "r1"},
                {"id": OTHER_USERS_ASSIGNMENT_ID, "user_id": str(uuid.uuid4()), "role_id": "r1"},
            ]
        },
    )

    response = client_a.get(roles_url(user_a))

    assert [item["id"] for item in response.json()["roles"]] == [ASSIGNMENT_ID]
    assert response.json()["roles"][0]["created_at"] is None


def test_roles_list_of_user_without_roles_is_empty(client_a, guardian, user_a, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = client_a.get(roles_url(user_a) + "/")
    assert response.status_code == 200
    assert response.json() == {"roles": []}


def test_roles_list_of_another_user_of_the_company(client_a, guardian, company_a, make_user):
    colleague = make_user(company_a, "gamma@acme.test")
    guardian.roles["r1"] = role("r1")
    assign(guardian, ASSIGNMENT_ID, colleague, "r1")

    response = client_a.get(roles_url(colleague))

    assert [item["user_id"] for item in response.json()["roles"]] == [str(colleague.pk)]


@pytest.mark.parametrize("mode", ["fail", "drop", "invalid_json", "hang"])
def test_roles_list_guardian_failure_is_503(client_a, guardian, user_a, settings, mode):
    settings.GUARDIAN_SERVICE_TIMEOUT = 0.2
    guardian.hang_seconds = 0.5
    guardian.upstream_mode = mode

    assert_error(client_a.get(roles_url(user_a)), 503, "Authorization service unavailable")


@pytest.mark.parametrize(
    "answer", [(500, {"error": "boom"}), (200, "not json"), (200, ["not", "an", "object"]), (400, {"error": "bad"})]
)
def test_roles_list_role_lookup_failure_is_503(client_a, guardian, user_a, answer):
    assign(guardian, ASSIGNMENT_ID, user_a, "r1")
    guardian.answers[("GET", "/roles/r1")] = answer

    assert_error(client_a.get(roles_url(user_a)), 503, "Authorization service unavailable")


@pytest.mark.parametrize("reply", [{"items": []}, {"roles": "r1"}, [1, 2], "text"])
def test_roles_list_unreadable_assignment_list_is_503(client_a, guardian, user_a, reply):
    guardian.answers[("GET", "/user-roles")] = (200, reply)

    assert_error(client_a.get(roles_url(user_a)), 503, "Authorization service unavailable")


def test_roles_list_guardian_refusing_the_cookie_is_403(client_a, guardian, user_a):
    guardian.answers[("GET", "/user-roles")] = (403, {"reason": "Token rejected"})

    body = assert_error(client_a.get(roles_url(user_a)), 403, "Access denied")
    assert body["reason"] == "Token rejected"


def test_roles_list_with_guardian_disabled_is_empty(client_a, guardian, user_a, settings):
    settings.USE_GUARDIAN_SERVICE = False
    assign(guardian, ASSIGNMENT_ID, user_a, "r1")

    response = client_a.get(roles_url(user_a))

    assert response.status_code == 200
    assert response.json() == {"roles": []}
    assert guardian.calls == []


@pytest.mark.parametrize("path", ["/roles", f"/roles/{ASSIGNMENT_ID}", "/policies", "/permissions"])
def test_rbac_paths_with_guardian_disabled_still_need_a_user_of_the_company(client_a, settings, user_b, path):
    settings.USE_GUARDIAN_SERVICE = False
    assert_error(client_a.get(f"/users/{user_b.pk}{path}"), 404, "User not found")
    assert_error(client_a.get(f"/users/{uuid.uuid4()}{path}"), 404, "User not found")


@pytest.mark.parametrize("path", ["/roles", f"/roles/{ASSIGNMENT_ID}", "/policies", "/permissions"])
def test_rbac_paths_with_malformed_user_id_are_400(client_a, guardian, path):
    assert_error(client_a.get(f"/users/not-a-uuid{path}"), 400, "Invalid user id")
    assert guardian.lookups() == []


def test_roles_wrong_method_is_405(client_a, user_a):
    assert_error(client_a.put(roles_url(user_a), {}), 405)
    assert_error(client_a.post(roles_url(user_a, f"/{ASSIGNMENT_ID}"), {}), 405)


# --- POST /users/{user_id}/roles ---------------------------------------------------------------------------------
def test_assign_role_returns_guardian_assignment(client_a, guardian, user_a):
    guardian.roles["r1"] = role("r1", str(user_a.company_id))

    response = client_a.post(roles_url(user_a), {"role_id": "r1"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body == guardian.user_roles[body["id"]]
    assert body["user_id"] == str(user_a.pk) and body["role_id"] == "r1"
    lookups = guardian.lookups()
    assert [(call.method, call.path) for call in lookups] == [("GET", "/roles/r1"), ("POST", "/user-roles")]
    assert lookups[1].json() == {"user_id": str(user_a.pk), "role_id": "r1"}
    assert all(call.cookie_token == client_a.raw_token for call in lookups)


def test_assign_role_accepts_legacy_key_role(client_a, guardian, user_a):
    guardian.roles["r1"] = role("r1")

    response = client_a.post(roles_url(user_a), {"role": "r1"})

    assert response.status_code == 201
    assert response.json()["role_id"] == "r1"


def test_assign_role_accepts_company_id_in_another_spelling(client_a, guardian, user_a):
    guardian.roles["r1"] = role("r1", str(user_a.company_id).upper())

    assert client_a.post(roles_url(user_a), {"role_id": "r1"}).status_code == 201


@pytest.mark.parametrize("body", [{}, {"role_id": ""}, {"role_id": "  "}, {"role_id": None}, {"role": ""}])
def test_assign_role_without_role_id_is_400(client_a, guardian, user_a, body):
    assert_error(client_a.post(roles_url(user_a), body), 400, "Role ID field is required")
    assert guardian.lookups() == []


def test_assign_role_with_unknown_field_is_400(client_a, guardian, user_a):
    guardian.roles["r1"] = role("r1")
    assert_error(
        client_a.post(roles_url(user_a), {"role_id": "r1", "scope": "all"}), 400, "Validation error", fields=("scope",)
    )
    assert guardian.lookups() == []


@pytest.mark.parametrize("body", [["r1"], "r1", {"role_id": {"id": "r1"}}])
def test_assign_role_with_malformed_body_is_400(client_a, guardian, user_a, body):
    assert_error(client_a.post(roles_url(user_a), body, format="json"), 400)
    assert guardian.lookups() == []


def test_assign_role_already_assigned_is_409(client_a, guardian, user_a):
    guardian.roles["r1"] = role("r1")
    assign(guardian, ASSIGNMENT_ID, user_a, "r1")

    assert_error(client_a.post(roles_url(user_a), {"role_id": "r1"}), 409, "Role 'r1' already assigned to user")


def test_assign_role_unknown_to_guardian_is_400(client_a, guardian, user_a):
    assert_error(client_a.post(roles_url(user_a), {"role_id": "nope"}), 400, "Invalid role or request data")
    assert [call.method for call in guardian.lookups()] == ["GET"]


def test_assign_role_of_another_company_is_400(client_a, guardian, user_a, company_b):
    guardian.roles["r1"] = role("r1", str(company_b.pk))

    assert_error(client_a.post(roles_url(user_a), {"role_id": "r1"}), 400, "Invalid role or request data")
    assert [call.method for call in guardian.lookups()] == ["GET"]
    assert guardian.user_roles == {}


@pytest.mark.parametrize("call", [("GET", "/roles/r1"), ("POST", "/user-roles")])
def test_assign_role_guardian_400_is_400(client_a, guardian, user_a, call):
    guardian.roles["r1"] = role("r1")
    guardian.answers[call] = (400, {"error": "Invalid role"})

    assert_error(client_a.post(roles_url(user_a), {"role_id": "r1"}), 400, "Invalid role or request data")


def test_assign_role_with_unusable_id_is_400_without_guardian_call(client_a, guardian, user_a):
    assert_error(client_a.post(roles_url(user_a), {"role_id": ".."}), 400, "Invalid role or request data")
    assert guardian.lookups() == []


@pytest.mark.parametrize("call", [("GET", "/roles/r1"), ("POST", "/user-roles")])
def test_assign_role_guardian_5xx_is_503(client_a, guardian, user_a, call):
    guardian.roles["r1"] = role("r1")
    guardian.answers[call] = (502, {"error": "bad gateway"})

    assert_error(client_a.post(roles_url(user_a), {"role_id": "r1"}), 503, "Authorization service unavailable")


def test_assign_role_with_guardian_disabled_is_503(client_a, guardian, user_a, settings):
    settings.USE_GUARDIAN_SERVICE = False

    assert_error(client_a.post(roles_url(user_a), {"role_id": "r1"}), 503, "Guardian Service is disabled")
    assert_error(client_a.post(roles_url(user_a), {}), 400, "Role ID field is required")
    assert guardian.calls == []


# --- GET /users/{user_id}/roles/{user_role_id} -------------------------------------------------------------------
def test_get_user_role_returns_guardian_assignment(client_a, guardian, user_a):
    assignment = assign(guardian, ASSIGNMENT_ID, user_a, "r1")

    response = client_a.get(roles_url(user_a, f"/{ASSIGNMENT_ID}"))

    assert response.status_code == 200
    assert response.json() == assignment


def test_get_user_role_unknown_is_404(client_a, guardian, user_a):
    assert_error(client_a.get(roles_url(user_a, f"/{uuid.uuid4()}")), 404, "User role not found")


@pytest.mark.parametrize("user_role_id", ["missing", "not-a-uuid", ".."])
@pytest.mark.parametrize("method", ["get", "delete"])
def test_user_role_with_malformed_id_is_400_before_any_lookup(client_a, guardian, user_a, user_role_id, method):
    response = getattr(client_a, method)(roles_url(user_a, f"/{user_role_id}"))
    assert_error(response, 400, "Invalid user role id")
    assert guardian.lookups() == []


def test_get_user_role_of_another_user_is_404(client_a, guardian, user_a, company_a, make_user):
    colleague = make_user(company_a, "gamma@acme.test")
    assign(guardian, ASSIGNMENT_ID, colleague, "r1")

    assert_error(client_a.get(roles_url(user_a, f"/{ASSIGNMENT_ID}")), 404, "User role not found")
    assert client_a.get(roles_url(colleague, f"/{ASSIGNMENT_ID}")).status_code == 200


def test_get_user_role_guardian_failure_is_503(client_a, guardian, user_a):
    guardian.upstream_mode = "fail"
    assert_error(client_a.get(roles_url(user_a, f"/{ASSIGNMENT_ID}")), 503, "Authorization service unavailable")


def test_get_user_role_with_guardian_disabled_is_503(client_a, guardian, user_a, settings):
    settings.USE_GUARDIAN_SERVICE = False
    assert_error(client_a.get(roles_url(user_a, f"/{ASSIGNMENT_ID}")), 503, "Guardian Service is disabled")


# --- DELETE /users/{user_id}/roles/{user_role_id} ----------------------------------------------------------------
def test_delete_user_role_removes_the_assignment(client_a, guardian, user_a):
    assign(guardian, ASSIGNMENT_ID, user_a, "r1")

    response = client_a.delete(roles_url(user_a, f"/{ASSIGNMENT_ID}"))

    assert response.status_code == 204
    assert guardian.user_roles == {}
    assert [(call.method, call.path) for call in guardian.lookups()] == [
        ("GET", f"/user-roles/{ASSIGNMENT_ID}"),
        ("DELETE", f"/user-roles/{ASSIGNMENT_ID}"),
    ]
    assert all(call.cookie_token == client_a.raw_token for call in guardian.lookups())


def test_delete_user_role_guardian_answering_200_is_204(client_a, guardian, user_a):
    assign(guardian, ASSIGNMENT_ID, user_a, "r1")
    guardian.answers[("DELETE", f"/user-roles/{ASSIGNMENT_ID}")] = (200, {"message": "deleted"})

    assert client_a.delete(roles_url(user_a, f"/{ASSIGNMENT_ID}")).status_code == 204


def test_delete_user_role_unknown_is_404(client_a, guardian, user_a):
    assert_error(client_a.delete(roles_url(user_a, f"/{uuid.uuid4()}")), 404, "User role not found")


def test_delete_user_role_gone_meanwhile_is_404(client_a, guardian, user_a):
    assign(guardian, ASSIGNMENT_ID, user_a, "r1")
    guardian.answers[("DELETE", f"/user-roles/{ASSIGNMENT_ID}")] = (404, {"error": "Not found"})

    assert_error(client_a.delete(roles_url(user_a, f"/{ASSIGNMENT_ID}")), 404, "User role not found")


def test_delete_user_role_of_another_user_is_404_and_keeps_it(client_a, guardian, user_a, company_a, make_user):
    colleague = make_user(company_a, "gamma@acme.test")
    assign(guardian, ASSIGNMENT_ID, colleague, "r1")

    assert_error(client_a.delete(roles_url(user_a, f"/{ASSIGNMENT_ID}")), 404, "User role not found")
    assert ASSIGNMENT_ID in guardian.user_roles
    assert [call.method for call in guardian.lookups()] == ["GET"]


def test_delete_user_role_guardian_failure_is_503(client_a, guardian, user_a):
    assign(guardian, ASSIGNMENT_ID, user_a, "r1")
    guardian.answers[("DELETE", f"/user-roles/{ASSIGNMENT_ID}")] = (500, {"error": "boom"})

    assert_error(client_a.delete(roles_url(user_a, f"/{ASSIGNMENT_ID}")), 503, "Authorization service unavailable")


def test_delete_user_role_with_guardian_disabled_is_503(client_a, guardian, user_a, settings):
    settings.USE_GUARDIAN_SERVICE = False
    assert_error(client_a.delete(roles_url(user_a, f"/{ASSIGNMENT_ID}")), 503, "Guardian Service is disabled")
    assert guardian.calls == []


def test_roles_head_uses_the_list_check(client_a, guardian, user_a):
    response = client_a.head(roles_url(user_a))

    assert response.status_code == 200
    assert [check["operation"] for check in guardian.checks()] == ["LIST"]


# --- deadlines ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "method, suffix, body",
    [
        ("get", "/roles", None),
        ("post", "/roles", {"role_id": "r1"}),
        ("get", "/roles/0e5a1c1e-0000-4000-8000-000000000001", None),
        ("delete", "/roles/0e5a1c1e-0000-4000-8000-000000000001", None),
        ("get", "/policies", None),
        ("get", "/permissions", None),
    ],
)
def test_trickling_guardian_lookups_are_503_within_the_timeout(
    client_a, guardian, user_a, settings, method, suffix, body
):
    """The access check answers at once; each look-up's bytes come within the timeout, its whole answer long
    after it."""
    settings.GUARDIAN_SERVICE_TIMEOUT = 0.5
    guardian.roles["r1"] = role("r1")
    assign(guardian, "0e5a1c1e-0000-4000-8000-000000000001", user_a, "r1")
    assert client_a.get(f"/users/{user_a.pk}").status_code == 200  # warm: only the trickled call is timed
    guardian.trickle(0.2, lookups_only=True)
    send = getattr(client_a, method)
    response = within_deadline(lambda: send(f"/users/{user_a.pk}{suffix}", body, format="json"), 0.5)
    assert_error(response, 503, "Authorization service unavailable")
