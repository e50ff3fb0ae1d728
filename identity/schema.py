"""OpenAPI: the two credentials as alternatives, and every answer an operation can give, derived from its view
(the exact schema of docs/behaviour.md §10)."""

from django.db import models
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.plumbing import force_instance, is_serializer
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from identity.permissions import GuardianPermission


class CookieJWTScheme(OpenApiAuthenticationExtension):
    target_class = "identity.authentication.CookieJWTAuthentication"
    name = ["cookieAuth", "bearerAuth"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "cookie", "name": "access_token"},
            {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        ]

    def get_security_requirement(self, auto_schema):
        # Either credential suffices: two requirement objects (one object naming both would demand both).
        return [{name: []} for name in self.name]


# identity/phone.py's rule as a JSON Schema pattern, so that clients (and generated requests) know it.
PHONE_PATTERN = r"^[0-9 +()-]*$"


class PhoneFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "identity.serializers.PhoneField"

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, "pattern": PHONE_PATTERN}


# The contract's answers that no view declaration implies, by (method, path).
CONTRACT_ANSWERS = {
    ("POST", "/positions"): {"404": "Organization unit not found (an unknown or foreign organization_unit_id)"},
    ("DELETE", "/companies/{company_id}"): {"409": "Company still has users or organization units"},
    ("POST", "/init-db"): {"403": "Identity already initialized"},
    ("POST", "/users/{user_id}/roles"): {"409": "Role already assigned to user"},
    ("GET", "/metrics"): {
        "401": "Missing or invalid metrics token (METRICS_TOKEN is set)",
        "404": "Not served: no METRICS_TOKEN outside development and testing",
    },
}
# Answers the derivation below would add but that an operation never gives, by (method, path).
NEVER_ANSWERS = {
    ("GET", "/health/live"): {"503"},  # no I/O at all
    ("POST", "/users/password-reset/request"): {"400", "415"},  # any body answers the same 200
}
# The rate-limited endpoints (django-ratelimit, `RATELIMIT_*` settings).
RATE_LIMITED = {
    ("POST", "/verify_password"),
    ("POST", "/users/password-reset/request"),
    ("POST", "/users/password-reset/confirm"),
    ("PATCH", "/users/me/change-password"),
    ("POST", "/init-db"),
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_HEADERS = {
    "401": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Always `Bearer`"}},
    "429": {
        "Retry-After": {
            "schema": {"type": "integer", "minimum": 1},
            "description": "Seconds left in the rate-limit window",
        }
    },
}


class AutoSchema(BaseAutoSchema):
    """Tags each operation by its first path segment; documents `sort`/`order` and `expand` where they apply, and
    the error answers the view's declarations imply (authentication, Guardian, path ids, bodies, filters,
    uniqueness), each with the error envelope."""

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        view = self.view
        action = getattr(view, "action", None)
        filterset_class = getattr(view, "filterset_class", None)
        if action == "list" and filterset_class is not None:
            params += [
                OpenApiParameter(
                    "sort",
                    OpenApiTypes.STR,
                    enum=list(filterset_class.sort_fields),
                    description="Sort key (unknown → created_at); ties broken by id",
                ),
                OpenApiParameter("order", OpenApiTypes.STR, enum=["asc", "desc"], description="Sort direction"),
            ]
        expandable = getattr(view, "expandable", None)
        if expandable and action in ("list", "retrieve"):
            params.append(
                OpenApiParameter(
                    "expand", OpenApiTypes.STR, description="Comma-separated: " + ", ".join(sorted(expandable))
                )
            )
        return params

    def get_tags(self):
        segment = self.path.strip("/").split("/")[0] or "system"
        return [segment.replace("{", "").replace("}", "")]

    def get_auth(self):
        # A public operation says so explicitly (an empty requirement) rather than by leaving `security` out.
        return super().get_auth() or [{}]

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for code, reasons in sorted(self.error_answers(operation).items()):
            # A view's own declaration of an answer keeps its body; the derived one adds what it lacks.
            response = responses.setdefault(
                code, {"description": "; ".join(reasons), "content": {"application/json": {"schema": ERROR_REF}}}
            )
            if code in ERROR_HEADERS:
                response.setdefault("headers", ERROR_HEADERS[code])
        return operation

    def error_answers(self, operation) -> dict[str, list[str]]:
        """status → reasons, for every error this operation can answer."""
        view, method = self.view, self.method
        key = (method, self.path.rstrip("/") or "/")
        answers: dict[str, list[str]] = {}

        def add(code: str, reason: str) -> None:
            answers.setdefault(code, []).append(reason)

        if view.get_authenticators():
            add("401", "Missing or invalid JWT token, or the token's user not found or inactive")
        if any(isinstance(permission, GuardianPermission) for permission in view.get_permissions()):
            add("403", "Denied by Guardian (`reason` carries Guardian's)")
            add("503", "Guardian unavailable")
        if "{" in self.path:
            add("400", "Malformed path id")
            add("404", "Not found (also another company's)")
        if "requestBody" in operation:
            add("400", "Validation error, or a body that is not valid JSON / UTF-8 text")
            add("413", "Request body too large")
            add("415", "Unsupported media type")
        if getattr(view, "action", None) == "list" and getattr(view, "filterset_class", None) is not None:
            add("400", "Unparseable filter value (`errors.<param>`)")
        if method in ("POST", "PUT", "PATCH") and _has_unique_fields(self.get_request_serializer()):
            add("409", "Conflict: a unique value already taken (`errors.<field>`)")
        if key in RATE_LIMITED:
            add("429", "Too many requests")
        add("503", "Database or another dependency unavailable")
        for code, reason in CONTRACT_ANSWERS.get(key, {}).items():
            add(code, reason)
        for code in NEVER_ANSWERS.get(key, ()):
            answers.pop(code, None)
        return answers


def _has_unique_fields(serializer) -> bool:
    """Whether the model a request serializer writes has a unique field or constraint besides its primary key."""
    if isinstance(serializer, dict):  # {media type: serializer}
        return any(_has_unique_fields(item) for item in serializer.values())
    if not is_serializer(serializer):
        return False
    model = getattr(getattr(force_instance(serializer), "Meta", None), "model", None)
    if model is None:
        return False
    return any(isinstance(constraint, models.UniqueConstraint) for constraint in model._meta.constraints) or any(
        field.unique and not field.primary_key for field in model._meta.concrete_fields
    )


def contract_paths(endpoints):
    """drf-spectacular preprocessing hook: document the contract's paths, without the optional trailing slash."""
    return [(path.rstrip("/") or "/", regex, method, callback) for path, regex, method, callback in endpoints]


# Keys that appear only when `expand` asks for them: documented, never required.
EXPAND_KEYS = frozenset({"parent", "children", "positions", "organization_unit", "position"})

ERROR_SCHEMA = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "reason": {"type": "string", "nullable": True, "description": "Guardian's reason, on a 403 denial"},
    },
}


def contract_shapes(result, generator, request, public):
    """drf-spectacular postprocessing hook: the shared error envelope, UUID path ids, and expand-only keys
    marked optional."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for component in schemas.values():
        if "required" in component:
            component["required"] = [key for key in component["required"] if key not in EXPAND_KEYS]
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter["name"].endswith("_id"):
                    parameter["schema"] = {"type": "string", "format": "uuid"}
    return result
