"""`/users/{user_id}/policies` and `/permissions` (de-duplicated, 404-skipping) and the concurrency of look-ups."""

import pytest

from identity.testing.assertions import assert_error

pytestmark = pytest.mark.django_db


def give_roles(guardian, user, *role_ids: str):
    for number, role_id in enumerate(role_ids):
        guardian.roles[role_id] = {"id": role_id, "name": role_id, "description": None, "company_id": None}
        guardian.user_roles[f"ur-{role_id}"] = {
            "id": f"ur-{role_id}",
            "user_id": str(user.pk),
            "role_id": role_id,
            "created_at": f"2026-01-0{number + 1}T00:00:00Z",
        }


def policy(policy_id: str) -> dict:
    return {"id": policy_id, "name": f"policy {policy_id}", "description": None}


def permission(permission_id: str, description: str = "") -> dict:
    return {
        "id": permission_id,
        "service": "identity",
        "resource_name": "user",
        "operation": "READ",
        "description": description,
    }


# --- GET /users/{user_id}/policies -------------------------------------------------------------------------------
def test_policies_of_all_roles_deduplicated_in_discovery_order(client_a, guardian, user_a):
    give_roles(guardian, user_a, "r1", "r2")
    guardian.role_policies["r1"] = [policy("p1"), policy("p2")]
    guardian.role_policies["r2"] = [policy("p2"), policy("p3"), policy("p1")]

    response = client_a.get(f"/users/{user_a.pk}/policies")

    assert response.status_code == 200, response.content
    assert response.json() == {"policies": [policy("p1"), policy("p2"), policy("p3")]}
    assert all(call.cookie_token == client_a.raw_token for call in guardian.lookups())


def test_policies_skip_roles_guardian_answers_404_for(client_a, guardian, user_a):
    give_roles(guardian, user_a, "r1", "r2", "r3")
    guardian.role_policies["r2"] = [policy("p2")]  # r1 and r3 answer 404

    response = client_a.get(f"/users/{user_a.pk}/policies")

    assert response.json() == {"policies": [policy("p2")]}


@pytest.mark.parametrize("wrapped", [True, False], ids=["wrapped", "list"])
def test_policies_accept_list_or_wrapped_replies(client_a, guardian, user_a, wrapped):
    guardian.wrap.update(roles=wrapped, policies=wrapped)
    give_roles(guardian, user_a, "r1")
    guardian.role_policies["r1"] = [policy("p1")]

    assert client_a.get(f"/users/{user_a.pk}/policies").json() == {"policies": [policy("p1")]}


def test_policies_of_user_without_roles_are_empty(client_a, guardian, user_a):
    assert client_a.get(f"/users/{user_a.pk}/policies").json() == {"policies": []}


@pytest.mark.parametrize("answer", [(500, {"error": "boom"}), (200, {"items": []}), (200, "<html>")])
def test_policies_guardian_failure_is_503(client_a, guardian, user_a, answer):
    give_roles(guardian, user_a, "r1", "r2")
    guardian.role_policies["r1"] = [policy("p1")]
    guardian.answers[("GET", "/roles/r2/policies")] = answer

    assert_error(client_a.get(f"/users/{user_a.pk}/policies"), 503, "Authorization service unavailable")


def test_policies_with_guardian_disabled_are_empty(client_a, guardian, user_a, settings):
    settings.USE_GUARDIAN_SERVICE = False
    give_roles(guardian, user_a, "r1")
    guardian.role_policies["r1"] = [policy("p1")]

    response = client_a.get(f"/users/{user_a.pk}/policies")

    assert response.status_code == 200
    assert response.json() == {"policies": []}
    assert guardian.calls == []


# --- GET /users/{user_id}/permissions ----------------------------------------------------------------------------
def test_permissions_of_all_policies_first_occurrence_wins(client_a, guardian, user_a):
    give_roles(guardian, user_a, "r1", "r2")
    guardian.role_policies["r1"] = [policy("p1")]
    guardian.role_policies["r2"] = [policy("p2"), policy("p1")]
    guardian.policy_permissions["p1"] = [permission("a", "first"), permission("b")]
    guardian.policy_permissions["p2"] = [permission("c"), permission("a", "second")]

    response = client_a.get(f"/users/{user_a.pk}/permissions")

    assert response.status_code == 200, response.content
    assert response.json() == {"permissions": [permission("a", "first"), permission("b"), permission("c")]}
    paths = [call.path for call in guardian.lookups()]
    assert paths.count("/policies/p1/permissions") == 1  # a policy shared by two roles is read once
    assert all(call.cookie_token == client_a.raw_token for call in guardian.lookups())


