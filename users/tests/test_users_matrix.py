"""Contract table of `/users` and `/positions/{position_id}/users`: 401, Guardian call, 403, 503, foreign 404."""

import pytest

from identity.testing.matrix import ContractMatrix, Row

pytestmark = pytest.mark.django_db


class TestUserEndpoints(ContractMatrix):
    rows = [
        Row("GET", "/users", "user", "LIST"),
        Row("POST", "/users", "user", "CREATE", body={"email": "new@acme.test", "password": "Str0ng-Passw0rd!"}),
        Row("GET", "/users/{user}", "user", "READ", foreign=True),
        Row("PUT", "/users/{user}", "user", "UPDATE", body={"email": "alpha@acme.test"}, foreign=True),
        Row("PATCH", "/users/{user}", "user", "UPDATE", body={"first_name": "Omega"}, foreign=True),
        Row("DELETE", "/users/{user}", "user", "DELETE", foreign=True),
        Row("GET", "/positions/{position}/users", "user_position", "READ", foreign=True),
    ]
