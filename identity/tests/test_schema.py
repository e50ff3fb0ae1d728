"""The OpenAPI schema is exact: every answer of every operation documented with its body, image downloads typed,
the two credentials as alternatives, and docs pages that load nothing from elsewhere."""

import re

import pytest
from django.test import Client
from rest_framework.exceptions import ValidationError

from identity import files
from identity.phone import validate_phone

pytestmark = pytest.mark.django_db

ERROR = {"$ref": "#/components/schemas/Error"}
LISTS = ["/companies", "/customers", "/subcontractors", "/organization_units", "/positions", "/users"]
RATE_LIMITED = [
    ("post", "/verify_password"),
    ("post", "/users/password-reset/request"),
    ("post", "/users/password-reset/confirm"),
    ("patch", "/users/me/change-password"),
    ("post", "/init-db"),
]
PUBLIC = {
    "/health",
    "/health/live",
    "/health/ready",
    "/init-db",
    "/verify_password",
    "/users/password-reset/request",
    "/users/password-reset/confirm",
    "/metrics",
}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return Client().get("/openapi.json").json()


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def _codes(schema, method: str, path: str) -> set[str]:
    return set(schema["paths"][path][method]["responses"])


def test_credentials_are_alternatives(schema):
    for path, method, operation in _operations(schema):
        expected = [{}] if path in PUBLIC else [{"cookieAuth": []}, {"bearerAuth": []}]
        assert operation["security"] == expected, (method, path)
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }


def test_guarded_operations_document_401_403_503(schema):
    for path, method, operation in _operations(schema):
        if path in PUBLIC:
            continue
        expected = {"401", "503"} if path == "/users/me/change-password" else {"401", "403", "503"}
        assert expected <= set(operation["responses"]), (method, path)
        assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]


def test_change_password_needs_no_guardian_so_has_no_403(schema):
    assert "403" not in _codes(schema, "patch", "/users/me/change-password")


@pytest.mark.parametrize("path", LISTS)
def test_the_six_list_gets_document_their_400(schema, path):
    assert schema["paths"][path]["get"]["responses"]["400"]["content"]["application/json"]["schema"] == ERROR


@pytest.mark.parametrize(
    "method, path, code",
    [
        ("delete", "/companies/{company_id}", "409"),
        ("post", "/init-db", "403"),
        ("post", "/positions", "404"),
        ("post", "/users/{user_id}/roles", "409"),
        ("post", "/companies", "409"),
        ("patch", "/users/{user_id}", "409"),
        ("put", "/subcontractors/{subcontractor_id}", "409"),
    ],
)
def test_contract_specific_answers_are_documented(schema, method, path, code):
    assert schema["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"] == ERROR


@pytest.mark.parametrize(
    "method, path, code",
    [
        ("post", "/organization_units", "409"),  # units have no unique field
        ("post", "/init-db", "409"),  # every loser of a concurrent init answers 403
        ("post", "/users/password-reset/request", "400"),  # always the same 200
        ("get", "/health/live", "503"),  # no I/O
        ("get", "/users", "413"),  # no body is read
        ("post", "/users/{user_id}/admin-reset-password", "415"),
    ],
)
def test_answers_an_operation_never_gives_are_not_documented(schema, method, path, code):
    assert code not in _codes(schema, method, path)


@pytest.mark.parametrize("method, path", RATE_LIMITED)
def test_rate_limited_operations_document_429_with_retry_after(schema, method, path):
    response = schema["paths"][path][method]["responses"]["429"]
    assert "Retry-After" in response["headers"]


def test_only_rate_limited_operations_document_429(schema):
    limited = {(path, method) for path, method, operation in _operations(schema) if "429" in operation["responses"]}
    assert limited == {(path, method) for method, path in RATE_LIMITED}


def test_operations_with_a_body_document_400_413_415(schema):
    for path, method, operation in _operations(schema):
        if "requestBody" in operation and path != "/users/password-reset/request":
            assert {"400", "413", "415"} <= set(operation["responses"]), (method, path)


def test_operations_with_path_ids_document_400_and_404(schema):
    for path, method, operation in _operations(schema):
        if "{" in path:
            assert {"400", "404"} <= set(operation["responses"]), (method, path)


def test_every_error_answer_has_a_json_body(schema):
    for path, method, operation in _operations(schema):
        for code, response in operation["responses"].items():
            if code.startswith(("4", "5")):
                assert "application/json" in response.get("content", {}), (method, path, code)


@pytest.mark.parametrize(
    "path",
    [
        "/users/{user_id}/avatar",
        "/companies/{company_id}/logo",
        "/customers/{customer_id}/logo",
        "/subcontractors/{subcontractor_id}/logo",
    ],
)
def test_file_downloads_declare_image_types(schema, path):
    content = schema["paths"][path]["get"]["responses"]["200"]["content"]
    assert set(content) == set(files.CONTENT_TYPES.values())
    assert {"image/jpeg", "image/png", "image/gif", "image/bmp", "image/webp"} == set(content)
    assert "content" not in schema["paths"][path]["get"]["responses"]["304"]


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_forbid_loading_anything_from_elsewhere(anon_client, path):
    policy = anon_client.get(path).headers["Content-Security-Policy"]
    directives = dict(item.strip().split(" ", 1) for item in policy.split(";"))
    for name in ("default-src", "script-src", "style-src", "img-src", "font-src", "connect-src"):
        sources = directives[name].split()
        assert all(source in ("'self'", "'unsafe-inline'", "data:", "blob:") for source in sources), (name, sources)


@pytest.mark.parametrize("value", ["", "+33 (0)1 23-45", "0123456789", "12a", "+33.1", "☎ 12", "1\n2"])
def test_documented_phone_pattern_is_the_validators_rule(schema, value):
    pattern = schema["components"]["schemas"]["CompanyRequest"]["properties"]["phone_number"]["pattern"]
    try:
        validate_phone(value)
        valid = True
    except ValidationError:
        valid = False
    assert bool(re.fullmatch(pattern.strip("^$"), value)) is valid
