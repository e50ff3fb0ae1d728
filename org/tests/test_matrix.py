"""Contract table of `/organization_units` (and its tree reads) and `/positions`: 401, Guardian, 403, 503, 404."""

import pytest

from identity.testing.matrix import ContractMatrix, Row

pytestmark = pytest.mark.django_db


class TestOrganizationUnitEndpoints(ContractMatrix):
    rows = [
        Row("GET", "/organization_units", "organization_unit", "LIST"),
        Row("POST", "/organization_units", "organization_unit", "CREATE", body={"name": "Sales"}),
        Row("GET", "/organization_units/{unit}", "organization_unit", "READ", foreign=True),
        Row("PUT", "/organization_units/{unit}", "organization_unit", "UPDATE", body={"name": "Renamed"}, foreign=True),
        Row(
            "PATCH",
            "/organization_units/{unit}",
            "organization_unit",
            "UPDATE",
            body={"description": "d"},
            foreign=True,
        ),
        Row("DELETE", "/organization_units/{unit}", "organization_unit", "DELETE", foreign=True),
        Row("GET", "/organization_units/{unit}/children", "organization_unit_children", "LIST", foreign=True),
        Row("GET", "/organization_units/{unit}/positions", "organization_unit_positions", "LIST", foreign=True),
        Row(
            "POST",
            "/organization_units/{unit}/positions",
            "organization_unit_positions",
            "CREATE",
            body={"title": "Analyst"},
            foreign=True,
        ),
        Row("GET", "/organization_units/{unit}/descendants", "organization_unit_descendants", "LIST", foreign=True),
        Row("GET", "/organization_units/{unit}/ancestors", "organization_unit_ancestors", "LIST", foreign=True),
    ]


class TestPositionEndpoints(ContractMatrix):
    rows = [
        Row("GET", "/positions", "position", "LIST"),
        Row("POST", "/positions", "position", "CREATE", body={"title": "Analyst", "organization_unit_id": "{unit}"}),
        Row("GET", "/positions/{position}", "position", "READ", foreign=True),
        Row(
            "PUT",
            "/positions/{position}",
            "position",
            "UPDATE",
            body={"title": "Lead", "organization_unit_id": "{unit}"},
            foreign=True,
        ),
        Row("PATCH", "/positions/{position}", "position", "UPDATE", body={"title": "Lead"}, foreign=True),
        Row("DELETE", "/positions/{position}", "position", "DELETE", foreign=True),
    ]
