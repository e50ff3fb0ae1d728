"""Contract table of `/users/{user_id}/roles|policies|permissions`: 401, Guardian call, 403, 503, foreign 404."""

import pytest

from identity.testing.constants import ASSIGNMENT_ID
from identity.testing.matrix import ContractMatrix, Row

pytestmark = pytest.mark.django_db


class TestRoleEndpoints(ContractMatrix):
    rows = [
        Row("GET", "/users/{user}/roles", "user_roles", "LIST", foreign=True),
        Row("POST", "/users/{user}/roles", "user_roles", "CREATE", body={"role_id": "role-new"}, foreign=True),
        Row("GET", "/users/{user}/roles/" + ASSIGNMENT_ID, "user_roles", "READ", foreign=True),
        Row("DELETE", "/users/{user}/roles/" + ASSIGNMENT_ID, "user_roles", "DELETE", foreign=True),
        Row("GET", "/users/{user}/policies", "user_policies", "READ", foreign=True),
        Row("GET", "/users/{user}/permissions", "user_permissions", "READ", foreign=True),
    ]


@pytest.fixture(autouse=True)
def _guardian_store(guardian, directory_a):
    """Company A's user holds assignment ASSIGNMENT_ID of role `role-1`; `role-new` is free to assign."""
    guardian.roles.update(
        {
            "role-1": {"id": "role-1", "name": "Viewer", "description": None, "company_id": None},
            "role-new": {"id": "role-new", "name": "Editor", "description": None, "company_id": directory_a["company"]},
        }
    )
    guardian.user_roles[ASSIGNMENT_ID] = {
        "id": ASSIGNMENT_ID,
        "user_id": directory_a["user"],
        "role_id": "role-1",
        "created_at": "2026-01-01T00:00:00Z",
    }
    guardian.role_policies["role-1"] = [{"id": "pol-1", "name": "read"}]
    guardian.policy_permissions["pol-1"] = [
        {"id": "perm-1", "service": "identity", "resource_name": "user", "operation": "READ", "description": None}
    ]
