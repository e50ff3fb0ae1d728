"""The per-endpoint contract table: no token → 401, Guardian's exact call, deny → 403, down → 503, other company → 404.

A test module declares its endpoints in a subclass of `ContractMatrix`; pytest collects the five tests below as
methods of that class, each parametrized over the rows it applies to:

    class TestCompanyEndpoints(ContractMatrix):
        rows = [
            Row("GET", "/companies", "company", "LIST"),
            Row("GET", "/companies/{company}", "company", "READ", foreign=True),
        ]

    companies/tests/test_matrix.py::TestCompanyEndpoints::test_endpoint_guardian_deny_is_403[GET /companies]

Paths name objects with placeholders filled from the `directory_a` fixture: `{company} {user} {unit} {position}
{customer} {subcontractor}` (and `{event}` where a module adds an audit event to its directories); a row with
`foreign=True` is also sent with company B's objects (404). Every guarded
operation of the OpenAPI schema must have a row (`identity/tests/test_matrix_coverage.py`).
"""

import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from identity.testing.assertions import assert_error

# The objects a path may name, filled from `directory_a`, and the 404 message of each ("<Entity> not found").
ENTITIES = {
    "company": "Company",
    "user": "User",
    "unit": "Organization unit",
    "position": "Position",
    "customer": "Customer",
    "subcontractor": "Subcontractor",
    "event": "Audit event",
}
# The status of a granted request, unless a row says otherwise.
SUCCESS = {"GET": 200, "POST": 201, "PUT": 200, "PATCH": 200, "DELETE": 204}


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    resource: str | None  # None: token only, no Guardian call
    operation: str | None
    body: dict | None = field(default=None, hash=False, compare=False)
    foreign: bool = False  # the path names a company-owned object: company B's object must answer 404
    status: int | None = None  # the status once Guardian grants; None: the method's success status

    def __post_init__(self):
        if unknown := set(self.placeholders()) - set(ENTITIES):
            raise ValueError(f"{self}: unknown placeholders {sorted(unknown)}")
        if self.foreign and not self.placeholders():
            raise ValueError(f"{self}: foreign=True needs an object in the path")

    def __str__(self):
        return f"{self.method} {self.path}"

    def placeholders(self) -> list[str]:
        """The objects the path names, outermost first."""
        return re.findall(r"\{(\w+)\}", self.path)

    @property
    def granted_status(self) -> int:
        return self.status if self.status is not None else SUCCESS[self.method]

    def url(self, ids: dict) -> str:
        return self.path.format(**ids)


def send(client, row: Row, ids: dict):
    """Sends the row's request; string values of its body may name placeholders too (`{"parent_id": "{unit}"}`)."""
    body = row.body
    if isinstance(body, dict):
        body = {key: value.format(**ids) if isinstance(value, str) else value for key, value in body.items()}
    return getattr(client, row.method.lower())(row.url(ids), body, format="json")


def _over(applies):
    """Marks a test of `ContractMatrix` as parametrized over the rows for which `applies(row)` holds."""

    def mark(test):
        test.applies_to = applies
        return test

    return mark


class ContractMatrix:
    """Base of each test module's endpoint table: a subclass named `Test…` lists its endpoints in `rows`."""

    rows: ClassVar[list[Row]] = []

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, test in vars(ContractMatrix).items():
            applies = getattr(test, "applies_to", None)
            if applies is not None and not any(applies(row) for row in cls.rows):
                setattr(cls, name, None)  # no row to run it on: left out rather than reported as skipped

    def pytest_generate_tests(self, metafunc):
        applies = getattr(metafunc.function, "applies_to", None)
        if applies is not None:
            rows = [row for row in self.rows if applies(row)]
            metafunc.parametrize("row", rows, ids=[str(row) for row in rows])

    @_over(lambda row: True)
    def test_endpoint_without_token_is_401(self, anon_client, directory_a, row):
        response = send(anon_client, row, directory_a)
        assert_error(response, 401, "Missing or invalid JWT token")

    @_over(lambda row: row.resource is not None)
    def test_endpoint_sends_one_guardian_check(self, client_a, guardian, directory_a, user_a, row):
        response = send(client_a, row, directory_a)
        assert response.status_code == row.granted_status, (response.status_code, response.content[:300])
        checks = guardian.checks()
        assert checks == [
            {
                "user_id": str(user_a.pk),
                "service": "identity",
                "resource_name": row.resource,
                "operation": row.operation,
            }
        ]
        assert guardian.calls[0].cookie_token == client_a.raw_token

    @_over(lambda row: row.resource is not None)
    def test_endpoint_guardian_deny_is_403(self, client_a, guardian, directory_a, row):
        guardian.deny(row.resource, row.operation)
        body = assert_error(send(client_a, row, directory_a), 403, "Access denied")
        assert body["reason"] == guardian.reason

    @_over(lambda row: row.resource is not None)
    def test_endpoint_guardian_down_is_503(self, client_a, guardian, directory_a, row):
        guardian.mode = "fail"
        assert_error(send(client_a, row, directory_a), 503, "Authorization service unavailable")

    @_over(lambda row: row.foreign)
    def test_endpoint_other_company_object_is_404(self, client_a, directory_a, directory_b, row):
        mixed = {**directory_a, **{key: directory_b[key] for key in row.placeholders()}}
        assert_error(send(client_a, row, mixed), 404, f"{ENTITIES[row.placeholders()[0]]} not found")


def declared_rows() -> list[Row]:
    """The rows of every `ContractMatrix` subclass in the project's test modules (`<app>/tests/test_*.py`)."""
    from django.apps import apps
    from django.conf import settings

    for config in apps.get_app_configs():
        if Path(config.path).parent != Path(settings.BASE_DIR):
            continue  # Django's and third-party apps
        for module in sorted((Path(config.path) / "tests").glob("test_*.py")):
            importlib.import_module(f"{config.name}.tests.{module.stem}")
    tables, pending = [], list(ContractMatrix.__subclasses__())
    while pending:
        table = pending.pop()
        tables.append(table)
        pending += table.__subclasses__()
    return [row for table in tables for row in table.rows]
