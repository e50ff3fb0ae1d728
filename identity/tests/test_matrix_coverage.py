"""Every operation of the OpenAPI schema that needs a token has a row in a contract table (identity.testing.matrix)."""

import re

import pytest

from identity.testing.matrix import declared_rows

# Operations that need no token (docs/behaviour.md §2).
PUBLIC = {
    ("GET", "/health"),
    ("GET", "/health/live"),
    ("GET", "/health/ready"),
    ("GET", "/init-db"),
    ("POST", "/init-db"),
    ("POST", "/verify_password"),
    ("POST", "/users/password-reset/request"),
    ("POST", "/users/password-reset/confirm"),
    ("GET", "/metrics"),  # its own METRICS_TOKEN, not the caller's JWT (docs/behaviour.md §10)
}
# Operations that need the token but make no Guardian call (docs/behaviour.md §3.1).
TOKEN_ONLY = {("PATCH", "/users/me/change-password")}


def schema_operation(row, operations) -> tuple[str, str] | None:
    """The schema's operation a row's request reaches: static segments win over path parameters."""
    reached = [
        (method, path)
        for method, path in operations
        if method == row.method and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", path), row.path)
    ]
    return min(reached, key=lambda operation: operation[1].count("{"), default=None)


@pytest.mark.django_db
def test_every_operation_of_the_schema_has_a_contract_row(anon_client):
    response = anon_client.get("/openapi.json")
    assert response.status_code == 200
    operations = {
        (method.upper(), path)
        for path, item in response.json()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert PUBLIC | TOKEN_ONLY <= operations, (PUBLIC | TOKEN_ONLY) - operations

    rows = declared_rows()
    stale = [str(row) for row in rows if schema_operation(row, operations) is None]
    assert stale == [], f"rows naming no operation of the schema: {stale}"
    guarded = {schema_operation(row, operations) for row in rows if row.resource is not None}
    token_only = {schema_operation(row, operations) for row in rows if row.resource is None}
    missing = sorted(operations - PUBLIC - TOKEN_ONLY - guarded)
    assert missing == [], f"guarded operations without a row (resource and operation of Guardian): {missing}"
    assert token_only == TOKEN_ONLY  # and none of them is checked by Guardian
    assert not guarded & (PUBLIC | TOKEN_ONLY)
