"""Contract table of `/companies`, `/version` and `/config`: 401, Guardian call, 403, 503, foreign 404."""

import pytest

from identity.testing.matrix import ContractMatrix, Row

pytestmark = pytest.mark.django_db


class TestCompanyEndpoints(ContractMatrix):
    rows = [
        Row("GET", "/companies", "company", "LIST"),
        Row("POST", "/companies", "company", "CREATE", body={"name": "Initech"}),
        Row("GET", "/companies/{company}", "company", "READ", foreign=True),
        Row("PUT", "/companies/{company}", "company", "UPDATE", body={"name": "Acme Renamed"}, foreign=True),
        Row("PATCH", "/companies/{company}", "company", "UPDATE", body={"city": "Lyon"}, foreign=True),
        Row("DELETE", "/companies/{company}", "company", "DELETE", foreign=True, status=409),
    ]


class TestSystemEndpoints(ContractMatrix):
    rows = [
        Row("GET", "/version", "version", "LIST"),
        Row("GET", "/config", "config", "READ"),
    ]
