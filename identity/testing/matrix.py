"""The per-endpoint contract table: no token → 401, Guardian's exact call, deny → 403, down → 503, other company → 404.

An app's test module declares its rows and calls `matrix_tests(ROWS)`, which returns parametrized test
functions to put in the module's namespace (`globals().update(matrix_tests(ROWS))`). Paths name objects
with placeholders filled from the `directory_a` fixture: `{company} {user} {unit} {position} {customer}
{subcontractor}` (and `{event}` where a module adds an audit event to its directories); an `ID` in a row with `foreign=True` is also tried with company B's object (404).
"""

from dataclasses import dataclass, field

import pytest

from identity.testing.assertions import assert_error

PLACEHOLDERS = ("company", "user", "unit", "position", "customer", "subcontractor", "event")


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    resource: str | None  # None: token only, no Guardian call
    operation: str | None
    body: dict | None = field(default=None, hash=False, compare=False)
    foreign: bool = False  # the path names a company-owned object: company B's id must answer 404
    ok: tuple[int, ...] = (200, 201, 204)

    def __str__(self):
        return f"{self.method} {self.path}"

    def url(self, ids: dict) -> str:
        return self.path.format(**ids)


def send(client, row: Row, ids: dict, body=None):
    """Sends the row's request; string values of its body may name placeholders too (`{"parent_id": "{unit}"}`)."""
    body = body if body is not None else row.body
    if isinstance(body, dict):
        body = {key: value.format(**ids) if isinstance(value, str) else value for key, value in body.items()}
    return getattr(client, row.method.lower())(row.url(ids), body, format="json")


def matrix_tests(rows: list[Row]) -> dict:
    ids = [str(row) for row in rows]
    guarded = [row for row in rows if row.resource]
    guarded_ids = [str(row) for row in guarded]
    foreign = [row for row in rows if row.foreign]
    foreign_ids = [str(row) for row in foreign]

    @pytest.mark.parametrize("row", rows, ids=ids)
    def test_endpoint_without_token_is_401(anon_client, directory_a, row):
        response = send(anon_client, row, directory_a)
        assert_error(response, 401, "Missing or invalid JWT token")

    @pytest.mark.parametrize("row", guarded, ids=guarded_ids)
    def test_endpoint_sends_one_guardian_check(client_a, guardian, directory_a, user_a, row):
        response = send(client_a, row, directory_a)
        assert response.status_code in row.ok, (response.status_code, response.content[:300])
        checks = guardian.checks()
        assert checks == [{"user_id": str(user_a.pk), "service": "identity",
                           "resource_name": row.resource, "operation": row.operation}]
        assert guardian.calls[0].cookie_token == client_a.raw_token

    @pytest.mark.parametrize("row", guarded, ids=guarded_ids)
    def test_endpoint_guardian_deny_is_403(client_a, guardian, directory_a, row):
        guardian.deny(row.resource, row.operation)
        body = assert_error(send(client_a, row, directory_a), 403, "Access denied")
        assert body["reason"] == guardian.reason

    @pytest.mark.parametrize("row", guarded, ids=guarded_ids)
    def test_endpoint_guardian_down_is_503(client_a, guardian, directory_a, row):
        guardian.mode = "fail"
        assert_error(send(client_a, row, directory_a), 503, "Authorization service unavailable")

    @pytest.mark.parametrize("row", foreign, ids=foreign_ids)
    def test_endpoint_other_company_object_is_404(client_a, directory_a, directory_b, row):
        mixed = {**directory_a, **{key: directory_b[key] for key in PLACEHOLDERS if key in row.path}}
        assert_error(send(client_a, row, mixed), 404)

    tests = {
        "test_endpoint_without_token_is_401": test_endpoint_without_token_is_401,
        "test_endpoint_sends_one_guardian_check": test_endpoint_sends_one_guardian_check,
        "test_endpoint_guardian_deny_is_403": test_endpoint_guardian_deny_is_403,
        "test_endpoint_guardian_down_is_503": test_endpoint_guardian_down_is_503,
    }
    if foreign:
        tests["test_endpoint_other_company_object_is_404"] = test_endpoint_other_company_object_is_404
    return tests
