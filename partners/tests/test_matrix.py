"""Contract table of `/customers` and `/subcontractors`: 401, Guardian call, 403, 503, foreign 404."""

import pytest

from identity.testing.matrix import ContractMatrix, Row

pytestmark = pytest.mark.django_db


class TestCustomerEndpoints(ContractMatrix):
    rows = [
        Row("GET", "/customers", "customer", "LIST"),
        Row("POST", "/customers", "customer", "CREATE", body={"name": "Initech"}),
        Row("GET", "/customers/{customer}", "customer", "READ", foreign=True),
        Row("PUT", "/customers/{customer}", "customer", "UPDATE", body={"name": "Client renamed"}, foreign=True),
        Row("PATCH", "/customers/{customer}", "customer", "UPDATE", body={"address": "1 rue de Rivoli"}, foreign=True),
        Row("DELETE", "/customers/{customer}", "customer", "DELETE", foreign=True),
    ]


class TestSubcontractorEndpoints(ContractMatrix):
    rows = [
        Row("GET", "/subcontractors", "subcontractor", "LIST"),
        Row("POST", "/subcontractors", "subcontractor", "CREATE", body={"name": "Initech"}),
        Row("GET", "/subcontractors/{subcontractor}", "subcontractor", "READ", foreign=True),
        Row(
            "PUT",
            "/subcontractors/{subcontractor}",
            "subcontractor",
            "UPDATE",
            body={"name": "Supplier renamed"},
            foreign=True,
        ),
        Row(
            "PATCH",
            "/subcontractors/{subcontractor}",
            "subcontractor",
            "UPDATE",
            body={"description": "Pipes"},
            foreign=True,
        ),
        Row("DELETE", "/subcontractors/{subcontractor}", "subcontractor", "DELETE", foreign=True),
    ]