def test_permissions_skip_policies_and_roles_guardian_answers_404_for(client_a, guardian, user_a):
    give_roles(guardian, user_a, "r1", "r2")
    guardian.role_policies["r2"] = [policy("p1"), policy("p2")]  # r1 answers 404
    guardian.policy_permissions["p2"] = [permission("b")]  # p1 answers 404

    assert client_a.get(f"/users/{user_a.pk}/permissions").json() == {"permissions": [permission("b")]}


@pytest.mark.parametrize("wrapped", [True, False], ids=["wrapped", "list"])
def test_permissions_accept_list_or_wrapped_replies(client_a, guardian, user_a, wrapped):
    guardian.wrap.update(roles=wrapped, policies=wrapped, permissions=wrapped)
    give_roles(guardian, user_a, "r1")
    guardian.role_policies["r1"] = [policy("p1")]
    guardian.policy_permissions["p1"] = [permission("a")]

    assert client_a.get(f"/users/{user_a.pk}/permissions").json() == {"permissions": [permission("a")]}


@pytest.mark.parametrize("answer", [(503, {"error": "down"}), (200, [1]), (200, "<html>")])
def test_permissions_guardian_failure_is_503(client_a, guardian, user_a, answer):
    give_roles(guardian, user_a, "r1")
    guardian.role_policies["r1"] = [policy("p1"), policy("p2")]
    guardian.policy_permissions["p1"] = [permission("a")]
    guardian.answers[("GET", "/policies/p2/permissions")] = answer

    assert_error(client_a.get(f"/users/{user_a.pk}/permissions"), 503, "Authorization service unavailable")


def test_permissions_guardian_timeout_is_503(client_a, guardian, user_a, settings):
    settings.GUARDIAN_SERVICE_TIMEOUT = 0.2
    guardian.hang_seconds = 0.5
    give_roles(guardian, user_a, "r1")
    guardian.upstream_mode = "hang"

    assert_error(client_a.get(f"/users/{user_a.pk}/permissions"), 503, "Authorization service unavailable")


def test_permissions_with_guardian_disabled_are_empty(client_a, guardian, user_a, settings):
    settings.USE_GUARDIAN_SERVICE = False
    give_roles(guardian, user_a, "r1")

    assert client_a.get(f"/users/{user_a.pk}/permissions").json() == {"permissions": []}
    assert guardian.calls == []


# --- concurrency -------------------------------------------------------------------------------------------------
def test_roles_of_many_assignments_are_read_concurrently(client_a, guardian, user_a):
    give_roles(guardian, user_a, *(f"r{n}" for n in range(5)))
    guardian.delays["roles"] = 0.3  # each role read lasts long enough for the others to start meanwhile

    response = client_a.get(f"/users/{user_a.pk}/roles")

    assert response.status_code == 200
    assert [item["role"]["id"] for item in response.json()["roles"]] == [f"r{n}" for n in range(5)]
    assert guardian.max_in_flight["roles"] >= 3  # one after the other would never overlap


def test_permissions_latency_grows_with_depth_not_with_roles(client_a, guardian, user_a):
    give_roles(guardian, user_a, *(f"r{n}" for n in range(5)))
    for n in range(5):
        guardian.role_policies[f"r{n}"] = [policy(f"p{n}")]
        guardian.policy_permissions[f"p{n}"] = [permission(f"a{n}")]
    guardian.delays.update(roles=0.2, policies=0.2)

    response = client_a.get(f"/users/{user_a.pk}/permissions")

    assert [item["id"] for item in response.json()["permissions"]] == [f"a{n}" for n in range(5)]
    # Each level is read concurrently: latency grows with the depth of the chain, not with the number of roles.
    assert guardian.max_in_flight["roles"] >= 3 and guardian.max_in_flight["policies"] >= 3


def test_concurrent_lookups_are_bounded(client_a, guardian, user_a):
    give_roles(guardian, user_a, *(f"r{n:02}" for n in range(20)))
    guardian.delays["roles"] = 0.2

    response = client_a.get(f"/users/{user_a.pk}/roles")

    assert len(response.json()["roles"]) == 20
    assert 3 <= guardian.max_in_flight["roles"] <= 8  # 20 reads, concurrent but never more than 8 at a time
